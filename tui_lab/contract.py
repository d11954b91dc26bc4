"""What every ``tui-lab`` command shares: its exit statuses, its usage error, finding a lesson.

Exit statuses: 0 success, 1 a failed run or check, 2 a usage error (unknown lesson, bad
parameter or device), 3 a run that diverged, 130 stopped with Ctrl+C.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab_i18n import N_, _

if TYPE_CHECKING:  # the catalogue is the caller's; importing this module stays cheap
    from lessons import Catalog, Lesson

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

# A step's kind as the commands name it in a sentence ("step 3 is a read step").
STEP_KINDS = {"read": N_("read"), "compute": N_("compute"), "find-error": N_("find-error"), "run": N_("run"),
              "graph": N_("graph"), "draw": N_("draw")}


def kind_name(kind: str) -> str:
    return _(STEP_KINDS[kind]) if kind in STEP_KINDS else kind


class UsageError(Exception):
    """A mistake in the command line; the message is printed as is, exit status 2."""


def find_lesson(catalog: Catalog, lesson_id: str) -> Lesson:
    lesson = catalog.get(lesson_id)
    if lesson is None:
        raise UsageError(_("No lesson {lesson}; lessons: {lessons}.").format(lesson=repr(lesson_id),
                                                                              lessons=", ".join(catalog.ids()) or _("none")))
    return lesson
