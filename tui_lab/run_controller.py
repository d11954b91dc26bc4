"""Engine runs under the UI: starting and stopping them, taking their events in, and
recording or replaying them.

The controller owns the engine host, the run going (its ``RunSession``), the last run of
each step, the recorder of a recorded run and the player of a replay. It is handed what it
works on (the host, the progress store, the screen that shows runs, and a callback for when
a step's progress changed) and knows nothing of the app that holds it.

Run state belongs to its step: the plots, the status bar's run state and the run's
problems show the step on screen (``show_step``), its run going or its last run (marked
"last run, 22:14"), never another step's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from engines.core import registry
from engines.core.device import DeviceInfo
from engines.core.events import Artifact, Event, Failed, Finished, ProgressBatch, Started
from lab_i18n import N_, _
from tui_lab.engine_host import EngineHost, WorkerReady
from tui_lab.progress import ProgressStore, lab_home
from tui_lab.run_session import RunSession, RunState
from tui_lab.widgets.panel import NO_RUN
from tui_lab.widgets.steps import SessionBody

if TYPE_CHECKING:
    from engines.core.recording import Player, Recorder, Recording
    from lessons.model import Catalog, Lesson, Step
    from tui_lab.workbench import MainScreen

MAX_OWN_RECORDINGS = 20  # offered in the palette, newest first
# How a run ended, as the lab says it ("This step last ran at 22:14 (stopped)").
REASONS = {"completed": N_("completed"), "stopped": N_("stopped"), "diverged": N_("diverged"),
           "failed": N_("failed"), "interrupted": N_("interrupted"), "ended": N_("ended")}
ENDED = {"completed": N_("Run completed"), "stopped": N_("Run stopped"), "diverged": N_("Run diverged")}


class RunController:
    def __init__(self, host: EngineHost, progress: ProgressStore, screen: MainScreen, data_dir: str,
                 progress_changed: Callable[[], None], variant: int = 0) -> None:
        self.host = host
        self.variant = variant  # the learner's set of numbers, for engines whose inputs vary
        self.progress = progress
        self.screen = screen
        self.data_dir = data_dir
        self.progress_changed = progress_changed  # a step's progress was written (marks, errors)
        self.session: RunSession | None = None  # the run going, or the last one
        self.last_runs: dict[tuple[str, int], RunSession] = {}  # each step's run going or last run
        self.shown: tuple[str, int] | None = None  # the step on screen
        self._shown_since = 0.0  # when it was opened (runs that ended before are "last runs")
        self._plotted: RunSession | None = None  # the run whose points the plots show
        self.device_info: DeviceInfo | None = None  # the device the engine process settled on
        self.devices: list[DeviceInfo] = []  # every device usable here, once known
        self.record_next = False  # the next run is written to a recording file
        self.recorder: Recorder | None = None  # of the run going, if it is recorded
        self.player: Player | None = None  # of a recording being replayed

    @property
    def running(self) -> bool:
        return self.session is not None and self.session.active

    # -- starting, commanding and stopping ---------------------------------------------

    async def start(self, lesson: Lesson, step: Step, params: dict[str, Any], processes: int = 1) -> None:
        """Start a run step's engine (or the engine a draw step keeps running) with checked parameters."""
        if self.running:
            self.screen.notify(_("A run is already going; F6 stops it."), severity="warning")
            return
        run = step.kind == "run"  # else a draw step: its engine serves the pad, with nothing to plot
        if "variant" not in params and any(p.name == "variant" for p in registry.engine(step.engine).params):
            params = {**params, "variant": self.variant}  # neither the step nor its form chose a set
        self.session = RunSession(
            lesson.id, step.index, step.engine, params, plots=step.plots if run else (),
            table=step.table if run else (), manual=run and step.manual, interactive=not run,
            seed=params.get("seed"),
        )
        self.last_runs[self.session.key] = self.session
        if run:
            await self._show_plots_for(step, self.session)
        self.screen.panel.log.write_line("── " + _("{lesson} · step {index}: {engine} {params}").format(
            lesson=lesson.title, index=step.index, engine=registry.ENGINES[step.engine], params=params))
        self.screen.status.set_state(_("starting…"), "running")
        self._follow(step)
        if self.record_next and run:
            self._start_recording(lesson, step, params)
        try:
            self.host.start(step.engine, params, self.data_dir, paused=self.session.manual, nproc=processes)
        except (OSError, RuntimeError) as error:
            self.apply_events([Failed(_("The engine could not be started: {error}").format(error=error), "")])

    def command(self, command: dict[str, Any]) -> None:
        """A live command for the run going (step, resume, pause, set_lr, …). The engine
        answers the ones that change the run (a note under the run); pausing and resuming
        the controller confirms itself, as it delivers them."""
        if not self.running or not self.host.send(command):
            self.screen.notify(_("Nothing is running; F5 starts the run."))
            return
        session = self.session
        if command.get("cmd") in ("pause", "resume") and not session.manual:
            session.set_paused(command["cmd"] == "pause")
            note = _("Paused at step {step}: Resume continues, F6 stops.") if session.paused \
                else _("Resumed at step {step}.")
            session.notes.append(note.format(step=session.step))
            self.screen.notify(session.notes[-1])
            self._show(session, [])

    def stop(self) -> None:
        if not self.running:
            self.screen.notify(_("Nothing is running."))
            return
        if self.player is not None:  # a replay: stop reading it out
            self.player = None
            self.apply_events([Finished("stopped", {"message": _("Replay stopped.")})])
            return
        self.host.stop()
        session = self.session
        text = _("stopping…") if session.key == self.shown else _("{lesson} step {index} stopping…").format(
            lesson=session.lesson_id, index=session.index)
        self.screen.status.set_state(text, "running")

    def leaving_for(self, key: tuple[str, int]) -> None:
        """The student opens step ``key``: an engine serving another step (a drawing pad) ends."""
        if self.running and self.session.interactive and self.session.key != key:
            self.host.stop()

    def close(self) -> None:
        """The lab is closing: keep what a run had reached, and end the engine processes."""
        session = self.session
        if session is not None and session.active and not session.interactive:
            # closed mid-run (quit, dropped SSH)
            self.progress.record_run(session.lesson_id, session.index,
                                     {**run_result(session), "reason": "interrupted"})
        self.host.close()  # the engine sees its input end, stops cleanly and writes its checkpoint

    # -- taking events in ----------------------------------------------------------------

    def drain(self) -> None:
        """Take in everything the engine (or the replay) sent since the last call."""
        items = self.host.drain()
        if self.player is not None:
            items += self.player.due()
            if self.player.done:
                self.player = None
        if items:
            self.apply_events(items)

    def apply_events(self, items: list[Event | ProgressBatch | WorkerReady | str]) -> None:
        """Events of the run going, worker notes and output lines into the session and on screen."""
        session = self.session
        panel = self.screen.panel
        plots = {p.title: p for p in panel.plot_area.plots()}
        ended: list[Event] = []
        for item in items:
            if isinstance(item, WorkerReady):
                self._worker_ready(item)
                continue
            if isinstance(item, str):
                panel.log.write_line(item)
                continue
            if isinstance(item, Artifact) and item.kind == "download":
                self.screen.show_plots()
                panel.download.show_progress(item.payload)
            elif isinstance(item, (Started, Finished, Failed)):
                panel.download.hide()
            if session is None:
                continue
            if self.recorder is not None:
                self.recorder.write(item)
                if isinstance(item, (Finished, Failed)):
                    self._finish_recording()
            marked = len(session.markers)
            points = session.apply(item)
            if session is self._plotted:
                for plot, series, xs, ys in points:
                    if plot in plots:
                        plots[plot].extend(series, xs, ys)
                for plot, x, label in session.markers[marked:]:
                    if plot in plots:
                        plots[plot].add_marker(x, label)
            if isinstance(item, Artifact) and item.kind == "command" and session.notes and not session.replay:
                self._confirm(item.payload, session)
            if isinstance(item, (Finished, Failed)):
                ended.append(item)
        if session is not None:
            self._show(session, ended)

    def _show(self, session: RunSession, ended: list[Event]) -> None:
        body = self.screen.step_view.body
        if isinstance(body, SessionBody) and body.session is session:
            body.update_from(session)
        self._show_status()
        for event in ended:
            self._run_ended(session, event)

    def _confirm(self, answer: Any, session: RunSession) -> None:
        """A live command's answer, as a notification (its note is under the run too)."""
        refused = isinstance(answer, dict) and not answer.get("applied", True)
        self.screen.notify(session.notes[-1], severity="warning" if refused else "information")

    def _run_ended(self, session: RunSession, event: Event) -> None:
        self.screen.panel.log.write_line(session.message + (f" {session.hint}" if session.hint else ""))
        here = session.key == self.shown
        if here:
            self._show_run_problems(session)
        where = "" if here else _("{lesson} step {index}: ").format(lesson=session.lesson_id, index=session.index)
        if isinstance(event, Failed):  # ``where``: it ran on while the student was away
            self.screen.notify(session.message, title=where + _("Run failed"), severity="error", timeout=8)
            return
        if session.state == RunState.DIVERGED:
            self.screen.notify(session.message, title=where + _(ENDED["diverged"]), severity="warning", timeout=8)
        elif where and not session.interactive:
            self.screen.notify(session.message, title=where + _(ENDED.get(session.state, "Run completed")), timeout=8)
        if session.replay:
            return  # watching a recording is not doing the step
        if not session.interactive:
            self.progress.record_run(session.lesson_id, session.index, run_result(session))
        if session.state in (RunState.COMPLETED, RunState.DIVERGED):
            self.progress.mark(session.lesson_id, session.index, "solved")
            self.progress_changed()

    def _follow(self, step: Step) -> None:
        """The step on screen follows the new session, if it is the step that runs."""
        body = self.screen.step_view.body
        if isinstance(body, SessionBody) and body.step is step:
            body.attach(self.session)

    # -- the step on screen --------------------------------------------------------------

    def session_of(self, key: tuple[str, int]) -> RunSession | None:
        """Step ``key``'s run going, or its last run in this lab session."""
        return self.last_runs.get(key)

    async def show_step(self, step: Step) -> None:
        """Step ``step`` is on screen now: the plots, the status bar's run state and the run's
        problems become its own (its run going, its last run, or none)."""
        self.shown, self._shown_since = (step.lesson_id, step.index), time.time()
        session = self.session_of(self.shown)
        area = self.screen.panel.plot_area
        if step.kind == "run" and session is not None and session.plots:
            if session is not self._plotted or not area.plots():
                await self._show_plots_for(step, session, switch_tab=False)
        else:
            self._plotted = None
            await area.show_hint(self._no_plots(step))
        self.screen.panel.label_plots(self._last_run_note(session))
        self._show_run_problems(session)
        self._show_status()

    def _no_plots(self, step: Step) -> str:
        """What the plot area says on a step without plots to show."""
        if step.kind != "run":
            elsewhere = self.session if self.running and not self.session.interactive else None
            return _(NO_RUN) if elsewhere is None else \
                _("The run of {lesson} step {index} is still going; its plots are on its step.").format(
                    lesson=elsewhere.lesson_id, index=elsewhere.index)
        saved = self.progress.step(step.lesson_id, step.index).get("last_run")
        if isinstance(saved, dict) and isinstance(saved.get("at"), (int, float)):
            reason = _(REASONS.get(saved.get("reason"), "ended"))
            return _("This step last ran at {time} ({reason}); its curves are kept while the lab is open. "
                     "F5 runs it again.").format(time=_clock(saved["at"]), reason=reason)
        return _("This step has not run yet: F5 runs it.")

    def _last_run_note(self, session: RunSession | None) -> str:
        """"last run, 22:14" for a run that ended before its step was opened (else nothing)."""
        if session is None or session.ended_at is None or session.ended_at >= self._shown_since:
            return ""
        return _("last run, {time}").format(time=_clock(session.ended_at))

    def _show_run_problems(self, session: RunSession | None) -> None:
        failed = session is not None and session.state == RunState.FAILED
        self.screen.panel.set_run_problems(
            [(_("{lesson} step {index}").format(lesson=session.lesson_id, index=session.index), session.message)]
            if failed else [])

    def _show_status(self) -> None:
        """The status bar's run state and speed: those of the step on screen."""
        status = self.screen.status
        session = self.session_of(self.shown) if self.shown else None
        if session is None and self.running and not self.session.interactive:
            going = self.session  # a run of another step: say it is there, busy
            status.set_state(_("{lesson} step {index} {state}").format(
                lesson=going.lesson_id, index=going.index, state=going.state_text()), "running")
            status.set_speed("")
            return
        if session is None:
            status.set_state(_("idle"))
            status.set_speed("")
            return
        failed = session.state in (RunState.FAILED, RunState.DIVERGED)
        note = self._last_run_note(session)
        kind = "waiting" if session.waiting_text() else "running" if session.active else "failed" if failed else ""
        status.set_state((f"{note} · " if note else "") + session.state_text(), kind)
        status.set_speed(session.speed_text())

    async def _show_plots_for(self, step: Step, session: RunSession, switch_tab: bool = True) -> None:
        """The step's plots, drawn from ``session``'s points so far (it may have run while away)."""
        plots = {p.title: p for p in await self.screen.panel.plot_area.set_plots(step.plots)}
        for title, series in session.points.items():
            for name, (xs, ys) in series.items():
                if title in plots:
                    plots[title].extend(name, xs, ys)
        for title, x, label in session.markers:
            if title in plots:
                plots[title].add_marker(x, label)
        self._plotted = session
        if switch_tab:
            self.screen.panel.label_plots()
            self.screen.show_plots()

    # -- devices -------------------------------------------------------------------------

    def _worker_ready(self, ready: WorkerReady) -> None:
        status = self.screen.status
        if ready.error:
            status.set_device(_("device: none"))
            self.screen.panel.add_problem("device", ready.error)
            self.screen.notify(ready.error, severity="error")
        elif ready.device is not None:
            self.device_info = ready.device
            self.devices = ready.devices or self.devices
            status.set_device(ready.device.label)

    def device_choices(self) -> list[tuple[str, str]]:
        """(name, label) of each device a run may be sent to; 'auto' first."""
        choices = [("auto", _("auto (best available)"))]
        for device in self.devices or ([self.device_info] if self.device_info else []):
            choices.append((device.name, device.label))
        if not any(name == "cpu" for name, _label in choices):
            choices.append(("cpu", "cpu"))
        return choices

    def choose_device(self, name: str) -> None:
        self.host.set_device(name)
        self.screen.status.set_device(f"{name} …")
        self.screen.notify(_("Runs will use {device} from the next run on.").format(device=name))

    # -- recording and replay ------------------------------------------------------------

    def toggle_recording(self) -> None:
        self.record_next = not self.record_next
        self.screen.notify(_("The next run will be recorded (lab folder → recordings).") if self.record_next
                           else _("The next run will not be recorded."))

    def _start_recording(self, lesson: Lesson, step: Step, params: dict[str, Any]) -> None:
        import time

        from engines.core.recording import Recorder, RecordingError
        from tui_lab import __version__

        folder = lab_home() / "recordings"
        path = folder / f"{lesson.id}-step{step.index}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.recorder = Recorder(path, engine=step.engine, params=params,
                                     device=self.device_info.label if self.device_info else self.host.device,
                                     lesson=lesson.id, step=step.index, lab_version=__version__)
        except (OSError, RecordingError) as error:
            self.screen.notify(_("This run is not recorded: {error}").format(error=error), severity="warning")
        self.record_next = False

    def _finish_recording(self) -> None:
        recorder, self.recorder = self.recorder, None
        recorder.close()
        if recorder.error:
            self.screen.notify(recorder.error, severity="warning")
        else:
            self.screen.notify(_("Recorded {count} events to {path} (replay: F1 → Replay).").format(
                count=recorder.events_written, path=recorder.path), timeout=8)

    def recordings(self) -> list[Path]:
        """Recordings to offer in the palette: the lab's own, then the user's."""
        from engines.core.recording import shipped_recordings

        mine = sorted((lab_home() / "recordings").glob("*.jsonl"), reverse=True)
        return shipped_recordings() + mine[:MAX_OWN_RECORDINGS]

    def replayable(self, path: Path, catalog: Catalog) -> tuple[Recording, Step] | None:
        """The recording at ``path`` and the step it was recorded from; None (and a sentence) if
        it cannot be replayed here."""
        from engines.core.recording import RecordingError, read_recording

        if self.running:
            self.screen.notify(_("A run is going; F6 stops it before a replay."), severity="warning")
            return None
        try:
            recording = read_recording(path)
        except RecordingError as error:
            self.screen.panel.add_problem("replay", str(error))
            self.screen.notify(str(error), severity="error")
            return None
        header = recording.header
        lesson = catalog.get(header.get("lesson") or "")
        index = header.get("step")
        if lesson is None or not isinstance(index, int) or not 1 <= index <= len(lesson.steps) \
                or lesson.step(index).kind != "run" or lesson.step(index).engine != header.get("engine"):
            self.screen.notify(_("{name} was recorded from a step this lab does not have; play it with "
                                 "`tui-lab replay {path}`.").format(name=path.name, path=path), severity="warning")
            return None
        return recording, lesson.step(index)

    async def start_replay(self, path: Path, recording: Recording, step: Step, speed: float = 1.0) -> None:
        """Play a recorded run back into its step (shown already), with its timing or faster."""
        from engines.core.recording import Player

        header = recording.header
        params = dict(header.get("params", {}))
        self.session = RunSession(step.lesson_id, step.index, step.engine, params, plots=step.plots,
                                  table=step.table, seed=params.get("seed"), replay=True)
        self.last_runs[self.session.key] = self.session
        await self._show_plots_for(step, self.session)
        self._follow(step)
        self.player = Player(recording, speed=speed)
        self.screen.status.set_device(_("replay of {device}").format(device=header.get("device", "?")))
        log = self.screen.panel.log
        log.write_line("── " + _("replay of {name}, recorded {at} on {device}, speed ×{speed}").format(
            name=path.name, at=header.get("recorded_at", "?"), device=header.get("device", "?"), speed=f"{speed:g}"))
        if recording.note:
            log.write_line(recording.note)


def _clock(seconds: float) -> str:
    """A wall-clock time of today as the learner reads it: 22:14."""
    return time.strftime("%H:%M", time.localtime(seconds))


def run_result(session: RunSession) -> dict[str, Any]:
    """What the progress file keeps of a run: how it ended, its parameters and figures."""
    result = {"reason": str(session.state), "steps": session.step, "params": session.params}
    if session.evaluations:
        result["test_accuracy"] = session.evaluations[-1].get("test_accuracy")
    checkpoint = session.latest.get("checkpoint")
    if isinstance(checkpoint, dict):
        result["checkpoint"] = checkpoint.get("path")
    figures = {k: v for k, v in session.summary.items() if isinstance(v, (int, float)) and k not in result}
    return {**figures, **{k: v for k, v in result.items() if v is not None}}
