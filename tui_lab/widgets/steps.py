"""The step view and one widget per step kind: read, compute, run, find-error.

Widgets show and ask; the app owns state. A solved step posts ``StepSolved``, a run
button posts ``RunRequested`` with parameters already validated by the engine's spec.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from engines.core import registry
from engines.core.params import ParamError
from lessons import placeholders
from lessons.model import Step
from tui_lab import artifact_views
from tui_lab.advisor import Advice, advise
from tui_lab.answers import AnswerError, is_close, parse_answer
from tui_lab.messages import RunCommand, RunRequested, StepSolved, StopRequested
from tui_lab.run_session import RunSession


def fill(text: str, values: dict[str, Any]) -> str:
    """Placeholders filled; an unknown one is shown as such (and reported by check)."""
    try:
        return placeholders.fill(text, values)
    except placeholders.PlaceholderError as error:
        return f"{text}\n\n⚠ {error}"


class StepBody(Vertical):
    """Base for the kind widgets: the step, its values and its saved progress."""

    DEFAULT_CSS = """
    StepBody { height: auto; }
    StepBody .feedback { margin: 1 0 0 0; height: auto; }
    StepBody .feedback.-ok { color: $text-success; }
    StepBody .feedback.-bad { color: $text-error; }
    StepBody .hint { color: $text-warning; height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, step: Step, values: dict[str, Any], saved: dict[str, Any]) -> None:
        super().__init__(classes="step-body")
        self.step = step
        self.values = values
        self.saved = saved
        self.hints_shown = 0

    def say(self, text: str, ok: bool | None = None) -> None:
        feedback = self.query_one(".feedback", Static)
        feedback.update(text)
        feedback.set_class(ok is True, "-ok")
        feedback.set_class(ok is False, "-bad")
        if text:
            feedback.call_after_refresh(feedback.scroll_visible, animate=False)

    def show_next_hint(self) -> bool:
        """Reveal one more hint tier; False when there are none left."""
        if self.hints_shown >= len(self.step.hints):
            return False
        self.hints_shown += 1
        shown = self.step.hints[: self.hints_shown]
        self.query_one(".hint", Static).update(
            "\n".join(f"Hint {i + 1}/{len(self.step.hints)}: {fill(h, self.values)}" for i, h in enumerate(shown))
        )
        return True

    def solved(self, revealed: bool = False, answer: str | None = None) -> None:
        self.post_message(StepSolved(self.step.lesson_id, self.step.index, revealed, answer))

    @property
    def passed(self) -> bool:
        return self.saved.get("state") == "done"

    def reveal_refused(self) -> str | None:
        """Why the solution stays hidden (a sentence), or None when it may be shown.

        A solution unlocks once the step is passed or every hint has been read, unless
        the class's settings hide solutions altogether."""
        config = getattr(self.app, "config", None)
        if config is not None and config.hide_solutions:
            return "Your teacher has hidden the solutions for this class: the hints are what there is."
        left = len(self.step.hints) - self.hints_shown
        if not self.passed and left > 0:
            return f"The solution unlocks after the last hint ({left} more: press Hint)."
        return None

    @on(Button.Pressed, "#hint")
    def hint(self) -> None:
        if not self.show_next_hint():
            self.say("No more hints." + ("" if self.reveal_refused() else " Reveal shows the solution."), ok=None)

    @on(Button.Pressed, "#reveal")
    def reveal(self) -> None:
        refused = self.reveal_refused()
        if refused:
            self.say(refused, ok=None)
            return
        while self.show_next_hint():  # the solution: every hint tier, ending with the worked value
            pass
        self.show_solution()
        if not self.passed:
            self.saved = {**self.saved, "state": "done", "revealed": True}
            self.solved(revealed=True)

    def show_solution(self) -> None:
        """Kinds with a solution draw it here."""

    def focus_first(self) -> None:
        pass


