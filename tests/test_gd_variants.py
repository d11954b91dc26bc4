"""The gradient-descent lesson's sets of numbers: variant 0 is the article's, every other
variant is a friendly problem for which everything the lesson says holds."""

import json
import math
import random

import pytest

from engines.byhand import gd_problem, gradient_descent as gd
from engines.byhand.gd_problem import GDInputs
from engines.core import registry
from engines.core.events import Progress, Started
from engines.core.runtime import run_engine
from lessons.answers import is_close
from lessons.check import check_lesson
from lessons.judge import judge_text
from lessons.loader import load_lesson
from lessons.model import ComputeStep
from tui_lab.cli import main

from conftest import ROOT

LESSON = load_lesson(ROOT / "lessons" / "gradient-descent")
COMPUTE = [s for s in LESSON.steps if isinstance(s, ComputeStep)]
VARIANTS = range(50)


def test_variant_zero_is_the_articles_problem_with_the_numbers_worked_by_hand():
    assert gd_problem.inputs(0) == GDInputs((1.0, 2.0, 3.0), (2.0, 4.0, 6.0), 0.1, 0.0)
    values = gd.values(0)
    # L(0) = ½(4 + 16 + 36) = 28; ∂L/∂θ(0) = −(2·1 + 4·2 + 6·3) = −28; θ₁ = 0.1·28 = 2.8;
    # ∂L/∂θ(2.8) = −(−0.8·1 − 1.6·2 − 2.4·3) = 11.2; θ₂ = 2.8 − 1.12 = 1.68; 1 − 0.1·14 = −0.4.
    by_hand = {"loss0": 28, "grad0": -28, "theta1": 2.8, "loss1": 4.48, "grad1": 11.2, "theta2": 1.68,
               "loss2": 0.7168, "factor": -0.4, "critical_lr": 1 / 7, "sum_x2": 14, "sum_xy": 28, "theta_star": 2,
               "lr_smooth": 0.05, "lr_oscillating": 0.12, "lr_diverging": 0.15, "factor_diverging": -1.1,
               "article_sum0": 12, "article_theta1_by_its_rule": -1.2, "article_theta1_correct": 2.8,
               "grad0_slip_article": 12, "theta1_slip_article_rule": -1.2, "theta2_slip_old_theta": 5.6}
    for name, number in by_hand.items():
        assert math.isclose(values[name], number, abs_tol=1e-12), name
    assert values["residual0"] == [2, 4, 6] and values["critical_lr_fraction"] == "1/7"
    for name, number in LESSON.expect.items():
        assert math.isclose(values[name], number, abs_tol=1e-12), name


def test_a_variant_is_the_same_every_time_whatever_the_global_random_state():
    first = [gd_problem.inputs(v) for v in (1, 7, 999)]
    random.seed(1234)
    assert [gd_problem.inputs(v) for v in (1, 7, 999)] == first


def test_a_negative_variant_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="A variant is a whole number, 0 or more; got -1."):
        gd_problem.inputs(-1)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_keeps_what_the_lesson_says_true(variant):
    p = gd_problem.inputs(variant)
    assert gd_problem.variant_problems(variant) == []
    assert all(v == int(v) and 1 <= v <= 9 for v in p.x) and len(set(p.x)) == 3
    assert p.theta0 == round(p.theta0, 1) and p.lr == round(p.lr, 2)
    star = sum(a * b for a, b in zip(p.x, p.y)) / sum(a * a for a in p.x)
    assert star == int(star) and all(b == star * a for a, b in zip(p.x, p.y))  # on a line through 0
    values = gd.values(variant)
    assert values["grad0"] < 0  # "the step will move θ up"
    assert values["theta1"] > star and values["grad1"] > 0  # the first step overshoots
    assert -1 < values["factor"] < 0 and p.lr < 2 / sum(a * a for a in p.x)  # oscillates, converges
    assert [gd.regime(values[f"lr_{kind}"], p.x) for kind in ("smooth", "oscillating", "diverging")] == \
        ["converges", "converges, oscillating", "diverges"]
    for step in COMPUTE:
        answer = values[step.answer]
        assert isinstance(answer, float) and math.isfinite(answer), step.answer
        slips = [values[slip.value] for slip in step.slips]
        for n, slip in enumerate(slips):
            assert not any(is_close(slip, other, step.tolerance) for other in [answer, *slips[:n]]), step.slips[n].id


