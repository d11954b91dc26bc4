"""What the UI knows about one run: its state, its rows, its speed and ETA.

Built from events alone (no Textual here), so the same object backs the step view,
the status bar and the plots however often the student switches steps.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lessons.model import PlotSpec
from tui_lab.artifact_notes import NOTES, placement_state, waiting_text
from engines.core.events import Artifact, Evaluated, Event, Failed, Finished, Progress, ProgressBatch, Queued, Started
from lab_i18n import N_, _

Points = tuple[str, str, list[float], list[float]]  # (plot title, series, xs, ys)
Marker = tuple[str, float, str]  # (plot title, x, label): a live change drawn on a plot
MAX_TABLE_ROWS = 500  # the table is for reading; the plots and CSV hold everything


class RunState(StrEnum):
    """Where a run is; the last four are how it ended (a ``Finished`` reason, or a failure)."""

    STARTING = "starting"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"


# The states as the status bar says them.
STATE_WORDS = {RunState.STARTING: N_("starting"), RunState.RUNNING: N_("running"),
               RunState.COMPLETED: N_("completed"), RunState.STOPPED: N_("stopped"),
               RunState.DIVERGED: N_("diverged"), RunState.FAILED: N_("failed")}

TERMINAL_STATES = frozenset({RunState.COMPLETED, RunState.STOPPED, RunState.DIVERGED, RunState.FAILED})


@dataclass
class RunSession:
    lesson_id: str
    index: int
    engine: str
    params: dict[str, Any]
    plots: tuple[PlotSpec, ...] = ()
    table: tuple[str, ...] = ()
    manual: bool = False  # advanced a step per key press: no rate or ETA to speak of
    interactive: bool = False  # serves a step (e.g. the drawing pad) and ends when it is left
    seed: int | None = None  # the random seed, shown with the run (None: the run uses none)
    replay: bool = False  # events read from a recording, not computed now
    state: RunState = RunState.STARTING
    device: str = ""
    total_steps: int = 0
    step: int = 0
    loss: float | None = None
    message: str = ""
    hint: str = ""
    alternative: dict[str, Any] | None = None  # a failed run's offer of one that works now (``Failed.alternative``)
    reason: str = ""  # a failed run's reason for programs (``Failed.reason``: "out_of_memory", …)
    queued: Queued | None = None  # its place in line while it waits for its turn (None once it starts)
    summary: dict[str, Any] = field(default_factory=dict)  # the Finished event's figures
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the engine's sentences about this run
    losses: deque = field(default_factory=lambda: deque(maxlen=2000))  # recent (step, loss)
    latest: dict[str, Any] = field(default_factory=dict)  # newest payload of each artifact kind
    versions: dict[str, int] = field(default_factory=dict)  # how often each kind arrived
    samples_per_s: float | None = None
    steps_per_s: float | None = None
    started_at: float = field(default_factory=time.monotonic)
    ended_at: float | None = None  # wall-clock time the run ended (``time.time()``)
    paused: bool = False  # the learner paused it (a manual run waits for keys and is not "paused")
    _checkpoint_notes: set[str] = field(default_factory=set)  # only the newest checkpoint is worth a line
    # Every point plotted and every marker, per plot, so the plots come back with the step.
    points: dict[str, dict[str, tuple[list[float], list[float]]]] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)
    _rate_mark: tuple[float, int] | None = None

    @property
    def key(self) -> tuple[str, int]:
        return self.lesson_id, self.index

    @property
    def active(self) -> bool:
        return self.state not in TERMINAL_STATES

    def set_paused(self, paused: bool) -> None:
        """The learner paused or resumed the run; the rate is measured afresh from here."""
        self.paused, self._rate_mark = paused, None

    def waiting_text(self) -> str:
        """"waiting for a GPU (cuda:0): 3rd in line" while the run waits for its turn, else ""."""
        return waiting_text(self.queued) if self.queued is not None and self.state == RunState.STARTING else ""

    def state_text(self) -> str:
        """The run's state for the status bar: ``paused``, ``running``, ``completed · seed 7``, a place
        in line, the node a run landed on, …"""
        if self.waiting_text():
            return self.waiting_text()
        if self.active and self.paused:
            return _("paused")
        placement = self.latest.get("placement")
        if self.state == RunState.RUNNING and isinstance(placement, dict):
            return placement_state(placement)
        state = _(STATE_WORDS[self.state])
        return state if self.seed is None else _("{state} · seed {seed}").format(state=state, seed=self.seed)

    def apply(self, event: Event | ProgressBatch) -> list[Points]:
        """Update from one event or batch; returns (plot, series, xs, ys) to add to the plots
        (kept in ``points`` too)."""
        points = self._apply(event)
        for plot, series, xs, ys in points:
            kept = self.points.setdefault(plot, {}).setdefault(series, ([], []))
            kept[0].extend(xs)
            kept[1].extend(ys)
        if not self.active and self.ended_at is None:
            self.ended_at = time.time()
        return points

    def _apply(self, event: Event | ProgressBatch) -> list[Points]:
        if isinstance(event, Queued):
            self.queued = event
            return []
        if isinstance(event, Started):
            self.queued = None
            self.state, self.device, self.total_steps = RunState.RUNNING, event.device, event.total_steps
            if event.seed is not None:
                self.seed = event.seed
            self.started_at = time.monotonic()
            return []
        if isinstance(event, Progress):
            return self._progress(ProgressBatch.of([event]))
        if isinstance(event, ProgressBatch):
            return self._progress(event)
        if isinstance(event, Evaluated):
            self.evaluations.append({"epoch": event.epoch, **event.metrics})
            return [
                (spec.title, name, [float(event.epoch)], [float(event.metrics[name])])
                for spec in self.plots for name in spec.series
                if isinstance(event.metrics.get(name), (int, float))
            ]
        if isinstance(event, Artifact):
            self.latest[event.kind] = event.payload
            self.versions[event.kind] = self.versions.get(event.kind, 0) + 1
            if event.kind == "command" and isinstance(event.payload, dict) and event.payload.get("total_steps"):
                self.total_steps = int(event.payload["total_steps"])  # e.g. one more epoch: a new ETA
            if event.kind == "command":
                self._mark_lr(event.payload)
            if event.kind == "note":
                self.notes.append(str(event.payload))
            elif event.kind in NOTES:
                if event.kind == "checkpoint":  # only the newest checkpoint is worth a line
                    self.notes = [n for n in self.notes if n not in self._checkpoint_notes]
                    self._checkpoint_notes.add(NOTES[event.kind](event.payload))
                self.notes.append(NOTES[event.kind](event.payload))
            return []
        if isinstance(event, Finished):
            self.state, self.summary = RunState(event.reason), dict(event.summary)
            self.message = event.summary.get("message") or self._ending(event.reason, event.summary.get("test_accuracy"))
            return []
        if isinstance(event, Failed):
            self.state, self.message, self.hint = RunState.FAILED, event.message, event.hint
            self.alternative, self.reason = event.alternative, event.reason
        return []

    def _mark_lr(self, answer: Any) -> None:
        """An applied learning-rate change is marked on the loss plot, where it took effect."""
        if not isinstance(answer, dict) or answer.get("cmd") != "set_lr" or not answer.get("applied"):
            return
        plot = next((spec.title for spec in self.plots if "loss" in spec.series), None)
        if plot is not None and isinstance(answer.get("step"), (int, float)):
            self.markers.append((plot, float(answer["step"]), f"lr {answer.get('lr'):g}"))

    def _progress(self, batch: ProgressBatch) -> list[Points]:
        if not len(batch):
            return []
        self.step, self.loss = batch.step[-1], batch.loss[-1]
        self.losses.extend(zip(batch.step, batch.loss))
        rates = [r for r in batch.samples_per_s if r]
        if rates:
            self.samples_per_s = rates[-1]
        now = time.monotonic()
        if self._rate_mark is None:
            self._rate_mark = (now, batch.step[0])
        elif now - self._rate_mark[0] >= 0.5:  # a rate over half a second, not per event
            then, step = self._rate_mark
            self.steps_per_s = (self.step - step) / (now - then)
            self._rate_mark = (now, self.step)
        room = MAX_TABLE_ROWS - len(self.rows)
        if self.table and room > 0:
            columns = {"loss": batch.loss, "lr": batch.lr, "epoch": batch.epoch, **batch.values}
            picked = [columns.get(c) or [None] * len(batch) for c in self.table]
            self.rows += list(zip(batch.step[:room], *(c[:room] for c in picked)))
        columns = {"loss": batch.loss, **batch.values}
        steps = [float(s) for s in batch.step]
        points: list[Points] = []
        for spec in self.plots:
            for name in spec.series:
                if name in columns:
                    points.append(_finite(spec.title, name, steps, columns[name]))
            for (x_name, y_name), label in zip(spec.xy, spec.keys[len(spec.series):]):  # a path, named as the plot names it
                if x_name in columns and y_name in columns:
                    points.append(_finite(spec.title, label, columns[x_name], columns[y_name]))
        return [p for p in points if p[2]]

    def eta_seconds(self) -> float | None:
        if self.manual or self.paused or not self.active or not self.steps_per_s or not self.total_steps:
            return None
        return max(0.0, (self.total_steps - self.step) / self.steps_per_s)

    def _ending(self, reason: str, accuracy: Any) -> str:
        """The sentence for a run that ended without one of its own."""
        if reason == "completed" and self.loss is not None:
            if isinstance(accuracy, (int, float)):
                return _("Run completed: {steps} steps, final loss {loss}, test accuracy {accuracy}.").format(
                    steps=self.step, loss=f"{self.loss:.6g}", accuracy=f"{accuracy:.2%}")
            return _("Run completed: {steps} steps, final loss {loss}.").format(steps=self.step, loss=f"{self.loss:.6g}")
        if reason == "completed":
            return _("Run completed.")
        if reason == "stopped":
            return _("Stopped at step {step}; the results so far are kept.").format(step=self.step)
        return _("Run {state}.").format(state=_(STATE_WORDS.get(reason, reason)))

    def speed_text(self) -> str:
        """``step 120/700 · 1.2k samples/s · ETA 0:12``: parts joined by " · " (the status bar
        drops the middle ones when short of room)."""
        parts = []
        if self.total_steps:
            parts.append(_("step {step}/{total}").format(step=self.step, total=self.total_steps))
        going = self.active and not self.paused  # rates describe a run that is going
        if going and self.samples_per_s:
            parts.append(_("{rate} samples/s").format(rate=_si(self.samples_per_s)))
        elif going and self.steps_per_s and not self.manual:
            parts.append(_("{rate} steps/s").format(rate=_si(self.steps_per_s)))
        eta = self.eta_seconds()
        if eta is not None:
            minutes, seconds = divmod(int(eta + 0.5), 60)
            parts.append(_("ETA {time}").format(time=f"{minutes}:{seconds:02d}"))
        return " · ".join(parts)


def _finite(plot: str, series: str, xs: list, ys: list) -> Points:
    """Only points where both coordinates are numbers (columns hold None where absent)."""
    pairs = [(float(x), float(y)) for x, y in zip(xs, ys) if isinstance(x, (int, float)) and isinstance(y, (int, float))]
    return plot, series, [p[0] for p in pairs], [p[1] for p in pairs]


def _si(value: float) -> str:
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"
