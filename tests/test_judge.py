"""The judge: right, a known slip, or how far off — in the lesson's language, never the answer."""

import re
import string
from pathlib import Path

import pytest

from lab_i18n import gettext_in
from lessons.judge import judge_answer, judge_lines, judge_text
from lessons.sayings import MESSAGES
from lessons.model import ComputeStep, FindErrorStep, Slip

VALUES = {"theta": 2.8, "theta_sign": -2.8, "theta_half": 5.6, "theta_near": 2.8004, "lr": 0.1}
SIGN = Slip("sign", "theta_sign", "{{ theta_sign:g }} has the sign flipped: θ₁ = θ₀ − α·∂L/∂θ.")
HALF = Slip("half", "theta_half", "That is twice the step: the ½ of the loss went missing.")


def compute(*slips: Slip, tolerance: float = 1e-3) -> ComputeStep:
    return ComputeStep(lesson_id="made-up", index=2, title="One step", body="", after="", source=Path("a.md"),
                       line=1, answer="theta", tolerance=tolerance, slips=slips)


def find_error(wrong=(2, 5, 6)) -> FindErrorStep:
    return FindErrorStep(lesson_id="made-up", index=3, title="Find", body="", after="", source=Path("a.md"),
                         line=1, lines=tuple(f"line {n}" for n in range(1, 7)), wrong=wrong)


@pytest.mark.parametrize("typed", ["2.8", "2.8009", "14/5", "2,8", " 2.7995 "])
def test_a_value_within_tolerance_is_correct(typed):
    verdict = judge_answer(compute(SIGN, HALF), VALUES, typed)
    assert (verdict.verdict, verdict.slip, verdict.message) == ("correct", None, "Correct: 2.8.")


def test_each_slip_is_recognised_with_its_own_message_placeholders_filled():
    step = compute(SIGN, HALF)
    sign, half = judge_answer(step, VALUES, "−2.8"), judge_answer(step, VALUES, "5.6004")
    assert (sign.verdict, sign.slip, sign.message) == ("wrong", "sign", "−2.8 has the sign flipped: θ₁ = θ₀ − α·∂L/∂θ.")
    assert (half.verdict, half.slip, half.message) == ("wrong", "half", HALF.message)


def test_a_slip_within_tolerance_of_the_answer_never_shadows_correct():
    near = Slip("near", "theta_near", "A slip that happens to sit on the answer.")
    verdict = judge_answer(compute(near, SIGN), VALUES, "2.8004")
    assert verdict.verdict == "correct" and verdict.slip is None


@pytest.mark.parametrize("typed, sentence", [
    ("-2.8", "The size is right, but the sign is wrong."),
    ("280", "That is about 100× too large: check the order of magnitude."),
    ("0.028", "That is about 100× too small: check the order of magnitude."),
    ("-0.3", "The sign is wrong, and it is about 10× too small."),
    ("-3.9", "The sign is wrong, and the size is off too."),
    ("3.4", "Right sign and size, but not it."),
    ("0", "Not it."),
])
def test_an_unmatched_wrong_value_says_how_far_off_without_the_answer(typed, sentence):
    verdict = judge_answer(compute(), VALUES, typed)
    assert (verdict.verdict, verdict.slip, verdict.message) == ("wrong", None, sentence)
    assert "28" not in re.sub(r"\D", "", verdict.message)  # not even the answer's digits


def test_the_judges_sentences_come_in_the_lessons_language():
    assert judge_answer(compute(), VALUES, "280", lang="zh").message == "大约大了 100 倍：检查一下数量级。"
    assert judge_answer(compute(), VALUES, "", lang="zh").message == "请先输入一个数，再按回车。"
    assert judge_answer(compute(), VALUES, "280", lang="fr").message.startswith("That is about 100×")  # English


@pytest.mark.parametrize("typed, words", [("abc", "'abc' is not a number"), ("[/i]", "'[/i]' is not a number"),
                                          ("", "Type a number first"), ("1/0", "divides by zero")])
def test_what_is_not_a_number_is_invalid_with_a_sentence(typed, words):
    verdict = judge_answer(compute(SIGN), VALUES, typed)
    assert verdict.verdict == "invalid" and verdict.slip is None and words in verdict.message


def test_every_sentence_has_a_chinese_one_with_the_same_blanks():
    def blanks(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    chinese = {key: gettext_in("zh", text) for key, text in MESSAGES.items()}
    assert [key for key, text in MESSAGES.items() if chinese[key] == text] == []
    assert [key for key, text in MESSAGES.items() if blanks(text) != blanks(chinese[key])] == []


def test_find_the_error_is_solved_by_exactly_the_wrong_lines():
    verdict = judge_lines(find_error(), [6, 2, 5])
    assert verdict.verdict == "correct" and verdict.message == "Right: lines 2, 5 and 6."
    assert verdict.per_line == {2: "wrong_line_found", 5: "wrong_line_found", 6: "wrong_line_found"}


def test_a_missed_wrong_line_is_counted_and_a_correct_line_marked_is_named():
    missed = judge_lines(find_error(), [2, 5])
    assert missed.verdict == "wrong" and missed.per_line[6] == "wrong_line_missed"
    assert missed.message == "1 more wrong line to find."  # which one stays the student's to find
    marked = judge_lines(find_error(), [2, 3, 5, 6])
    assert marked.verdict == "wrong" and marked.per_line[3] == "correct_line_marked"
    assert marked.message == "Line 3 is correct as written (given the lines above). You found every wrong line; unmark the others."
    both = judge_lines(find_error(), [1, 3, 2], lang="zh")
    assert both.per_line == {1: "correct_line_marked", 2: "wrong_line_found", 3: "correct_line_marked",
                             5: "wrong_line_missed", 6: "wrong_line_missed"}
    assert both.message == "第 1、3 行是正确的（在前面各行成立的前提下）。还有 2 处错误的行没找到。"


def test_nothing_marked_is_invalid_and_typed_lines_are_read_leniently():
    assert judge_lines(find_error(), []).verdict == "invalid"
    assert judge_text(find_error(), {}, "6 5, 2").verdict == "correct"
    assert judge_text(find_error(), {}, "2,9").message == "There is no line 9: the example has lines 1 to 6."
    assert judge_text(find_error(), {}, "[/i]").verdict == "invalid"
