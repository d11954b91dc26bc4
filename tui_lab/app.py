"""The lab's Textual application: a VS Code-shaped shell around lessons and engines.

Importing this module must stay cheap: no torch (the engine process has it), no
plotext until a plot is shown. ``make_app`` builds the app for the CLI and for tests.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.command import CommandPalette
from textual.lazy import Lazy
from textual.screen import Screen
from textual.widgets import Input, Static, TabbedContent, TabPane

from engines.core import registry
from engines.core.data_root import resolve_data_root
from engines.core.device import DeviceInfo
from engines.core.events import Artifact, Event, Failed, Finished, ProgressBatch, Started
from lessons import Catalog, Lesson, load_catalog
from lessons.translation import LANGUAGES
from lessons.check import lesson_values
from tui_lab import heap
from tui_lab.commands import LabCommands
from tui_lab.engine_host import EngineHost, WorkerReady
from tui_lab.messages import OpenStep, RunCommand, RunRequested, StepSolved, StopRequested
from tui_lab.config import load_config
from tui_lab.progress import ProgressStore
from tui_lab.run_session import RunSession
from tui_lab.serve import throttle_for_browser
from tui_lab.widgets.confirm import Confirm
from tui_lab.widgets.explorer import Explorer, LessonTree
from tui_lab.widgets.key_hints import KeyHints
from tui_lab.widgets.panel import BottomPanel
from tui_lab.widgets.source_view import SourceView
from tui_lab.widgets.status_bar import StatusBar
from tui_lab.widgets.steps import DrawStep, RunStep, StepView

MIN_WIDTH, MIN_HEIGHT = 60, 18
DRAIN_HZ = 5  # how often engine events are taken into the UI (status bar, table, plot buffers)


def preload_plotting(then: Callable[[], None] | None = None) -> None:
    """Import plotext in the background, so the first run's plot does not pause the UI;
    ``then`` is called (in that thread) once it is imported."""
    import importlib
    import threading

    def load() -> None:
        importlib.import_module("textual_plotext")
        if then is not None:
            then()

    threading.Thread(target=load, daemon=True).start()


def over_ssh() -> bool:
    return bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))


class MainScreen(Screen):
    """The workbench: explorer │ editor over panel, then status bar and footer."""

    HORIZONTAL_BREAKPOINTS = [(0, "-too-narrow"), (MIN_WIDTH, "-narrow"), (80, "-medium"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-too-short"), (MIN_HEIGHT, "-short"), (32, "-tall")]

    def compose(self) -> ComposeResult:
        app: LabApp = self.app  # type: ignore[assignment]
        with Horizontal(id="workbench"):
            yield Explorer(app.catalog, app.progress, id="explorer")
            with Vertical(id="main"):
                with TabbedContent(id="editor", initial="tab-step"):
                    with TabPane("STEP", id="tab-step"):
                        yield StepView(id="step-view")
                    with TabPane("ENGINE", id="tab-source"):
                        yield SourceView(id="source-view")
                yield Lazy(BottomPanel(id="panel"))  # mounted after the first paint
        yield Static("", id="too-small")
        yield StatusBar(id="status")
        yield KeyHints([b for b in LabApp.BINDINGS if isinstance(b, Binding)], id="keys")

    def on_bottom_panel_ready(self) -> None:
        self.app.workbench_ready = True  # every part is mounted: events can be shown from now on
        self.app.report_start_problems()

    def on_resize(self, event) -> None:
        width, height = event.size
        self.query_one("#too-small", Static).update(
            f"The lab needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is "
            f"{width}×{height}.\nMake the window larger (or the font smaller) and the lab comes back."
        )


class LabApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "TUI Lab"
    COMMANDS = App.COMMANDS | {LabCommands}
    BINDINGS = [
        Binding("ctrl+p,f1", "command_palette", "Commands", key_display="F1", priority=True, id="palette"),
        Binding("f2", "focus_explorer", "Explorer", show=False, id="focus-explorer"),
        Binding("f3", "switch_editor_tab", "Step/Code", show=False, id="editor-tab"),
        Binding("f4", "cycle_panel", "Panel tab", show=False, id="panel-tab"),
        Binding("f5", "run", "Run", id="run"),
        Binding("f6", "stop", "Stop", id="stop"),
        Binding("f7", "previous_step", "Prev", id="previous-step"),
        Binding("f8", "next_step", "Next", id="next-step"),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="toggle-sidebar"),
        Binding("ctrl+j", "toggle_panel", "Panel", id="toggle-panel"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
        Binding("r", "reset_step", "Reset step", show=False, id="reset-step"),
        Binding("n", "new_seed", "Run with a new seed", show=False, id="new-seed"),
        Binding("e", "export_csv", "Export plot data (CSV)", show=False, id="export-csv"),
        Binding("S", "save_svg", "Save screen (SVG)", show=False, id="save-svg"),
        # Page keys scroll the step from anywhere (lists and tables keep their own).
        Binding("pagedown", "scroll_step(1)", "Scroll step down", show=False, id="step-page-down"),
        Binding("pageup", "scroll_step(-1)", "Scroll step up", show=False, id="step-page-up"),
    ]

    def __init__(
        self,
        catalog: Catalog,
        progress: ProgressStore,
        host: EngineHost,
        data_dir: str | None = None,
        prewarm: bool = True,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.progress = progress
        self.host = host
        self.data_dir = str(resolve_data_root(data_dir)[0])
        self.prewarm = prewarm
        self.current: tuple[str, int] | None = None
        self.session: RunSession | None = None
        self.device_info: DeviceInfo | None = None
        self.devices: list[DeviceInfo] = []
        self._values: dict[str, dict[str, Any]] = {}
        # The workbench, whatever modal (palette, …) is on top. The panel starts hidden: the
        # first step decides whether it shows, and the first paint is quicker without it.
        self.main = MainScreen(classes="-hide-panel")
        self.workbench_ready = False
        self.panel_pinned: bool | None = None
        self.lesson_dirs: tuple[str, ...] = ()
        self.config = load_config()
        self.start_from: tuple[str, int] | None = None  # --start-from LESSON[:STEP]
        self.record_next = False  # the next run is written to a recording file
        self.recorder = None  # engines.core.recording.Recorder of the run going, if recorded
        self.player = None  # engines.core.recording.Player of a recording being replayed
        self.lang = "en"  # None: shown on run steps only; else the user's choice
        if over_ssh():
            self.animation_level = "none"  # every animated frame crosses the network
        throttle_for_browser(self)  # in a browser tab (textual-serve): slower refresh, no animation

    # -- start-up ------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return self.main

    def on_mount(self) -> None:
        self.set_interval(1 / DRAIN_HZ, self.drain_engine)
        self.call_after_refresh(self._open_first_step)
        if self.prewarm:
            self.call_after_refresh(self.host.prewarm)  # after the first paint
        # Once start-up's imports are done, take its objects out of the garbage collector's
        # walks (see heap.py). Not in tests: pytest runs hundreds of apps in one process.
        self.call_after_refresh(preload_plotting, None if self.is_headless else heap.settle)

    def report_start_problems(self) -> None:
        """What went wrong before the screen existed: broken lessons, settings, progress."""
        for problem in self.catalog.problems:
            where = f"{problem.path.parent.name}/{problem.path.name}" + (f":{problem.line}" if problem.line else "")
            self.panel.add_problem(where, problem.message)
        if self.progress.error:
            self.panel.add_problem("progress", self.progress.error)
        if self.config.problem:
            self.panel.add_problem("settings", self.config.problem)
        if self.catalog.problems:
            self.notify(f"{len(self.catalog.problems)} lesson(s) could not be loaded; see PROBLEMS (F4).",
                        severity="warning")

    async def _open_first_step(self) -> None:
        last = self.start_from or self.progress.last_position()
        if last and self.catalog.get(last[0]) and 0 <= last[1] <= len(self.catalog.get(last[0]).steps):
            await self.open_step(*last)  # step 0: where the student left off in that lesson
        elif self.catalog.lessons:
            await self.open_step(self.catalog.lessons[0].id, 1)
        self.step_view.focus_first()  # like an editor: the keyboard starts in the step; F2 → explorer

    def on_unmount(self) -> None:
        if self.session is not None and self.session.active and not self.session.interactive:
            # closed mid-run (quit, dropped SSH): keep what the run had reached
            self.progress.record_run(self.session.lesson_id, self.session.index,
                                     {**self._run_result(self.session), "reason": "interrupted"})
        self.host.close()  # the engine sees its input end, stops cleanly and writes its checkpoint

    def _run_result(self, session: RunSession) -> dict[str, Any]:
        result = {"reason": session.state, "steps": session.step, "params": session.params}
        if session.evaluations:
            result["test_accuracy"] = session.evaluations[-1].get("test_accuracy")
        checkpoint = session.latest.get("checkpoint")
        if isinstance(checkpoint, dict):
            result["checkpoint"] = checkpoint.get("path")
        figures = {k: v for k, v in session.summary.items() if isinstance(v, (int, float)) and k not in result}
        return {**figures, **{k: v for k, v in result.items() if v is not None}}

    # -- parts ---------------------------------------------------------------------

    @property
    def panel(self) -> BottomPanel:
        return self.main.query_one(BottomPanel)

    @property
    def step_view(self) -> StepView:
        return self.main.query_one(StepView)

    @property
    def status(self) -> StatusBar:
        return self.main.query_one(StatusBar)

    @property
    def explorer(self) -> Explorer:
        return self.main.query_one(Explorer)

    def current_lesson(self) -> Lesson | None:
        return self.catalog.get(self.current[0]) if self.current else None

    def values_for(self, lesson: Lesson) -> dict[str, Any]:
        """The lesson's engine values, computed once (value tables are NumPy-cheap)."""
        if lesson.id not in self._values:
            try:
                self._values[lesson.id] = lesson_values(lesson)
            except Exception as error:  # noqa: BLE001 - a broken table must not close the lab
                self._values[lesson.id] = {}
                self.panel.add_problem(lesson.id, f"its values could not be computed: {error}")
        return self._values[lesson.id]

    # -- opening steps -------------------------------------------------------------

    @on(OpenStep)
    async def on_open_step(self, message: OpenStep) -> None:
        await self.open_step(message.lesson_id, message.index)
        self.step_view.focus_first()

    async def open_step(self, lesson_id: str, index: int = 0) -> None:
        lesson = self.catalog.get(lesson_id)
        if lesson is None:
            return
        if index == 0:  # where the student left off: the first step not done yet
            index = next((s.index for s in lesson.steps if self.progress.state(lesson.id, s.index) != "done"), 1)
        step = lesson.step(index)
        if self.session is not None and self.session.active and self.session.interactive \
                and self.session.key != (lesson.id, index):
            self.host.stop()  # an engine serving a step (the drawing pad) ends when the student leaves it
        values = self.values_for(lesson)
        saved = self.progress.step(lesson.id, index)
        await self.step_view.show(step, len(lesson.steps), values, saved, self.session)
        self.main.query_one("#editor", TabbedContent).active = "tab-step"
        self._show_panel_for(step.kind == "run")
        if step.kind == "read":
            self.progress.mark(lesson.id, index, "done")
        elif saved.get("state") is None:
            self.progress.mark(lesson.id, index, "seen")
        self.progress.set_last(lesson.id, index)
        self._report_progress_error()
        self.current = (lesson.id, index)  # set last: "current" means fully shown
        self.explorer.refresh_marks(self.current)
        self.explorer.select(lesson.id, index)
        self.status.set_where(f"{lesson.title} · step {index}/{len(lesson.steps)}")
        source = ("engine", step.engine) if step.engine else ("values", lesson.values) if lesson.values else (None, None)
        title = self.main.query_one(SourceView).show(*source)
        self.main.query_one("#editor", TabbedContent).get_tab("tab-source").label = title.upper()

    def _report_progress_error(self) -> None:
        if self.progress.error and self.progress.error != getattr(self, "_reported_progress_error", None):
            self._reported_progress_error = self.progress.error
            self.panel.add_problem("progress", self.progress.error)
            self.notify(self.progress.error, severity="warning")

    async def open_lesson_from_palette(self, lesson_id: str) -> None:
        await self.open_step(lesson_id, 0)
        self.step_view.focus_first()

    @on(StepSolved)
    def on_step_solved(self, message: StepSolved) -> None:
        self.progress.mark(message.lesson_id, message.index, "done", revealed=message.revealed, answer=message.answer)
        self._report_progress_error()
        self.explorer.refresh_marks(self.current)
        if self.current == (message.lesson_id, message.index):
            self.step_view.mark_solved()

    # -- actions -------------------------------------------------------------------

    async def action_next_step(self) -> None:
        await self._move(+1)

    async def action_previous_step(self) -> None:
        await self._move(-1)

    async def _move(self, delta: int) -> None:
        lesson = self.current_lesson()
        if lesson is None:
            return
        index = self.current[1] + delta
        if 1 <= index <= len(lesson.steps):
            await self.open_step(lesson.id, index)
        else:
            position = self.catalog.lessons.index(lesson) + delta
            if not 0 <= position < len(self.catalog.lessons):
                self.notify("This is the " + ("last" if delta > 0 else "first") + " step of the course.")
                return
            neighbour = self.catalog.lessons[position]
            await self.open_step(neighbour.id, 1 if delta > 0 else len(neighbour.steps))
        self.step_view.focus_first()

    def action_run(self) -> None:
        body = self.step_view.body
        if isinstance(body, RunStep):
            body.request_run()
            return
        lesson = self.current_lesson()
        runs = [str(s.index) for s in lesson.steps if s.kind == "run"] if lesson else []
        where = f" (this lesson's run steps: {', '.join(runs)})" if runs else ""
        self.notify(f"This step has nothing to run{where}.", severity="warning")

    def action_stop(self) -> None:
        if self.session is None or not self.session.active:
            self.notify("Nothing is running.")
            return
        if self.player is not None:  # a replay: stop reading it out
            self.player = None
            self.session.apply(Finished("stopped", {"message": "Replay stopped."}))
            self._after_events(self.session, [Finished("stopped", {})])
            return
        self.host.stop()
        self.status.set_state("stopping…", "running")

    def action_help_quit(self) -> None:
        """Ctrl+C stops a run (as in a terminal); otherwise it says how to quit."""
        if self.session is not None and self.session.active:
            self.action_stop()
        else:
            super().action_help_quit()

    def action_hint(self) -> None:
        body = self.step_view.body
        if body is None or not body.step.hints or not body.show_next_hint():
            self.notify("No (more) hints for this step.")

    def action_command_palette(self) -> None:
        """F1 / Ctrl+P open the palette, and close it again (Esc alone may not arrive over SSH)."""
        if CommandPalette.is_open(self):
            self.screen.dismiss()
        else:
            super().action_command_palette()

    def action_reset_step(self) -> None:
        if self.current is None:
            return
        lesson_id, index = self.current

        async def answered(yes: bool) -> None:
            if yes:
                self.progress.reset_step(lesson_id, index)
                self._report_progress_error()
                await self.open_step(lesson_id, index)
                self.step_view.focus_first()
                self.notify(f"Step {index} reset.")

        question = f"Reset step {index} of “{self.current_lesson().title}”? Its answer and progress are forgotten."
        self.push_screen(Confirm(question), answered)

    def reset_progress(self, lesson_id: str | None) -> None:
        """Forget a lesson's progress, or everything (after a confirmation)."""
        lesson = self.catalog.get(lesson_id) if lesson_id else None
        what = f"all progress in “{lesson.title}”" if lesson else "ALL your progress in every lesson"

        async def answered(yes: bool) -> None:
            if yes:
                self.progress.reset(lesson_id)
                self._report_progress_error()
                self.explorer.refresh_marks(self.current)
                if self.current:
                    await self.open_step(*self.current)
                self.notify("Progress reset.")

        self.push_screen(Confirm(f"Reset {what}? This cannot be undone."), answered)

    def action_new_seed(self) -> None:
        """Run the step again from a different random start (F5 repeats the same one)."""
        body = self.step_view.body
        if not isinstance(body, RunStep):
            self.notify("Only run steps have seeds.")
            return
        field = body.query("#param-seed")
        if not field:
            self.notify("This run has no seed: it is the same every time.")
            return
        import random

        field.first(Input).value = str(random.randrange(2**31 - 1))
        body.request_run()

    def exports_dir(self):
        from tui_lab.progress import lab_home

        folder = lab_home() / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def action_export_csv(self) -> None:
        """Every point behind the plots (not just the drawn ones) as a CSV file."""
        plots = [p for p in self.panel.plot_area.plots() if p.points]
        if not plots:
            self.notify("No plot data to export yet: run a step first.")
            return
        import csv
        import time

        where = f"{self.session.lesson_id}-step{self.session.index}" if self.session else "plots"
        try:
            path = self.exports_dir() / f"{where}-{time.strftime('%Y%m%d-%H%M%S')}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["plot", "series", "x", "y"])
                for plot in plots:
                    for name, series in plot.series.items():
                        writer.writerows((plot.title, name, x, y) for x, y in zip(series.xs, series.ys))
        except OSError as error:
            self.notify(f"Could not write the CSV file: {error.strerror or error}.", severity="error")
            return
        self.notify(f"Plot data saved to {path}", timeout=8)

    def action_save_svg(self) -> None:
        import time

        try:
            path = self.save_screenshot(path=str(self.exports_dir()),
                                        filename=f"screen-{time.strftime('%Y%m%d-%H%M%S')}.svg")
        except OSError as error:
            self.notify(f"Could not save the screen: {error.strerror or error}.", severity="error")
            return
        self.notify(f"Screen saved to {path}", timeout=8)

    # -- record and replay ------------------------------------------------------------

    def action_toggle_recording(self) -> None:
        self.record_next = not self.record_next
        self.notify("The next run will be recorded (lab folder → recordings)." if self.record_next
                    else "The next run will not be recorded.")

    def _start_recording(self, lesson: Lesson, step, params: dict) -> None:
        import time

        from engines.core.recording import Recorder, RecordingError
        from tui_lab import __version__
        from tui_lab.progress import lab_home

        folder = lab_home() / "recordings"
        path = folder / f"{lesson.id}-step{step.index}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.recorder = Recorder(path, engine=step.engine, params=params,
                                     device=self.device_info.label if self.device_info else self.host.device,
                                     lesson=lesson.id, step=step.index, lab_version=__version__)
        except (OSError, RecordingError) as error:
            self.notify(f"This run is not recorded: {error}", severity="warning")
        self.record_next = False

    def _finish_recording(self) -> None:
        recorder, self.recorder = self.recorder, None
        recorder.close()
        if recorder.error:
            self.notify(recorder.error, severity="warning")
        else:
            self.notify(f"Recorded {recorder.events_written} events to {recorder.path} (replay: F1 → Replay).",
                        timeout=8)

    def recordings(self) -> list:
        """Recordings to offer in the palette: the lab's own, then the user's."""
        from engines.core.recording import shipped_recordings
        from tui_lab.progress import lab_home

        mine = sorted((lab_home() / "recordings").glob("*.jsonl"), reverse=True)
        return shipped_recordings() + mine[:20]

    async def replay(self, path, speed: float = 1.0) -> None:
        """Play a recorded run back into its step, with its timing (or faster)."""
        from engines.core.recording import Player, RecordingError, read_recording

        if self.session is not None and self.session.active:
            self.notify("A run is going; F6 stops it before a replay.", severity="warning")
            return
        try:
            recording = read_recording(path)
        except RecordingError as error:
            self.panel.add_problem("replay", str(error))
            self.notify(str(error), severity="error")
            return
        header = recording.header
        lesson = self.catalog.get(header.get("lesson") or "")
        index = header.get("step")
        if lesson is None or not isinstance(index, int) or not 1 <= index <= len(lesson.steps) \
                or lesson.step(index).engine != header.get("engine"):
            self.notify(f"{path.name} was recorded from a step this lab does not have; play it with "
                        f"`tui-lab replay {path}`.", severity="warning")
            return
        await self.open_step(lesson.id, index)
        step = lesson.step(index)
        self.session = RunSession(lesson.id, index, step.engine, dict(header.get("params", {})), plots=step.plots,
                                  table=step.table, seed=header.get("params", {}).get("seed"), replay=True)
        await self.panel.plot_area.set_plots(step.plots)
        self.main.remove_class("-hide-panel")
        self.panel.active = "plots"
        body = self.step_view.body
        if isinstance(body, RunStep):
            body.attach(self.session)
        self.player = Player(recording, speed=speed)
        self.status.set_device(f"replay of {header.get('device', '?')}")
        self.panel.log.write_line(f"── replay of {path.name}, recorded {header.get('recorded_at', '?')} on "
                                  f"{header.get('device', '?')}, speed ×{speed:g}")
        if recording.note:
            self.panel.log.write_line(recording.note)

    def action_scroll_step(self, direction: int) -> None:
        if direction > 0:
            self.step_view.scroll_page_down(animate=False)
        else:
            self.step_view.scroll_page_up(animate=False)

    def action_toggle_sidebar(self) -> None:
        """Show or hide the explorer; below 80 columns it is hidden unless asked for."""
        shown = self.explorer.display
        self.main.set_class(shown, "-hide-sidebar")
        self.main.set_class(not shown, "-show-sidebar")
        if shown and self.explorer.has_focus_within:
            self.step_view.focus_first()

    def action_toggle_panel(self) -> None:
        self.panel_pinned = self.main.has_class("-hide-panel")
        self.main.set_class(not self.panel_pinned, "-hide-panel")

    def _show_panel_for(self, wanted: bool) -> None:
        """Unless the student chose, the panel is open on run steps and closed elsewhere."""
        show = wanted if self.panel_pinned is None else self.panel_pinned
        self.main.set_class(not show, "-hide-panel")

    def action_focus_explorer(self) -> None:
        self.main.remove_class("-hide-sidebar")
        self.main.add_class("-show-sidebar")
        self.query_one(LessonTree).focus()

    def action_switch_editor_tab(self) -> None:
        editor = self.main.query_one("#editor", TabbedContent)
        to_source = editor.active == "tab-step"
        # Move the focus at once, before the switch: a focused widget that gets hidden hands
        # the focus to a sibling in its (hidden) tab, and the keys went nowhere visible.
        self.screen.set_focus(self.main.query_one(SourceView) if to_source else None)
        editor.active = "tab-source" if to_source else "tab-step"
        if not to_source:
            self.step_view.focus_first()

    def action_cycle_panel(self) -> None:
        self.panel_pinned = True
        self.main.remove_class("-hide-panel")
        self.panel.cycle()

    async def set_language(self, lang: str) -> None:
        """Show the lessons in another language (English where a lesson has no translation)."""
        self.lang = lang
        self.catalog = load_catalog(self.lesson_dirs, lang=lang)
        self.explorer.set_catalog(self.catalog)
        if self.current:
            await self.open_step(*self.current)
        self.notify(f"Lessons in {LANGUAGES.get(lang, lang)}" + ("" if lang == "en" else " (English where not translated)."))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    # -- devices -------------------------------------------------------------------

    def device_choices(self) -> list[tuple[str, str]]:
        choices = [("auto", "auto (best available)")]
        for device in self.devices or ([self.device_info] if self.device_info else []):
            choices.append((device.name, device.label))
        if not any(name == "cpu" for name, _ in choices):
            choices.append(("cpu", "cpu"))
        return choices

    def choose_device(self, name: str) -> None:
        self.host.set_device(name)
        self.status.set_device(f"{name} …")
        self.notify(f"Runs will use {name} from the next run on.")

    # -- runs ----------------------------------------------------------------------

    @on(RunRequested)
    async def on_run_requested(self, message: RunRequested) -> None:
        if self.session is not None and self.session.active:
            self.notify("A run is already going; F6 stops it.", severity="warning")
            return
        lesson = self.catalog.get(message.lesson_id)
        step = lesson.step(message.index)
        self.session = RunSession(
            lesson.id, step.index, step.engine, message.params, plots=step.plots, table=step.table,
            manual=step.manual, interactive=step.kind == "draw", seed=message.params.get("seed"),
        )
        if step.kind == "run":
            await self.panel.plot_area.set_plots(step.plots)
            self.main.remove_class("-hide-panel")
            self.panel.active = "plots"
        self.panel.log.write_line(f"── {lesson.title} · step {step.index}: {registry.ENGINES[step.engine]} {message.params}")
        self.status.set_state("starting…", "running")
        body = self.step_view.body
        if isinstance(body, (RunStep, DrawStep)) and body.step is step:
            body.attach(self.session)
        if self.record_next and step.kind == "run":
            self._start_recording(lesson, step, message.params)
        try:
            self.host.start(step.engine, message.params, self.data_dir, paused=step.manual,
                            nproc=message.processes)
        except (OSError, RuntimeError) as error:
            self.session.apply(Failed(f"The engine could not be started: {error}", ""))
            self._after_events(self.session, [Failed(self.session.message)])

    @on(StopRequested)
    def on_stop_requested(self) -> None:
        self.action_stop()

    @on(RunCommand)
    def on_run_command(self, message: RunCommand) -> None:
        if self.session is None or not self.session.active or not self.host.send(message.command):
            self.notify("Nothing is running; F5 starts the run.")

    def drain_engine(self) -> None:
        """Take everything the engine sent since the last tick (runs ~10×/s)."""
        if not self.is_running or not self.workbench_ready:  # starting up or shutting down
            return
        items = self.host.drain()
        if self.player is not None:
            items += self.player.due()
            if self.player.done:
                self.player = None
        if not items:
            return
        session = self.session
        plots = {p.title: p for p in self.panel.plot_area.plots()}
        terminal: list[Event] = []
        for item in items:
            if isinstance(item, WorkerReady):
                self._worker_ready(item)
            elif isinstance(item, str):
                self.panel.log.write_line(item)
            elif session is not None:
                self._take(session, item, plots)
                if isinstance(item, (Finished, Failed)):
                    terminal.append(item)
        if session is not None:
            self._after_events(session, terminal)

    def _take(self, session: RunSession, item: Event | ProgressBatch, plots: dict) -> None:
        """One event of the current run into the session, the plots and the panel."""
        if self.recorder is not None:
            self.recorder.write(item)
            if isinstance(item, (Finished, Failed)):
                self._finish_recording()
        if isinstance(item, Artifact) and item.kind == "download":
            self.main.remove_class("-hide-panel")
            self.panel.active = "plots"
            self.panel.download.show(item.payload)
        elif isinstance(item, (Started, Finished, Failed)):
            self.panel.download.hide()
        for plot, series, xs, ys in session.apply(item):
            if plot in plots:
                plots[plot].extend(series, xs, ys)

    def _after_events(self, session: RunSession, terminal: list[Event]) -> None:
        body = self.step_view.body
        if isinstance(body, (RunStep, DrawStep)) and body.session is session:
            body.update_from(session)
        self.status.set_speed(session.speed_text())
        state_kind = "running" if session.active else ("failed" if session.state in ("failed", "diverged") else "")
        seed = f" · seed {session.seed}" if session.seed is not None else ""
        self.status.set_state(session.state + seed, state_kind)
        for event in terminal:
            self._run_ended(session, event)

    def _run_ended(self, session: RunSession, event: Event) -> None:
        self.panel.log.write_line(session.message + (f" {session.hint}" if session.hint else ""))
        if isinstance(event, Failed):
            self.panel.add_problem(f"{session.lesson_id} step {session.index}", session.message)
            self.notify(session.message, title="Run failed", severity="error", timeout=8)
            return
        if event.reason == "diverged":
            self.notify(session.message, title="Run diverged", severity="warning", timeout=8)
        if session.replay:
            return  # watching a recording is not doing the step
        if not session.interactive:
            self.progress.record_run(session.lesson_id, session.index, self._run_result(session))
        if event.reason in ("completed", "diverged"):
            self.progress.mark(session.lesson_id, session.index, "done")
            self._report_progress_error()
            self.explorer.refresh_marks(self.current)

    def _worker_ready(self, ready: WorkerReady) -> None:
        if ready.error:
            self.status.set_device("device: none")
            self.panel.add_problem("device", ready.error)
            self.notify(ready.error, severity="error")
        elif ready.device is not None:
            self.device_info = ready.device
            self.devices = ready.devices or self.devices
            self.status.set_device(ready.device.label)


