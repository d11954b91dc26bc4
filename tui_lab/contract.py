"""What every ``tui-lab`` command shares: its exit statuses, its usage error, finding a lesson.

Exit statuses: 0 success, 1 a failed run or check, 2 a usage error (unknown lesson, bad
parameter or device), 3 a run that diverged, 130 stopped with Ctrl+C.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the catalogue is the caller's; importing this module stays cheap
    from lessons import Catalog, Lesson

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """A mistake in the command line; the message is printed as is, exit status 2."""


def find_lesson(catalog: Catalog, lesson_id: str) -> Lesson:
    lesson = catalog.get(lesson_id)
    if lesson is None:
        raise UsageError(f"No lesson {lesson_id!r}; lessons: {', '.join(catalog.ids()) or 'none'}.")
    return lesson
