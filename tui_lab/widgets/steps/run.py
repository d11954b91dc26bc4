"""A run step: its settings form (``widgets/run_form.py``), the run's buttons and live
controls, and what the run produces (its table, notes, advice, artifacts, past runs).

The form's values are checked by the engine's own parameter specs; the live learning
rate by the engine's live-control spec (``EngineSpec.control("lr")``), the one the
engine itself checks a ``set_lr`` command with. Tab moves through the form, then the
buttons, and stays in the step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Button, DataTable, Input, Select, Static

from engines.core import registry
from engines.core.params import Param, ParamError
from lab_i18n import N_, _
from tui_lab import artifact_views
from tui_lab.advisor import Advice, advise
from tui_lab.messages import RunCommand, RunRequested, StopRequested
from tui_lab.run_session import RunSession, RunState
from tui_lab.widgets.button_row import ButtonRow
from tui_lab.widgets.run_form import RunForm
from tui_lab.widgets.steps.base import SessionBody

if TYPE_CHECKING:
    from lessons.model import Step

SLOW_MOTION_S = 0.5  # seconds per step in slow motion


class RunBody(SessionBody):
    BINDINGS = [  # Tab stays in the step: the form, then the buttons, then the form again
        Binding("tab", "cycle_focus(1)", N_("next setting"), show=False),
        Binding("shift+tab", "cycle_focus(-1)", N_("previous setting"), show=False),
    ]
    DEFAULT_CSS = """
    RunBody .buttons { margin: 1 0 0 0; }
    RunBody .controls { margin: 0; }
    RunBody DataTable { height: auto; max-height: 16; margin: 1 0 0 0; }
    RunBody .notes { height: auto; margin: 1 0 0 0; color: $text; }
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
        self.form: RunForm | None = None

    # -- the form and the buttons ------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.form = RunForm(self.app.run_settings(self.step))
        yield self.form
        with ButtonRow(classes="buttons"):
            yield Button(_("Start ▶ F5") if self.step.manual else _("Run ▶ F5"), id="run", variant="success")
            if self.step.manual:  # one iteration per press of Enter on this button
                next_step = Button(_("Next step ⏎"), id="next-iteration", variant="primary", disabled=True)
                next_step.active_effect_duration = 0  # count every press, however fast
                yield next_step
                yield Button(_("To the end"), id="resume", disabled=True)
            yield Button(_("Stop ■ F6"), id="stop", variant="error", disabled=True)
        if self.step.controls:  # live controls: the engine applies them at its next step
            with ButtonRow(classes="buttons controls"):
                yield Button(_("Pause"), id="pause", disabled=True)
                yield Button(_("Apply lr now"), id="set-lr", disabled=True, tooltip=_("send the lr field to the run"))
                yield Button(_("+1 epoch"), id="one-more-epoch", disabled=True)
                yield Button(_("Slow motion"), id="slow", disabled=True)
            with Horizontal(classes="advice-row"):
                yield Static("", classes="advice")
                yield Button(_("Apply (a)"), id="apply-advice", disabled=True)
        yield Static("", classes="feedback")
        yield Static("", classes="notes")
        if self.step.table:
            yield DataTable(id="rows", zebra_stripes=True, cursor_type="row")
        if self.step.compare:  # one row per finished run: what was changed, what it gave
            yield Static(_("Runs so far (the parameters changed from this step's defaults):"), classes="notes")
            yield DataTable(id="runs", zebra_stripes=True, cursor_type="row")
        for kind in self.step.artifacts:
            yield Static("", id=f"artifact-{kind}", classes="artifact")

    def on_mount(self) -> None:
        if self.step.table:
            self.query_one("#rows", DataTable).add_columns("k", *self.step.table)
        if self.step.compare:
            runs = self.query_one("#runs", DataTable)
            runs.add_columns("#", _("changed"), *self.step.compare)
            for result in self.saved.get("history", []):
                self._add_run(result)
        if self.session is not None:
            self.update_from(self.session)

    def focus_first(self) -> None:
        self.query_one("#run", Button).focus()

    def action_cycle_focus(self, direction: int) -> None:
        """Tab and Shift+Tab: the next or previous setting or button of this step, round and round."""
        chain = [w for w in self.screen.focus_chain if self in w.ancestors and not isinstance(w, DataTable)
                 and not isinstance(w.parent, Select)]  # a list's open menu belongs to its list
        focused = self.screen.focused
        at = next((i for i, w in enumerate(chain) if focused is w or (focused and w in focused.ancestors)), -1)
        if chain:
            chain[(at + direction) % len(chain)].focus()

    @on(Button.Pressed, "#run")
    @on(Input.Submitted, "RunForm Input")
    def request_run(self) -> bool:
        """Start the run with the form's values; a value its rule refuses gets its sentence and the
        keyboard instead. The keyboard leaves the form, so that the next key is not typed into it."""
        problem = self.form.first_problem()
        if problem is not None:
            control, sentence = problem
            self.say(sentence, ok=False)
            control.focus()
            return False
        params, processes = self.form.settings.run_params({**self._extra_params, **self.form.values()})
        if self.form.has_focus_within:
            self.query_one("#run", Button).focus()
        self.post_message(RunRequested(self.step.lesson_id, self.step.index, params, processes))
        return True

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
        self.say(_("Paused: Resume continues, Stop ends the run.") if self.paused else _("Resumed."), ok=None)

    def watch_paused(self, paused: bool) -> None:
        self.query_one("#pause", Button).label = _("Resume") if paused else _("Pause")

    @on(Button.Pressed, "#set-lr")
    def apply_lr(self) -> None:
        try:
            lr = self.lr_control.parse(self.form.control("lr").value)
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
        pace = self.session.params.get("step_seconds", 0.0) if self.session is not None else 0.0  # the run's own
        self.post_message(RunCommand({"cmd": "slow", "step_seconds": SLOW_MOTION_S if self.slow_motion else pace}))

    def watch_slow_motion(self, slow: bool) -> None:
        self.query_one("#slow", Button).label = _("Normal speed") if slow else _("Slow motion")

    def watch_advice(self, advice: Advice | None) -> None:
        text = "" if advice is None else _("Hint: {advice} — press a (or F9) to {action}.").format(
            advice=advice.text, action=advice.action)
        self.query_one(".advice", Static).update(text)
        button = self.query_one("#apply-advice", Button)
        button.disabled = advice is None
        button.set_class(advice is not None, "-offered")

    @on(Button.Pressed, "#apply-advice")
    def apply_advice(self) -> bool:
        """The advice shown under the run, applied (False: none is shown)."""
        advice = self.advice
        if advice is None:
            return False
        if advice.command and self.session is not None and self.session.active:
            self.post_message(RunCommand(advice.command))
            self.say(_("Applied to the running run: {action}.").format(action=advice.action), ok=None)
        else:
            self._set(advice.params)
            self.say(_("Applied: {action}. Press F5 to run again.").format(action=advice.action), ok=None)
        self.advice = None
        return True

    @property
    def alternative(self) -> dict[str, Any] | None:
        """The run that works now, offered by this step's failed run (``Failed.alternative``)."""
        session = self.session
        return session.alternative if session is not None and session.state == RunState.FAILED else None

    def run_alternative(self) -> bool:
        """Rerun with the failed run's alternative (its values kept as edits); False: none is offered."""
        alternative = self.alternative
        if alternative is None:
            return False
        self._set(alternative["params"])
        return self.request_run()

    def new_seed(self) -> str | None:
        """Run again from a new random start; or why not (a sentence)."""
        if "seed" not in self.form.params:
            return _("This run has no seed: it is the same every time.")
        if self.session is not None and self.session.active:
            return _("A run is going: F6 stops it, then n starts one from a new seed.")
        import random

        self.form.set_value("seed", random.randrange(2**31 - 1))
        self.request_run()
        return None

    def _set(self, params: dict[str, Any]) -> None:
        """Settings into their rows (kept as edits); a parameter without a row, for the next runs here."""
        for name, value in params.items():
            if name in self.form.params:
                self.form.set_value(name, value)
            else:
                self._extra_params[name] = value

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
        waiting = session.waiting_text()
        if waiting:  # its place in line, as it changes; the run starts by itself when its turn comes
            self.say(_("{waiting}. The run starts by itself when its turn comes; F6 cancels the wait.").format(
                waiting=waiting[:1].upper() + waiting[1:]), ok=None)

    def watch_notes(self, notes: str) -> None:
        self.query_one(".notes", Static).update(notes)

    def watch_run_state(self, state: RunState | None) -> None:
        session = self.session
        if self.step.compare and state in (RunState.COMPLETED, RunState.DIVERGED, RunState.STOPPED) \
                and not session.replay:
            self._add_run({"params": session.params, **session.summary,
                           "test_accuracy": (session.evaluations[-1].get("test_accuracy")
                                             if session.evaluations else session.summary.get("test_accuracy"))})
        for button in self.query("#stop, #next-iteration, #resume, .controls Button"):
            button.disabled = not session.active
        if self.step.manual and session.active and self.query_one("#run", Button).has_focus:
            self.query_one("#next-iteration", Button).focus()
        if state in (RunState.STARTING, RunState.RUNNING):
            if self.step.manual:
                self.say(_("Press Enter for each next step (To the end runs the rest)."), ok=None)
            elif session.seed is None:
                self.say(_("Running… progress is in the status bar and the PLOTS panel. F6 stops."), ok=None)
            else:
                self.say(_("Running… progress is in the status bar and the PLOTS panel. F6 stops. "
                           "Seed {seed}: F5 repeats this start, n (Ctrl+N) draws a new one.").format(seed=session.seed),
                         ok=None)
        elif state == RunState.COMPLETED:
            self.say(session.message, ok=True)
        else:
            text = session.message + (f"\n{session.hint}" if session.hint else "")
            if self.alternative is not None:
                text += "\n" + _("Press {key} (or F9) to {action}.").format(key=self.alternative["key"],
                                                                             action=self.alternative["label"])
            self.say(text, ok=False if state in (RunState.FAILED, RunState.DIVERGED) else None)

    def _add_run(self, result: dict[str, Any]) -> None:
        """A finished run's row: its number, the parameters it changed, its figures."""
        runs = self.query_one("#runs", DataTable)
        params = result.get("params", {})
        changed = [f"{p.name}={params[p.name]}" for p in self.spec.params
                   if p.name in params and params[p.name] != self.step.params.get(p.name, p.default)]
        figures = [result.get(name) for name in self.step.compare]
        runs.add_row(str(runs.row_count + 1), ", ".join(changed) or _("(defaults)"),
                     *(f"{v:.2%}" if name.endswith(PERCENT_FIGURES) and isinstance(v, float) else _cell(v)
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


PERCENT_FIGURES = ("accuracy", "gap")  # compare-table figures that are shares: shown as percentages


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
