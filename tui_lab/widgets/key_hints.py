"""The bottom line of key hints: the lab's own keys, drawn once.

Textual's Footer rebuilds itself on every focus change (it follows the focused widget's
bindings); ours lists app-wide keys only, so it never changes and costs nothing to keep.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static


class KeyHints(Static):
    DEFAULT_CSS = """
    KeyHints { height: 1; width: 1fr; background: $panel; color: $text-muted; }
    """

    def __init__(self, bindings: list[Binding], id: str | None = None) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        for binding in bindings:
            if not binding.show:
                continue
            key = binding.key_display or binding.key.split(",")[0]
            key = key.replace("ctrl+", "^").upper() if key.startswith("ctrl+") else key.upper()
            line.append(f" {key}", style="bold")
            line.append(f" {binding.description} ")
        super().__init__(line, id=id)
