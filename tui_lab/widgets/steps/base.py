"""What every step kind's widget shares: its step, values and saved progress, feedback
and hint lines, the hint/reveal policy, and (for kinds backed by an engine) the run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.containers import Vertical
from textual.widgets import Button, Static

from lessons import placeholders
from tui_lab.messages import StepSolved
from tui_lab.run_session import RunSession

if TYPE_CHECKING:
    from lessons.model import Step


def fill_placeholders(text: str, values: dict[str, Any]) -> str:
    """Placeholders filled; an unknown one is shown as such (and reported by check)."""
    try:
        return placeholders.fill(text, values)
    except placeholders.PlaceholderError as error:
        return f"{text}\n\n⚠ {error}"


class StepBody(Vertical):
    """Base for the kind widgets: the step, its values and its saved progress.

    Widgets show and ask; the app owns state. A solved step posts ``StepSolved``."""

    DEFAULT_CSS = """
    StepBody { height: auto; }
    StepBody .feedback { margin: 1 0 0 0; height: auto; }
    StepBody .feedback.-ok { color: $text-success; }
    StepBody .feedback.-bad { color: $text-error; }
    StepBody .hint { color: $text-warning; height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, step: Step, values: dict[str, Any], saved: dict[str, Any]) -> None:
        super().__init__(classes="step-body")
        self.step = step
        self.values = values
        self.saved = saved
        self.hints_shown = 0

    def say(self, text: str, ok: bool | None = None) -> None:
        feedback = self.query_one(".feedback", Static)
        feedback.update(text)
        feedback.set_class(ok is True, "-ok")
        feedback.set_class(ok is False, "-bad")
        if text:
            feedback.call_after_refresh(feedback.scroll_visible, animate=False)

    def show_next_hint(self) -> bool:
        """Reveal one more hint tier; False when there are none left."""
        if self.hints_shown >= len(self.step.hints):
            return False
        self.hints_shown += 1
        shown = self.step.hints[: self.hints_shown]
        self.query_one(".hint", Static).update("\n".join(
            f"Hint {i + 1}/{len(self.step.hints)}: {fill_placeholders(h, self.values)}" for i, h in enumerate(shown)
        ))
        return True

    def solved(self, revealed: bool = False, answer: str | None = None) -> None:
        self.post_message(StepSolved(self.step.lesson_id, self.step.index, revealed, answer))

    @property
    def passed(self) -> bool:
        return self.saved.get("state") == "done"

    def reveal_refused(self) -> str | None:
        """Why the solution stays hidden (a sentence), or None when it may be shown.

        A solution unlocks once the step is passed or every hint has been read, unless
        the class's settings hide solutions altogether."""
        config = getattr(self.app, "config", None)
        if config is not None and config.hide_solutions:
            return "Your teacher has hidden the solutions for this class: the hints are what there is."
        left = len(self.step.hints) - self.hints_shown
        if not self.passed and left > 0:
            return f"The solution unlocks after the last hint ({left} more: press Hint)."
        return None

    @on(Button.Pressed, "#hint")
    def hint(self) -> None:
        if not self.show_next_hint():
            self.say("No more hints." + ("" if self.reveal_refused() else " Reveal shows the solution."), ok=None)

    @on(Button.Pressed, "#reveal")
    def reveal(self) -> None:
        refused = self.reveal_refused()
        if refused:
            self.say(refused, ok=None)
            return
        while self.show_next_hint():  # the solution: every hint tier, ending with the worked value
            pass
        self.show_solution()
        if not self.passed:
            self.saved = {**self.saved, "state": "done", "revealed": True}
            self.solved(revealed=True)

    def show_solution(self) -> None:
        """Kinds with a solution draw it here."""

    def focus_first(self) -> None:
        """Put the keyboard where the student starts on this kind of step."""


class SessionBody(StepBody):
    """A step backed by an engine run: it follows the run's session while it is shown."""

    def __init__(self, step: Step, values: dict[str, Any], saved: dict[str, Any],
                 session: RunSession | None) -> None:
        super().__init__(step, values, saved)
        # only a run of this very step is followed (the session may be another step's)
        self.session = session if session is not None and session.key == (step.lesson_id, step.index) else None

    def attach(self, session: RunSession) -> None:
        """A new run of this step started: follow it from its beginning."""
        raise NotImplementedError

    def update_from(self, session: RunSession) -> None:
        """Show what is new in the session (called after each batch of engine events)."""
        raise NotImplementedError
