"""Course authoring: `tui-lab new-lesson`, `check` on authors' folders, and the lesson
format's document (lessons/README.md) kept in step with the loader."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from lessons import load_catalog, load_lesson
from lessons import loader, translation
from lessons.model import AFTER_MARKER, STEP_KINDS
from lessons.scaffold import ScaffoldError, create_lesson, render
from test_loader import write_lesson

README = ROOT / "lessons" / "README.md"


# -- new-lesson ---------------------------------------------------------------------


def test_new_lesson_creates_a_lesson_that_passes_check(tmp_path):
    course = tmp_path / "course"
    result = run_cli("new-lesson", "loss-surfaces", "--dir", str(course))
    assert result.returncode == 0, result.stderr
    folder = course / "loss-surfaces"
    assert f"tui-lab check loss-surfaces --lessons {course}" in result.stdout
    assert f"tui-lab --lessons {course}" in result.stdout

    lesson = load_lesson(folder)
    assert lesson.id == "loss-surfaces" and lesson.title == "Loss surfaces"
    assert [s.kind for s in lesson.steps] == ["read", "compute", "run", "find-error"]
    assert lesson.step(2).after and lesson.step(2).answer == "theta1"  # the <!-- after --> part is there
    assert sorted(p.name for p in course.iterdir()) == ["loss-surfaces"]  # no staging folder left

    report = tmp_path / "check.xml"
    check = run_cli("check", "loss-surfaces", "--lessons", str(course), "--junit", str(report))
    assert check.returncode == 0, check.stdout
    assert "ok   loss-surfaces: step 3 smoke run (gd.iterate)" in check.stdout
    assert "ok   loss-surfaces: expect theta1" in check.stdout
    assert "ok   loss-surfaces: step 2 answer: not shown before it is typed" in check.stdout
    assert "ok   loss-surfaces: text: shown as typed" in check.stdout
    assert check.stdout.endswith("9 passed, 0 failed\n")
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite.get("name") == "loss-surfaces" and suite.get("failures") == "0" and suite.get("tests") == "9"


@pytest.mark.parametrize("name", ["Intro", "my_lesson", "two words", "ünïcode", "-dash-first"])
def test_new_lesson_refuses_an_invalid_name_with_one_sentence(tmp_path, name):
    result = run_cli("new-lesson", "--dir", str(tmp_path), "--", name)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"tui-lab: {name!r} cannot be a lesson name: use lowercase letters, digits and dashes, "
        "starting with a letter or digit (for example linear-regression).\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_new_lesson_refuses_an_existing_folder_and_leaves_it_alone(tmp_path):
    (tmp_path / "intro").mkdir()
    (tmp_path / "intro" / "notes.txt").write_text("mine")
    result = run_cli("new-lesson", "intro", "--dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == f"tui-lab: {tmp_path / 'intro'} already exists; choose another name or move it away first.\n"
    assert [p.name for p in (tmp_path / "intro").iterdir()] == ["notes.txt"]


def test_new_lesson_refuses_the_id_of_a_built_in_lesson(tmp_path):
    result = run_cli("new-lesson", "gradient-descent", "--dir", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == "tui-lab: The id 'gradient-descent' is already used by a built-in lesson; choose another name.\n"
    assert list(tmp_path.iterdir()) == []


def test_new_lesson_refuses_an_id_already_used_in_the_folder(tmp_path):
    write_lesson(tmp_path, "first-try", 'id = "warm-up"\ntitle = "t"\n[[steps]]\ntitle = "r"\nkind = "read"\ntext = "a.md"\n')
    with pytest.raises(ScaffoldError, match=r"The id 'warm-up' is already used by the lesson in .*first-try; choose another name\."):
        create_lesson("warm-up", tmp_path)
    assert not (tmp_path / "warm-up").exists()


def test_new_lesson_goes_into_lessons_when_the_current_folder_has_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert create_lesson("no-course-folder") == Path("no-course-folder")
    (tmp_path / "lessons").mkdir()
    folder = create_lesson("in-course-folder")
    assert folder == Path("lessons") / "in-course-folder" and (folder / "lesson.toml").is_file()
    assert load_catalog(["lessons"]).get("in-course-folder") is not None


# -- check on an author's folder ------------------------------------------------------


def test_check_names_the_markdown_line_of_a_malformed_placeholder_and_checks_the_rest(tmp_path):
    create_lesson("fine", tmp_path)
    toml = 'id = "broken"\ntitle = "Broken"\nvalues = "gd.values"\n\n[[steps]]\ntitle = "r"\nkind = "read"\ntext = "a.md"\n'
    write_lesson(tmp_path, "broken", toml, {"a.md": "Line one.\nLine two.\nθ₁ = {{ theta 1 }}\n"})
    report = tmp_path / "check.xml"
    # Only "fine" is named, yet a lesson that cannot load is reported (and fails the check).
    result = run_cli("check", "fine", "--lessons", str(tmp_path), "--junit", str(report))
    assert result.returncode == 1
    where = f"{tmp_path / 'broken' / 'a.md'}:3"
    assert f"FAIL broken: {where}: malformed placeholder {{{{ theta 1 }}}}; write {{{{ name }}}} or {{{{ name:.3f }}}}" in result.stdout
    assert "ok   fine: step 2 (compute): One step by hand" in result.stdout  # a broken lesson hides no other
    failures = ET.parse(report).getroot().findall(".//failure")
    assert len(failures) == 1 and failures[0].get("message").startswith(f"{where}: malformed placeholder")


def test_check_names_the_toml_line_of_a_bad_key_in_an_authors_lesson(tmp_path):
    create_lesson("fine", tmp_path)
    folder = create_lesson("typo", tmp_path)
    toml = (folder / "lesson.toml").read_text().replace('prompt = "θ₁ ="', 'promt = "θ₁ ="')
    (folder / "lesson.toml").write_text(toml)
    line = toml.splitlines().index('promt = "θ₁ ="') + 1
    result = run_cli("check", "fine", "--lessons", str(tmp_path))
    assert result.returncode == 1
    assert f"FAIL typo: {folder / 'lesson.toml'}:{line}: step 2: unknown key 'promt' for a compute step" in result.stdout


# -- the format's document --------------------------------------------------------


def _sections(text: str) -> dict[str, str]:
    """Heading (## or ###) -> the text under it, up to the next such heading."""
    sections: dict[str, str] = {}
    name = None
    for line in text.splitlines():
        heading = re.match(r"^#{2,3} (.+)$", line)
        if heading:
            name = heading.group(1).strip()
            sections[name] = ""
        elif name is not None:
            sections[name] += line + "\n"
    return sections


def test_the_lesson_format_document_describes_every_key_the_loader_accepts():
    sections = _sections(README.read_text(encoding="utf-8"))
    top = sections["lesson.toml: top-level keys"]
    assert [key for key in sorted(loader.TOP_KEYS) if f"| `{key}` |" not in top] == []

    assert set(loader.STEP_KEYS) == set(STEP_KINDS)
    common = set.intersection(*map(set, loader.STEP_KEYS.values()))
    every_step = sections["Keys of every step"]
    assert [key for key in sorted(common) if f"| `{key}` |" not in every_step] == []
    for kind in STEP_KINDS:
        section = sections[f"`{kind}`"]
        missing = [key for key in sorted(loader.STEP_KEYS[kind] - common) if f"| `{key}` |" not in section]
        assert missing == [], f"lessons/README.md does not describe {missing} of {kind} steps"

    translations = sections["Translations"]
    for key in translation.TOP_KEYS | translation.STEP_KEYS:
        assert f"`{key}`" in translations
    assert f"`{AFTER_MARKER}`" in sections["Markdown and placeholders"]


def test_the_documents_example_is_exactly_what_new_lesson_writes():
    text = README.read_text(encoding="utf-8")
    example = _sections(text)["A complete example"]
    for name, content in render("my-first-lesson").items():
        assert f"`my-first-lesson/{name}`:\n\n````" in example
        assert content in example, f"lessons/README.md's copy of {name} differs from the template"
