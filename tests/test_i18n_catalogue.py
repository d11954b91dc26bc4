"""The interface catalogue: every message in the source has a Chinese translation with the
same placeholders, and the compiled catalogue the package ships is the one its .po makes."""

import gettext
import subprocess
from pathlib import Path

import pytest

from lab_i18n import gettext_in
from lab_i18n.compile import mo_bytes, mo_path
from lab_i18n.coverage import gaps
from lab_i18n.extract import Message, merge, messages_in, placeholders, po_path, source_messages, update
from lab_i18n.po import Catalogue, Entry, format_po, read_po


def test_every_interface_message_has_a_chinese_translation_with_the_same_placeholders():
    assert [gap.line("zh") for gap in gaps("zh")] == []


def test_the_po_holds_every_message_of_the_source():
    catalogue = read_po(po_path("zh"))
    live = {msgid for msgid, entry in catalogue.entries.items() if not entry.obsolete}
    assert sorted({m.msgid for m in source_messages()} - live) == []


def test_the_committed_mo_is_a_fresh_compile_of_the_po():
    assert mo_path("zh").read_bytes() == mo_bytes(read_po(po_path("zh")))


def test_gettext_reads_the_compiled_catalogue():
    with mo_path("zh").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.gettext("Not it.") == "不对。"
    assert gettext_in("zh", "Not it.") == "不对。" != gettext_in("en", "Not it.")


def test_extraction_finds_marked_literals_and_only_those(tmp_path):
    source = ('from lab_i18n import _, N_\n'
              'LABEL = N_("Stop")\n'
              'def show(n):\n'
              '    tensor.zero_()\n'
              '    return _("{n} steps "\n'
              '             "left").format(n=n), _(LABEL), str("not a message")\n')
    (tmp_path / "shown.py").write_text(source, encoding="utf-8")
    found = messages_in((tmp_path / "shown.py").read_text(encoding="utf-8"), "pkg/shown.py")
    assert found == [Message("Stop", "pkg/shown.py:2"), Message("{n} steps left", "pkg/shown.py:5")]


def test_no_message_is_formatted_before_it_is_looked_up(tmp_path):
    from lab_i18n.extract import PACKAGES, ROOT, formatted_too_early

    assert formatted_too_early('_(f"{n} steps")\nN_("a" + b)\n_("{n} steps")', "x.py") == ["x.py:1", "x.py:2"]
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found += formatted_too_early(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == []


def test_update_keeps_translations_adds_new_messages_and_keeps_gone_ones_obsolete():
    old = Catalogue({}, {"Stop": Entry("Stop", "停止"), "Gone": Entry("Gone", "走了"), "Blank": Entry("Blank")})
    new = update(old, [Message("Stop", "a.py:1"), Message("{n} steps", "a.py:2"), Message("Stop", "b.py:9")])
    assert new.entries["Stop"].msgstr == "停止" and new.entries["Stop"].references == ["a.py:1", "b.py:9"]
    assert new.entries["{n} steps"].msgstr == "" and "python-brace-format" in new.entries["{n} steps"].flags
    assert new.entries["Gone"].obsolete and new.translated("Gone") == ""
    assert "Blank" not in new.entries


def test_a_merged_translation_fills_only_what_is_empty():
    catalogue = Catalogue({}, {"Stop": Entry("Stop", "停止"), "Run": Entry("Run")})
    conflicts = merge(catalogue, {"Stop": "停", "Run": "运行", "Later": "以后"})
    assert conflicts == ["Stop"]
    assert catalogue.translated("Stop") == "停止" and catalogue.translated("Run") == "运行"
    assert catalogue.entries["Later"].obsolete
    assert merge(catalogue, {"Stop": "停"}, replace=True) == [] and catalogue.translated("Stop") == "停"


def test_a_po_written_and_read_again_is_the_same(tmp_path):
    text = 'A "quoted" word,\tescaped\\ and a very long sentence ' * 3 + "\nsecond line\n"
    catalogue = Catalogue({"Content-Type": "text/plain; charset=UTF-8"},
                          {text: Entry(text, "译文", ["python-brace-format"], ["x.py:1"]),
                           "Old": Entry("Old", "旧", obsolete=True)})
    path = tmp_path / "c.po"
    path.write_text(format_po(catalogue), encoding="utf-8")
    again = read_po(path)
    assert again.entries == catalogue.entries and again.header == catalogue.header


def test_placeholders_are_the_format_field_names():
    assert placeholders("{count} of {total:,} at {rate:.2g}") == {"count", "total", "rate"}
    assert placeholders("no fields") == set()


def test_a_message_without_translation_is_a_gap_and_so_is_a_lost_placeholder():
    messages = [Message("Stop", "a.py:1"), Message("{n} steps", "a.py:2"), Message("Run", "a.py:3")]
    found = gaps("zh", messages, {"Stop": "停止", "{n} steps": "若干步"})
    assert [(g.msgid, g.problem) for g in found] == [("{n} steps", "placeholders differ: n"), ("Run", "no translation")]


@pytest.mark.skipif(not Path("/usr/bin/msgfmt").exists(), reason="GNU gettext is not installed")
def test_gnu_msgfmt_accepts_the_po(tmp_path):
    result = subprocess.run(["/usr/bin/msgfmt", "--check-format", "-o", str(tmp_path / "x.mo"), str(po_path("zh"))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr



def test_no_module_that_translates_with_underscore_also_binds_it():
    """``for _ in …`` or ``_, x = …`` in a module that imports ``_`` makes ``_()`` fail in that
    function (a name bound anywhere in a function is local in all of it)."""
    import ast

    from lab_i18n.extract import PACKAGES, ROOT

    bound = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if not any(isinstance(n, ast.ImportFrom) and n.module == "lab_i18n" and any(a.name == "_" for a in n.names)
                       for n in ast.walk(tree)):
                continue
            # a comprehension's own variables live in its scope and shadow nothing outside it
            in_comprehension = {id(t) for c in ast.walk(tree) if isinstance(c, ast.comprehension)
                                for t in ast.walk(c.target)}
            bound += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(tree)
                      if (isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)
                          and id(n) not in in_comprehension)
                      or (isinstance(n, ast.arg) and n.arg == "_")]
    assert bound == []
