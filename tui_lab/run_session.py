"""What the UI knows about one run: its state, its rows, its speed and ETA.

Built from events alone (no Textual here), so the same object backs the step view,
the status bar and the plots however often the student switches steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from engines.events import Artifact, Evaluated, Event, Failed, Finished, Progress, ProgressBatch, Started

MAX_TABLE_ROWS = 500  # the table is for reading; the plots and CSV hold everything
TERMINAL_STATES = ("completed", "stopped", "diverged", "failed")


@dataclass
class RunSession:
    lesson_id: str
    index: int
    engine: str
    params: dict[str, Any]
    plots: tuple[str, ...] = ("loss",)
    table: tuple[str, ...] = ()
    state: str = "starting"  # starting | running | completed | stopped | diverged | failed
    device: str = ""
    total_steps: int = 0
    step: int = 0
    loss: float | None = None
    message: str = ""
    hint: str = ""
    summary: dict[str, Any] = field(default_factory=dict)  # the Finished event's figures
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    samples_per_s: float | None = None
    steps_per_s: float | None = None
    started_at: float = field(default_factory=time.monotonic)
    _rate_mark: tuple[float, int] | None = None

    @property
    def key(self) -> tuple[str, int]:
        return self.lesson_id, self.index

    @property
    def active(self) -> bool:
        return self.state not in TERMINAL_STATES

    def apply(self, event: Event | ProgressBatch) -> list[tuple[str, list[float], list[float]]]:
        """Update from one event or batch; returns (series, xs, ys) to add to the plots."""
        if isinstance(event, Started):
            self.state, self.device, self.total_steps = "running", event.device, event.total_steps
            self.started_at = time.monotonic()
            return []
        if isinstance(event, Progress):
            return self._progress(ProgressBatch.of([event]))
        if isinstance(event, ProgressBatch):
            return self._progress(event)
        if isinstance(event, Evaluated):
            self.evaluations.append({"epoch": event.epoch, **event.metrics})
            return [(k, [float(event.epoch)], [float(v)]) for k, v in event.metrics.items()
                    if k in self.plots and isinstance(v, (int, float))]
        if isinstance(event, Artifact):
            self.artifacts.append(event)
            return []
        if isinstance(event, Finished):
            self.state, self.summary = event.reason, dict(event.summary)
            self.message = event.summary.get("message") or {
                "completed": f"Run completed: {self.step} steps, final loss {self.loss:.6g}."
                if self.loss is not None else "Run completed.",
                "stopped": f"Stopped at step {self.step}; the results so far are kept.",
            }.get(event.reason, f"Run {event.reason}.")
            return []
        if isinstance(event, Failed):
            self.state, self.message, self.hint = "failed", event.message, event.hint
        return []

    def _progress(self, batch: ProgressBatch) -> list[tuple[str, list[float], list[float]]]:
        if not len(batch):
            return []
        self.step, self.loss = batch.step[-1], batch.loss[-1]
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
        xs = [float(s) for s in batch.step]
        points = []
        for name in self.plots:
            ys = batch.loss if name == "loss" else batch.values.get(name)
            if ys is not None:
                pairs = [(x, y) for x, y in zip(xs, ys) if isinstance(y, (int, float))]
                if pairs:
                    points.append((name, [p[0] for p in pairs], [float(p[1]) for p in pairs]))
        return points

    def eta_seconds(self) -> float | None:
        if not self.active or not self.steps_per_s or not self.total_steps:
            return None
        return max(0.0, (self.total_steps - self.step) / self.steps_per_s)

    def speed_text(self) -> str:
        parts = []
        if self.total_steps:
            parts.append(f"step {self.step}/{self.total_steps}")
        if self.samples_per_s:
            parts.append(f"{_si(self.samples_per_s)} samples/s")
        elif self.steps_per_s:
            parts.append(f"{_si(self.steps_per_s)} steps/s")
        eta = self.eta_seconds()
        if eta is not None:
            minutes, seconds = divmod(int(eta + 0.5), 60)
            parts.append(f"ETA {minutes}:{seconds:02d}")
        return " · ".join(parts)


def _si(value: float) -> str:
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"
