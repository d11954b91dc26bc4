"""The lab's sentences around an answer, in each language: verdicts, hints about lines,
and the words of the answer box; those of reading the input come from lessons/answers.py.

Kept apart from the judge so that a screen showing only these words does not load it."""

from __future__ import annotations

from typing import Any

from lessons import answers

# The judge's own sentences; MESSAGES adds those of reading the input (lessons/answers.py).
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



def say(key: str, lang: str = "en", **params: Any) -> str:
    """A sentence of the catalogue; English where the language has none."""
    return MESSAGES.get(lang, MESSAGES["en"])[key].format(**params)
