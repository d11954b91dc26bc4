"""What the lab keeps of its learner beyond their answers: which set of numbers they get,
the time they spend on each step, and a copy of their progress in the class's share folder.

No Textual here: the app tells it which step is shown and says the problems it returns.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tui_lab.config import Config, learner_variant
from tui_lab.progress import ProgressStore

if TYPE_CHECKING:
    from lessons import Catalog

MAX_VISIT_S = 600  # the most one visit to a step adds to its time (see Learner.leave)


class Learner:
    def __init__(self, progress: ProgressStore, config: Config, variant: int | None = None) -> None:
        self.progress = progress
        self.share_dir = config.share_dir
        # ``variant``: the --variant option, over the settings and the learner's own.
        self.variant = learner_variant(variant, config, progress)
        self._visit: tuple[str, int, float] | None = None  # the step shown, since when (monotonic)

    def enter(self, lesson_id: str, index: int) -> None:
        """The step now shown (the time on the one before is counted)."""
        self.leave()
        self._visit = (lesson_id, index, time.monotonic())

    def leave(self) -> None:
        """Count the time on the step shown. A visit counts at most MAX_VISIT_S: a window left
        open over lunch must not make a step look like the one the class is stuck on."""
        if self._visit is not None:
            lesson_id, index, since = self._visit
            self._visit = None
            self.progress.add_time(lesson_id, index, min(time.monotonic() - since, MAX_VISIT_S))

    def share(self, catalog: Catalog) -> str | None:
        """Copy the progress into the class folder, if there is one; why not, as a sentence."""
        if self.share_dir is None:
            return None
        from tui_lab.sharing import ShareError, share_progress  # only a class that shares pays for it

        try:
            share_progress(catalog, self.progress, self.share_dir, self.variant)
        except ShareError as error:
            return str(error)
        return None
