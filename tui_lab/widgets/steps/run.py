"""A run step: the engine's parameters as a validated form, the run's buttons and live
controls, and what the run produces (its table, notes, advice, artifacts, past runs).

The form's values are checked by the engine's own parameter specs; the live learning
rate by the engine's live-control spec (``EngineSpec.control("lr")``), the one the
engine itself checks a ``set_lr`` command with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Button, DataTable, Input, Label, Static

from engines.core import registry
from engines.core.params import Param, ParamError
from tui_lab import artifact_views
from tui_lab.advisor import Advice, advise
from tui_lab.messages import RunCommand, RunRequested, StopRequested
from tui_lab.run_session import RunSession, RunState
from tui_lab.widgets.steps.base import SessionBody

if TYPE_CHECKING:
    from lessons.model import Step

SLOW_MOTION_S = 0.5  # seconds per step in slow motion


class RunBody(SessionBody):
    BINDINGS = [Binding("a", "apply_advice", "apply the advice", show=False)]
    DEFAULT_CSS = """
    RunBody .param { height: auto; }
    RunBody .param Label { width: 12; padding: 1 1 0 0; }
    RunBody .param Input { width: 16; }
    RunBody .param .help { width: 1fr; padding: 1 0 0 1; color: $text-muted; }
    RunBody .buttons { height: auto; margin: 1 0 0 0; }
    RunBody DataTable { height: auto; max-height: 16; margin: 1 0 0 0; }
    RunBody .notes { height: auto; margin: 1 0 0 0; color: $text; }
    RunBody .controls { height: auto; }
    RunBody .advice-row { height: auto; }
    RunBody .advice { width: 1fr; color: $text-warning; padding: 1 1 0 0; }
    RunBody #apply-advice { display: none; }
    RunBody #apply-advice.-offered { display: block; }
    RunBody .artifact { height: auto; margin: 1 0 0 0; }
    """

    # What the live controls asked of the run; the buttons' labels follow.
    paused: reactive[bool] = reactive(False, init=False)
    slow_motion: reactive[bool] = reactive(False, init=False)
    # Mirrors of the followed run, so each part of the screen changes only when its source does.
    run_state: reactive[RunState | None] = reactive(None, init=False)
    notes: reactive[str] = reactive("", init=False)
    advice: reactive[Advice | None] = reactive(None, init=False)

    def __init__(self, step: Step, values: dict[str, Any], saved: dict[str, Any],
                 session: RunSession | None) -> None:
        super().__init__(step, values, saved, session)
        self.spec = registry.engine(step.engine)
        self.lr_control: Param | None = self.spec.control("lr")  # what "Apply lr now" may send
        self._shown_versions: dict[str, int] = {}  # artifact kind → the version drawn
        self._extra_params: dict[str, Any] = {}  # applied advice for parameters without a field

    @property
    def form_params(self) -> tuple[Param, ...]:
        """The parameters the form shows; the others keep the step's (or engine's) values."""
        if self.step.fields is None:
            return self.spec.params
        return tuple(p for p in self.spec.params if p.name in self.step.fields)

    # -- the form and the buttons ------------------------------------------------------

    def compose(self) -> ComposeResult:
        for param in self.form_params:
            value = self.step.params.get(param.name, param.default)
            with Horizontal(classes="param"):
                yield Label(param.name)
                yield Input(str(value), id=f"param-{param.name}", tooltip=param.describe())
                yield Static(param.help, classes="help")
        if self.step.processes:
            with Horizontal(classes="param"):
                yield Label("processes")
                yield Input("1", id="processes", tooltip="a whole number, 1 or more")
                yield Static("train in N processes (DistributedDataParallel; one per GPU)", classes="help")
        with Horizontal(classes="buttons"):
            yield Button("Start ▶ F5" if self.step.manual else "Run ▶ F5", id="run", variant="success")
            if self.step.manual:  # one iteration per press of Enter on this button
                next_step = Button("Next step ⏎", id="next-iteration", variant="primary", disabled=True)
                next_step.active_effect_duration = 0  # count every press, however fast
                yield next_step
                yield Button("To the end", id="resume", disabled=True)
            yield Button("Stop ■ F6", id="stop", variant="error")
        if self.step.controls:  # live controls: the engine applies them at its next step
            with Horizontal(classes="buttons controls"):
                yield Button("Pause", id="pause", disabled=True)
                yield Button("Apply lr now", id="set-lr", disabled=True, tooltip="send the lr field to the run")
                yield Button("+1 epoch", id="one-more-epoch", disabled=True)
                yield Button("Slow motion", id="slow", disabled=True)
            with Horizontal(classes="advice-row"):
                yield Static("", classes="advice")
                yield Button("Apply (a)", id="apply-advice", disabled=True)
        yield Static("", classes="feedback")
        yield Static("", classes="notes")
        if self.step.table:
            yield DataTable(id="rows", zebra_stripes=True, cursor_type="row")
        if self.step.compare:  # one row per finished run: what was changed, what it gave
            yield Static("Runs so far (the parameters changed from this step's defaults):", classes="notes")
            yield DataTable(id="runs", zebra_stripes=True, cursor_type="row")
        for kind in self.step.artifacts:
            yield Static("", id=f"artifact-{kind}", classes="artifact")

    def on_mount(self) -> None:
        if self.step.table:
            self.query_one("#rows", DataTable).add_columns("k", *self.step.table)
        if self.step.compare:
            runs = self.query_one("#runs", DataTable)
            runs.add_columns("#", "changed", *self.step.compare)
            for result in self.saved.get("history", []):
                self._add_run(result)
        if self.session is not None:
            self.update_from(self.session)

    def focus_first(self) -> None:
        self.query_one("#run", Button).focus()

    def read_processes(self) -> int | None:
        """The processes field (1 without one); None, with a sentence, if it is not a whole number ≥ 1."""
        field = self.query("#processes")
        if not field:
            return 1
        text = field.first(Input).value.strip()
        if not text.isdigit() or int(text) < 1:
            self.say(f"processes must be a whole number, 1 or more, not {text!r}.", ok=False)
            return None
        return int(text)

    def read_params(self) -> dict[str, Any] | None:
        """The form's values over the step's, checked by the engine's rules; None (and a sentence) if bad."""
        params: dict[str, Any] = {p.name: p.parse(self.step.params[p.name]) for p in self.spec.params
                                  if p.name in self.step.params and p not in self.form_params}
        params.update(self._extra_params)
        for param in self.form_params:
            text = self.query_one(f"#param-{param.name}", Input).value
            try:
                params[param.name] = param.parse(text)
            except ParamError as error:
                self.say(str(error), ok=False)
                self.query_one(f"#param-{param.name}", Input).focus()
                return None
        return params

    @on(Button.Pressed, "#run")
    @on(Input.Submitted, ".param Input")
    def request_run(self) -> None:
        params = self.read_params()
        processes = self.read_processes() if params is not None else None
        if params is not None and processes is not None:
            self.post_message(RunRequested(self.step.lesson_id, self.step.index, params, processes))

    @on(Button.Pressed, "#stop")
    def request_stop(self) -> None:
        self.post_message(StopRequested())

    @on(Button.Pressed, "#next-iteration")
    def next_iteration(self) -> None:
        self.post_message(RunCommand({"cmd": "step"}))

    @on(Button.Pressed, "#resume")
    def run_to_the_end(self) -> None:
        self.post_message(RunCommand({"cmd": "resume"}))

    # -- live controls -------------------------------------------------------------------

    @on(Button.Pressed, "#pause")
    def pause_or_resume(self) -> None:
        self.paused = not self.paused
        self.post_message(RunCommand({"cmd": "pause" if self.paused else "resume"}))
        self.say("Paused: Resume continues, Stop ends the run." if self.paused else "Resumed.", ok=None)

    def watch_paused(self, paused: bool) -> None:
        self.query_one("#pause", Button).label = "Resume" if paused else "Pause"

    @on(Button.Pressed, "#set-lr")
    def apply_lr(self) -> None:
        try:
            lr = self.lr_control.parse(self.query_one("#param-lr", Input).value)
        except ParamError as error:
            self.say(str(error), ok=False)
            return
        self.post_message(RunCommand({"cmd": "set_lr", "lr": lr}))

    @on(Button.Pressed, "#one-more-epoch")
    def one_more_epoch(self) -> None:
        self.post_message(RunCommand({"cmd": "one_more_epoch"}))

    @on(Button.Pressed, "#slow")
    def toggle_slow_motion(self) -> None:
        self.slow_motion = not self.slow_motion
        self.post_message(RunCommand({"cmd": "slow", "step_seconds": SLOW_MOTION_S if self.slow_motion else 0.0}))

    def watch_slow_motion(self, slow: bool) -> None:
        self.query_one("#slow", Button).label = "Full speed" if slow else "Slow motion"

    def watch_advice(self, advice: Advice | None) -> None:
        text = "" if advice is None else f"Hint: {advice.text} — press a to {advice.action}."
        self.query_one(".advice", Static).update(text)
        button = self.query_one("#apply-advice", Button)
        button.disabled = advice is None
        button.set_class(advice is not None, "-offered")

    @on(Button.Pressed, "#apply-advice")
    def action_apply_advice(self) -> None:
        advice = self.advice
        if advice is None:
            return
        if advice.command and self.session is not None and self.session.active:
            self.post_message(RunCommand(advice.command))
            self.say(f"Applied to the running run: {advice.action}.", ok=None)
        else:
            for name, value in advice.params.items():
                field = self.query(f"#param-{name}")
                if field:
                    field.first(Input).value = str(value)
                else:
                    self._extra_params[name] = value
            self.say(f"Applied: {advice.action}. Press F5 to run again.", ok=None)
        self.advice = None

    # -- following the run ---------------------------------------------------------------

    def attach(self, session: RunSession) -> None:
        """A new run of this step started: clear the table and follow it."""
        self.session = session
        self.set_reactive(RunBody.run_state, None)
        self.set_reactive(RunBody.notes, "")
        self._shown_versions = {}
        if self.step.controls:
            self.paused = self.slow_motion = False
        if self.step.table:
            self.query_one("#rows", DataTable).clear()
        self.update_from(session)

    def update_from(self, session: RunSession) -> None:
        if self.step.table:
            table = self.query_one("#rows", DataTable)
            for row in session.rows[table.row_count:]:
                table.add_row(*(_cell(v) for v in row))
            if self.step.manual and session.rows:
                table.move_cursor(row=table.row_count - 1)  # the newest iteration in view
        self.notes = "\n".join(session.notes[-8:])
        if self.step.controls:
            self.advice = advise(session)
        for kind in self.step.artifacts:
            version = session.versions.get(kind, 0)
            if version != self._shown_versions.get(kind, 0):
                self._shown_versions[kind] = version
                self.query_one(f"#artifact-{kind}", Static).update(self._draw(kind, session))
        # progress figures live in the status bar; the feedback line changes with the state
        self.run_state = session.state

    def watch_notes(self, notes: str) -> None:
        self.query_one(".notes", Static).update(notes)

    def watch_run_state(self, state: RunState | None) -> None:
        session = self.session
        if self.step.compare and state in (RunState.COMPLETED, RunState.DIVERGED, RunState.STOPPED) \
                and not session.replay:
            self._add_run({"params": session.params, **session.summary,
                           "test_accuracy": (session.evaluations[-1].get("test_accuracy")
                                             if session.evaluations else session.summary.get("test_accuracy"))})
        for button in self.query("#next-iteration, #resume, .controls Button"):
            button.disabled = not session.active
        if self.step.manual and session.active and self.query_one("#run", Button).has_focus:
            self.query_one("#next-iteration", Button).focus()
        if state in (RunState.STARTING, RunState.RUNNING):
            seed = f" Seed {session.seed}: F5 repeats this start, n draws a new one." if session.seed is not None else ""
            self.say(
                "Press Enter for each next step (To the end runs the rest)." if self.step.manual
                else "Running… progress is in the status bar and the PLOTS panel. F6 stops." + seed,
                ok=None,
            )
        elif state == RunState.COMPLETED:
            self.say(session.message, ok=True)
        else:
            text = session.message + (f"\n{session.hint}" if session.hint else "")
            self.say(text, ok=False if state in (RunState.FAILED, RunState.DIVERGED) else None)

    def _add_run(self, result: dict[str, Any]) -> None:
        """A finished run's row: its number, the parameters it changed, its figures."""
        runs = self.query_one("#runs", DataTable)
        params = result.get("params", {})
        changed = [f"{p.name}={params[p.name]}" for p in self.spec.params
                   if p.name in params and params[p.name] != self.step.params.get(p.name, p.default)]
        figures = [result.get(name) for name in self.step.compare]
        runs.add_row(str(runs.row_count + 1), ", ".join(changed) or "(defaults)",
                     *(f"{v:.2%}" if name.endswith("accuracy") and isinstance(v, float) else _cell(v)
                       for name, v in zip(self.step.compare, figures)))

    def _draw(self, kind: str, session: RunSession):
        """The newest artifact of a kind, drawn by its view (class names from the dataset)."""
        view = artifact_views.VIEWS.get(kind)
        payload = session.latest[kind]
        if view is None:
            return Text(str(payload))
        if kind in ("worst_images", "probabilities"):
            labels = (session.latest.get("samples") or {}).get("labels")
            return view(payload, labels)
        return view(payload)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
