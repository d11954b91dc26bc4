"""A lesson's value table: the numbers its text, answers and slips are filled from,
computed by the engine the lesson names (through the registry)."""

from __future__ import annotations

from typing import Any

from engines.core import registry
from lessons.model import Lesson


def lesson_values(lesson: Lesson) -> dict[str, Any]:
    """The lesson's value table (empty when it has none)."""
    return dict(registry.values(lesson.values)()) if lesson.values else {}
