"""Every learner's numbers pass `tui-lab check`: variants 0..49 of every lesson whose
numbers vary (the generators promise it for every variant; these are the ones CI proves).
Smoke runs are left to variant 0, whose check includes them elsewhere."""

import pytest

from lessons import load_catalog
from lessons.check import check_lesson
from lessons.values import lesson_has_variants

VARIANTS = range(50)
BY_HAND = {"gradient-descent", "backprop", "optimizers"}
CATALOG = load_catalog()
VARYING = [lesson for lesson in CATALOG.lessons if lesson_has_variants(lesson)]


def test_every_by_hand_lesson_gives_each_learner_their_own_numbers():
    assert BY_HAND <= {lesson.id for lesson in VARYING}
    assert not any(lesson_has_variants(CATALOG.get(i)) for i in ("mnist", "cifar10"))  # they keep their data


@pytest.mark.parametrize("lesson", VARYING, ids=lambda lesson: lesson.id)
def test_every_case_of_every_variant_passes(lesson):
    failures, conditions = [], 0
    for variant in VARIANTS:
        for case in check_lesson(lesson, smoke=False, variant=variant):
            conditions += case.name == f"variant {variant}: conditions"
            if not case.ok:
                failures.append(f"{case.name}: {case.message}")
    assert failures == []
    assert conditions == len(VARIANTS) - 1  # every variant but the articles' meets the lesson's conditions