@pytest.mark.parametrize("variant", VARIANTS)
def test_closed_form_autograd_and_finite_differences_agree(variant):
    pairs = gd.checks(variant)
    assert any("finite differences" in label for label, _, _ in pairs)
    for label, value, reference in pairs:
        assert math.isclose(value, reference, rel_tol=1e-6, abs_tol=1e-9), label


def test_every_variant_passes_the_lessons_check():
    failed = [f"{case.name}: {case.message}" for v in VARIANTS for case in check_lesson(LESSON, smoke=False, variant=v)
              if not case.ok]
    assert failed == []


def test_inputs_that_break_the_lessons_conditions_are_named():
    too_fast = GDInputs((1.0, 2.0, 3.0), (2.0, 4.0, 6.0), 0.15, 0.0)
    assert any("not below the critical rate" in p for p in gd_problem.problems(too_fast))
    from_above = GDInputs((1.0, 2.0, 3.0), (2.0, 4.0, 6.0), 0.1, 3.0)
    assert any("not below the optimum" in p for p in gd_problem.problems(from_above))
    off_the_line = GDInputs((1.0, 2.0, 3.0), (2.0, 5.0, 6.0), 0.1, 0.0)
    assert any("line y = θ*·x" in p for p in gd_problem.problems(off_the_line))
    assert registry.variant_problems("gd.values") is gd_problem.variant_problems


def test_two_variants_give_different_answers():
    answers = {v: tuple(gd.values(v)[s.answer] for s in COMPUTE) for v in (0, 1, 2)}
    assert len(set(answers.values())) == 3


def test_an_answer_right_for_variant_3_is_wrong_for_variant_4(capsys):
    three, four = gd.values(3), gd.values(4)
    differing = [s for s in COMPUTE if not is_close(three[s.answer], four[s.answer], s.tolerance)]
    assert differing
    for step in differing:
        typed = repr(three[step.answer])
        assert judge_text(step, three, typed).verdict == "correct"
        assert judge_text(step, four, typed).verdict == "wrong"
    target, typed = f"{LESSON.id}:{differing[0].index}", repr(three[differing[0].answer])
    assert main(["answer", "--json", "--variant", "3", target, typed]) == 0
    assert main(["answer", "--json", "--variant", "4", target, typed]) == 1
    verdicts = [json.loads(line)["verdict"] for line in capsys.readouterr().out.splitlines()]
    assert verdicts == ["correct", "wrong"]


@pytest.mark.parametrize("variant", [5, 4])  # 4 starts away from 0
def test_iterating_a_variant_starts_from_its_theta0_on_its_points(variant):
    p = gd_problem.inputs(variant)
    assert p.x != gd_problem.X or p.y != gd_problem.Y
    events = list(run_engine(registry.engine("gd.iterate"), {"variant": variant, "steps": 2}))
    assert isinstance(events[0], Started) and events[0].config["lr"] == p.lr
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[0].values["theta"] == p.theta0
    assert math.isclose(progress[0].loss, 0.5 * sum((b - p.theta0 * a) ** 2 for a, b in zip(p.x, p.y)))
    assert math.isclose(progress[1].values["theta"], gd.values(variant)["theta1"])
    assert events[-1].reason == "completed"


def test_a_rate_given_to_the_run_wins_over_the_variants():
    config = registry.engine("gd.iterate").config({"variant": "5", "lr": "0.01"})
    assert config == {"lr": 0.01, "theta0": gd_problem.inputs(5).theta0, "steps": 30, "variant": 5}
