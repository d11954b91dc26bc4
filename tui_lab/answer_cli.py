"""``tui-lab answer LESSON:STEP VALUE``: judge a value exactly as the lab's answer box
would, for a set of numbers (``--variant``, default 0: the articles'), without opening the
lab and without touching progress.

Exit status: 0 correct, 1 wrong or invalid, 2 a usage error (unknown lesson or step, a
step with no answer to check)."""

from __future__ import annotations

import json
from typing import IO

from lessons import Catalog
from lessons.values import lesson_values
from lessons.judge import judge_text
from lessons.model import ComputeStep, FindErrorStep
from tui_lab.contract import EXIT_FAILED, EXIT_OK, UsageError, find_lesson, kind_name
from lab_i18n import _

TYPED_KINDS = (ComputeStep, FindErrorStep)  # the kinds whose answer is typed as text


def cmd_answer(catalog: Catalog, target: str, text: str, as_json: bool, out: IO[str], variant: int = 0) -> int:
    lesson_id, _colon, number = target.partition(":")
    lesson = find_lesson(catalog, lesson_id.strip())
    answered = [s.index for s in lesson.steps if isinstance(s, TYPED_KINDS)]
    choices = ", ".join(map(str, answered)) or _("none")
    if not number.strip():
        raise UsageError(_("Name the step too, as {lesson}:STEP; its steps with answers are: {steps}.").format(
            lesson=lesson.id, steps=choices))
    if not number.strip().isdigit() or not 1 <= int(number) <= len(lesson.steps):
        raise UsageError(_("{lesson} has no step {step}; its steps with answers are: {steps}.").format(
            lesson=lesson.id, step=repr(number.strip()), steps=choices))
    step = lesson.step(int(number))
    if not isinstance(step, TYPED_KINDS):
        raise UsageError(_("Step {step} of {lesson} is a {kind} step, with no answer to check; its steps with answers "
                           "are: {steps}.").format(step=step.index, lesson=lesson.id, kind=kind_name(step.kind),
                                                  steps=choices))
    verdict = judge_text(step, lesson_values(lesson, variant), text, lang=lesson.language)
    if as_json:
        out.write(json.dumps({"verdict": verdict.verdict, "slip": verdict.slip, "message": verdict.message},
                             ensure_ascii=False) + "\n")
    else:
        out.write(verdict.message + "\n")
    return EXIT_OK if verdict.verdict == "correct" else EXIT_FAILED