class ComputeStep(StepBody):
    def compose(self) -> ComposeResult:
        with Horizontal(classes="answer-row"):
            yield Label(self.step.prompt or "Answer:", classes="prompt")
            yield Input(placeholder="type a number, Enter to check", id="answer")
            yield Button("Check", id="check", variant="primary")
        yield Static("", classes="feedback")
        yield Static("", classes="hint")
        with Horizontal(classes="buttons"):
            yield Button("Hint", id="hint")
            yield Button("Reveal", id="reveal")

    DEFAULT_CSS = """
    ComputeStep .answer-row, ComputeStep .buttons { height: auto; margin: 1 0 0 0; }
    ComputeStep .prompt { padding: 1 1 0 0; }
    ComputeStep #answer { width: 28; }
    """

    def on_mount(self) -> None:
        if self.saved.get("state") == "done":
            self.query_one(Input).value = str(self.saved.get("answer") or "")
            self.say(self._done_text(bool(self.saved.get("revealed"))), ok=True)

    def focus_first(self) -> None:
        self.query_one(Input).focus()

    @property
    def expected(self) -> float:
        return float(self.values[self.step.answer])

    def _done_text(self, revealed: bool) -> str:
        value = placeholders.format_value(self.expected)
        return f"The answer is {value} (revealed)." if revealed else f"✓ Correct: {value}."

    @on(Input.Submitted, "#answer")
    @on(Button.Pressed, "#check")
    def check(self) -> None:
        text = self.query_one(Input).value
        try:
            value = parse_answer(text)
        except AnswerError as error:
            self.say(str(error), ok=False)
            return
        if is_close(value, self.expected, self.step.tolerance):
            self.say(self._done_text(False), ok=True)
            if not self.passed:
                self.saved = {**self.saved, "state": "done", "answer": text.strip()}
                self.solved(answer=text.strip())
            return
        self.say(f"✗ {placeholders.format_value(value)} is not it. Try again.", ok=False)
        if self.hints_shown == 0:
            self.show_next_hint()  # a first hint comes by itself after a wrong try

    def show_solution(self) -> None:
        self.say(self._done_text(not self.passed or bool(self.saved.get("revealed"))), ok=True)


