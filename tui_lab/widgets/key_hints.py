"""The bottom line of key hints: the lab's own keys, in the interface language.

Textual's Footer rebuilds itself on every focus change (it follows the focused widget's
bindings); ours lists app-wide keys only, so it changes only with the width and the
language. Where they do not all fit, the keys a learner needs most stay: the palette, run,
stop and quit first, then moving between steps, then the layout's toggles.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.widget import Widget

from lab_i18n import _

# Binding ids, most needed first; a key not named here comes after them.
PRIORITY = ("palette", "run", "stop", "quit", "next-step", "previous-step", "toggle-sidebar", "toggle-panel")


def translate_bindings(node: DOMNode) -> None:
    """Give ``node`` its class's bindings with descriptions and tooltips in the current
    language (the class declares them in English, marked with ``N_``), so that every
    list of keys Textual draws from the node speaks the language the learner chose."""
    source = type(node)._merged_bindings
    if source is None:
        return
    node._bindings = BindingsMap.from_keys({
        key: [replace(b, description=_(b.description) if b.description else "",
                      tooltip=_(b.tooltip) if b.tooltip else "") for b in bindings]
        for key, bindings in source.key_to_bindings.items()
    })


def key_label(binding: Binding) -> str:
    """How the line names a key: ``F5``, ``^B``."""
    key = binding.key_display or binding.key.split(",")[0]
    return key.replace("ctrl+", "^").upper() if key.startswith("ctrl+") else key.upper()


def hints_line(bindings: list[Binding], width: int) -> Text:
    """The shown bindings as `` F5 Run  F6 Stop …``, the most needed that fit in ``width``."""
    shown = [b for b in bindings if b.show]
    cells = {id(b): Text.assemble((f" {key_label(b)}", "bold"), f" {_(b.description)} ") for b in shown}
    rank = {name: i for i, name in enumerate(PRIORITY)}
    kept: set[int] = set()
    used = 0
    for binding in sorted(shown, key=lambda b: rank.get(b.id or "", len(rank))):
        cell = cells[id(binding)].cell_len
        if used + cell <= width:
            kept.add(id(binding))
            used += cell
    line = Text(no_wrap=True, overflow="ellipsis")
    for binding in shown:
        if id(binding) in kept:
            line.append_text(cells[id(binding)])
    return line


class KeyHints(Widget):
    DEFAULT_CSS = """
    KeyHints { height: 1; width: 1fr; background: $panel; color: $text-muted; }
    """

    def __init__(self, bindings: list[Binding], id: str | None = None) -> None:
        super().__init__(id=id)
        self.bindings = bindings

    def render(self) -> Text:
        return hints_line(self.bindings, self.content_size.width)

    @property
    def text(self) -> str:
        """The line as drawn at the present width."""
        return hints_line(self.bindings, self.content_size.width).plain
