"""A 28×28 drawing pad in the terminal: keyboard first, mouse welcome.

Two pixel rows share one line of half-block characters, so the pad is 28 columns by
14 lines. Keys: arrows move the pen; space (or Enter) paints where the pen is and
toggles "pen down", so moving then draws strokes; x or Backspace erases; c clears.
Click or drag with the mouse to paint, with the right button to erase. Every change
posts ``DrawingPad.Changed`` with the pixels (0–255, rows of 28) as MNIST stores them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

from lab_i18n import N_, _
from tui_lab.widgets.key_hints import translate_bindings

SIZE = 28
# A soft round brush, like a pen stroke in MNIST (about 3 pixels wide).
BRUSH = {(0, 0): 255, (1, 0): 160, (-1, 0): 160, (0, 1): 160, (0, -1): 160,
         (1, 1): 80, (-1, 1): 80, (1, -1): 80, (-1, -1): 80}


class DrawingPad(Widget, can_focus=True):
    DEFAULT_CSS = """
    DrawingPad { width: 30; height: 16; border: round $primary-lighten-1; }
    DrawingPad:focus { border: round $accent; }
    """

    BINDINGS = [
        Binding("up", "move(0, -1)", N_("up"), show=False),
        Binding("down", "move(0, 1)", N_("down"), show=False),
        Binding("left", "move(-1, 0)", N_("left"), show=False),
        Binding("right", "move(1, 0)", N_("right"), show=False),
        Binding("space,enter", "pen", N_("pen down/up"), show=False),
        Binding("x,backspace", "erase", N_("erase"), show=False),
        Binding("c", "clear", N_("clear"), show=False),
    ]

    @dataclass
    class Changed(Message):
        pad: "DrawingPad"
        pixels: list[list[int]]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.pixels = [[0] * SIZE for _row in range(SIZE)]
        self.cursor = (SIZE // 2, SIZE // 2)
        self.pen_down = False
        self.border_title = _("draw: ←↑↓→ space x c")

    # -- drawing -------------------------------------------------------------------

    def paint(self, x: int, y: int, erase: bool = False) -> None:
        for (dx, dy), level in BRUSH.items():
            px, py = x + dx, y + dy
            if 0 <= px < SIZE and 0 <= py < SIZE:
                if erase:
                    self.pixels[py][px] = 0
                else:
                    self.pixels[py][px] = max(self.pixels[py][px], level)
        self._changed()

    def clear(self) -> None:
        self.pixels = [[0] * SIZE for _row in range(SIZE)]
        self._changed()

    def _changed(self) -> None:
        self.refresh()
        self.post_message(self.Changed(self, [row[:] for row in self.pixels]))

    # -- keyboard --------------------------------------------------------------------

    def action_move(self, dx: int, dy: int) -> None:
        x, y = self.cursor
        self.cursor = (min(SIZE - 1, max(0, x + dx)), min(SIZE - 1, max(0, y + dy)))
        if self.pen_down:
            self.paint(*self.cursor)
        else:
            self.refresh()

    def action_pen(self) -> None:
        self.pen_down = not self.pen_down
        if self.pen_down:
            self.paint(*self.cursor)
        self.border_title = _("pen down: arrows draw") if self.pen_down else _("draw: ←↑↓→ space x c")

    def action_erase(self) -> None:
        self.pen_down = False
        self.paint(*self.cursor, erase=True)

    def action_clear(self) -> None:
        self.pen_down = False
        self.clear()

    # -- mouse ---------------------------------------------------------------------

    def _pixel_at(self, event: events.MouseEvent) -> tuple[int, int] | None:
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        x, line = offset
        if not (0 <= x < SIZE and 0 <= line < SIZE // 2):
            return None
        return x, line * 2  # a line shows two pixel rows; the upper one is where the click lands

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.focus()
        self.capture_mouse()
        spot = self._pixel_at(event)
        if spot:
            self.cursor = spot
            self.paint(*spot, erase=event.button == 3)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if event.button in (1, 3):
            spot = self._pixel_at(event)
            if spot:
                self.cursor = spot
                self.paint(*spot, erase=event.button == 3)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self.release_mouse()

    # -- rendering -------------------------------------------------------------------

    def render(self) -> Text:
        text = Text(no_wrap=True)
        cx, cy = self.cursor
        for line in range(SIZE // 2):
            top, bottom = self.pixels[2 * line], self.pixels[2 * line + 1]
            for x in range(SIZE):
                upper, lower = top[x], bottom[x]
                if x == cx and cy // 2 == line:
                    cursor_top = cy % 2 == 0
                    fg = "rgb(255,64,64)" if cursor_top else _grey(upper)
                    bg = "rgb(255,64,64)" if not cursor_top else _grey(lower)
                    text.append("▀", style=f"{fg} on {bg}")
                else:
                    text.append("▀", style=f"{_grey(upper)} on {_grey(lower)}")
            if line < SIZE // 2 - 1:
                text.append("\n")
        return text


def _grey(level: int) -> str:
    return f"rgb({level},{level},{level})"
