"""A draw step: draw on a pad; an engine kept running for this step answers with class
probabilities (the run starts when the step is shown and ends when it is left)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from tui_lab import artifact_views
from tui_lab.messages import RunCommand, RunRequested
from tui_lab.run_session import RunSession, RunState
from tui_lab.widgets.steps.base import SessionBody

if TYPE_CHECKING:
    from lessons.model import Step


class DrawBody(SessionBody):
    DEFAULT_CSS = """
    DrawBody .pad-row { height: auto; margin: 1 0 0 0; }
    DrawBody #probabilities { width: 1fr; padding: 0 0 0 2; }
    """
    SEND_HZ = 8  # predictions asked for at most this often while drawing

    run_state: reactive[RunState | None] = reactive(None, init=False)  # the followed run's state
    shown_prediction: reactive[int] = reactive(0, init=False)  # which prediction of the run is shown

    def __init__(self, step: Step, values: dict[str, Any], saved: dict[str, Any],
                 session: RunSession | None) -> None:
        super().__init__(step, values, saved, session)
        self._pixels: list[list[int]] | None = None  # the drawing not sent yet

    def compose(self) -> ComposeResult:
        from tui_lab.widgets.canvas import DrawingPad

        with Horizontal(classes="pad-row"):
            yield DrawingPad(id="pad")
            yield Static("Draw a digit: the model's guess appears here.", id="probabilities")
        yield Static("", classes="feedback")

    def on_mount(self) -> None:
        self.set_interval(1 / self.SEND_HZ, self._send_drawing)
        if self.session is None or not self.session.active:
            self.post_message(RunRequested(self.step.lesson_id, self.step.index, dict(self.step.params)))
        else:
            self.update_from(self.session)

    def focus_first(self) -> None:
        self.query_one("#pad").focus()

    def on_drawing_pad_changed(self, message) -> None:
        self._pixels = message.pixels

    def _send_drawing(self) -> None:
        if self._pixels is None or self.session is None or not self.session.active:
            return
        flat = [value for row in self._pixels for value in row]
        self._pixels = None
        self.post_message(RunCommand({"cmd": "predict", "pixels": flat}))

    def attach(self, session: RunSession) -> None:
        self.session = session
        self.set_reactive(DrawBody.shown_prediction, 0)
        self.set_reactive(DrawBody.run_state, None)
        self.update_from(session)

    def update_from(self, session: RunSession) -> None:
        self.shown_prediction = session.versions.get("probabilities", 0)
        self.run_state = session.state

    def watch_shown_prediction(self, version: int) -> None:
        latest = self.session.latest
        self.query_one("#probabilities", Static).update(
            artifact_views.probabilities(latest["probabilities"], latest.get("labels") or None))
        if not self.passed:
            self.solved()

    def watch_run_state(self, state: RunState | None) -> None:
        session = self.session
        if state == RunState.FAILED:
            self.say(session.message + (f"\n{session.hint}" if session.hint else ""), ok=False)
        elif session.active:
            self.say("The model is ready: draw, and watch its guess change.", ok=None)
        elif session.notes:
            self.say(session.notes[-1], ok=None)
