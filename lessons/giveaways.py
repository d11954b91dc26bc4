"""Where a lesson shows a compute step's answer before the student has typed it.

The answer counts as shown when a placeholder renders a number within the step's
tolerance of it in any part of the lesson visible before the step is solved: every
earlier step's texts (body, after, hints, lines, corrected lines, slip messages) and the
step's own body and slip messages. Its hints and after-text may hold it: they come
after a wrong try or once solved. Placeholders of inputs the step lists in ``shown_ok``
are let through (a coincidence such as lr = 0.1 equalling the answer).
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from lessons import placeholders
from lessons.answers import is_close
from lessons.model import AnyStep, ComputeStep, FindErrorStep, Lesson

NUMBER = re.compile(r"[-−]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def visible_parts(step: AnyStep) -> Iterator[tuple[str, str]]:
    """(where, text) of every text of a step that a student may read."""
    yield "text", step.body
    yield "after-text", step.after
    for n, hint in enumerate(step.hints, 1):
        yield f"hint {n}", hint
    if isinstance(step, FindErrorStep):
        for n, line in enumerate(step.lines, 1):
            yield f"line {n}", line
        for n, line in enumerate(step.correct, 1):
            yield f"corrected line {n}", line
    if isinstance(step, ComputeStep):
        for slip in step.slips:
            yield f"slip {slip.id!r}", slip.message


def giveaways(lesson: Lesson, step: ComputeStep, values: Mapping[str, Any]) -> list[str]:
    """Each place that shows ``step``'s answer early: 'step 2 hint 3 shows {{ theta1 }} = 2.8'."""
    answer = float(values[step.answer])
    found = []
    for earlier in lesson.steps[: step.index]:
        own = earlier is step
        for where, text in visible_parts(earlier):
            if own and (where == "after-text" or where.startswith("hint")):
                continue
            for match in placeholders.PATTERN.finditer(text):
                if match.group("name") in step.shown_ok:
                    continue
                rendered = placeholders.fill(match.group(0), values)
                numbers = [float(n.replace("−", "-")) for n in NUMBER.findall(rendered)]
                if any(is_close(n, answer, step.tolerance) for n in numbers):
                    found.append(f"step {earlier.index} {where} shows {match.group(0)} = {rendered}")
    return found
