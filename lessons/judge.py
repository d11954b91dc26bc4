"""Judging what a student submitted, the same way wherever it is submitted (the lab's
answer box, ``tui-lab answer``): right, a known slip, or how far off — never the answer.

A number is judged in this order: not a number → ``invalid`` with the parse sentence;
within tolerance of the answer → ``correct``; within tolerance of a slip's value (the
engine computes it from the same inputs) → ``wrong`` with that slip's message; else
``wrong`` with a sentence on the sign or the order of magnitude, which never holds the
answer's digits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping

from lessons import placeholders
from lessons.answers import AnswerError, is_close, parse_answer, parse_lines
from lessons.model import ComputeStep, FindErrorStep
from lessons.sayings import say

VerdictKind = Literal["correct", "wrong", "invalid"]
LineMark = Literal["wrong_line_found", "correct_line_marked", "wrong_line_missed"]


@dataclass(frozen=True)
class Verdict:
    verdict: VerdictKind
    slip: str | None  # the slip's id when the value matched one
    message: str  # plain text, in the lesson's language


@dataclass(frozen=True)
class LinesVerdict:
    verdict: VerdictKind
    per_line: dict[int, LineMark]  # every marked line and every wrong one
    message: str


def judge_answer(step: ComputeStep, values: Mapping[str, Any], text: str, lang: str = "en") -> Verdict:
    """A typed number against the step's answer and slips."""
    try:
        value = parse_answer(text)
    except AnswerError as error:
        return Verdict("invalid", None, error.sentence(lang))
    answer = float(values[step.answer])
    if is_close(value, answer, step.tolerance):
        return Verdict("correct", None, say("correct", lang, value=placeholders.format_value(answer)))
    for slip in step.slips:
        slip_value = values.get(slip.value)
        if isinstance(slip_value, (int, float)) and is_close(value, float(slip_value), step.tolerance):
            return Verdict("wrong", slip.id, placeholders.fill(slip.message, values))
    return Verdict("wrong", None, how_far(value, answer, step.tolerance, lang))


def how_far(value: float, answer: float, tolerance: float, lang: str = "en") -> str:
    """How a wrong value relates to the answer — sign, order of magnitude — without it."""
    if value == 0 or answer == 0:
        return say("not_it", lang)
    scale = round(math.log10(abs(value) / abs(answer)))  # whole orders of magnitude off
    factor = f"{10 ** abs(scale):,}" if abs(scale) <= 6 else f"1e{abs(scale)}"
    size = "_large" if scale > 0 else "_small"
    if (value < 0) != (answer < 0):
        if is_close(abs(value), abs(answer), tolerance):
            return say("sign", lang)
        return say("sign_and_scale" + size, lang, factor=factor) if scale else say("sign_and_size", lang)
    return say("scale" + size, lang, factor=factor) if scale else say("close", lang)


def judge_lines(step: FindErrorStep, marked: Iterable[int], lang: str = "en") -> LinesVerdict:
    """Marked lines against every wrong line of the example: solved when they are the same set."""
    chosen, wrong = set(marked), set(step.wrong)
    per_line: dict[int, LineMark] = {}
    for n in sorted(chosen | wrong):
        per_line[n] = ("wrong_line_found" if n in chosen else "wrong_line_missed") if n in wrong else "correct_line_marked"
    if not chosen:
        return LinesVerdict("invalid", per_line, say("lines_none", lang))
    if chosen == wrong:
        return LinesVerdict("correct", per_line, say("lines_correct", lang, lines=lines_phrase(sorted(wrong), lang)))
    # Lines marked in error are named; wrong lines still unmarked are only counted.
    sentences = []
    innocent = sorted(chosen - wrong)
    if innocent:
        sentences.append(say("line_is_correct", lang, n=innocent[0]) if len(innocent) == 1
                         else say("lines_are_correct", lang, ns=_join(innocent, lang)))
    missed = len(wrong - chosen)
    if missed:
        sentences.append(say("line_missed" if missed == 1 else "lines_missed", lang, count=missed))
    elif innocent:
        sentences.append(say("lines_all_found", lang))
    return LinesVerdict("wrong", per_line, say("sentence_sep", lang).join(sentences))


def judge_text(step: ComputeStep | FindErrorStep, values: Mapping[str, Any], text: str, lang: str = "en") -> Verdict:
    """What was typed, for either kind: a number, or a find-the-error step's line numbers ("2,5,6")."""
    if isinstance(step, ComputeStep):
        return judge_answer(step, values, text, lang)
    try:
        marked = parse_lines(text, len(step.lines))
    except AnswerError as error:
        return Verdict("invalid", None, error.sentence(lang))
    lines = judge_lines(step, marked, lang)
    return Verdict(lines.verdict, None, lines.message)


def lines_phrase(numbers: list[int], lang: str) -> str:
    """'line 2' or 'lines 2, 5 and 6', in the language."""
    return say("line_one", lang, n=numbers[0]) if len(numbers) == 1 else say("line_many", lang, ns=_join(numbers, lang))


def _join(numbers: list[int], lang: str) -> str:
    text = [str(n) for n in numbers]
    joined = text[0]
    for n, item in enumerate(text[1:], start=2):
        joined = say("list_last" if n == len(text) else "list_more", lang, items=joined, item=item)
    return joined
