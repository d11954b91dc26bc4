"""A compute step: the student types a value the engine computed; the judge names a slip
or says how far off a wrong value is, hints open as wrong tries add up, then the reveal."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Label, Static

from lab_i18n import _
from lessons import placeholders
from lessons.judge import judge_answer
from lessons.sayings import say
from tui_lab.widgets.button_row import ButtonRow
from tui_lab.widgets.steps.base import StepBody


class ComputeBody(StepBody):
    DEFAULT_CSS = """
    ComputeBody .answer-row, ComputeBody .buttons { height: auto; margin: 1 0 0 0; }
    ComputeBody .prompt { padding: 1 1 0 0; }
    ComputeBody #answer { width: 28; }
    """

    def compose(self) -> ComposeResult:
        with ButtonRow(classes="answer-row"):
            yield Label(Text(self.step.prompt or _("Answer:")), classes="prompt")
            yield Input(placeholder=_("a number; Enter checks"), id="answer")
            yield Button(_("Check"), id="check", variant="primary")
        yield Static("", classes="feedback")
        yield Static("", classes="hint")
        with ButtonRow(classes="buttons"):
            yield Button(_("Hint"), id="hint")
            yield Button(_("Reveal"), id="reveal")

    def on_mount(self) -> None:
        if self.passed:
            self.query_one(Input).value = str(self.saved.get("answer") or "")
        if self.answered:
            self.show_solution()

    def focus_first(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#answer")
    @on(Button.Pressed, "#check")
    def check(self) -> None:
        text = self.query_one(Input).value
        verdict = judge_answer(self.step, self.values, text, self.lang)
        if verdict.verdict != "correct":
            self.missed(verdict.message, verdict.slip, invalid=verdict.verdict == "invalid")
            return
        if not self.passed:
            self.solved(answer=text.strip())
        self.show_solution()

    def show_solution(self) -> None:
        value = placeholders.format_value(float(self.values[self.step.answer]))
        self.say(f"✓ {say('correct', self.lang, value=value)}" if self.passed else say("answer_revealed", self.lang, value=value),
                 ok=True)
