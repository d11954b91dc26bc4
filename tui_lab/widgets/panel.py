"""The bottom panel: PLOTS, OUTPUT and PROBLEMS tabs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.message import Message
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Log, ProgressBar, Static, TabbedContent, TabPane

from lab_i18n import N_, _
from lessons.model import PlotSpec
from tui_lab import plot_axes
from tui_lab.refresh import TERMINAL
from tui_lab.widgets.live_plot import LivePlot

TABS = ("plots", "output", "problems")


NO_RUN = N_("No run yet. Open a run step and press F5.")


class PlotArea(Horizontal):
    """Side-by-side live plots of the step on screen's run, or a sentence where there are none."""

    DEFAULT_CSS = """
    PlotArea { height: 1fr; }
    PlotArea > .empty { color: $text-muted; padding: 1 2; }
    """

    def __init__(self, plot_fps: float = TERMINAL.plot_fps) -> None:
        super().__init__()
        self.plot_fps = plot_fps  # the most redraws a second of each plot

    def compose(self) -> ComposeResult:
        yield Static(_(NO_RUN), classes="empty")

    def plots(self) -> list[LivePlot]:
        return list(self.query(LivePlot))

    def plot(self, name: str) -> LivePlot | None:
        return next((p for p in self.query(LivePlot) if p.title == name), None)

    async def show_hint(self, text: str) -> None:
        """No plots: one sentence in their place (kept if it is already shown)."""
        hints = list(self.query_children(".empty").results(Static))
        if hints and not self.plots():
            hints[0].update(text)
            return
        await self.remove_children()
        await self.mount(Static(text, classes="empty"))

    async def set_plots(self, specs: tuple[PlotSpec, ...]) -> list[LivePlot]:
        """Replace the plots with one per spec (none: a hint)."""
        if not specs:
            await self.show_hint(_("This step has nothing to plot."))
            return []
        await self.remove_children()
        plots = [
            LivePlot(spec.title, heading=spec.heading or plot_axes.readable_title(spec.title),
                     labels=dict(spec.labels), series=spec.keys, x_label=spec.x_label,
                     counted_x=bool(spec.series), log_y=spec.log_y, log_x=spec.log_x, fps=self.plot_fps)
            for spec in specs
        ]
        await self.mount_all(plots)
        return plots


class DownloadProgress(Horizontal):
    """Shown above the plots while an engine downloads data (it has no steps to plot yet)."""

    DEFAULT_CSS = """
    DownloadProgress { height: 1; display: none; padding: 0 1; }
    DownloadProgress.-active { display: block; }
    DownloadProgress > Static { width: auto; padding: 0 1 0 0; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="download-label")
        yield ProgressBar(id="download-bar", show_eta=False)

    def show_progress(self, payload: dict) -> None:
        """Show a ``download`` artifact's payload: the file, bytes so far and the total."""
        done, total = payload.get("done_bytes", 0), payload.get("total_bytes")
        size = f"{done / 1e6:.1f}" + (f"/{total / 1e6:.1f}" if total else "")
        self.query_one("#download-label", Static).update(
            _("Downloading {file} · {size} MB").format(file=payload.get("file", _("data")), size=size))
        self.query_one(ProgressBar).update(total=total or None, progress=done)
        self.add_class("-active")

    def hide(self) -> None:
        self.remove_class("-active")


class ProblemsTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns(_("Where"), _("Problem"))


class BottomPanel(Vertical):
    class Ready(Message):
        """The panel is mounted (it is mounted lazily, after the first paint)."""

    DEFAULT_CSS = """
    BottomPanel { height: 40%; min-height: 8; border-top: solid $panel-lighten-2; }
    BottomPanel > TabbedContent { height: 1fr; }
    BottomPanel TabPane { padding: 0; height: 1fr; }
    BottomPanel Log { background: transparent; }
    """

    def __init__(self, plot_fps: float = TERMINAL.plot_fps, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plot_fps = plot_fps
        # PROBLEMS lists what is wrong now: the lab's own problems (lessons, settings,
        # progress, devices), then the failure of the shown step's last run, if it failed.
        self._lab_problems: list[tuple[str, str]] = []
        self._run_problems: list[tuple[str, str]] = []
        self._plots_note = ""

    def compose(self) -> ComposeResult:
        with TabbedContent(id="panel-tabs"):  # PLOTS first, so active by default
            with TabPane(_("PLOTS"), id="plots"):
                with Vertical():
                    yield DownloadProgress()
                    yield PlotArea(self.plot_fps)
            with TabPane(_("OUTPUT"), id="output"):
                yield Log(id="output-log", max_lines=2000)
            with TabPane(_("PROBLEMS"), id="problems"):
                yield ProblemsTable(id="problems-table")

    def on_mount(self) -> None:
        self.post_message(self.Ready())

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#panel-tabs", TabbedContent)

    @property
    def active(self) -> str:
        return self.tabs.active

    @active.setter
    def active(self, tab: str) -> None:
        self.tabs.active = tab

    @property
    def download(self) -> DownloadProgress:
        return self.query_one(DownloadProgress)

    @property
    def plot_area(self) -> PlotArea:
        return self.query_one(PlotArea)

    @property
    def log(self) -> Log:
        return self.query_one("#output-log", Log)

    @property
    def problems(self) -> ProblemsTable:
        return self.query_one(ProblemsTable)

    def add_problem(self, where: str, message: str) -> None:
        """A problem of the lab (not of one run); one already listed is not listed twice."""
        if (where, message) not in self._lab_problems:
            self._lab_problems.append((where, message))
            self._list_problems()

    def set_run_problems(self, rows: list[tuple[str, str]]) -> None:
        """The problems of the run of the step on screen (none: it did not fail)."""
        if rows != self._run_problems:
            self._run_problems = list(rows)
            self._list_problems()

    def _list_problems(self) -> None:
        table = self.problems
        table.clear()
        for row in self._lab_problems + self._run_problems:
            table.add_row(*row)
        count = table.row_count
        self.tabs.get_tab("problems").label = _("PROBLEMS {count}").format(count=count) if count else _("PROBLEMS")

    def label_plots(self, note: str = "") -> None:
        """The PLOTS tab says whose plots they are when they are not of a run going now ("last run, 22:14")."""
        self._plots_note = note
        self.tabs.get_tab("plots").label = _("PLOTS · {note}").format(note=note) if note else _("PLOTS")

    def relabel(self) -> None:
        """The tabs in the language just chosen (the lab calls this when it changes)."""
        self.label_plots(self._plots_note)
        self.tabs.get_tab("output").label = _("OUTPUT")
        self._list_problems()

    def cycle(self) -> None:
        current = TABS.index(self.active) if self.active in TABS else 0
        self.active = TABS[(current + 1) % len(TABS)]
