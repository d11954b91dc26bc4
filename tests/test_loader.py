"""Lessons as data: malformed files are reported with file and line; others still load."""

import ast
from pathlib import Path

import pytest

from lessons import load_catalog
from lessons.loader import LessonError, load_lesson
from lessons.model import STEP_KINDS, STEP_TYPES
from lessons.translation import placeholder_differences

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


OTHER_KINDS = """
[[steps]]
title = "Run"
kind = "run"
text = "a.md"
engine = "gd.iterate"

[[steps]]
title = "Find"
kind = "find-error"
text = "a.md"
lines = ["right", "wrong {{ theta1 }}"]
wrong = [2]

[[steps]]
title = "Graph"
kind = "graph"
text = "a.md"
graph = "some_graph"

[[steps]]
title = "Draw"
kind = "draw"
text = "a.md"
engine = "mnist.infer"
"""


def test_each_kind_of_step_loads_as_its_own_type_with_only_its_own_fields(tmp_path):
    lesson = load_lesson(write_lesson(tmp_path, "kinds", GOOD.format(id="kinds") + OTHER_KINDS))
    kinds = [s.kind for s in lesson.steps]
    assert kinds == list(STEP_KINDS)
    assert [type(s) for s in lesson.steps] == [STEP_TYPES[k] for k in kinds]
    assert [s.solvable for s in lesson.steps] == [False, True, False, True, True, True]
    read, compute, run, find, graph, draw = lesson.steps
    assert not hasattr(read, "answer") and not hasattr(compute, "engine") and not hasattr(draw, "plots")
    assert run.engine == "gd.iterate" and [p.title for p in run.plots] == ["loss"]  # plots default to the loss
    assert graph.graph == "some_graph" and graph.show == "backward"
    assert find.texts() == ["θ₁ = {{ theta1 }}", "", "right", "wrong {{ theta1 }}"]


@pytest.mark.parametrize("kind, key", [("read", 'answer = "theta1"'), ("compute", 'engine = "gd.iterate"'),
                                       ("draw", 'plots = ["loss"]'), ("graph", "wrong = [1]")])
def test_a_key_of_another_kind_is_refused_with_its_line(tmp_path, kind, key):
    toml = GOOD.format(id="x") + f'\n[[steps]]\ntitle = "S"\nkind = "{kind}"\ntext = "a.md"\n{key}\n'
    problem = problem_of(tmp_path, toml)
    name = key.split(" =")[0]
    assert problem.line == 20 and f"step 3: unknown key {name!r} for a {kind} step (allowed: " in problem.message


def test_a_translation_keeps_each_steps_type_and_replaces_only_text(tmp_path):
    folder = write_lesson(tmp_path, "kinds", GOOD.format(id="kinds") + OTHER_KINDS)
    (folder / "zh").mkdir()
    (folder / "zh" / "a.md").write_text("θ₁ 等于 {{ theta1 }}", encoding="utf-8")
    steps = ['', 'prompt = "θ₁ ="', '', 'lines = ["一", "二 {{ theta1 }}"]', '', '']
    toml = 'title = "各种步骤"\n' + "".join(f"[[steps]]\n{keys}\n" for keys in steps)
    (folder / "zh" / "lesson.toml").write_text(toml, encoding="utf-8")
    english, chinese = load_lesson(folder), load_catalog([tmp_path], lang="zh").get("kinds")
    assert chinese.language == "zh" and chinese.title == "各种步骤"
    assert [type(s) for s in chinese.steps] == [type(s) for s in english.steps]
    assert chinese.step(2).prompt == "θ₁ =" and chinese.step(2).answer == "theta1"
    assert chinese.step(4).lines == ("一", "二 {{ theta1 }}") and chinese.step(4).wrong == (2,)
    assert chinese.step(3).body == "θ₁ 等于 {{ theta1 }}" and chinese.step(3).engine == "gd.iterate"
    assert placeholder_differences(english, chinese) == []


def test_lessons_modules_import_one_way():
    """No import circle inside lessons/, counting imports made inside functions too."""
    package = Path(__file__).resolve().parent.parent / "lessons"
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "lessons":
                names |= {f"lessons.{a.name}" for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lessons."):
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names |= {a.name for a in node.names if a.name.startswith("lessons.")}
        graph[f"lessons.{path.stem}"] = names & {f"lessons.{p.stem}" for p in package.glob("*.py")}
    graph.pop("lessons.__init__")  # the package's front door re-exports; nothing inside imports it

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph.get(start, ()))

    assert [m for m in graph if reaches(m, m, set())] == []


SLIPS = '''tolerance = 1e-6
slips = [
  { id = "sign", value = "theta1_slip_sign", message = "{{ theta1_slip_sign:g }} has the sign flipped." },
  { id = "half", value = "theta1_slip_half", message = "Twice the step: the ½ went missing." },
]
shown_ok = ["lr"]
'''


