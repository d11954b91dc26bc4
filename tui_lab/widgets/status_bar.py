"""The status bar: device │ lesson and step │ run state │ throughput and ETA."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class StatusBar(Horizontal):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $primary-background; color: $text; }
    StatusBar > Static { width: auto; padding: 0 1; }
    StatusBar > #status-speed { width: 1fr; text-align: right; }
    StatusBar > #status-state.-running { background: $success-darken-2; }
    StatusBar > #status-state.-failed { background: $error-darken-1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("device …", id="status-device")
        yield Static("", id="status-where")
        yield Static("idle", id="status-state")
        yield Static("", id="status-speed")

    def set_device(self, label: str) -> None:
        self.query_one("#status-device", Static).update(label)

    def set_where(self, text: str) -> None:
        self.query_one("#status-where", Static).update(text)

    def set_state(self, text: str, kind: str = "") -> None:
        state = self.query_one("#status-state", Static)
        state.update(text)
        state.set_class(kind == "running", "-running")
        state.set_class(kind == "failed", "-failed")

    def set_speed(self, text: str) -> None:
        self.query_one("#status-speed", Static).update(text)
