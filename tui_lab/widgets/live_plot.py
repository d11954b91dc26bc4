"""Our one plot widget: streams appended points into a textual-plotext plot.

Rebuilding a plotext figure costs time proportional to the points plotted (≈4 ms for
100 points, ≈84 ms for 10k at 80×20), and it happens on the event loop. So points go
into a buffer that keeps every value (for export) and a decimated copy of at most
``MAX_PLOTTED`` points (for drawing), and the widget redraws at most ``fps`` times a
second (a setting, see tui_lab/refresh.py), only when something changed and only while
it is on screen.
textual-plotext is wrapped here and nowhere else, so it can be swapped out.
"""

from __future__ import annotations

import bisect
import math
import time
from functools import lru_cache

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Static

from lab_i18n import _
from tui_lab import plot_axes
from tui_lab.refresh import TERMINAL

MAX_PLOTTED = 2000
# A rebuild may take at most this share of the UI's time: slow plots redraw less often.
MAX_CPU_SHARE = 0.04  # (drawing the result costs as much again in the compositor)
POINTS_PER_COLUMN = 2  # braille has 2 dots a column: more points draw nothing new


class SeriesBuffer:
    """All points of one series, plus a stride-decimated view for drawing.

    Appending is O(1) amortised: the drawn view keeps every ``stride``-th point and,
    when it grows past ``limit``, drops every other point and doubles the stride.
    The newest point is always drawn so the curve's end is current.
    """

    def __init__(self, limit: int = MAX_PLOTTED) -> None:
        self.limit = limit
        self.xs: list[float] = []
        self.ys: list[float] = []
        self._view_x: list[float] = []
        self._view_y: list[float] = []
        self.stride = 1

    def __len__(self) -> int:
        return len(self.xs)

    def append(self, x: float, y: float) -> None:
        self.xs.append(x)
        self.ys.append(y)
        if (len(self.xs) - 1) % self.stride == 0:
            self._view_x.append(x)
            self._view_y.append(y)
            if len(self._view_x) > self.limit:
                self._view_x = self._view_x[::2]
                self._view_y = self._view_y[::2]
                self.stride *= 2

    def extend(self, xs: list[float], ys: list[float]) -> None:
        """Append many points; the same result as appending them one by one, in bulk."""
        start = len(self.xs)
        self.xs += xs
        self.ys += ys
        first = (-start) % self.stride  # the first new index that is a multiple of stride
        self._view_x += xs[first::self.stride]
        self._view_y += ys[first::self.stride]
        while len(self._view_x) > self.limit:
            self._view_x = self._view_x[::2]
            self._view_y = self._view_y[::2]
            self.stride *= 2

    def view(self) -> tuple[list[float], list[float]]:
        xs, ys = self._view_x, self._view_y
        if self.xs and (not xs or xs[-1] != self.xs[-1]):
            xs, ys = xs + [self.xs[-1]], ys + [self.ys[-1]]
        return xs, ys


# Series colours (RGB, readable on dark and light themes); the key row shows the same ones.
COLOURS = ((66, 165, 245), (255, 152, 0), (102, 187, 106), (239, 83, 80), (171, 71, 188), (38, 198, 218))
MARKED_POINTS = 40  # series of at most this many drawn points get a marker at each point
POINT = "●"  # the marker of a point, and of a series in the key row