def test_slips_and_shown_ok_load_as_values_of_the_step(tmp_path):
    from lessons.model import Slip

    step = load_lesson(write_lesson(tmp_path, "slips", GOOD.format(id="slips") + SLIPS)).step(2)
    assert step.slips == (Slip("sign", "theta1_slip_sign", "{{ theta1_slip_sign:g }} has the sign flipped."),
                          Slip("half", "theta1_slip_half", "Twice the step: the ½ went missing."))
    assert step.shown_ok == ("lr",)
    assert "{{ theta1_slip_sign:g }} has the sign flipped." in step.texts()  # filled and checked like other texts


@pytest.mark.parametrize("old, new, line, words", [
    ('id = "half", value', 'id = "sign", value', 18, "slip 'sign': the id is used twice in this step"),
    ('value = "theta1_slip_half"', 'value = "theta1_slip_half[0]"', 18, "slip 'half': 'value' must name the engine value"),
    ('message = "Twice the step: the ½ went missing."', 'message = " "', 18, "slip 'half': 'message' must be a sentence"),
    ('id = "half",', 'id = "Half!",', 18, "'id' must be a short slug"),
    ('{ id = "half",', '{ hint = "x", id = "half",', 18, "slip 'half': unknown key 'hint' (allowed: id, value, message)"),
    ('shown_ok = ["lr"]', 'shown_ok = ["lr:g"]', 20, "shown_ok entry 'lr:g' must name an engine value"),
])
def test_a_bad_slip_is_named_with_its_line(tmp_path, old, new, line, words):
    problem = problem_of(tmp_path, GOOD.format(id="x") + SLIPS.replace(old, new))
    assert words in problem.message and problem.message.startswith("step 2: ")
    assert problem.line == line


def test_slips_must_be_a_list_of_tables(tmp_path):
    problem = problem_of(tmp_path, GOOD.format(id="x") + 'slips = ["sign"]\n')
    assert "step 2: 'slips' must be a list of tables like { id = " in problem.message and problem.line == 15


def _with_translation(tmp_path, zh_step: str):
    folder = write_lesson(tmp_path, "slips", GOOD.format(id="slips") + SLIPS)
    (folder / "zh").mkdir()
    (folder / "zh" / "a.md").write_text("θ₁ 等于 {{ theta1 }}", encoding="utf-8")
    (folder / "zh" / "lesson.toml").write_text(f"[[steps]]\n\n[[steps]]\n{zh_step}\n", encoding="utf-8")
    return folder


def test_a_translation_gives_slip_messages_by_id_and_leaves_the_rest_english(tmp_path):
    _with_translation(tmp_path, 'slips = { sign = "{{ theta1_slip_sign:g }} 的符号反了。" }')
    english = load_catalog([tmp_path]).get("slips")
    chinese = load_catalog([tmp_path], lang="zh").get("slips")
    assert [(s.id, s.value, s.message) for s in chinese.step(2).slips] == [
        ("sign", "theta1_slip_sign", "{{ theta1_slip_sign:g }} 的符号反了。"),
        ("half", "theta1_slip_half", "Twice the step: the ½ went missing."),
    ]
    assert placeholder_differences(english, chinese) == []


def test_a_translated_slip_the_english_step_lacks_is_a_problem(tmp_path):
    _with_translation(tmp_path, 'slips = { sing = "…" }')
    catalog = load_catalog([tmp_path], lang="zh")
    assert catalog.get("slips").language == "en"  # shown in English
    assert any("step 2: no slip 'sing' in the English step (its slips: sign, half)" in str(p)
               for p in catalog.problems)


def test_a_translated_slip_message_must_use_its_english_placeholders(tmp_path):
    _with_translation(tmp_path, 'slips = { sign = "符号反了。", half = "{{ theta1_slip_sign }} 是两倍。" }')
    english, chinese = load_catalog([tmp_path]).get("slips"), load_catalog([tmp_path], lang="zh").get("slips")
    assert placeholder_differences(english, chinese) == [
        "step 2: slip 'sign' uses no placeholders, the English theta1_slip_sign",
        "step 2: slip 'half' uses theta1_slip_sign, the English no placeholders",
    ]


def test_lab_wide_names_run_parameters_chosen_once_for_the_lesson(tmp_path):
    with_it = GOOD.format(id="x").replace('values = "gd.values"', 'values = "gd.values"\nlab_wide = ["dataset"]')
    assert load_lesson(write_lesson(tmp_path, "good", with_it)).lab_wide == ("dataset",)
    problem = problem_of(tmp_path, with_it.replace('["dataset"]', '"dataset"'))
    assert problem.line == 4 and "lab_wide must be a list of strings" in problem.message
    assert "must name a run parameter" in problem_of(tmp_path / "2", with_it.replace("dataset", "data set")).message
