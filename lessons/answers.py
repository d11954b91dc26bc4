"""Reading what a student typed: a number for a compute step, line numbers for a
find-the-error step. A text that cannot be read raises ``AnswerError`` with a sentence."""

from __future__ import annotations

import math
import re

_FRACTION = re.compile(r"^([-+]?[\d.]+(?:e[-+]?\d+)?)\s*/\s*([-+]?[\d.]+(?:e[-+]?\d+)?)$", re.I)

# The sentences, per language; ``str(error)`` is the English one.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "empty": "Type a number first, then press Enter.",
        "zero_division": "{raw} divides by zero; type a number like 2.8.",
        "not_a_number": "{raw} is not a number; type something like 0.25, -3 or 2/9.",
        "nan": "NaN is not an answer here: the value is an ordinary number.",
        "infinite": "Infinity is not an answer here: the value is an ordinary, finite number.",
        "no_lines": "Type the numbers of the wrong lines first, e.g. 2,5.",
        "not_lines": "{raw} is not a list of line numbers; type something like 2,5.",
        "no_such_line": "There is no line {line}: the example has lines 1 to {count}.",
    },
    "zh": {
        "empty": "请先输入一个数，再按回车。",
        "zero_division": "{raw} 除以了零；请输入像 2.8 这样的数。",
        "not_a_number": "{raw} 不是一个数；请输入像 0.25、-3 或 2/9 这样的数。",
        "nan": "NaN 不能作为答案：这个值是一个普通的数。",
        "infinite": "无穷大不能作为答案：这个值是一个普通的有限数。",
        "no_lines": "请先输入错误行的行号，例如 2,5。",
        "not_lines": "{raw} 不是行号列表；请输入像 2,5 这样的内容。",
        "no_such_line": "没有第 {line} 行：这个例子只有第 1 到第 {count} 行。",
    },
}


class AnswerError(ValueError):
    """The text is not a usable answer; ``str(error)`` is the sentence to show in English,
    ``error.sentence(lang)`` the same sentence in another language."""

    def __init__(self, key: str, **params: object) -> None:
        self.key, self.params = key, params
        super().__init__(self.sentence("en"))

    def sentence(self, lang: str = "en") -> str:
        return MESSAGES.get(lang, MESSAGES["en"])[self.key].format(**self.params)


def parse_answer(text: str) -> float:
    """'0.25', '-3', '−3' (typographic minus), '2/9', '1e-3', '2,8' → float."""
    raw = text.strip()
    if not raw:
        raise AnswerError("empty")
    cleaned = raw.replace("−", "-").replace("–", "-").replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # a decimal comma
    match = _FRACTION.match(cleaned)
    try:
        value = float(match.group(1)) / float(match.group(2)) if match else float(cleaned)
    except ZeroDivisionError:
        raise AnswerError("zero_division", raw=repr(raw)) from None
    except ValueError:
        raise AnswerError("not_a_number", raw=repr(raw)) from None
    if math.isnan(value):
        raise AnswerError("nan")
    if math.isinf(value):
        raise AnswerError("infinite")
    return value


def parse_lines(text: str, count: int) -> frozenset[int]:
    """'2,5,6', '2 5 6' or '2, 5' → the line numbers, each between 1 and ``count``."""
    raw = text.strip()
    if not raw:
        raise AnswerError("no_lines")
    parts = [p for p in re.split(r"[\s,;，、]+", raw) if p]
    if not all(p.isdigit() for p in parts):
        raise AnswerError("not_lines", raw=repr(raw))
    lines = frozenset(int(p) for p in parts)
    outside = sorted(n for n in lines if not 1 <= n <= count)
    if outside:
        raise AnswerError("no_such_line", line=outside[0], count=count)
    return lines


def is_close(value: float, expected: float, tolerance: float) -> bool:
    """Within ``tolerance`` (absolute: a lesson states how exact an answer must be), plus
    a hair of relative slack so that typing every digit of a float is always right."""
    return abs(value - expected) <= tolerance + 1e-12 * abs(expected)
