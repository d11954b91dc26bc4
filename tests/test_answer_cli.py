"""`tui-lab answer LESSON:STEP VALUE`: the lab's judge on the command line, progress untouched."""

import json

import pytest

from conftest import run_cli
from test_loader import write_lesson
from tui_lab.cli import main

LESSON = """\
id = "answers"
title = "Answers"
values = "gd.values"

[[steps]]
title = "Read"
kind = "read"
text = "a.md"

[[steps]]
title = "One step"
kind = "compute"
text = "a.md"
answer = "theta1"
tolerance = 1e-6
slips = [
  { id = "sign", value = "theta1_slip_sign", message = "{{ theta1_slip_sign:g }} has the sign flipped." },
  { id = "half", value = "theta1_slip_half", message = "Twice the step: the ½ went missing." },
]

[[steps]]
title = "Find every error"
kind = "find-error"
text = "a.md"
lines = ["one", "two", "three", "four", "five", "six"]
wrong = [2, 5, 6]
"""


@pytest.fixture
def answer(tmp_path, capsys):
    """``answer("answers:2", "2.8")`` → (exit status, stdout, stderr), in this process."""
    lessons = tmp_path / "lessons"
    write_lesson(lessons, "answers", LESSON, {"a.md": "Where does θ land?"})

    def run(*args: str):
        status = main(["answer", "--lessons", str(lessons), *args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.mark.parametrize("args, status, message", [
    (["answers:2", "2.8"], 0, "Correct: 2.8."),
    (["answers:2", "-2.8"], 1, "−2.8 has the sign flipped."),
    (["answers:2", "5.6"], 1, "Twice the step: the ½ went missing."),
    (["answers:2", "28"], 1, "That is about 10× too large: check the order of magnitude."),
    (["answers:2", "[/i]"], 1, "'[/i]' is not a number; type something like 0.25, -3 or 2/9."),
    (["answers:2", ""], 1, "Type a number first, then press Enter."),
    (["answers:3", "2,5,6"], 0, "Right: lines 2, 5 and 6."),
    (["answers:3", "2"], 1, "2 more wrong lines to find."),
])
def test_answer_prints_the_verdicts_sentence_and_exits_0_only_when_correct(answer, tmp_path, args, status, message):
    assert answer(*args) == (status, message + "\n", "")
    assert not (tmp_path / "home").exists()  # no progress file is created


def test_answer_json_is_one_object_with_the_verdict_the_slip_and_the_message(answer):
    status, out, _ = answer("--json", "answers:2", "--", "-2.8")
    assert status == 1 and out.count("\n") == 1
    assert json.loads(out) == {"verdict": "wrong", "slip": "sign", "message": "−2.8 has the sign flipped."}
    for args, verdict in ((["answers:2", "2.8"], "correct"), (["answers:2", "[/i]"], "invalid"),
                          (["answers:3", "2"], "wrong")):
        result = json.loads(answer("--json", *args)[1])
        assert list(result) == ["verdict", "slip", "message"] and result["verdict"] == verdict


@pytest.mark.parametrize("target, sentence", [
    ("nope:2", "tui-lab: No lesson 'nope'; lessons: "),
    ("answers:9", "tui-lab: answers has no step '9'; its steps with answers are: 2, 3.\n"),
    ("answers", "tui-lab: Name the step too, as answers:STEP; its steps with answers are: 2, 3.\n"),
    ("answers:1", "tui-lab: Step 1 of answers is a read step, with no answer to check; "
                  "its steps with answers are: 2, 3.\n"),
])
def test_a_step_that_cannot_be_answered_is_a_usage_error_in_one_sentence(answer, target, sentence):
    status, out, err = answer(target, "2.8")
    assert status == 2 and out == "" and err.startswith(sentence) and err.count("\n") == 1


def test_answer_leaves_an_existing_progress_file_as_it_was(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    progress = home / "progress.json"
    progress.write_text('{"version": 1, "lessons": {}}', encoding="utf-8")
    before = progress.stat().st_mtime_ns, progress.read_text(encoding="utf-8")
    result = run_cli("answer", "--json", "gradient-descent:3", "2.8", env={"TUI_LAB_HOME": str(home)})
    assert result.returncode == 0 and json.loads(result.stdout)["verdict"] == "correct"
    assert (progress.stat().st_mtime_ns, progress.read_text(encoding="utf-8")) == before
    assert sorted(p.name for p in home.iterdir()) == ["progress.json"]


def test_answer_speaks_the_language_asked_for(answer, tmp_path):
    zh = tmp_path / "lessons" / "answers" / "zh"
    zh.mkdir()
    (zh / "a.md").write_text("θ 落在哪里？", encoding="utf-8")
    (zh / "lesson.toml").write_text('[[steps]]\n[[steps]]\nslips = { sign = "{{ theta1_slip_sign:g }} 的符号反了。" }\n'
                                    "[[steps]]\n", encoding="utf-8")
    assert answer("--lang", "zh", "answers:2", "28") == (1, "大约大了 10 倍：检查一下数量级。\n", "")
    assert answer("--lang", "zh", "answers:2", "-2.8") == (1, "−2.8 的符号反了。\n", "")
    assert answer("--lang", "zh", "answers:3", "1,2,5,6") == (1, "第 1 行是正确的（在前面各行成立的前提下）。"
                                                                 "错误的行你都找到了；请取消其余的标记。\n", "")


def test_answer_judges_against_the_set_of_numbers_asked_for(capsys):
    from lessons import load_catalog
    from lessons.answers import is_close
    from lessons.model import ComputeStep
    from lessons.values import lesson_values

    lesson = load_catalog().get("gradient-descent")
    three, four = lesson_values(lesson, 3), lesson_values(lesson, 4)
    step = next(s for s in lesson.steps if isinstance(s, ComputeStep)
                and not is_close(three[s.answer], four[s.answer], s.tolerance))  # where their values differ
    target, right_for_three = f"gradient-descent:{step.index}", repr(float(three[step.answer]))
    assert main(["answer", "--variant", "3", target, "--", right_for_three]) == 0
    assert main(["answer", "--variant", "4", target, "--", right_for_three]) == 1
    assert main(["--variant", "3", "answer", target, "--", right_for_three]) == 0  # before the command too
    assert capsys.readouterr().out.startswith("Correct")
