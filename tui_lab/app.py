"""The lab's Textual application: a VS Code-shaped shell around lessons and engines.

The app navigates (which step is shown, which panel and tab) and turns keys and palette
commands into actions; runs belong to its ``RunController``, the screen's parts to
``MainScreen``. Importing this module must stay cheap: no torch (the engine process has
it), no plotext until a plot is shown. ``make_app`` builds the app for the CLI and tests.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

import lab_i18n
from engines.core.data_root import resolve_data_root
from lab_i18n import N_, _
from lessons import Catalog, Lesson, load_catalog
from lessons.values import lesson_has_variants, lesson_values
from tui_lab import heap
from tui_lab import cjk_wrap
from tui_lab.commands import LabCommands, system_commands
from tui_lab.config import load_config
from tui_lab.engine_host import EngineHost
from tui_lab.exports import ExportActions
from tui_lab.learner import Learner
from tui_lab.learner_actions import LearnerActions
from tui_lab.messages import HintOpened, OpenStep, RunCommand, RunRequested, StepSolved, StopRequested, WrongTry
from tui_lab.progress import ANSWERED, ProgressStore
from tui_lab.refresh import SERVED, TERMINAL, Refresh, over_ssh
from tui_lab.run_actions import RunActions
from tui_lab.run_controller import RunController
from tui_lab.run_session import RunSession
from tui_lab.shell import ShellActions
from tui_lab.widgets.explorer import Explorer
from tui_lab.widgets.key_hints import translate_bindings
from tui_lab.widgets.panel import BottomPanel
from tui_lab.widgets.status_bar import StatusBar
from tui_lab.widgets.steps import StepView
from tui_lab.workbench import MainScreen


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


class LabApp(ShellActions, RunActions, ExportActions, LearnerActions, App):
    CSS_PATH = "app.tcss"
    TITLE = "TUI Lab"
    COMMANDS = App.COMMANDS | {LabCommands}
    # Descriptions in English, marked for the catalogue: each app gets them in its language
    # (``translate_bindings``), again whenever the learner switches.
    BINDINGS = [
        Binding("ctrl+p,f1", "command_palette", N_("Commands"), key_display="F1", priority=True, id="palette"),
        Binding("f2", "focus_explorer", N_("Explorer"), show=False, id="focus-explorer"),
        Binding("f3", "switch_editor_tab", N_("Step/Code"), show=False, id="editor-tab"),
        Binding("f4", "cycle_panel", N_("Panel tab"), show=False, id="panel-tab"),
        Binding("f5", "run", N_("Run"), id="run"),
        Binding("f6", "stop", N_("Stop"), id="stop"),
        Binding("f7", "previous_step", N_("Prev"), id="previous-step"),
        Binding("f8", "next_step", N_("Next"), id="next-step"),
        Binding("ctrl+b", "toggle_sidebar", N_("Sidebar"), id="toggle-sidebar"),
        Binding("ctrl+j", "toggle_panel", N_("Panel"), id="toggle-panel"),
        Binding("ctrl+q", "quit", N_("Quit"), priority=True, id="quit"),
        # A letter acts unless the keyboard is in a text field; its Ctrl or F-key twin, everywhere.
        Binding("r,ctrl+r", "reset_step", N_("Reset step"), show=False, id="reset-step"),
        Binding("n,ctrl+n", "new_seed", N_("Run with a new seed"), show=False, id="new-seed"),
        Binding("a", "apply_advice", N_("Apply the advice"), show=False, id="apply-advice"),
        Binding("d", "run_alternative", N_("Rerun the way offered"), show=False, id="run-alternative"),
        Binding("f9", "take_offer", N_("Apply what is offered"), show=False, id="take-offer"),
        Binding("ctrl+z", "default_settings", N_("Settings back to defaults"), show=False, id="default-settings"),
        Binding("e,ctrl+o", "export_csv", N_("Export plot data (CSV)"), show=False, id="export-csv"),
        Binding("S,ctrl+s", "save_svg", N_("Save screen (SVG)"), show=False, id="save-svg"),
        # Page keys scroll the step from anywhere (lists and tables keep their own).
        Binding("pagedown", "scroll_step(1)", N_("Scroll step down"), show=False, id="step-page-down"),
        Binding("pageup", "scroll_step(-1)", N_("Scroll step up"), show=False, id="step-page-up"),
    ]

    def __init__(self, catalog: Catalog, progress: ProgressStore, host: EngineHost, data_dir: str | None = None,
                 prewarm: bool = True, refresh: Refresh = TERMINAL, variant: int | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.catalog = catalog
        self.progress = progress
        self.host = host
        self.prewarm = prewarm
        self.refresh_rates = refresh
        self.current: tuple[str, int] | None = None
        self.config = load_config()
        self.learner = Learner(progress, self.config, variant)  # ``variant``: the --variant option
        self._values: dict[tuple[str, int], dict[str, Any]] = {}
        # The panel starts hidden: the first step decides whether it shows, and the first
        # paint is quicker without it.
        self.main = MainScreen(plot_fps=refresh.plot_fps, classes="-hide-panel")
        self.runs = RunController(host, progress, self.main, str(resolve_data_root(data_dir)[0]),
                                  progress_changed=self._progress_changed, variant=self.learner.variant)
        self.workbench_ready = False
        self.lesson_dirs: tuple[str, ...] = ()
        self.start_from: tuple[str, int] | None = None  # --start-from LESSON[:STEP]
        self.lang = "en"
        self._reported: set[str] = set()  # problems told in PROBLEMS already (each is told once)
        self._share_problem: str | None = None  # why the last share failed
        if over_ssh() or refresh == SERVED:
            self.animation_level = "none"  # every animated frame crosses the network

    @property
    def session(self) -> RunSession | None:
        """The run going, or the last one."""
        return self.runs.session

    # -- start-up and shut-down ----------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return self.main

    def on_mount(self) -> None:
        self.set_interval(1 / self.refresh_rates.drain_hz, self._drain_engine)
        self.call_after_refresh(self._open_first_step)
        if self.prewarm:
            self.call_after_refresh(self.host.prewarm)  # after the first paint
        # Once start-up's imports are done, take its objects out of the garbage collector's
        # walks (see heap.py). Not in tests: pytest runs hundreds of apps in one process.
        self.call_after_refresh(preload_plotting, None if self.is_headless else heap.settle)

    async def on_bottom_panel_ready(self) -> None:
        self.workbench_ready = True  # every part is mounted: events can be shown from now on
        self.report_start_problems()
        lesson = self.current_lesson()
        if lesson is not None:  # the first step opened before the panel was there
            await self.runs.show_step(lesson.step(self.current[1]))

    def report_start_problems(self) -> None:
        """What went wrong before the screen existed: broken lessons, settings, progress."""
        for problem in self.catalog.problems:
            where = f"{problem.path.parent.name}/{problem.path.name}" + (f":{problem.line}" if problem.line else "")
            self.panel.add_problem(where, problem.message)
        self._tell_saving_problems()
        for problem in self.config.problems:
            self.panel.add_problem("settings", problem)
        if self.catalog.problems:
            self.notify(_("{count} lesson(s) could not be loaded; see PROBLEMS (F4).").format(
                count=len(self.catalog.problems)), severity="warning")

    async def _open_first_step(self) -> None:
        last = self.start_from or self.progress.last_position()
        if last and self.catalog.get(last[0]) and 0 <= last[1] <= len(self.catalog.get(last[0]).steps):
            await self.open_step(*last)  # step 0: where the student left off in that lesson
        elif self.catalog.lessons:
            await self.open_step(self.catalog.lessons[0].id, 1)
        self.step_view.focus_first()  # like an editor: the keyboard starts in the step; F2 → explorer

    def _drain_engine(self) -> None:
        if self.is_running and self.workbench_ready:  # not while starting up or shutting down
            self.runs.drain()

    def on_unmount(self) -> None:
        self.learner.leave()
        self.learner.share(self.catalog)
        self.runs.close()

    # -- parts ---------------------------------------------------------------------------

    @property
    def panel(self) -> BottomPanel:
        return self.main.panel

    @property
    def step_view(self) -> StepView:
        return self.main.step_view

    @property
    def status(self) -> StatusBar:
        return self.main.status

    @property
    def explorer(self) -> Explorer:
        return self.main.explorer

    def current_lesson(self) -> Lesson | None:
        return self.catalog.get(self.current[0]) if self.current else None

    def values_for(self, lesson: Lesson) -> dict[str, Any]:
        """The lesson's engine values for the learner's variant, computed once (value tables
        are NumPy-cheap); the answer boxes judge against the same table."""
        key = (lesson.id, self.learner.variant)
        if key not in self._values:
            try:
                self._values[key] = lesson_values(lesson, self.learner.variant)
            except Exception as error:  # noqa: BLE001 - a broken table must not close the lab
                self._values[key] = {}
                self.panel.add_problem(lesson.id, f"its values could not be computed: {error}")
        return self._values[key]

    def _progress_changed(self, marks: bool = True) -> None:
        """Progress was written: it is shared with the class (with a ``share_dir`` setting), a
        problem writing or sharing it is said, and the explorer's marks follow (``marks=False``:
        only tries or hints changed, which the marks do not show)."""
        self._share_problem = self.learner.share(self.catalog)
        if self.workbench_ready:  # else the start's report says them, once PROBLEMS is there
            self._tell_saving_problems()
        if marks:
            self.explorer.refresh_marks(self.current)

    def _tell_saving_problems(self) -> None:
        """Why the progress could not be read, written or shared, each sentence once."""
        for where, problem in (("progress", self.progress.notice), ("progress", self.progress.error),
                               ("sharing", self._share_problem)):
            if problem and problem not in self._reported:
                self._reported.add(problem)
                self.panel.add_problem(where, problem)
                self.notify(problem, severity="warning")

    # -- opening steps -------------------------------------------------------------------

    @on(OpenStep)
    async def on_open_step(self, message: OpenStep) -> None:
        await self.open_step(message.lesson_id, message.index)
        self.step_view.focus_first()

    async def open_step(self, lesson_id: str, index: int = 0) -> None:
        lesson = self.catalog.get(lesson_id)
        if lesson is None:
            return
        if index == 0:  # where the student left off: the first step neither solved nor revealed
            index = next((s.index for s in lesson.steps
                          if self.progress.state(lesson.id, s.index) not in ANSWERED), 1)
        step = lesson.step(index)
        self.runs.leaving_for((lesson.id, index))
        saved = self.progress.step(lesson.id, index)
        await self.step_view.show_step(step, len(lesson.steps), self.values_for(lesson), saved,
                                       self.runs.session_of((lesson.id, index)), lesson.language)
        self.learner.enter(lesson.id, index)
        self.main.editor.active = "tab-step"
        self.main.fit_step(step.kind, self.runs.session_of((lesson.id, index)) is not None)
        self.show_panel_for(step.kind == "run")
        if step.kind == "read":
            self.progress.mark(lesson.id, index, "solved")
        elif saved.get("state") is None:
            self.progress.mark(lesson.id, index, "seen")
        self.progress.set_last(lesson.id, index)
        self.current = (lesson.id, index)  # set before the marks: "current" means fully shown
        self._progress_changed()
        self.explorer.select(lesson.id, index)
        if self.workbench_ready:  # else the panel, once mounted, shows this step's run state
            await self.runs.show_step(step)
        variant = self.learner.variant  # which set of numbers, where it is not the articles'
        where = _("step {index}/{total}").format(index=index, total=len(lesson.steps))
        if variant and lesson_has_variants(lesson):
            where = _("step {index}/{total} · set {variant}").format(index=index, total=len(lesson.steps),
                                                                     variant=variant)
        self.status.set_where(lesson.title, where)
        source = ("engine", step.engine) if step.kind in ("run", "draw") \
            else ("values", lesson.values) if lesson.values else (None, None)
        title = self.main.source_view.show_code(*source)
        self.main.editor.get_tab("tab-source").label = title.upper()

    async def open_lesson_from_palette(self, lesson_id: str) -> None:
        await self.open_step(lesson_id, 0)
        self.step_view.focus_first()

    @on(StepSolved)
    def on_step_solved(self, message: StepSolved) -> None:
        answer = {"answer": message.answer} if message.answer is not None else {}
        self.progress.mark(message.lesson_id, message.index, message.outcome, **answer)
        self._progress_changed()
        if self.current == (message.lesson_id, message.index):
            self.step_view.mark_answered(self.progress.state(message.lesson_id, message.index))

    @on(WrongTry)
    def on_wrong_try(self, message: WrongTry) -> None:
        self.progress.record_try(message.lesson_id, message.index, message.slip)
        self._progress_changed(marks=False)

    @on(HintOpened)
    def on_hint_opened(self, message: HintOpened) -> None:
        self.progress.record_hints(message.lesson_id, message.index, message.opened)
        self._progress_changed(marks=False)

    def get_system_commands(self, screen):
        """Textual's own palette entries, in the lab's language, without those the lab has itself."""
        yield from system_commands(self, screen)

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
                self.notify(_("This is the last step of the course.") if delta > 0
                            else _("This is the first step of the course."))
                return
            neighbour = self.catalog.lessons[position]
            await self.open_step(neighbour.id, 1 if delta > 0 else len(neighbour.steps))
        self.step_view.focus_first()

    # -- runs ----------------------------------------------------------------------------

    @on(RunRequested)
    async def on_run_requested(self, message: RunRequested) -> None:
        lesson = self.catalog.get(message.lesson_id)
        await self.runs.start(lesson, lesson.step(message.index), message.params, message.processes)

    @on(RunCommand)
    def on_run_command(self, message: RunCommand) -> None:
        self.runs.command(message.command)

    def action_stop(self) -> None:
        self.runs.stop()

    @on(StopRequested)
    def on_stop_requested(self) -> None:
        self.runs.stop()

    def action_help_quit(self) -> None:
        """Ctrl+C stops a run (as in a terminal); otherwise it says how to quit."""
        if self.runs.running:
            self.runs.stop()
        else:
            super().action_help_quit()

    def action_toggle_recording(self) -> None:
        self.runs.toggle_recording()

    async def replay(self, path, speed: float = 1.0) -> None:
        """Play a recorded run back into its step, with its timing (or faster)."""
        found = self.runs.replayable(path, self.catalog)
        if found is not None:
            recording, step = found
            await self.open_step(step.lesson_id, step.index)
            await self.runs.start_replay(path, recording, step, speed)

    # -- the step's help ---------------------------------------------------------------

    def action_hint(self) -> None:
        body = self.step_view.body
        if body is None or not body.step.hints or not body.show_next_hint():
            self.notify(_("No (more) hints for this step."))


def make_app(lesson_dirs: list[str] | tuple[str, ...] = (), device: str = "auto", data_dir: str | None = None,
             progress: ProgressStore | None = None, warm_torch: bool = True, prewarm: bool = True, lang: str = "en",
             threads: int | None = None, refresh: Refresh = TERMINAL, variant: int | None = None) -> LabApp:
    """Build the lab (the CLI and the tests both come through here); ``refresh``: how often
    it takes engine events in and redraws plots (``SERVED`` in a browser tab); ``variant``:
    the set of numbers to give (None: the settings', else the learner's own)."""
    lab_i18n.set_language(lang)  # before anything is built: every widget speaks it from the start
    cjk_wrap.install()  # Chinese lines break between characters, never before a comma
    catalog = load_catalog(lesson_dirs, lang=lang)
    host = EngineHost(device=device, warm_torch=warm_torch, threads=threads)
    app = LabApp(catalog, progress or ProgressStore(), host, data_dir=data_dir, prewarm=prewarm, refresh=refresh,
                 variant=variant)
    host.runs = app.config.runs  # the class settings the lab read: launcher, Slurm, admission (before any worker)
    app.lesson_dirs, app.lang = tuple(lesson_dirs), lang
    return app


def parse_start(catalog: Catalog, text: str) -> tuple[str, int]:
    """``LESSON`` or ``LESSON:STEP`` → (lesson id, step; 0: where the student left off)."""
    lesson_id, _colon, step = text.partition(":")
    lesson = catalog.get(lesson_id.strip())
    if lesson is None:
        raise ValueError(_("No lesson {lesson!r} to start from; lessons: {lessons}.").format(
            lesson=lesson_id, lessons=", ".join(catalog.ids())))
    if not step:
        return lesson.id, 0
    if not step.strip().isdigit() or not 1 <= int(step) <= len(lesson.steps):
        raise ValueError(_("{lesson!r} has steps 1–{last}; {step!r} is not one of them.").format(
            lesson=lesson.id, last=len(lesson.steps), step=step))
    return lesson.id, int(step)


def run_app(device: str = "auto", data_dir: str | None = None, lesson_dirs: list[str] = (), lang: str = "en",
            start_from: str | None = None, refresh: Refresh = TERMINAL, variant: int | None = None) -> int:
    app = make_app(lesson_dirs, device=device, data_dir=data_dir, lang=lang, refresh=refresh, variant=variant)
    if start_from:
        try:
            app.start_from = parse_start(app.catalog, start_from)
        except ValueError as error:
            print(f"tui-lab: {error}", file=sys.stderr)
            return 2
    app.run()
    return app.return_code or 0
