"""Reading a typed answer and judging it against the engine's value."""

from __future__ import annotations

import math
import re

_FRACTION = re.compile(r"^([-+]?[\d.]+(?:e[-+]?\d+)?)\s*/\s*([-+]?[\d.]+(?:e[-+]?\d+)?)$", re.I)


class AnswerError(ValueError):
    """The text is not a usable number; ``str(error)`` is the sentence to show."""


def parse_answer(text: str) -> float:
    """'2.8', '-28', '−28' (typographic minus), '1/7', '1e-3', '2,8' → float."""
    raw = text.strip()
    if not raw:
        raise AnswerError("Type a number first, then press Enter.")
    cleaned = raw.replace("−", "-").replace("–", "-").replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # a decimal comma
    match = _FRACTION.match(cleaned)
    try:
        value = float(match.group(1)) / float(match.group(2)) if match else float(cleaned)
    except ZeroDivisionError:
        raise AnswerError(f"{raw!r} divides by zero; type a number like 2.8.") from None
    except ValueError:
        raise AnswerError(f"{raw!r} is not a number; type something like 2.8, -28 or 1/7.") from None
    if math.isnan(value):
        raise AnswerError("NaN is not an answer here: the value is an ordinary number.")
    if math.isinf(value):
        raise AnswerError("Infinity is not an answer here: the value is an ordinary, finite number.")
    return value


def is_close(value: float, expected: float, tolerance: float) -> bool:
    """Within ``tolerance`` (absolute: a lesson states how exact an answer must be), plus
    a hair of relative slack so that typing every digit of a float is always right."""
    return abs(value - expected) <= tolerance + 1e-12 * abs(expected)
