"""A lesson's value table: the numbers its text, answers and slips are filled from,
computed by the engine the lesson names (through the registry) for a learner's variant."""

from __future__ import annotations

from typing import Any

from engines.core import registry
from lessons.model import Lesson


def lesson_values(lesson: Lesson, variant: int = 0) -> dict[str, Any]:
    """The lesson's value table for ``variant`` (0: the articles' numbers; empty when it has none)."""
    return dict(registry.values(lesson.values)(variant)) if lesson.values else {}


def lesson_has_variants(lesson: Lesson) -> bool:
    """Whether the lesson's numbers change with the variant (its value table varies)."""
    return bool(lesson.values) and lesson.values in registry.VARIANTS
