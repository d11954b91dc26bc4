"""The status bar: device │ lesson and step │ run state │ throughput and ETA.

One line of fixed height: updating it never changes the layout, so the UI can refresh
it while a run streams without re-laying out the screen.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; background: $primary-background; color: $text; padding: 0 1; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.device = "device …"
        self.where = ""
        self.state = "idle"
        self.state_kind = ""
        self.speed = ""
        self._shown: tuple | None = None

    def set_device(self, label: str) -> None:
        self.device = label
        self._show()

    def set_where(self, text: str) -> None:
        self.where = text
        self._show()

    def set_state(self, text: str, kind: str = "") -> None:
        self.state, self.state_kind = text, kind
        self._show()

    def set_speed(self, text: str) -> None:
        self.speed = text
        self._show()

    @property
    def text(self) -> str:
        return f"{self.device} │ {self.where} │ {self.state}" + (f" │ {self.speed}" if self.speed else "")

    def _show(self) -> None:
        key = (self.device, self.where, self.state, self.state_kind, self.speed)
        if key == self._shown:
            return
        self._shown = key
        style = {"running": "bold green", "failed": "bold red"}.get(self.state_kind, "bold")
        line = Text.assemble(
            (self.device, ""), (" │ ", "dim"), (self.where, ""), (" │ ", "dim"), (self.state, style),
            *([(" │ ", "dim"), (self.speed, "")] if self.speed else []),
            no_wrap=True, overflow="ellipsis",
        )
        self.update(line, layout=False)
