"""A yes/no question in a small modal: y or Enter confirms, n (or Esc) cancels.

Slow SSH links can drop a lone Esc, so a letter always works too.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from lab_i18n import N_, _
from tui_lab.widgets.key_hints import translate_bindings


class Confirm(ModalScreen[bool]):
    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical { width: 60; max-width: 100%; height: auto; border: round $warning; background: $surface; padding: 1 2; }
    Confirm .buttons { height: auto; margin: 1 0 0 0; align-horizontal: right; }
    Confirm Button { margin: 0 0 0 2; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", N_("yes"), show=False),
        Binding("n,escape", "answer(False)", N_("no"), show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal(classes="buttons"):
                yield Button(_("Yes (y)"), id="yes", variant="error")
                yield Button(_("No (n)"), id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # a stray Enter keeps the progress

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
