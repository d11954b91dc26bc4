"""``tui-lab check``: prove a lesson's numbers and runs, one case per claim.

For each lesson: its value table computes; every placeholder in every step resolves;
every compute step's answer is a finite number; every ``[expect]`` value is reproduced
by the engine; the engine's cross-checks (closed form vs autograd, …) agree; and every
run step's smoke run (the step's parameters made small) ends as the step says it should.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from engines.core import registry
from engines.core.device import detect
from engines.core.events import Failed, Finished
from engines.byhand.graph import Graph
from engines.core.runtime import Control, run_engine
from lessons import placeholders
from lessons.model import ComputeStep, GraphStep, Lesson, RunStep
from lessons.translation import available, placeholder_differences, translate

CROSS_CHECK_RTOL = 1e-6
CROSS_CHECK_ATOL = 1e-9


@dataclass(frozen=True)
class CheckCase:
    lesson: str
    name: str
    ok: bool
    message: str = ""
    seconds: float = 0.0


def lesson_values(lesson: Lesson) -> dict[str, Any]:
    """The lesson's value table (empty when it has none)."""
    return dict(registry.values(lesson.values)()) if lesson.values else {}


def _timed(lesson: str, name: str, body: Callable[[], str | None]) -> CheckCase:
    start = time.perf_counter()
    try:
        problem = body()
    except Exception as exc:  # noqa: BLE001 - a broken lesson is a failed case, not a crash
        problem = f"{exc.__class__.__name__}: {exc}"
    return CheckCase(lesson, name, problem is None, problem or "", time.perf_counter() - start)


def check_lesson(lesson: Lesson, device: str = "cpu", smoke: bool = True) -> Iterator[CheckCase]:
    values: dict[str, Any] = {}

    def compute_values() -> str | None:
        values.update(lesson_values(lesson))
        return None

    case = _timed(lesson.id, "values", compute_values)
    yield case
    if not case.ok:
        return

    for step in lesson.steps:
        def fill_step(step=step) -> str | None:
            placeholders.fill_all(step.texts(), values)
            if isinstance(step, GraphStep):
                if step.graph not in values:
                    return f"graph {step.graph!r} is not in the value table"
                if not Graph.from_dict(values[step.graph]).walk_order(step.show):
                    return f"graph {step.graph!r} has nothing to show in a {step.show} walk"
            if isinstance(step, ComputeStep):
                answer = values.get(step.answer)
                if not isinstance(answer, (int, float)) or not math.isfinite(answer):
                    return f"answer {step.answer!r} is {answer!r}, not a finite number"
            return None

        yield _timed(lesson.id, f"step {step.index} ({step.kind}): {step.title}", fill_step)

    for lang in available(lesson)[1:]:
        def translation(lang=lang) -> str | None:
            translated = translate(lesson, lang)
            differences = placeholder_differences(lesson, translated)
            if differences:
                return "placeholders differ from English: " + " | ".join(differences)
            for step in translated.steps:
                placeholders.fill_all(step.texts(), values)
            return None

        yield _timed(lesson.id, f"translation {lang}: same steps and placeholders as English", translation)

    for name, expected in lesson.expect.items():
        def compare(name=name, expected=expected) -> str | None:
            if name not in values:
                return f"the engine computes no value {name!r}"
            got = values[name]
            if not math.isclose(got, expected, rel_tol=lesson.expect_tolerance, abs_tol=lesson.expect_tolerance):
                return f"engine gives {name} = {got!r}, the lesson expects {expected!r}"
            return None

        yield _timed(lesson.id, f"expect {name}", compare)

    if lesson.checks:
        def cross_checks() -> str | None:
            pairs = registry.checks(lesson.checks)()
            bad = [
                f"{label}: {a!r} vs {b!r}"
                for label, a, b in pairs
                if not math.isclose(a, b, rel_tol=CROSS_CHECK_RTOL, abs_tol=CROSS_CHECK_ATOL)
            ]
            if not pairs:
                return "the cross-check table is empty"
            return "disagree: " + "; ".join(bad) if bad else None

        yield _timed(lesson.id, f"cross-checks ({lesson.checks})", cross_checks)

    if smoke:
        for step in (s for s in lesson.steps if isinstance(s, RunStep)):
            yield _timed(lesson.id, f"step {step.index} smoke run ({step.engine})", lambda step=step: _smoke(step, device))


def _smoke(step: RunStep, device: str) -> str | None:
    spec = registry.engine(step.engine)
    params = {**step.params, **spec.smoke, **step.smoke}
    ctl = Control(device=detect(device) if spec.needs_torch else None)
    last = None
    for event in run_engine(spec, params, ctl):
        last = event
    if isinstance(last, Failed):
        return f"failed: {last.message}"
    if not isinstance(last, Finished) or last.reason != step.expect_reason:
        got = last.reason if isinstance(last, Finished) else type(last).__name__
        return f"ended {got!r}, expected {step.expect_reason!r}"
    return None
