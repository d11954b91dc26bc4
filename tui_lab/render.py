"""Drawing engine results as terminal text: digits, bars, matrices, histograms.

Pure functions from data (as the engines send it) to Rich renderables, so they are
used by any widget and tested without a screen. Colours are only ever a second
channel: every figure is also written as a number or a glyph (NO_COLOR, dumb terminals).
"""

from __future__ import annotations

from typing import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from lab_i18n import N_, _

SPARK = "▁▂▃▄▅▆▇█"
SHADES = " ░▒▓█"


def _grey(value) -> str:
    """A pixel's colour: a grey level (0–255) or an [R, G, B] triple."""
    if isinstance(value, (list, tuple)):
        r, g, b = (max(0, min(255, int(c))) for c in value[:3])
        return f"rgb({r},{g},{b})"
    level = max(0, min(255, int(value)))
    return f"rgb({level},{level},{level})"


def _brightness(value) -> float:
    return sum(value[:3]) / 3 if isinstance(value, (list, tuple)) else value


class Digit:
    """A grey-scale image that draws itself in colour half-blocks, or in shade glyphs
    where the terminal has no colour (NO_COLOR, TERM=dumb)."""

    def __init__(self, pixels: Sequence[Sequence[int]], caption: str = "") -> None:
        self.pixels, self.caption = pixels, caption

    def __rich_console__(self, console, options):
        if console.no_color or console.color_system is None:
            yield Text(digit_plain(self.pixels) + ("\n" + self.caption if self.caption else ""), no_wrap=True)
        else:
            yield digit(self.pixels, self.caption)

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        width = max(len(self.pixels[0]) if self.pixels else 0, len(self.caption))
        return Measurement(width, width)


def digit(pixels: Sequence[Sequence[int]], caption: str = "") -> Text:
    """A grey-scale image (e.g. 28×28, 0–255) in half-block characters: 2 pixel rows a line;
    the upper pixel is the glyph's colour and the lower one its background."""
    out = Text(no_wrap=True)
    rows = [list(r) for r in pixels]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    for top, bottom in zip(rows[0::2], rows[1::2]):
        for upper, lower in zip(top, bottom):
            out.append("▀", style=f"{_grey(upper)} on {_grey(lower)}")
        out.append("\n")
    if caption:
        out.append(caption)
    return out


def digit_plain(pixels: Sequence[Sequence[int]]) -> str:
    """The same picture with shade glyphs only (no colour), two pixel rows a line."""
    rows = [list(r) for r in pixels]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2]):
        lines.append("".join(SHADES[min(4, int(max(_brightness(u), _brightness(l))) * 5 // 256)]
                             for u, l in zip(top, bottom)))
    return "\n".join(lines)


def bars(labels: Sequence[str], values: Sequence[float], width: int = 24, fmt: str = "{:.1%}",
         highlight: int | None = None) -> Table:
    """Horizontal bars, one row a label; the highlighted row (e.g. the prediction) in bold."""
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right")
    table.add_column()
    table.add_column(justify="right")
    top = max(values) if values else 1.0
    for i, (label, value) in enumerate(zip(labels, values)):
        filled = 0 if top <= 0 else value / top * width
        bar = "█" * int(filled) + ("▌" if filled - int(filled) >= 0.5 else "")
        style = "bold" if i == highlight else ""
        table.add_row(Text(str(label), style=style), Text(bar, style="green" if i == highlight else "cyan"),
                      Text(fmt.format(value), style=style))
    return table


CORNER = N_("true╲pred")  # the header over the row labels: rows true, columns predicted


def confusion(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> "Confusion":
    """The confusion matrix, laid out for the width it is drawn in (see ``Confusion``)."""
    return Confusion(labels, matrix)


class Confusion:
    """Rows are true classes, columns predictions; the diagonal (right) in green, the largest
    mistakes on a red background of growing strength. Where the class names fit as column
    headers they are the headers; where they do not (80 columns for Fashion-MNIST's ten
    names), the columns are numbered, each row says its number and name, and a key line
    under the table maps numbers to names."""

    def __init__(self, labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> None:
        self.labels, self.matrix = [str(label) for label in labels], matrix

    def table(self, numbered: bool) -> Table:
        table = Table(box=None, padding=(0, 0, 0, 1), show_edge=False, pad_edge=False)
        table.add_column(_(CORNER), justify="right", style="dim", no_wrap=True)
        digits = max((len(str(v)) for row in self.matrix for v in row), default=1)
        for i, label in enumerate(self.labels):
            table.add_column(str(i) if numbered else label, justify="right", min_width=digits, no_wrap=True)
        worst = max((v for i, row in enumerate(self.matrix) for j, v in enumerate(row) if i != j), default=0) or 1
        for i, row in enumerate(self.matrix):
            cells = []
            for j, value in enumerate(row):
                if i == j:
                    cells.append(Text(str(value), style="bold green"))
                elif value:
                    strength = int(40 + 160 * value / worst)
                    cells.append(Text(str(value), style=f"bold on rgb({strength},0,0)"))
                else:
                    cells.append(Text("·", style="dim"))
            name = self.labels[i]
            table.add_row(f"{name} {i}" if numbered and name != str(i) else name, *cells)
        return table

    def key(self, width: int) -> Text:
        """'0 T-shirt/top  1 Trouser …', broken between entries, never inside one."""
        lines: list[str] = []
        for entry in (f"{i} {label}" for i, label in enumerate(self.labels)):
            if lines and len(lines[-1]) + 2 + len(entry) <= width:
                lines[-1] += "  " + entry
            else:
                lines.append(entry)
        return Text("\n".join(lines), style="dim")

    def _numbers_only(self) -> bool:
        return self.labels == [str(i) for i in range(len(self.labels))]

    def __rich_console__(self, console, options):
        from rich.measure import Measurement

        full = self.table(numbered=False)
        natural = Measurement.get(console, options.update_width(10_000), full).maximum  # unclamped
        if self._numbers_only() or natural <= options.max_width:
            yield full
            return
        yield self.table(numbered=True)
        yield self.key(options.max_width)

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        return Measurement.get(console, options, self.table(numbered=not self._numbers_only()))


def sparkline(values: Sequence[float]) -> str:
    """A histogram or series as eight-level block characters."""
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(7, int(v / top * 7.999))] for v in values)


def digits_row(items: Sequence[tuple[Sequence[Sequence[int]], str]]):
    """Small images with captions, as many side by side as the width allows."""
    from rich.columns import Columns

    return Columns([Digit(pixels, caption) for pixels, caption in items], padding=(0, 2))


def stack(*parts) -> Group:
    return Group(*parts)
