"""A run step's settings: the parameters its form shows, what each starts at, and which of
them the learner changed.

A setting's default is the step's value over the engine's, for the learner's set of numbers
(a by-hand engine fills its α, θ₀, … for that variant; the variant itself is not a setting).
The learner's edits of a step are kept with their progress and start the form the next time.
A lesson's ``lab_wide`` parameters (the MNIST lesson's dataset) are one choice for all its
steps; until the learner makes it, what is on this computer decides, and the form says why.
No Textual here: the form (``widgets/run_form.py``) shows what this decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engines.core import registry
from engines.core.params import Param, ParamError, current_names
from lab_i18n import N_, _

if TYPE_CHECKING:
    from lessons.model import Lesson, RunStep
    from tui_lab.progress import ProgressStore

# Not an engine parameter: how many processes a distributed (DDP) step trains in.
PROCESSES = Param("processes", int, 1, N_("train in N processes (DistributedDataParallel; one per GPU)"), minimum=1)


@dataclass(frozen=True)
class RunSettings:
    lesson_id: str
    index: int
    rows: tuple[Param, ...]  # what the form shows, in order
    defaults: dict[str, Any]  # each row's default (a lab-wide row's: what is on this computer)
    start: dict[str, Any]  # each row's value as the step opens: the learner's edits over the defaults
    hidden: dict[str, Any]  # what the run also gets: the step's other params, the lesson's lab-wide choices
    lab_wide: frozenset[str]  # rows that are one choice for the whole lesson
    why: dict[str, str]  # why a lab-wide row's default is what it is (what is on this computer)

    def changed(self, name: str, value: Any) -> bool:
        return value != self.defaults[name]

    def note(self, values: dict[str, Any]) -> str:
        """Which value each lab-wide row has, and why: the learner's choice, or this computer's."""
        return " ".join(
            _("{name} = {value}: your choice for every step of this lesson (the default here: {default}).").format(
                name=name, value=values[name], default=self.defaults[name])
            if self.changed(name, values[name]) else self.why.get(name, "")
            for name in sorted(self.lab_wide)).strip()

    def edits(self, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """What to remember of the form's ``values``: the step's edited settings (those that
        differ from its defaults), and the lesson's lab-wide choices (None: back to the default)."""
        step = {name: value for name, value in values.items()
                if name not in self.lab_wide and self.changed(name, value)}
        lesson = {name: value if self.changed(name, value) else None
                  for name, value in values.items() if name in self.lab_wide}
        return step, lesson

    def run_params(self, values: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The engine's parameters and the number of processes, from the form's checked ``values``."""
        params = {**self.hidden, **values}
        return params, params.pop(PROCESSES.name, 1)


def run_settings(step: RunStep, lesson: Lesson, store: ProgressStore, variant: int,
                 data_root: str) -> RunSettings:
    """The settings of ``step`` for this learner (their ``variant`` and remembered edits) here."""
    spec = registry.engine(step.engine)
    names = {p.name for p in spec.params}
    rows = [p for p in spec.params if p.name != "variant" and (step.fields is None or p.name in step.fields)]
    if step.processes:
        rows.append(PROCESSES)
    defaults = {**_step_defaults(spec, step, variant), PROCESSES.name: PROCESSES.default}
    chosen = _checked([p for p in spec.params if p.name in lesson.lab_wide], store.lesson_params(lesson.id))
    hidden = {name: defaults[name] for name in _current(spec, step.params) if name in names}
    why = {}
    for name in (n for n in lesson.lab_wide if n in names):
        here = _found_here(step.engine, name, data_root)
        if here is not None:
            defaults[name], why[name] = here
        hidden[name] = chosen.get(name, defaults[name])
    shown = {p.name for p in rows}
    lab_wide = frozenset(lesson.lab_wide) & shown
    edited = _checked([p for p in rows if p.name not in lab_wide], store.step_params(lesson.id, step.index))
    start = {p.name: {**defaults, **edited, **chosen}[p.name] for p in rows}
    return RunSettings(lesson.id, step.index, tuple(rows), {p.name: defaults[p.name] for p in rows}, start,
                       {n: v for n, v in hidden.items() if n not in shown}, lab_wide, why)


def _step_defaults(spec, step: RunStep, variant: int) -> dict[str, Any]:
    """Every engine parameter as the step runs it for the learner's ``variant``."""
    overrides = _current(spec, step.params)
    if any(p.name == "variant" for p in spec.params):
        overrides.setdefault("variant", variant)
    try:
        return spec.config(overrides)
    except ParamError:  # a broken lesson (``tui-lab check`` names it): a refused value is the engine's default
        return {p.name: p.default for p in spec.params} | _checked(list(spec.params), overrides)


def _current(spec, params: dict[str, Any]) -> dict[str, Any]:
    """A step's params under today's names (a lesson may still use a parameter's former name)."""
    try:
        return current_names(spec.params, params)[0]
    except ParamError:  # a name given twice: ``tui-lab check`` says so
        return dict(params)


def _checked(rows: list[Param], saved: dict[str, Any]) -> dict[str, Any]:
    """The remembered values the rows' specs still accept (an engine may have changed since)."""
    out = {}
    for param in rows:
        if param.name in saved:
            try:
                out[param.name] = param.parse(saved[param.name])
            except ParamError:
                pass
    return out


def _found_here(engine: str, name: str, data_root: str) -> tuple[Any, str] | None:
    """(value, why) of a lab-wide choice not made yet, from what is on this computer."""
    if engine == "mnist" and name == "dataset":
        from engines.mnist.data import default_dataset

        return default_dataset(Path(data_root))
    return None
