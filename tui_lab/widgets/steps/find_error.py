"""A find-the-error step: a published worked example with flaws; the student marks every
wrong line, checks the marked set, and gets a verdict per marked line; once solved (or
revealed) the engine's correct values are shown side by side."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from lab_i18n import N_, _
from lessons.judge import judge_lines, lines_phrase
from lessons.sayings import say
from tui_lab.widgets.button_row import ButtonRow
from tui_lab.widgets.key_hints import translate_bindings
from lessons import placeholders
from tui_lab.widgets.steps.base import StepBody, fill_placeholders

# How a line's box looks: not marked, marked, and the verdicts of a check on marked lines.
BOXES = {
    None: ("[ ]", ""),
    "marked": ("[x]", "bold"),
    "wrong_line_found": ("[✓]", "bold green"),
    "correct_line_marked": ("[✗]", "bold red"),
}


class LineMarks(OptionList):
    """The published lines; Space or Enter marks the highlighted one as wrong (or unmarks it)."""

    BINDINGS = [Binding("space", "select", N_("Mark line"), show=False)]

    def __init__(self, *options, **kwargs) -> None:
        super().__init__(*options, **kwargs)
        translate_bindings(self)


class FindErrorBody(StepBody):
    DEFAULT_CSS = """
    FindErrorBody LineMarks { height: auto; max-height: 14; margin: 1 0 0 0; }
    FindErrorBody .how { color: $text-muted; height: auto; }
    FindErrorBody #compare { height: auto; margin: 1 0 0 0; }
    FindErrorBody .buttons { height: auto; margin: 1 0 0 0; }
    """
    BINDINGS = [Binding("c", "check", N_("Check the marked lines"), show=False)]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.marked: set[int] = set()
        self.verdicts: dict[int, str] = {}  # the last check's verdict on each line marked since

    def compose(self) -> ComposeResult:
        yield LineMarks(*[Option(self._line(i), id=str(i)) for i in range(1, len(self.step.lines) + 1)], id="lines")
        yield Static(say("find_error_how", self.lang), classes="how")
        yield Static("", classes="feedback")
        yield Static("", classes="hint")
        with ButtonRow(classes="buttons"):
            yield Button(_("Check"), id="check", variant="primary")
            yield Button(_("Hint"), id="hint")
            yield Button(_("Reveal"), id="reveal")
        yield Static("", id="compare")

    def on_mount(self) -> None:
        if self.answered:
            self.show_solution()

    def focus_first(self) -> None:
        self.query_one(LineMarks).focus()

    @property
    def _code(self) -> bool:
        """A listing of Python keeps ASCII minus signs; one of formulas uses the typographic one."""
        return placeholders.listing_is_code(self.step.lines)

    def _line(self, line: int) -> Table:
        """The line's box and number, then its text (wrapped lines stay under the text)."""
        box, style = BOXES[self.verdicts.get(line) or ("marked" if line in self.marked else None)]
        row = Table.grid(padding=(0, 2, 0, 0))
        row.add_column(no_wrap=True)
        row.add_column(ratio=1)
        row.add_row(Text.assemble((box, style), f" {line}"), Text(fill_placeholders(self.step.lines[line - 1], self.values, self._code)))
        return row

    def _redraw(self) -> None:
        lines = self.query_one(LineMarks)
        for line in range(1, len(self.step.lines) + 1):
            lines.replace_option_prompt(str(line), self._line(line))

    @on(OptionList.OptionSelected, "#lines")
    def toggle(self, event: OptionList.OptionSelected) -> None:
        line = int(event.option.id)
        self.marked ^= {line}
        self.verdicts.pop(line, None)
        self._redraw()

    @on(Button.Pressed, "#check")
    def action_check(self) -> None:
        verdict = judge_lines(self.step, self.marked, self.lang)
        self.verdicts = {line: v for line, v in verdict.per_line.items() if line in self.marked}
        self._redraw()
        if verdict.verdict != "correct":
            self.missed(verdict.message, invalid=verdict.verdict == "invalid")
            return
        if not self.passed:
            self.solved(answer=",".join(str(line) for line in sorted(self.marked)))
        self.show_solution()

    def show_solution(self) -> None:
        self.marked = set(self.step.wrong)
        self.verdicts = {line: "wrong_line_found" for line in self.step.wrong}
        self._redraw()
        lines = lines_phrase(sorted(self.step.wrong), self.lang)
        if self.passed:
            self.say(f"✓ {say('lines_correct', self.lang, lines=lines)}", ok=True)
        else:
            self.say(say("lines_revealed", self.lang, lines=lines), ok=True)
        if not self.step.correct:
            return
        table = Table(box=None, expand=True, padding=(0, 1), show_edge=False)
        table.add_column("#", justify="right", style="dim")
        table.add_column(_("As published"))
        table.add_column(_("Correct"))
        for i, (given, right) in enumerate(zip(self.step.lines, self.step.correct), 1):
            given, right = fill_placeholders(given, self.values, self._code), fill_placeholders(right, self.values, self._code)
            wrong = i in self.step.wrong  # a line that follows a wrong one faithfully is not wrong itself
            table.add_row(str(i), Text(given, style="red" if wrong else ""), Text(right, style="green" if wrong else ""))
        self.query_one("#compare", Static).update(table)
