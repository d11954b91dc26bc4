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
    type: ClassVar[str] = "failed"
    message: str
    hint: str = ""


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls for cls in (Started, Progress, Evaluated, Artifact, Finished, Failed)
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
