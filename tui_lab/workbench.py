"""The lab's main screen: explorer │ editor over panel, then status bar and key hints.

It composes the parts and says how to reach them; what they show is decided by the app
and by the run controller, which is handed this screen to show runs on.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.lazy import Lazy
from textual.screen import Screen
from textual.widgets import Static, TabbedContent, TabPane

from lab_i18n import _
from tui_lab.widgets.explorer import Explorer
from tui_lab.widgets.key_hints import KeyHints
from tui_lab.widgets.panel import BottomPanel
from tui_lab.widgets.source_view import SourceView
from tui_lab.widgets.status_bar import StatusBar
from tui_lab.widgets.steps import StepView

MIN_WIDTH, MIN_HEIGHT = 60, 18
WIDE_KINDS = ("run", "draw", "graph")  # step kinds that fold the explorer away below 100 columns


class MainScreen(Screen):
    """The workbench, whatever modal (palette, …) is on top of it."""

    HORIZONTAL_BREAKPOINTS = [(0, "-too-narrow"), (MIN_WIDTH, "-narrow"), (80, "-medium"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-too-short"), (MIN_HEIGHT, "-short"), (32, "-tall")]

    def __init__(self, plot_fps: float, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.plot_fps = plot_fps

    def compose(self) -> ComposeResult:
        app = self.app
        with Horizontal(id="workbench"):
            yield Explorer(app.catalog, app.progress, id="explorer")
            with Vertical(id="main"):
                with TabbedContent(id="editor", initial="tab-step"):
                    with TabPane(_("STEP"), id="tab-step"):
                        yield StepView(id="step-view")
                    with TabPane(_("ENGINE"), id="tab-source"):
                        yield SourceView(id="source-view")
                yield Lazy(BottomPanel(plot_fps=self.plot_fps, id="panel"))  # mounted after the first paint
        yield Static("", id="too-small")
        yield StatusBar(id="status")
        yield KeyHints([b for b in app.BINDINGS if isinstance(b, Binding)], id="keys")

    def on_resize(self, event) -> None:
        self._say_too_small()

    def _say_too_small(self) -> None:
        width, height = self.size
        self.query_one("#too-small", Static).update(
            _("The lab needs a terminal of at least {min_width}×{min_height}; this one is {width}×{height}.\n"
              "Make the window larger (or the font smaller) and the lab comes back.").format(
                min_width=MIN_WIDTH, min_height=MIN_HEIGHT, width=width, height=height)
        )

    def relabel(self) -> None:
        """Say the screen's own words again, in the language chosen since."""
        self.editor.get_tab("tab-step").label = _("STEP")
        self._say_too_small()
        self.query_one(KeyHints).refresh()

    # -- the parts -------------------------------------------------------------------

    @property
    def panel(self) -> BottomPanel:
        return self.query_one(BottomPanel)

    @property
    def step_view(self) -> StepView:
        return self.query_one(StepView)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def explorer(self) -> Explorer:
        return self.query_one(Explorer)

    @property
    def source_view(self) -> SourceView:
        return self.query_one(SourceView)

    @property
    def editor(self) -> TabbedContent:
        return self.query_one("#editor", TabbedContent)

    def fit_step(self, kind: str, has_run: bool) -> None:
        """Lay the screen out for a step of ``kind``: steps that run, draw or walk a graph want
        the width (below 100 columns the explorer folds away for them); a run step's panel
        stays low until the step has a run to plot (``has_run``), then the plots get room."""
        self.set_class(kind in WIDE_KINDS, "-wide-step")
        self.set_class(kind == "run" and not has_run, "-nothing-plotted")

    def show_panel(self, shown: bool = True) -> None:
        self.set_class(not shown, "-hide-panel")

    def show_plots(self) -> None:
        """Open the panel on its PLOTS tab (a run is starting, or downloading its data)."""
        self.show_panel()
        self.remove_class("-nothing-plotted")
        self.panel.active = "plots"