class FindErrorStep(StepBody):
    comparison: list[tuple[str, str, bool]] = []  # (as published, correct, differs) once solved
    DEFAULT_CSS = """
    FindErrorStep OptionList { height: auto; max-height: 14; margin: 1 0 0 0; }
    FindErrorStep #compare { height: auto; margin: 1 0 0 0; }
    FindErrorStep .buttons { height: auto; margin: 1 0 0 0; }
    """

    def compose(self) -> ComposeResult:
        options = [
            Option(f"{i}  {fill(line, self.values)}", id=str(i)) for i, line in enumerate(self.step.lines, 1)
        ]
        yield OptionList(*options, id="lines")
        yield Static("", classes="feedback")
        yield Static("", classes="hint")
        with Horizontal(classes="buttons"):
            yield Button("Hint", id="hint")
            yield Button("Reveal", id="reveal")
        yield Static("", id="compare")

    def on_mount(self) -> None:
        if self.passed:
            self.show_solution()

    def focus_first(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#lines")
    def choose(self, event: OptionList.OptionSelected) -> None:
        line = int(event.option.id)
        if line in self.step.wrong:
            self.show_solution()
            if not self.passed:
                self.saved = {**self.saved, "state": "done", "answer": str(line)}
                self.solved(answer=str(line))
            return
        earlier = [w for w in self.step.wrong if w < line]
        where = "an earlier line" if earlier else "a later line"
        self.say(f"✗ Line {line} is correct as written (given the lines above it). The first error is on {where}.", ok=False)
        if self.hints_shown == 0:
            self.show_next_hint()

    def show_solution(self) -> None:
        wrong = ", ".join(str(w) for w in self.step.wrong)
        self.say(f"✓ Right: line {wrong}.", ok=True)
        if not self.step.correct:
            return
        table = Table(box=None, expand=True, padding=(0, 1), show_edge=False)
        table.add_column("#", justify="right", style="dim")
        table.add_column("As published")
        table.add_column("Correct")
        self.comparison = []
        for i, (given, right) in enumerate(zip(self.step.lines, self.step.correct), 1):
            given, right = fill(given, self.values), fill(right, self.values)
            differs = given.replace(" ", "") != right.replace(" ", "")
            self.comparison.append((given, right, differs))
            table.add_row(
                str(i),
                Text(given, style="red" if differs else ""),
                Text(right, style="green" if differs else ""),
            )
        self.query_one("#compare", Static).update(table)


class RunStep(StepBody):
    BINDINGS = [Binding("a", "apply_advice", "apply the advice", show=False)]
    DEFAULT_CSS = """
    RunStep .param { height: auto; }
    RunStep .param Label { width: 12; padding: 1 1 0 0; }
    RunStep .param Input { width: 16; }
    RunStep .param .help { width: 1fr; padding: 1 0 0 1; color: $text-muted; }
    RunStep .buttons { height: auto; margin: 1 0 0 0; }
    RunStep DataTable { height: auto; max-height: 16; margin: 1 0 0 0; }
    RunStep .notes { height: auto; margin: 1 0 0 0; color: $text; }
    RunStep .controls { height: auto; }
    RunStep .advice-row { height: auto; }
    RunStep .advice { width: 1fr; color: $text-warning; padding: 1 1 0 0; }
    RunStep #apply-advice { display: none; }
    RunStep #apply-advice.-offered { display: block; }
    RunStep .artifact { height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, step: Step, values: dict[str, Any], saved: dict[str, Any], session: RunSession | None) -> None:
        super().__init__(step, values, saved)
        self.spec = registry.engine(step.engine)
        self.session = session if session is not None and session.key == (step.lesson_id, step.index) else None
        self._shown_state: str | None = None
        self._shown_notes = ""
        self._shown_versions: dict[str, int] = {}
        self.advice: Advice | None = None
        self._extra_params: dict[str, Any] = {}  # applied advice for parameters without a field

    @property
    def form_params(self):
        """The parameters the form shows; the others keep the step's (or engine's) values."""
        if self.step.fields is None:
            return self.spec.params
        return tuple(p for p in self.spec.params if p.name in self.step.fields)

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

    @on(Button.Pressed, "#pause")
    def pause_or_resume(self, event: Button.Pressed) -> None:
        paused = str(event.button.label) == "Resume"
        self.post_message(RunCommand({"cmd": "resume" if paused else "pause"}))
        event.button.label = "Pause" if paused else "Resume"
        self.say("Resumed." if paused else "Paused: Resume continues, Stop ends the run.", ok=None)

    @on(Button.Pressed, "#set-lr")
    def apply_lr(self) -> None:
        spec = next((p for p in self.spec.params if p.name == "lr"), None)
        try:
            lr = spec.parse(self.query_one("#param-lr", Input).value)
        except ParamError as error:
            self.say(str(error), ok=False)
            return
        self.post_message(RunCommand({"cmd": "set_lr", "lr": lr}))

    @on(Button.Pressed, "#one-more-epoch")
    def one_more_epoch(self) -> None:
        self.post_message(RunCommand({"cmd": "one_more_epoch"}))

    @on(Button.Pressed, "#slow")
    def toggle_slow_motion(self, event: Button.Pressed) -> None:
        slow = str(event.button.label) == "Slow motion"
        self.post_message(RunCommand({"cmd": "slow", "step_seconds": 0.5 if slow else 0.0}))
        event.button.label = "Full speed" if slow else "Slow motion"

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

    def _offer(self, advice: Advice | None) -> None:
        if advice == self.advice:
            return
        self.advice = advice
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
        self._offer(None)

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

    def attach(self, session: RunSession) -> None:
        """A new run of this step started: clear the table and follow it."""
        self.session = session
        self._shown_state = None
        self._shown_notes = ""
        self._shown_versions = {}
        for button in self.query("#pause, #slow"):
            button.label = "Pause" if button.id == "pause" else "Slow motion"
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
        notes = "\n".join(session.notes[-8:])
        if notes != self._shown_notes:
            self._shown_notes = notes
            self.query_one(".notes", Static).update(notes)
        if self.step.controls:
            self._offer(advise(session))
        for kind in self.step.artifacts:
            version = session.versions.get(kind, 0)
            if version != self._shown_versions.get(kind, 0):
                self._shown_versions[kind] = version
                self.query_one(f"#artifact-{kind}", Static).update(self._draw(kind, session))
        if session.state == self._shown_state:
            return  # progress figures live in the status bar; this line changes with the state
        self._shown_state = session.state
        if self.step.compare and session.state in ("completed", "diverged", "stopped") and not session.replay:
            self._add_run({"params": session.params, **session.summary,
                           "test_accuracy": (session.evaluations[-1].get("test_accuracy")
                                             if session.evaluations else session.summary.get("test_accuracy"))})
        for button in self.query("#next-iteration, #resume, .controls Button"):
            button.disabled = not session.active
        if self.step.manual:
            if session.active and self.query_one("#run", Button).has_focus:
                self.query_one("#next-iteration", Button).focus()
        if session.state in ("starting", "running"):
            seed = f" Seed {session.seed}: F5 repeats this start, n draws a new one." if session.seed is not None else ""
            self.say(
                "Press Enter for each next step (To the end runs the rest)." if self.step.manual
                else "Running… progress is in the status bar and the PLOTS panel. F6 stops." + seed,
                ok=None,
            )
        elif session.state == "completed":
            self.say(session.message, ok=True)
        else:
            text = session.message + (f"\n{session.hint}" if session.hint else "")
            self.say(text, ok=False if session.state in ("failed", "diverged") else None)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


class GraphStep(StepBody):
    """Walk a computational graph; the step is done when the walk reaches its end."""

    def compose(self) -> ComposeResult:
        from engines.byhand.graph import Graph
        from tui_lab.widgets.graph_view import GraphView

        done = self.saved.get("state") == "done"
        try:
            graph = Graph.from_dict(self.values[self.step.graph])
            yield GraphView(graph, self.step.show, position=-1 if done else 0)
        except (KeyError, TypeError, ValueError) as error:
            yield Static(f"This step's graph {self.step.graph!r} could not be drawn ({error}).", classes="hint")
        yield Static("", classes="feedback")

    def focus_first(self) -> None:
        from tui_lab.widgets.graph_view import GraphView

        views = self.query(GraphView)
        if views:
            views.first().focus()

    def on_graph_view_end_reached(self, message) -> None:
        if self.saved.get("state") != "done" and not self.has_class("-walked"):
            self.add_class("-walked")
            self.say("✓ You walked the whole pass. ← goes back through it; F8 is the next step.", ok=True)
            self.solved()


class DrawStep(StepBody):
    """Draw on a pad; an engine kept running for this step answers with class probabilities."""

    DEFAULT_CSS = """
    DrawStep .pad-row { height: auto; margin: 1 0 0 0; }
    DrawStep #probabilities { width: 1fr; padding: 0 0 0 2; }
    """
    SEND_HZ = 8  # predictions asked for at most this often while drawing

    def __init__(self, step: Step, values: dict[str, Any], saved: dict[str, Any], session: RunSession | None) -> None:
        super().__init__(step, values, saved)
        self.session = session if session is not None and session.key == (step.lesson_id, step.index) else None
        self._pixels: list[list[int]] | None = None
        self._shown_version = 0
        self._shown_state: str | None = None

    def compose(self) -> ComposeResult:
        from tui_lab.widgets.canvas import DrawingPad

        with Horizontal(classes="pad-row"):
            yield DrawingPad(id="pad")
            yield Static("Draw a digit: the model's guess appears here.", id="probabilities")
        yield Static("", classes="feedback")

    def on_mount(self) -> None:
        self.set_interval(1 / self.SEND_HZ, self._send_drawing)
        if self.session is None or not self.session.active:
            self.post_message(RunRequested(self.step.lesson_id, self.step.index, dict(self.step.params)))
        else:
            self.update_from(self.session)

    def focus_first(self) -> None:
        self.query_one("#pad").focus()

    def on_drawing_pad_changed(self, message) -> None:
        self._pixels = message.pixels

    def _send_drawing(self) -> None:
        if self._pixels is None or self.session is None or not self.session.active:
            return
        flat = [value for row in self._pixels for value in row]
        self._pixels = None
        self.post_message(RunCommand({"cmd": "predict", "pixels": flat}))

    def attach(self, session: RunSession) -> None:
        self.session = session
        self._shown_version = 0
        self._shown_state = None
        self.update_from(session)

    def update_from(self, session: RunSession) -> None:
        version = session.versions.get("probabilities", 0)
        if version != self._shown_version:
            self._shown_version = version
            labels = (session.latest.get("labels") or None)
            self.query_one("#probabilities", Static).update(
                artifact_views.probabilities(session.latest["probabilities"], labels)
            )
            if self.saved.get("state") != "done":
                self.saved = {**self.saved, "state": "done"}
                self.solved()
        if session.state != self._shown_state:
            self._shown_state = session.state
            if session.state == "failed":
                self.say(session.message + (f"\n{session.hint}" if session.hint else ""), ok=False)
            elif session.active:
                self.say("The model is ready: draw, and watch its guess change.", ok=None)
            elif session.notes:
                self.say(session.notes[-1], ok=None)


class StepView(VerticalScroll, can_focus=True):
    """The editor's step tab: heading, Markdown, the kind's widget, then the 'after' text."""

    DEFAULT_CSS = """
    StepView { padding: 0 2 1 2; }
    StepView > .heading { color: $text-muted; margin: 1 0 1 0; }
    StepView > .heading.-title { color: $text; text-style: bold; margin: 1 0 0 0; }
    StepView > Markdown { margin: 0; padding: 0; }
    StepView > .after { display: none; }
    StepView > .after.-shown { display: block; }
    StepView > .nav { color: $text-muted; margin: 1 0 0 0; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.step: Step | None = None
        self.body: StepBody | None = None
        self._heading = ""

    def compose(self) -> ComposeResult:
        yield Static("Open a lesson in the explorer (Enter), or press F1 for commands.", classes="heading")

    async def show(
        self, step: Step, total: int, values: dict[str, Any], saved: dict[str, Any], session: RunSession | None
    ) -> None:
        from textual.widgets import Markdown  # markdown-it costs ~30 ms: not before the first paint

        self.step = step
        await self.remove_children()
        done = saved.get("state") == "done"
        self._heading = f"Step {step.index}/{total} · {step.kind}"
        heading = self._heading + ("  ✓ done" if done else "")
        widgets: list = [
            Static(step.title, classes="heading -title"),
            Static(heading, classes="heading -sub"),
            Markdown(fill(step.body, values)),
        ]
        kind = {"compute": ComputeStep, "find-error": FindErrorStep, "graph": GraphStep}.get(step.kind)
        self.body = None
        if step.kind == "run":
            self.body = RunStep(step, values, saved, session)
        elif step.kind == "draw":
            self.body = DrawStep(step, values, saved, session)
        elif kind is not None:
            self.body = kind(step, values, saved)
        if self.body is not None:
            widgets.append(self.body)
        if step.after:
            after = Markdown(fill(step.after, values), classes="after")
            after.set_class(done or not step.solvable, "-shown")
            widgets.append(after)
        prev_next = "F7 ◀ previous step" + (" · next step ▶ F8" if step.index < total else " · last step")
        widgets.append(Static(prev_next, classes="nav"))
        await self.mount_all(widgets)
        self.scroll_home(animate=False)

    def mark_solved(self) -> None:
        for after in self.query(".after"):
            after.add_class("-shown")
        self.query_one(".heading.-sub", Static).update(self._heading + "  ✓ done")

    def focus_first(self) -> None:
        if self.body is not None:
            self.body.focus_first()
        else:
            self.focus()