def make_app(
    lesson_dirs: list[str] | tuple[str, ...] = (),
    device: str = "auto",
    data_dir: str | None = None,
    progress: ProgressStore | None = None,
    warm_torch: bool = True,
    prewarm: bool = True,
    lang: str = "en",
    threads: int | None = None,
) -> LabApp:
    """Build the lab (the CLI and the tests both come through here)."""
    catalog = load_catalog(lesson_dirs, lang=lang)
    host = EngineHost(device=device, warm_torch=warm_torch, threads=threads)
    app = LabApp(catalog, progress or ProgressStore(), host, data_dir=data_dir, prewarm=prewarm)
    app.lesson_dirs, app.lang = tuple(lesson_dirs), lang
    return app


def parse_start(catalog: Catalog, text: str) -> tuple[str, int]:
    """``LESSON`` or ``LESSON:STEP`` → (lesson id, step; 0: where the student left off)."""
    lesson_id, _, step = text.partition(":")
    lesson = catalog.get(lesson_id.strip())
    if lesson is None:
        raise ValueError(f"No lesson {lesson_id!r} to start from; lessons: {', '.join(catalog.ids())}.")
    if not step:
        return lesson.id, 0
    if not step.strip().isdigit() or not 1 <= int(step) <= len(lesson.steps):
        raise ValueError(f"{lesson.id!r} has steps 1–{len(lesson.steps)}; {step!r} is not one of them.")
    return lesson.id, int(step)


def run_app(device: str = "auto", data_dir: str | None = None, lesson_dirs: list[str] = (), lang: str = "en",
            start_from: str | None = None) -> int:
    app = make_app(lesson_dirs, device=device, data_dir=data_dir, lang=lang)
    if start_from:
        try:
            app.start_from = parse_start(app.catalog, start_from)
        except ValueError as error:
            print(f"tui-lab: {error}", file=sys.stderr)
            return 2
    app.run()
    return app.return_code or 0
