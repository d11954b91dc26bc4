"""What every step kind's widget shares: its step, values and saved progress, feedback
and hint lines, the hint/reveal policy, and (for kinds backed by an engine) the run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.containers import Vertical
from textual.widgets import Button, Static

from lab_i18n import _
from lessons import placeholders
from lessons.sayings import say
from tui_lab.messages import HintOpened, StepSolved, WrongTry
from tui_lab.progress import ANSWERED
from tui_lab.run_session import RunSession
from tui_lab.widgets.key_hints import translate_bindings

if TYPE_CHECKING:
    from lessons.model import Step

TRIES_PER_HINT = 2  # after the first wrong try opens hint 1, every two more open the next


def fill_placeholders(text: str, values: dict[str, Any], code: bool = False) -> str:
    """Placeholders filled (numbers in ``code`` keep ASCII ``-``); an unknown one is shown as such (and reported by check)."""
    try:
        return placeholders.fill(text, values, code=code)
    except placeholders.PlaceholderError as error:
        return f"{text}\n\n⚠ {error}"


class StepBody(Vertical):
    """Base for the kind widgets: the step, its values and its saved progress.

    Widgets show and ask; the app owns state. A solved or revealed step posts ``StepSolved``,
    a wrong answer ``WrongTry``, an opened hint ``HintOpened``. Lesson text is shown as plain
    text (``rich.text.Text``): brackets in it, or in what a student types, are never markup."""

    DEFAULT_CSS = """
    StepBody { height: auto; }
    StepBody .feedback { margin: 1 0 0 0; height: auto; }
    StepBody .feedback.-ok { color: $text-success; }
    StepBody .feedback.-bad { color: $text-error; }
    StepBody .hint { color: $text-warning; height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, step: Step, values: dict[str, Any], saved: dict[str, Any], lang: str = "en") -> None:
        super().__init__(classes="step-body")
        translate_bindings(self)  # the kind's keys, described in the learner's language
        self.step = step
        self.values = values
        self.saved = saved
        self.lang = lang  # the language the lesson's texts are in; judged answers speak it too
        self.hints_shown = 0
        self.wrong_tries = 0  # wrong answers while the step is shown

    @property
    def state(self) -> str:
        """new | seen | solved | revealed, as saved."""
        return self.saved.get("state", "new")

    @property
    def passed(self) -> bool:
        return self.state == "solved"

    @property
    def answered(self) -> bool:
        """Solved or revealed: the solution may show."""
        return self.state in ANSWERED

    def say(self, text: str, ok: bool | None = None) -> None:
        feedback = self.query_one(".feedback", Static)
        feedback.update(Text(text))
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
        self.query_one(".hint", Static).update(Text("\n".join(
            _("Hint {number}/{total}: {hint}").format(number=i + 1, total=len(self.step.hints),
                                                      hint=fill_placeholders(h, self.values))
            for i, h in enumerate(shown)
        )))
        self.post_message(HintOpened(self.step.lesson_id, self.step.index, self.hints_shown))
        return True

    def solved(self, answer: str | None = None) -> None:
        """The student answered the step: saved as solved (from any state)."""
        self.saved = {**self.saved, "state": "solved", **({"answer": answer} if answer is not None else {})}
        self.post_message(StepSolved(self.step.lesson_id, self.step.index, "solved", answer))

    def missed(self, message: str, slip: str | None = None, invalid: bool = False) -> None:
        """A wrong (or ``invalid``) answer: say why, count the try, open hints as wrong tries add up.

        The first wrong try opens hint 1, every ``TRIES_PER_HINT`` more the next; a typo
        (invalid) is counted as a try but opens nothing. A solved step stays solved."""
        if self.passed:
            self.say(f"{message}{say('sentence_sep', self.lang)}{say('stays_solved', self.lang)}", ok=False)
            return
        self.say(message, ok=False)
        self.post_message(WrongTry(self.step.lesson_id, self.step.index, slip))
        if not invalid:
            self.wrong_tries += 1
            opened = 1 + (self.wrong_tries - 1) // TRIES_PER_HINT
            while self.hints_shown < opened and self.show_next_hint():
                pass

    def reveal_refused(self) -> str | None:
        """Why the solution stays hidden (a sentence), or None when it may be shown.

        A solution unlocks once the step is answered or every hint has been read, unless
        the class's settings hide solutions altogether."""
        config = getattr(self.app, "config", None)
        if config is not None and config.hide_solutions:
            return _("Your teacher has hidden the solutions for this class: the hints are what there is.")
        left = len(self.step.hints) - self.hints_shown
        if not self.answered and left > 0:
            return _("The solution unlocks after the last hint ({left} more: press Hint).").format(left=left)
        return None

    @on(Button.Pressed, "#hint")
    def hint(self) -> None:
        if not self.show_next_hint():
            self.say(_("No more hints.") if self.reveal_refused() else _("No more hints. Reveal shows the solution."),
                     ok=None)

    @on(Button.Pressed, "#reveal")
    def reveal(self) -> None:
        refused = self.reveal_refused()
        if refused:
            self.say(refused, ok=None)
            return
        while self.show_next_hint():  # the solution: every hint tier, ending with the worked value
            pass
        if not self.answered:
            self.saved = {**self.saved, "state": "revealed"}
            self.post_message(StepSolved(self.step.lesson_id, self.step.index, "revealed"))
        self.show_solution()

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
