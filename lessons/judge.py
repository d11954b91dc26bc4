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

from lessons import answers, placeholders
from lessons.answers import AnswerError, is_close, parse_answer, parse_lines
from lessons.model import ComputeStep, FindErrorStep

VerdictKind = Literal["correct", "wrong", "invalid"]
LineMark = Literal["wrong_line_found", "correct_line_marked", "wrong_line_missed"]

# The judge's own sentences; MESSAGES below adds those of reading the input (lessons/answers.py).
_VERDICTS: dict[str, dict[str, str]] = {
    "en": {
        "correct": "Correct: {value}.",
        "sign": "The size is right, but the sign is wrong.",
        "sign_and_size": "The sign is wrong, and the size is off too.",
        "sign_and_scale": "The sign is wrong, and it is about {factor}× too {direction}.",
        "scale": "That is about {factor}× too {direction}: check the order of magnitude.",
        "close": "Right sign and size, but not it.",
        "not_it": "Not it.",
        "large": "large",
        "small": "small",
        "lines_correct": "Right: {lines}.",
        "lines_none": "Mark the wrong lines first (each one you think is wrong), then Check.",
        "line_is_correct": "{lines} correct as written (given the lines above).",
        "lines_missed": "{count} more wrong {lines_word} to find.",
        "lines_all_found": "You found every wrong line; unmark the others.",
        "line_one": "line {n}",
        "line_many": "lines {ns}",
        "is_one": "Line {n} is",
        "is_many": "Lines {ns} are",
        "word_line": "line",
        "word_lines": "lines",
        "list_sep": ", ",
        "and": " and ",
        "sentence_sep": " ",
        # the lab's own words around the verdicts
        "stays_solved": "The step stays solved.",
        "answer_revealed": "The answer is {value} (revealed).",
        "lines_revealed": "Revealed — wrong: {lines}.",
        "find_error_how": "Space marks a wrong line (again: unmarks it); C or Check checks the marked lines.",
        "heading_revealed": "◇ revealed",
    },
    "zh": {
        "correct": "正确：{value}。",
        "sign": "大小对了，但符号错了。",
        "sign_and_size": "符号错了，大小也不对。",
        "sign_and_scale": "符号错了，而且大约{direction}了 {factor} 倍。",
        "scale": "大约{direction}了 {factor} 倍：检查一下数量级。",
        "close": "符号和大小都差不多，但还不对。",
        "not_it": "不对。",
        "large": "大",
        "small": "小",
        "lines_correct": "正确：{lines}。",
        "lines_none": "请先标出错误的行（你认为错的每一行），再按检查。",
        "line_is_correct": "{lines}是正确的（在前面各行成立的前提下）。",
        "lines_missed": "还有 {count} {lines_word}错误的行没找到。",
        "lines_all_found": "错误的行你都找到了；请取消其余的标记。",
        "line_one": "第 {n} 行",
        "line_many": "第 {ns} 行",
        "is_one": "第 {n} 行",
        "is_many": "第 {ns} 行",
        "word_line": "处",
        "word_lines": "处",
        "list_sep": "、",
        "and": "、",
        "sentence_sep": "",
        "stays_solved": "这一步仍算已解出。",
        "answer_revealed": "答案是 {value}（已揭晓）。",
        "lines_revealed": "已揭晓——有错的是{lines}。",
        "find_error_how": "空格键标记一行错误（再按一次取消）；按 C 或“检查”检查标记的行。",
        "heading_revealed": "◇ 已揭晓",
    },
}
MESSAGES: dict[str, dict[str, str]] = {lang: {**answers.MESSAGES[lang], **own} for lang, own in _VERDICTS.items()}


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


def say(key: str, lang: str = "en", **params: Any) -> str:
    """A sentence of the catalogue; English where the language has none."""
    return MESSAGES.get(lang, MESSAGES["en"])[key].format(**params)


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
    size = {} if scale == 0 else {"factor": f"{10 ** abs(scale):,}" if abs(scale) <= 6 else f"1e{abs(scale)}",
                                  "direction": say("large" if scale > 0 else "small", lang)}
    if (value < 0) != (answer < 0):
        if is_close(abs(value), abs(answer), tolerance):
            return say("sign", lang)
        return say("sign_and_scale", lang, **size) if size else say("sign_and_size", lang)
    return say("scale", lang, **size) if size else say("close", lang)


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
        key = "is_one" if len(innocent) == 1 else "is_many"
        sentences.append(say("line_is_correct", lang, lines=say(key, lang, n=innocent[0], ns=_join(innocent, lang))))
    missed = len(wrong - chosen)
    if missed:
        word = say("word_line" if missed == 1 else "word_lines", lang)
        sentences.append(say("lines_missed", lang, count=missed, lines_word=word))
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
    return text[0] if len(text) == 1 else say("list_sep", lang).join(text[:-1]) + say("and", lang) + text[-1]
