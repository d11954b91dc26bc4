"""Lessons as data: malformed files are reported with file and line; others still load."""

from pathlib import Path

import pytest

from lessons import load_catalog
from lessons.loader import LessonError, load_lesson

GOOD = """\
id = "{id}"
title = "A lesson"
values = "gd.values"

[[steps]]
title = "Read"
kind = "read"
text = "a.md"

[[steps]]
title = "Compute"
kind = "compute"
text = "a.md"
answer = "theta1"
"""


def write_lesson(root: Path, name: str, toml: str, files: dict[str, str] | None = None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "lesson.toml").write_text(toml, encoding="utf-8")
    for file, text in (files if files is not None else {"a.md": "θ₁ = {{ theta1 }}"}).items():
        (folder / file).write_text(text, encoding="utf-8")
    return folder


def problem_of(tmp_path: Path, toml: str, files=None):
    folder = write_lesson(tmp_path, "broken", toml, files)
    with pytest.raises(LessonError) as error:
        load_lesson(folder)
    return error.value.problem


def test_a_good_lesson_loads_with_its_steps(tmp_path):
    lesson = load_lesson(write_lesson(tmp_path, "good", GOOD.format(id="good")))
    assert lesson.id == "good" and [s.kind for s in lesson.steps] == ["read", "compute"]
    assert lesson.steps[1].answer == "theta1" and lesson.steps[1].line == 10


def test_invalid_toml_names_the_line(tmp_path):
    problem = problem_of(tmp_path, 'id = "x"\ntitle = "t"\n\n[[steps]\n')
    assert problem.line == 4 and "not valid TOML" in problem.message
    assert str(problem).startswith(f"{tmp_path / 'broken' / 'lesson.toml'}:4: ")


def test_unknown_step_kind_names_its_line(tmp_path):
    toml = GOOD.format(id="x").replace('kind = "compute"', 'kind = "quiz"')
    problem = problem_of(tmp_path, toml)
    assert problem.line == 12
    assert "kind must be one of read, compute, run, find-error, graph, draw, not 'quiz'" in problem.message


def test_a_typo_in_a_key_is_caught(tmp_path):
    problem = problem_of(tmp_path, GOOD.format(id="x").replace('answer = "theta1"', 'answr = "theta1"'))
    assert problem.line == 14 and "unknown key 'answr'" in problem.message


def test_missing_markdown_file(tmp_path):
    problem = problem_of(tmp_path, GOOD.format(id="x"), files={})
    assert "cannot read a.md" in problem.message and problem.line == 8


def test_unknown_engine_is_named_with_the_known_ones(tmp_path):
    toml = GOOD.format(id="x") + '\n[[steps]]\ntitle = "Run"\nkind = "run"\ntext = "a.md"\nengine = "warp"\n'
    problem = problem_of(tmp_path, toml)
    assert "engine 'warp' is not known; known engines: " in problem.message
    assert "gd.iterate" in problem.message
    assert problem.line == 20  # the engine key of the third step


def test_find_error_wrong_line_out_of_range(tmp_path):
    toml = GOOD.format(id="x") + (
        '\n[[steps]]\ntitle = "F"\nkind = "find-error"\ntext = "a.md"\nlines = ["a", "b"]\nwrong = [3]\n'
    )
    problem = problem_of(tmp_path, toml)
    assert "'wrong' must list line numbers between 1 and 2" in problem.message


def test_malformed_placeholder_in_markdown_names_the_markdown_line(tmp_path):
    problem = problem_of(tmp_path, GOOD.format(id="x"), files={"a.md": "fine\n\nbroken {{ 2x }}"})
    assert problem.path.name == "a.md" and problem.line == 3


def test_missing_title_and_bad_id(tmp_path):
    assert "'title' is required" in problem_of(tmp_path / "1", 'id = "x"\n').message
    assert "lowercase letters" in problem_of(tmp_path / "2", 'id = "Bad Id"\ntitle = "t"\n').message


def test_one_broken_lesson_does_not_hide_the_others(tmp_path):
    write_lesson(tmp_path, "one", GOOD.format(id="one"))
    write_lesson(tmp_path, "two", "this is not toml = = =")
    write_lesson(tmp_path, "three", GOOD.format(id="one"))  # a duplicate id
    catalog = load_catalog([tmp_path])
    assert "one" in catalog.ids() and "gradient-descent" in catalog.ids()
    messages = [str(p) for p in catalog.problems]
    assert any("two" in m and "not valid TOML" in m for m in messages)
    assert any("already used" in m for m in messages)


def test_loading_runs_no_lesson_code(tmp_path):
    """A lesson can only name registered engines; nothing it contains is executed."""
    marker = tmp_path / "ran"
    toml = GOOD.format(id="x").replace('values = "gd.values"', f'values = "__import__(\'os\').mkdir(\'{marker}\')"')
    problem = problem_of(tmp_path, toml)
    assert "names no engine values table" in problem.message
    assert not marker.exists()


def test_builtin_lessons_load_cleanly():
    catalog = load_catalog()
    assert catalog.problems == []
    assert "gradient-descent" in catalog.ids()


def test_a_bad_expect_tolerance_is_a_problem_not_a_crash(tmp_path):
    toml = GOOD.format(id="x").replace('values = "gd.values"', 'values = "gd.values"\nexpect_tolerance = "tight"')
    problem = problem_of(tmp_path, toml)
    assert "expect_tolerance must be a number greater than 0" in problem.message and problem.line == 4


def test_the_same_folder_given_twice_loads_once():
    from lessons.loader import BUILTIN_DIR

    catalog = load_catalog([BUILTIN_DIR])
    assert catalog.problems == [] and len(catalog.ids()) == len(set(catalog.ids()))
