"""``tui-lab check``: prove a lesson's numbers and runs, one case per claim.

For each lesson: its value table computes; every placeholder in every step resolves;
every compute step's answer is a finite number, its slips are numbers the answer is not,
and no earlier text shows it; no text is eaten on its way to the screen; translations use
the English placeholders and translate every slip; every ``[expect]`` value is reproduced
by the engine; the engine's cross-checks (closed form vs autograd, …) agree; and every
run step's smoke run (the step's parameters made small) ends as the step says it should.

A learner's variant (another set of numbers) is checked the same way, less the ``[expect]``
table (it states the articles' numbers, variant 0) and the smoke runs (they run the
engine's defaults); instead, the variant's inputs must meet the lesson's conditions.

With another language than English, the interface itself is checked too: every message
the source marks for the catalogue must have a translation with the same placeholders
(``interface_cases``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator

from engines.core import registry
from engines.core.device import detect
from engines.core.events import Failed, Finished
from engines.byhand.graph import Graph
from engines.core.runtime import Control, run_engine
from lessons import placeholders
from lessons.answers import is_close
from lessons.giveaways import giveaways, visible_parts
from lessons.model import ComputeStep, GraphStep, Lesson, RunStep
from lessons.shown import markdown_eaten, plain_eaten
from lessons.stray_blocks import stray_blocks
from lessons.translation import available, placeholder_differences, translate, untranslated_slips
from lessons.values import lesson_values

CROSS_CHECK_RTOL = 1e-6
CROSS_CHECK_ATOL = 1e-9


@dataclass(frozen=True)
class CheckCase:
    lesson: str
    name: str
    ok: bool
    message: str = ""
    seconds: float = 0.0


def _timed(lesson: str, name: str, body: Callable[[], str | None]) -> CheckCase:
    start = time.perf_counter()
    try:
        problem = body()
    except Exception as exc:  # noqa: BLE001 - a broken lesson is a failed case, not a crash
        problem = f"{exc.__class__.__name__}: {exc}"
    return CheckCase(lesson, name, problem is None, problem or "", time.perf_counter() - start)


def check_lesson(lesson: Lesson, device: str = "cpu", smoke: bool = True, variant: int = 0) -> Iterator[CheckCase]:
    """Every case of the lesson for one variant; a variant's case names start with "variant N: "."""
    for case in _cases(lesson, device, smoke and variant == 0, variant):
        yield case if variant == 0 else replace(case, name=f"variant {variant}: {case.name}")


def _cases(lesson: Lesson, device: str, smoke: bool, variant: int) -> Iterator[CheckCase]:
    values: dict[str, Any] = {}

    def compute_values() -> str | None:
        values.update(lesson_values(lesson, variant))
        return None

    case = _timed(lesson.id, "values", compute_values)
    yield case
    if not case.ok:
        return

    conditions = registry.variant_problems(lesson.values) if variant and lesson.values else None
    if conditions is not None:
        yield _timed(lesson.id, "conditions", lambda: "; ".join(conditions(variant)) or None)

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

    for step in (s for s in lesson.steps if isinstance(s, ComputeStep)):
        if step.slips:
            yield _timed(lesson.id, f"step {step.index} slips: numbers other than the answer",
                         lambda step=step: _slip_problems(step, values))
        yield _timed(lesson.id, f"step {step.index} answer: not shown before it is typed",
                     lambda step=step: "; ".join(giveaways(lesson, step, values)) or None)

    yield _timed(lesson.id, "text: shown as typed", lambda: _eaten(lesson, values))

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
        if any(isinstance(s, ComputeStep) and s.slips for s in lesson.steps):
            def slips(lang=lang) -> str | None:
                missing = untranslated_slips(lesson, translate(lesson, lang))
                return f"no {lang} message for the slips of " + "; ".join(missing) if missing else None

            yield _timed(lesson.id, f"translation {lang}: a message for every slip", slips)
        yield _timed(lesson.id, f"translation {lang}: text shown as typed",
                     lambda lang=lang: _eaten(translate(lesson, lang), values))

    for name, expected in lesson.expect.items() if variant == 0 else ():
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
            pairs = registry.checks(lesson.checks)(variant)
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


def interface_cases(lang: str, translations: dict[str, str] | None = None) -> list[CheckCase]:
    """One failed case per interface message ``lang``'s compiled catalogue cannot show, or one
    passing case when it shows them all (``translations`` stands in for the catalogue)."""
    from lab_i18n.coverage import compiled, gaps
    from lab_i18n.extract import source_messages

    messages = source_messages()
    found = gaps(lang, messages, compiled(lang) if translations is None else translations)
    if not found:
        total = len({m.msgid for m in messages})
        return [CheckCase("interface", f"{lang}: all {total} messages translated", True)]
    return [CheckCase("interface", f"{lang}: {gap.where}", False, f"{gap.problem}: {gap.msgid!r}") for gap in found]


def _slip_problems(step: ComputeStep, values: dict[str, Any]) -> str | None:
    """Each slip is a finite number that neither the answer nor an earlier slip matches
    within the step's tolerance (such a slip could never be told apart)."""
    answer = values[step.answer]
    problems = []
    for n, slip in enumerate(step.slips):
        value = values.get(slip.value)
        if slip.value not in values:
            problems.append(f"slip {slip.id!r}: the engine computes no value {slip.value!r}")
        elif not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            problems.append(f"slip {slip.id!r}: {slip.value} is {value!r}, not a finite number")
        elif is_close(value, answer, step.tolerance):
            problems.append(f"slip {slip.id!r}: {slip.value} = {value!r} is within the tolerance of the answer "
                            f"{step.answer} = {answer!r}")
        else:
            twin = next((s for s in step.slips[:n] if values.get(s.value) is not None
                         and is_close(value, values[s.value], step.tolerance)), None)
            if twin is not None:
                problems.append(f"slip {slip.id!r} has the value of slip {twin.id!r} ({value!r}): it is never told")
    return "; ".join(problems) or None


def _eaten(lesson: Lesson, values: dict[str, Any]) -> str | None:
    """Text a renderer would not show as typed: plain strings through the plain-text
    path (placeholders filled), Markdown through the Markdown widget's parser."""
    problems = [f"lesson {what}: {eaten}" for what, text in
                (("title", lesson.title), ("group", lesson.group), ("summary", lesson.summary))
                if (eaten := plain_eaten(text))]
    for step in lesson.steps:
        plain = [("title", step.title)] + ([("prompt", step.prompt)] if isinstance(step, ComputeStep) else [])
        plain += [(where, placeholders.fill(text, values)) for where, text in visible_parts(step)
                  if where not in ("text", "after-text")]
        problems += [f"step {step.index} {where}: {eaten}" for where, text in plain if (eaten := plain_eaten(text))]
        for part in (step.body, step.after):
            filled = placeholders.fill(part, values)
            problems += [f"{step.source.name}: {eaten}" for eaten in markdown_eaten(filled)]
            problems += [f"{step.source.name}: {stray}" for stray in stray_blocks(part, filled)]
    return "; ".join(dict.fromkeys(problems)) or None  # a Markdown file several steps share is told once


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
