"""The engine event protocol.

Every engine yields these frozen dataclasses. They cross process boundaries as JSON
objects with a ``type`` field; engine-specific scalars (θ, gradient, accuracy, …) sit
beside the fixed fields, so a JSON line reads flat:
``{"type": "progress", "step": 3, "loss": 0.11, "theta": 2.13, ...}``.
That flat JSON is the stable contract of ``tui-lab run --json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    type: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _FLATTENED:
                out.update(value)
            else:
                out[f.name] = value
        return out


@dataclass(frozen=True)
class Queued(Event):
    """The run waits for its turn: on this machine (``position``: 1 = next) or in Slurm."""

    type: ClassVar[str] = "queued"
    position: int | None  # place in line on this machine; None under Slurm
    device: str  # "cuda:0", "cpu", or "slurm:<partition>"
    job_id: str | None = None  # Slurm's job id, when Slurm holds the run
    reason: str | None = None  # Slurm's reason for the wait (Resources, Priority, …)


@dataclass(frozen=True)
class Started(Event):
    type: ClassVar[str] = "started"
    device: str
    config: dict[str, Any]
    total_steps: int
    seed: int | None = None


@dataclass(frozen=True)
class Progress(Event):
    """One training or iteration step. ``values`` holds extra per-step scalars."""

    type: ClassVar[str] = "progress"
    step: int
    loss: float
    epoch: int = 0
    lr: float | None = None
    samples_per_s: float | None = None
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluated(Event):
    type: ClassVar[str] = "evaluated"
    epoch: int
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Artifact(Event):
    type: ClassVar[str] = "artifact"
    kind: str
    payload: Any = None


@dataclass(frozen=True)
class Finished(Event):
    type: ClassVar[str] = "finished"
    reason: str  # completed | stopped | diverged
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failed(Event):
    """A run that could not go on: ``message`` says what, ``hint`` how to fix it, and
    ``alternative`` (see ``alternative_run``) offers a run that works right now."""

    type: ClassVar[str] = "failed"
    message: str
    hint: str = ""
    alternative: dict[str, Any] | None = None
    # Why, for programs reading the events: "out_of_memory", "time_limit", "node_failure",
    # "cancelled"; empty when no reason is named.
    reason: str = ""


ALTERNATIVE_KEY = "d"  # the lab reruns a failed step with the alternative's params on this key


def alternative_run(label: str, params: dict[str, Any]) -> dict[str, Any]:
    """``Failed.alternative``: the same step rerun with ``params`` merged in; ``label``
    completes "press d to …", e.g. "train on Fashion-MNIST, which is on this computer"."""
    return {"key": ALTERNATIVE_KEY, "label": label, "params": dict(params)}


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls for cls in (Queued, Started, Progress, Evaluated, Artifact, Finished, Failed)
}
FINISH_REASONS = ("completed", "stopped", "diverged")
# Dict fields whose items are written at the top level of the JSON object.
_FLATTENED = {"values", "metrics"}


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from its flat JSON form (the inverse of ``to_dict``)."""
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    names = {f.name for f in fields(cls)}
    known = {k: v for k, v in data.items() if k in names}
    extra = {k: v for k, v in data.items() if k not in names and k != "type"}
    for key in ("loss",):
        if isinstance(known.get(key), str):
            known[key] = float(known[key])  # "nan"/"inf" written by _json_safe
    extra = {k: float(v) if isinstance(v, str) and v in ("nan", "inf", "-inf") else v for k, v in extra.items()}
    flat = names & _FLATTENED
    if flat:
        (bucket,) = flat
        known[bucket] = {**known.get(bucket, {}), **extra}
    return cls(**known)


def _json_safe(value: Any) -> Any:
    """NaN and infinities are not JSON; they travel as strings and say what they are."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def to_json(event: Event) -> str:
    return json.dumps(_json_safe(event.to_dict()), separators=(",", ":"))


def from_json(line: str) -> Event:
    return from_dict(json.loads(line))


@dataclass(frozen=True)
class ProgressBatch:
    """Consecutive Progress events in columns: how the worker sends them to the UI.

    A training loop can make thousands of steps a second; one line (and one wake-up of
    the UI's reader thread) per step would cost the UI more than the drawing does. The
    worker groups what arrives within a few milliseconds; ``tui-lab run --json`` still
    writes one event per line.
    """

    type: ClassVar[str] = "progress_batch"
    step: list[int]
    loss: list[float]
    epoch: list[int]
    lr: list[float | None]
    samples_per_s: list[float | None]
    values: dict[str, list[float | None]]
    # How many of these steps the engine reported after it had been asked to stop: a
    # cooperative engine finishes at most the step in hand, one that ignores the stop
    # keeps counting (the host terminates it).
    after_stop: int = 0

    @classmethod
    def of(cls, events: list[Progress], after_stop: int = 0) -> "ProgressBatch":
        names: dict[str, None] = {}
        for event in events:
            names.update(dict.fromkeys(event.values))
        return cls(
            step=[e.step for e in events],
            loss=[e.loss for e in events],
            epoch=[e.epoch for e in events],
            lr=[e.lr for e in events],
            samples_per_s=[e.samples_per_s for e in events],
            values={name: [e.values.get(name) for e in events] for name in names},
            after_stop=after_stop,
        )

    def __len__(self) -> int:
        return len(self.step)

    def events(self) -> list[Progress]:
        names = list(self.values)
        return [
            Progress(step=self.step[i], loss=self.loss[i], epoch=self.epoch[i], lr=self.lr[i],
                     samples_per_s=self.samples_per_s[i],
                     values={n: self.values[n][i] for n in names if self.values[n][i] is not None})
            for i in range(len(self.step))
        ]

    def to_json(self) -> str:
        data = {"type": self.type, "step": self.step, "loss": self.loss, "epoch": self.epoch, "lr": self.lr,
                "samples_per_s": self.samples_per_s, "values": self.values}
        if self.after_stop:
            data["after_stop"] = self.after_stop
        return json.dumps(_json_safe(data), separators=(",", ":"))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "ProgressBatch":
        def numbers(column: list) -> list:  # NaN/inf travel as strings (see _json_safe)
            return [float(v) if isinstance(v, str) else v for v in column]

        return cls(step=data["step"], loss=numbers(data["loss"]), epoch=data["epoch"], lr=data["lr"],
                   samples_per_s=data["samples_per_s"],
                   values={k: numbers(v) for k, v in data["values"].items()},
                   after_stop=int(data.get("after_stop", 0)))
