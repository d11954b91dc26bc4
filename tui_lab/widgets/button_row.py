"""A row of buttons (or fields and buttons) that wraps onto the next line when the pane is
too narrow, so that no label is ever cut: Textual's horizontal layout clips what does not fit.
"""

from __future__ import annotations

from fractions import Fraction

from textual.geometry import NULL_OFFSET, Region, Size
from textual.layout import ArrangeResult, Layout, WidgetPlacement
from textual.widget import Widget


class FlowLayout(Layout):
    """Children left to right, each at its own width; one that would cross the right edge
    starts a new line (a child wider than the whole line gets the line, and wraps inside)."""

    name = "flow"

    def arrange(self, parent: Widget, children: list[Widget], size: Size, greedy: bool = True) -> ArrangeResult:
        parent.pre_layout(self)
        viewport = parent.app.viewport_size
        placements: list[WidgetPlacement] = []
        x = y = line_height = 0
        for child in children:
            margin = child.styles.margin
            room = max(1, size.width - margin.width)
            box = child._get_box_model(Size(room, size.height), viewport, Fraction(room), Fraction(size.height),
                                       constrain_width=True, greedy=greedy)
            width, height = min(int(box.width), room), int(box.height)
            if x and x + margin.width + width > size.width:  # wrap: this one starts the next line
                x, y, line_height = 0, y + line_height, 0
            region = Region(x + margin.left, y + margin.top, width, height)
            placements.append(WidgetPlacement(region, NULL_OFFSET, margin, child))
            x += margin.width + width
            line_height = max(line_height, margin.height + height)
        return placements


class ButtonRow(Widget):
    """Buttons side by side while they fit, on more lines when they do not."""

    DEFAULT_CSS = """
    ButtonRow { width: 1fr; height: auto; }
    ButtonRow > Button { margin: 0 1 0 0; }
    """

    def __init__(self, *children: Widget, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(*children, id=id, classes=classes)
        self._flow = FlowLayout()

    @property
    def layout(self) -> Layout:
        return self._flow
