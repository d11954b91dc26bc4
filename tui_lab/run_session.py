"""What the UI knows about one run: its state, its rows, its speed and ETA.

Built from events alone (no Textual here), so the same object backs the step view,
the status bar and the plots however often the student switches steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from engines.events import Artifact, Evaluated, Event, Failed, Finished, Progress, Started

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

    def apply(self, event: Event) -> list[tuple[str, float, float]]:
        """Update from one event; returns the (series, x, y) points it adds to the plots."""
        if isinstance(event, Started):
            self.state, self.device, self.total_steps = "running", event.device, event.total_steps
            self.started_at = time.monotonic()
            return []
        if isinstance(event, Progress):
            return self._progress(event)
        if isinstance(event, Evaluated):
            self.evaluations.append({"epoch": event.epoch, **event.metrics})
            return [(f"test {k}", float(event.epoch), float(v)) for k, v in event.metrics.items()
                    if f"test {k}" in self.plots and isinstance(v, (int, float))]
        if isinstance(event, Artifact):
            self.artifacts.append(event)
            return []
        if isinstance(event, Finished):
            self.state = event.reason
            self.message = event.summary.get("message") or {
                "completed": f"Run completed: {self.step} steps, final loss {self.loss:.6g}."
                if self.loss is not None else "Run completed.",
                "stopped": f"Stopped at step {self.step}; the results so far are kept.",
            }.get(event.reason, f"Run {event.reason}.")
            return []
        if isinstance(event, Failed):
            self.state, self.message, self.hint = "failed", event.message, event.hint
        return []

    def _progress(self, event: Progress) -> list[tuple[str, float, float]]:
        self.step, self.loss = event.step, event.loss
        if event.samples_per_s:
            self.samples_per_s = event.samples_per_s
        now = time.monotonic()
        if self._rate_mark is None:
            self._rate_mark = (now, event.step)
        elif now - self._rate_mark[0] >= 0.5:  # a rate over half a second, not per event
            then, step = self._rate_mark
            self.steps_per_s = (event.step - step) / (now - then)
            self._rate_mark = (now, event.step)
        if self.table and len(self.rows) < MAX_TABLE_ROWS:
            fields = {"loss": event.loss, "lr": event.lr, "epoch": event.epoch, **event.values}
            self.rows.append((event.step, *(fields.get(c) for c in self.table)))
        points = []
        for name in self.plots:
            y = event.loss if name == "loss" else event.values.get(name)
            if isinstance(y, (int, float)):
                points.append((name, float(event.step), float(y)))
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
