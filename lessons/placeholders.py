"""``{{ name }}`` placeholders in lesson text, filled from engine values.

Forms: ``{{ theta1 }}``, ``{{ theta1:.3f }}`` (a Python format spec) and
``{{ x[0] }}`` (an item of a list value). Floats default to 6 significant digits,
lists are written ``[a, b, c]`` with the spec applied to each item.
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


def format_value(value: Any, spec: str = "") -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v, spec) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        text = format(value, spec or ".6g")
        return "0" if text == "-0" else text
    if isinstance(value, int):
        return format(value, spec)
    return format(value, spec) if spec else str(value)


def fill(text: str, values: Mapping[str, Any]) -> str:
    """Replace every placeholder; an unknown name raises PlaceholderError."""

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
            return format_value(value, (match.group("spec") or "").strip())
        except (ValueError, TypeError) as error:
            raise PlaceholderError(f"{match.group(0)}: {error}") from None

    return PATTERN.sub(replace, text)


def fill_all(texts: Iterable[str], values: Mapping[str, Any]) -> list[str]:
    return [fill(t, values) for t in texts]
