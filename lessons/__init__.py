"""Lessons as data: the format's model, its loader/validator, placeholders and checks.

Depends on ``engines`` only by name (through ``engines.core.registry``); never on Textual.
"""

from lessons.loader import load_catalog, load_lesson
from lessons.model import Catalog, Lesson, LessonProblem, Step

__all__ = ["Catalog", "Lesson", "LessonProblem", "Step", "load_catalog", "load_lesson"]
