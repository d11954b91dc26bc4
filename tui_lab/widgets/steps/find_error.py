"""A find-the-error step: a published worked example with a flaw; the student picks the
wrong line, and the engine's correct values are shown side by side."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tui_lab.widgets.steps.base import StepBody, fill_placeholders


class FindErrorBody(StepBody):
    DEFAULT_CSS = """
    FindErrorBody OptionList { height: auto; max-height: 14; margin: 1 0 0 0; }
    FindErrorBody #compare { height: auto; margin: 1 0 0 0; }
    FindErrorBody .buttons { height: auto; margin: 1 0 0 0; }
    """

    def compose(self) -> ComposeResult:
        options = [Option(f"{i}  {fill_placeholders(line, self.values)}", id=str(i))
                   for i, line in enumerate(self.step.lines, 1)]
        yield OptionList(*options, id="lines")
        yield Static("", classes="feedback")
        yield Static("", classes="hint")
        with Horizontal(classes="buttons"):
            yield Button("Hint", id="hint")
            yield Button("Reveal", id="reveal")
        yield Static("", id="compare")

    def on_mount(self) -> None:
        if self.passed:
            self.show_solution()

    def focus_first(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#lines")
    def choose(self, event: OptionList.OptionSelected) -> None:
        line = int(event.option.id)
        if line in self.step.wrong:
            self.show_solution()
            if not self.passed:
                self.saved = {**self.saved, "state": "done", "answer": str(line)}
                self.solved(answer=str(line))
            return
        earlier = [w for w in self.step.wrong if w < line]
        where = "an earlier line" if earlier else "a later line"
        self.say(f"✗ Line {line} is correct as written (given the lines above it). The first error is on {where}.",
                 ok=False)
        if self.hints_shown == 0:
            self.show_next_hint()

    def show_solution(self) -> None:
        wrong = ", ".join(str(w) for w in self.step.wrong)
        self.say(f"✓ Right: line {wrong}.", ok=True)
        if not self.step.correct:
            return
        table = Table(box=None, expand=True, padding=(0, 1), show_edge=False)
        table.add_column("#", justify="right", style="dim")
        table.add_column("As published")
        table.add_column("Correct")
        for i, (given, right) in enumerate(zip(self.step.lines, self.step.correct), 1):
            given, right = fill_placeholders(given, self.values), fill_placeholders(right, self.values)
            differs = given.replace(" ", "") != right.replace(" ", "")
            table.add_row(str(i), Text(given, style="red" if differs else ""),
                          Text(right, style="green" if differs else ""))
        self.query_one("#compare", Static).update(table)
