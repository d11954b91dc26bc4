"""What a recording is, in the learner's words, for the palette's replay entries.

A recording's file name and its engine's internal name say little; its step's title,
the settings it ran with (those a student would notice: the run's length, the learning
rate, and what differs from the step's own settings) and how it ended say what it is.
Only the header and the last lines are read, once per file version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from engines.core import registry
from lab_i18n import N_, _
from lessons.model import Catalog, RunStep

TAIL_BYTES = 16_384  # the last progress line and the finished line fit in this
LENGTH_KEYS = ("steps", "epochs")
ALWAYS = ("lr",)
MAX_SETTINGS = 4
# How a setting reads; a parameter not here reads "name value".
PHRASES = {
    "steps": N_("{value} steps"),
    "epochs": N_("{value} epochs"),
    "lr": N_("lr {value}"),
    "theta0": N_("θ₀ = {value}"),
    "subset": N_("{value} training images"),
    "batch_size": N_("batches of {value}"),
    "seed": N_("seed {value}"),
    "model": N_("model {value}"),
    "optimizer": N_("optimizer {value}"),
}
OUTCOMES = {
    "completed": N_("completed"),
    "stopped": N_("stopped at step {step}"),
    "diverged": N_("diverged at step {step}"),
    "failed": N_("failed at step {step}"),
}


@dataclass(frozen=True)
class Facts:
    """What the file says: its header, the last step it reached and how it ended."""

    header: dict[str, Any]
    last_step: int | None
    reason: str | None


@dataclass(frozen=True)
class Label:
    what: str  # "Iterate — lr 0.1, 30 steps"
    about: str  # "Gradient descent by hand, step 5 · completed · gradient-descent-lr0.1"
    playable: bool


def read_facts(path: Path) -> Facts | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read_facts(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _read_facts(path: str, _mtime: int, size: int) -> Facts | None:
    try:
        with open(path, "rb") as file:
            header = json.loads(file.readline())
            file.seek(max(0, size - TAIL_BYTES))
            tail = file.read().decode("utf-8", "replace").splitlines()
    except (OSError, ValueError):
        return None
    if not isinstance(header, dict):
        return None
    last_step, reason = None, None
    for line in reversed(tail):
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut by the seek, or by a run that was killed
        if not isinstance(event, dict):
            continue
        if reason is None and event.get("type") in ("finished", "failed"):
            reason = event.get("reason", "failed")
        if event.get("type") == "progress" and isinstance(event.get("step"), int):
            last_step = event["step"]
            break
    return Facts(header, last_step, reason)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return _("on") if value else _("off")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def settings_in_words(step: RunStep, params: dict[str, Any]) -> str:
    """The settings a learner would notice: run length, learning rate, and what differs
    from the step's own settings (among those its form shows)."""
    try:
        defaults = {p.name: p.default for p in registry.engine(step.engine).params}
    except Exception:  # noqa: BLE001 - an engine that cannot load still has a recording to name
        defaults = {}
    baseline = {**defaults, **step.params}
    shown = step.fields if step.fields is not None else tuple(params)
    names = [n for n in (*LENGTH_KEYS, *ALWAYS) if n in params]
    names += [n for n in shown if n in params and n not in names and params[n] != baseline.get(n)]
    names = [n for n in names if params[n] is not None][:MAX_SETTINGS]
    length = [n for n in names if n in LENGTH_KEYS]
    ordered = [n for n in names if n not in LENGTH_KEYS] + length  # "lr 0.1, 30 steps"
    return _(", ").join(_(PHRASES[n]).format(value=_value(params[n])) if n in PHRASES
                        else _("{name} {value}").format(name=n, value=_value(params[n])) for n in ordered)


def label(path: Path, catalog: Catalog) -> Label:
    """The palette's words for the recording at ``path``."""
    facts = read_facts(path)
    if facts is None:
        return Label(path.stem, _("{name} cannot be read").format(name=path.stem), False)
    header = facts.header
    lesson = catalog.get(str(header.get("lesson") or ""))
    index = header.get("step")
    step = lesson.step(index) if lesson is not None and isinstance(index, int) \
        and 1 <= index <= len(lesson.steps) else None
    if not isinstance(step, RunStep) or step.engine != header.get("engine"):
        return Label(path.stem, _("{name}: recorded from a step this lab does not have").format(name=path.stem),
                     False)
    params = header.get("params") if isinstance(header.get("params"), dict) else {}
    settings = settings_in_words(step, params)
    what = _("{step} — {settings}").format(step=step.title, settings=settings) if settings else step.title
    if facts.reason != "completed" and facts.last_step is None:
        outcome = _("no step recorded")
    else:  # a recording cut short (a killed run) ends where its last step is
        outcome = _(OUTCOMES.get(facts.reason or "", OUTCOMES["stopped"])).format(step=facts.last_step)
    about = _("{lesson}, step {number} · {outcome} · {name}").format(
        lesson=lesson.title, number=index, outcome=outcome, name=path.stem)
    return Label(what, about, True)
