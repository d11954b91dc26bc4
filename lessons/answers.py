"""Reading what a student typed: a number for a compute step, line numbers for a
find-the-error step. A text that cannot be read raises ``AnswerError`` with a sentence."""

from __future__ import annotations

import math
import re

from lab_i18n import N_, gettext_in

_FRACTION = re.compile(r"^([-+]?[\d.]+(?:e[-+]?\d+)?)\s*/\s*([-+]?[\d.]+(?:e[-+]?\d+)?)$", re.I)

# The sentences by key: English, the catalogue's msgid; ``str(error)`` is the English one.
MESSAGES: dict[str, str] = {
    "empty": N_("Type a number first, then press Enter."),
    "zero_division": N_("{raw} divides by zero; type a number like 2.8."),
    "not_a_number": N_("{raw} is not a number; type something like 0.25, -3 or 2/9."),
    "nan": N_("NaN is not an answer here: the value is an ordinary number."),
    "infinite": N_("Infinity is not an answer here: the value is an ordinary, finite number."),
    "no_lines": N_("Type the numbers of the wrong lines first, e.g. 2,5."),
    "not_lines": N_("{raw} is not a list of line numbers; type something like 2,5."),
    "no_such_line": N_("There is no line {line}: the example has lines 1 to {count}."),
}


class AnswerError(ValueError):
    """The text is not a usable answer; ``str(error)`` is the sentence to show in English,
    ``error.sentence(lang)`` the same sentence in another language."""

    def __init__(self, key: str, **params: object) -> None:
        self.key, self.params = key, params
        super().__init__(self.sentence("en"))

    def sentence(self, lang: str = "en") -> str:
        return gettext_in(lang, MESSAGES[self.key]).format(**self.params)


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
