"""A compute step: the student types a value the engine computed; hints, then the reveal."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Static

from lessons import placeholders
from tui_lab.answers import AnswerError, is_close, parse_answer
from tui_lab.widgets.steps.base import StepBody


class ComputeBody(StepBody):
    DEFAULT_CSS = """
    ComputeBody .answer-row, ComputeBody .buttons { height: auto; margin: 1 0 0 0; }
    ComputeBody .prompt { padding: 1 1 0 0; }
    ComputeBody #answer { width: 28; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(classes="answer-row"):
            yield Label(self.step.prompt or "Answer:", classes="prompt")
            yield Input(placeholder="type a number, Enter to check", id="answer")
            yield Button("Check", id="check", variant="primary")
        yield Static("", classes="feedback")
        yield Static("", classes="hint")
        with Horizontal(classes="buttons"):
            yield Button("Hint", id="hint")
            yield Button("Reveal", id="reveal")

    def on_mount(self) -> None:
        if self.passed:
            self.query_one(Input).value = str(self.saved.get("answer") or "")
            self.say(self._done_text(bool(self.saved.get("revealed"))), ok=True)

    def focus_first(self) -> None:
        self.query_one(Input).focus()

    @property
    def expected(self) -> float:
        return float(self.values[self.step.answer])

    def _done_text(self, revealed: bool) -> str:
        value = placeholders.format_value(self.expected)
        return f"The answer is {value} (revealed)." if revealed else f"✓ Correct: {value}."

    @on(Input.Submitted, "#answer")
    @on(Button.Pressed, "#check")
    def check(self) -> None:
        text = self.query_one(Input).value
        try:
            value = parse_answer(text)
        except AnswerError as error:
            self.say(str(error), ok=False)
            return
        if is_close(value, self.expected, self.step.tolerance):
            self.say(self._done_text(False), ok=True)
            if not self.passed:
                self.saved = {**self.saved, "state": "done", "answer": text.strip()}
                self.solved(answer=text.strip())
            return
        self.say(f"✗ {placeholders.format_value(value)} is not it. Try again.", ok=False)
        if self.hints_shown == 0:
            self.show_next_hint()  # a first hint comes by itself after a wrong try

    def show_solution(self) -> None:
        self.say(self._done_text(not self.passed or bool(self.saved.get("revealed"))), ok=True)