class LivePlot(Widget, can_focus=True):
    """A titled line plot of one or more named series against a shared x axis.

    Above the curves, one row holds the title and a key of the series (coloured marker and
    name), so no legend covers the data. Ticks follow ``tui_lab.plot_axes``: integers for
    steps and epochs, 1-2-5 values in one format, decades on a log axis.
    Focus it (Tab) and the arrow keys move a cursor along the curve that reads out the
    step and every series' value there; Home/End jump to the ends. Markers are vertical
    lines with a label at an x (a learning rate changed there: "lr 0.05").
    """

    DEFAULT_CSS = """
    LivePlot { height: 1fr; width: 1fr; min-height: 5; layout: vertical; }
    LivePlot:focus { border: round $accent; }
    LivePlot > .plot-key { height: auto; padding: 0 1; }
    """
    BINDINGS = [
        Binding("left", "move_cursor(-1)", "earlier", show=False),
        Binding("right", "move_cursor(1)", "later", show=False),
        Binding("shift+left", "move_cursor(-10)", "much earlier", show=False),
        Binding("shift+right", "move_cursor(10)", "much later", show=False),
        Binding("home", "cursor_to(0)", "first", show=False),
        Binding("end", "cursor_to(-1)", "last", show=False),
    ]

    def __init__(self, title: str, *, heading: str = "", labels: dict[str, str] | None = None,
                 series: tuple[str, ...] = (), x_label: str = "", counted_x: bool = True, log_y: bool = False,
                 log_x: bool = False, fps: float = TERMINAL.plot_fps, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title  # names the plot (the lesson's English title: stable across languages)
        self.heading = heading or title  # what the plot is called on screen
        self.labels = dict(labels or {})  # series key -> name from the lesson
        self.expected = series  # the series the lesson plots, in order (their colours)
        self.fps = fps  # the most redraws a second
        self.x_label = x_label or (_("step") if counted_x else "x")
        self.counted_x = counted_x  # steps or epochs: integer ticks
        self.log_y = log_y
        self.log_x = log_x and not counted_x  # steps and epochs stay linear
        self.series: dict[str, SeriesBuffer] = {}
        self.markers: list[tuple[float, str]] = []  # (x, label)
        self.builds = 0  # how many times the figure was rebuilt (for tests and benches)
        self._dirty = False
        self.cursor: int | None = None  # index into the first series (None: no cursor)

    def compose(self) -> ComposeResult:
        yield Static(self.heading, classes="plot-key")
        yield _timed_plot_class()()

    def on_mount(self) -> None:
        self.set_interval(1 / self.fps, self._refresh_if_dirty)
        self._draw()

    @property
    def points(self) -> int:
        return sum(len(s) for s in self.series.values())

    @property
    def drawn(self) -> bool:
        """The figure shows every point added so far (no redraw is due)."""
        return not self._dirty

    def names(self) -> dict[str, str]:
        """Each series' key and the name it is shown by (the key row, the readout, CSV)."""
        keys = [*self.expected, *self.series]
        return plot_axes.legend_names(keys, self.labels)

    def colour(self, key: str) -> tuple[int, int, int]:
        keys = list(dict.fromkeys([*self.expected, *self.series]))
        return COLOURS[keys.index(key) % len(COLOURS)] if key in keys else COLOURS[0]

    def append(self, name: str, x: float, y: float) -> None:
        """Add one point; cheap, call it as often as points arrive."""
        if not math.isfinite(y):
            return  # plotext cannot draw inf/NaN; the run reports them in words
        self.series.setdefault(name, SeriesBuffer()).append(x, y)
        self._dirty = True

    def extend(self, name: str, xs: list[float], ys: list[float]) -> None:
        """Add many points at once (a batch from the engine)."""
        if not all(map(math.isfinite, ys)):  # plotext cannot draw inf/NaN
            pairs = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
            xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        self.series.setdefault(name, SeriesBuffer()).extend(xs, ys)
        self._dirty = True

    def add_marker(self, x: float, label: str) -> None:
        """A vertical line at ``x`` with ``label`` beside it (e.g. where a learning rate changed)."""
        self.markers.append((float(x), label))
        self._dirty = True

    # -- reading values off the plot --------------------------------------------------

    @property
    def _cursor_series(self) -> SeriesBuffer | None:
        return next((b for b in self.series.values() if len(b)), None)

    def action_move_cursor(self, points: int) -> None:
        buffer = self._cursor_series
        if buffer is None:
            return
        step = max(1, len(buffer) // 400)  # a key press moves about one terminal column
        start = len(buffer) - 1 if self.cursor is None else self.cursor
        self.cursor = min(len(buffer) - 1, max(0, start + points * step))
        self._draw()

    def action_cursor_to(self, index: int) -> None:
        buffer = self._cursor_series
        if buffer is not None:
            self.cursor = index % len(buffer)
            self._draw()

    def readout(self) -> str:
        """'step 120 · loss 0.0345 · …' at the cursor (each series at its nearest x)."""
        return self._readout().plain

    def _readout(self) -> Text:
        buffer = self._cursor_series
        if buffer is None or self.cursor is None:
            return Text()
        x = buffer.xs[min(self.cursor, len(buffer) - 1)]
        shown_x = plot_axes.integer(x) if self.counted_x else plot_axes.short(x)
        text = Text(f"{self.x_label} {shown_x}")
        names = self.names()
        for name, series in self.series.items():
            if len(series):
                i = min(self.cursor, len(buffer) - 1) if series is buffer \
                    else min(bisect.bisect_left(series.xs, x), len(series) - 1)  # x grows with the step
                text.append(" · ")
                text.append(names[name], style=_rich(self.colour(name)))
                text.append(f" {plot_axes.short(series.ys[i])}")
        return text

    def key_row(self, width: int = 0) -> Text:
        """The title, then a coloured marker and the name of each series (when there are
        several), on as many lines of ``width`` as they need; no name is split."""
        readout = self._readout()
        if readout.plain:
            return readout  # the cursor's values replace the title while it is shown
        names = self.names()
        items = [Text(self.heading, style="bold")]
        if len(names) > 1:
            items += [Text.assemble((POINT, _rich(self.colour(k))), " ", (n, _rich(self.colour(k))))
                      for k, n in names.items()]
        text, used = Text(), 0
        for item in items:
            if used and width and used + 2 + item.cell_len > width:
                text.append("\n")
                used = 0
            elif used:
                text.append("  ")
                used += 2
            text.append_text(item)
            used += item.cell_len
        return text

    def on_blur(self) -> None:
        if self.cursor is not None:
            self.cursor = None
            self._draw()

    def clear(self) -> None:
        self.series.clear()
        self.markers.clear()
        self._dirty = True

    def _refresh_if_dirty(self) -> None:
        if not self._dirty or not self.is_mounted or not self.region.area:
            return  # nothing new, or hidden (another panel tab): draw when shown
        plot = self.query_one("PlotextPlot")
        if time.monotonic() - plot.last_render_end < plot.last_render_seconds / MAX_CPU_SHARE:
            return  # the last rebuild was slow: wait so plotting stays a small share of the UI
        self._draw()

    def on_show(self) -> None:
        if self._dirty:
            self._draw()

    def on_resize(self) -> None:
        self._draw()  # the number of ticks that fit changed

    def _draw(self) -> None:
        try:
            plot = self.query_one("PlotextPlot")
            key = self.query_one(".plot-key", Static)
        except Exception:  # noqa: BLE001 - not composed yet
            return
        key.update(self.key_row(self.size.width - 2))  # less the key row's padding
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        roomy = self.size.height >= 12  # small panels keep their rows for the curve itself
        if roomy:
            plt.xlabel(self.x_label)
        curves = self._curves(POINTS_PER_COLUMN * max(25, self.size.width))
        for key_name, (xs, ys) in curves.items():
            plt.plot(xs, ys, marker="braille", color=self.colour(key_name))
        for key_name, (xs, ys) in curves.items():  # after every line, so no line hides a point
            if len(xs) <= MARKED_POINTS:  # few points: each one marked, so a lone point shows
                plt.scatter(xs, ys, marker=POINT, color=self.colour(key_name))
        if curves:
            self._axes(plt, curves, rows=plot.size.height - (4 if roomy else 3), width=plot.size.width)
        if self.cursor is not None and self._cursor_series is not None:
            buffer = self._cursor_series
            at = buffer.xs[min(self.cursor, len(buffer) - 1)]
            plt.vline(math.log10(at) if self.log_x and at > 0 else at, "red")
        self._dirty = False
        self.builds += 1
        plot.refresh()

    def _curves(self, most: int) -> dict[str, tuple[list[float], list[float]]]:
        """Each series as drawn: thinned to what the terminal shows, log10 on a log axis."""
        curves = {}
        for name, buffer in self.series.items():
            xs, ys = buffer.view()
            if len(xs) > most:  # thin to what the terminal can show; keep the newest point
                keep = len(xs) // most + 1
                xs, ys = xs[-1::-keep][::-1], ys[-1::-keep][::-1]
            if self.log_y:  # plotext's own log scale breaks on rebuilds; plot log10, label values
                pairs = [(x, math.log10(y)) for x, y in zip(xs, ys) if y > 0]
                xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
            if self.log_x:
                pairs = [(math.log10(x), y) for x, y in zip(xs, ys) if x > 0]
                xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
            if xs:
                curves[name] = (xs, ys)
        return curves

    def _axes(self, plt, curves: dict[str, tuple[list[float], list[float]]], rows: int, width: int) -> None:
        """Ticks and limits of both axes by the lab's plot rules; the markers' lines."""
        low_y = min(min(ys) for _xs, ys in curves.values())
        high_y = max(max(ys) for _xs, ys in curves.values())
        if self.log_y:  # decades may sit on neighbouring rows: better than skipping every other one
            y = plot_axes.log_axis(low_y, high_y, max(2, rows))
        else:
            y = plot_axes.value_axis(low_y, high_y, plot_axes.ticks_for_height(max(1, rows)))
        low_x = min(min(xs) for xs, _ys in curves.values())
        high_x = max(max(xs) for xs, _ys in curves.values())
        room = max(10, width - max(map(len, y.labels)) - 3)  # the y labels and the frame take the rest
        if self.log_x:
            x = plot_axes.log_axis_to_the_data(low_x, high_x, plot_axes.ticks_for_width(room, 6))
        elif self.counted_x:
            x = plot_axes.count_axis(low_x, high_x, room)
        else:  # a path's x: a value
            x = plot_axes.value_axis(low_x, high_x, plot_axes.ticks_for_width(room, 6))
        plt.ylim(y.lower, y.upper)
        plt.yticks(y.positions, y.labels)
        plt.xlim(x.lower, x.upper)
        plt.xticks(x.positions, x.labels)
        for at, label in self.markers:
            plt.vline(at, "orange")
            plt.text(f" {label}", at, y.upper, color="orange", alignment="left")


def _rich(colour: tuple[int, int, int]) -> str:
    return "rgb({},{},{})".format(*colour)


@lru_cache(maxsize=1)
def _timed_plot_class():
    """textual-plotext's widget, timing its own rebuilds (plotext is imported here, lazily)."""
    from textual_plotext import PlotextPlot

    class TimedPlotextPlot(PlotextPlot):
        last_render_seconds = 0.0
        last_render_end = 0.0

        def render(self):
            start = time.monotonic()
            try:
                return super().render()
            finally:
                self.last_render_end = time.monotonic()
                self.last_render_seconds = self.last_render_end - start

    return TimedPlotextPlot
