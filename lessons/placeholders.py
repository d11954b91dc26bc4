"""``{{ name }}`` placeholders in lesson text, filled from engine values.

Forms: ``{{ theta1 }}``, ``{{ theta1:.3f }}`` (a Python format spec) and
``{{ x[0] }}`` (an item of a list value). Floats default to 6 significant digits,
lists are written ``[a, b, c]`` with the spec applied to each item.

Lesson formulas write minus as ``−`` (U+2212), so a negative number filled into text
gets the same sign (the answer box reads both). Code keeps Python's ``-``: a placeholder
inside backticks or a fenced block of code (any fence but ``text``), a text filled with
``code=True``, and a find-the-error listing written in plain ASCII (see ``listing_is_code``).
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable, Mapping

PATTERN = re.compile(r"\{\{\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>-?\d+)\])?(?::(?P<spec>[^}]*))?\s*\}\}")
# Anything that looks like a placeholder, well-formed or not (to report typos).
LOOSE = re.compile(r"\{\{(.*?)\}\}", re.S)


class PlaceholderError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def names(text: str) -> set[str]:
    return {m.group("name") for m in PATTERN.finditer(text)}


def malformed(text: str) -> list[tuple[int, str]]:
    """(line, text) of every ``{{...}}`` that is not a valid placeholder."""
    bad = []
    for m in LOOSE.finditer(text):
        if not PATTERN.fullmatch(m.group(0)):
            bad.append((text.count("\n", 0, m.start()) + 1, m.group(0)))
    return bad


MINUS = "\u2212"
LEADING_MINUS = re.compile(r"^(\s*)-")
# Fenced blocks (```info … ```) and inline code spans: where a number is code.
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n.*?(?:^(?P=fence)[ \t]*$|\Z)", re.M | re.S)
INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")
PROSE_FENCES = {"", "text", "math"}


def format_value(value: Any, spec: str = "", code: bool = False) -> str:
    """``value`` as lesson text shows it; a negative number starts with ``−`` unless ``code``."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v, spec, code) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        text = format(value, spec or ".6g") if math.isfinite(value) else str(value)
    elif isinstance(value, int):
        text = format(value, spec)
    else:
        return format(value, spec) if spec else str(value)
    if text.lstrip().startswith("-") and not re.search(r"[1-9]|inf", text.lower().split("e")[0]):
        text = text.replace("-", "", 1)  # -0, -0.00: a zero has no sign
    return text if code else LEADING_MINUS.sub(lambda m: m.group(1) + MINUS, text)


def listing_is_code(lines: Iterable[str]) -> bool:
    """Whether a find-the-error listing is code (typed in plain ASCII, like Python) rather
    than formulas (θ, −, ·, …): its placeholders are then filled with ``code=True``."""
    return all(LOOSE.sub("", line).isascii() for line in lines)


def _code_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in FENCE.finditer(text)
             if m.group("info").strip().split(" ")[0].lower() not in PROSE_FENCES]
    prose = FENCE.sub(lambda m: " " * len(m.group(0)), text)  # no inline spans inside fences
    return spans + [m.span() for m in INLINE_CODE.finditer(prose)]


def fill(text: str, values: Mapping[str, Any], code: bool = False) -> str:
    """Replace every placeholder; an unknown name raises PlaceholderError. Numbers in code
    (all of ``text`` when ``code``, else its backtick spans and code fences) keep ``-``."""
    spans = [] if code else _code_spans(text)

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in values:
            raise PlaceholderError(f"unknown value {name!r} in {match.group(0)}")
        value = values[name]
        if match.group("index") is not None:
            try:
                value = value[int(match.group("index"))]
            except (IndexError, TypeError):
                raise PlaceholderError(f"{match.group(0)}: {name} has no item {match.group('index')}") from None
        try:
            in_code = code or any(start <= match.start() < end for start, end in spans)
            return format_value(value, (match.group("spec") or "").strip(), in_code)
        except (ValueError, TypeError) as error:
            raise PlaceholderError(f"{match.group(0)}: {error}") from None

    return PATTERN.sub(replace, text)


def fill_all(texts: Iterable[str], values: Mapping[str, Any], code: bool = False) -> list[str]:
    return [fill(t, values, code) for t in texts]
