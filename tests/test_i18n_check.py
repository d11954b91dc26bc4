"""``tui-lab check --lang zh``: the lessons as always, and every interface message in Chinese."""

import pytest

import lab_i18n
import lab_i18n.coverage
from lab_i18n.compile import mo_bytes
from lab_i18n.extract import source_messages
from lab_i18n.po import HEADER, Catalogue, Entry
from tui_lab import cli


@pytest.fixture(autouse=True)
def language_restored(monkeypatch):
    """``main`` sets the process's language; the next test starts in the one it had."""
    before = lab_i18n.language()
    monkeypatch.setenv("TUI_LAB_LANG", before)
    yield
    lab_i18n.set_language(before)


@pytest.fixture
def catalogue_without(tmp_path, monkeypatch):
    """A compiled Chinese catalogue that translates every message of the source but one, in
    place of the shipped one."""
    def make(msgid: str):
        messages = {m.msgid for m in source_messages()} - {msgid}
        catalogue = Catalogue(dict(HEADER), {m: Entry(m, "译：" + m) for m in sorted(messages)})
        (tmp_path / "zh.mo").write_bytes(mo_bytes(catalogue))
        monkeypatch.setattr(lab_i18n.coverage, "mo_path", lambda lang: tmp_path / f"{lang}.mo")
    return make


def test_check_in_chinese_fails_naming_the_message_without_translation(catalogue_without, capsys):
    catalogue_without("Not it.")
    status = cli.main(["check", "--lang", "zh", "gradient-descent"])
    out = capsys.readouterr().out
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert status == 1
    assert len(failures) == 1 and "interface zh" in failures[0] and "'Not it.'" in failures[0]
    assert "lessons/sayings.py:" in failures[0]


def test_check_in_chinese_passes_with_the_shipped_catalogue(capsys):
    assert cli.main(["check", "--lang", "zh", "gradient-descent"]) == 0
    assert "ok   interface zh: all" in capsys.readouterr().out


def test_check_in_english_does_not_look_at_the_catalogue(catalogue_without, capsys):
    catalogue_without("Not it.")
    assert cli.main(["check", "gradient-descent"]) == 0
    assert "interface" not in capsys.readouterr().out
