"""Variants of the optimizers lesson: every learner's own line, each one a valid lesson.

Variant 0's numbers are the lesson's [expect] table, derived by hand; other variants are
checked against torch.optim (built here, not through the engine's helpers) and against
the claims the lesson text makes about them.
"""

import math
import random

import pytest
import torch

from engines.byhand import optimizer_variants as variants
from engines.byhand import optimizers as opt
from engines.core import registry
from engines.core.events import Failed, Finished, Progress
from engines.core.runtime import run_engine
from lessons.answers import is_close
from lessons.judge import judge_answer
from lessons.loader import load_lesson
from lessons.model import ComputeStep

from conftest import ROOT

VARIANTS = range(50)
LESSON = load_lesson(ROOT / "lessons" / "optimizers")
COMPUTE_STEPS = [s for s in LESSON.steps if isinstance(s, ComputeStep)]


def torch_thetas(inp, make_optimizer, steps, lr=None):
    """θ₀ … θ_steps of a torch.optim optimizer on the variant's line (autograd gradients)."""
    x, y = torch.tensor(inp.x, dtype=torch.float64), torch.tensor(inp.y, dtype=torch.float64)
    theta = torch.tensor([inp.theta0], dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([theta], inp.lr if lr is None else lr)
    path = [inp.theta0]
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * ((y - theta * x) ** 2).sum()).backward()
        optimizer.step()
        path.append(theta.item())
    return path


def twins(gamma):
    return {
        "sgd": lambda ps, lr: torch.optim.SGD(ps, lr=lr),
        "momentum": lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=gamma),
        # The article's form at α is PyTorch's at α(1 − γ) (step 4 of the lesson).
        "ema": lambda ps, lr: torch.optim.SGD(ps, lr=lr * (1 - gamma), momentum=gamma),
        "adam": lambda ps, lr: torch.optim.Adam(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8),
    }


def test_variant_zero_is_the_lessons_own_line():
    inp = variants.inputs(0)
    assert (inp.x, inp.y, inp.theta0, inp.lr, inp.momentum) == ((1, 2, 3), (2, 4, 6), 0, 0.1, 0.9)
    values = opt.values(0)
    # The [expect] table by hand: g₀ = −Σxᵢyᵢ = −28; SGD θ₁ = 2.8; momentum v₂ = 0.9·(−28) + (14·2.8 − 28)
    # = −14, θ₂ = 2.8 + 1.4 = 4.2; EMA θ₁ = 0.1·0.1·28; Adam m̂₁ = g₀, v̂₁ = g₀²; 2(1 + γ)/Σx² = 3.8/14.
    assert values["sgd_theta1"] == pytest.approx(2.8)
    assert values["momentum_theta2"] == pytest.approx(4.2)
    assert values["ema_theta1"] == pytest.approx(0.28)
    assert values["adam_m_hat1"] == pytest.approx(-28.0)
    assert values["adam_v_hat1"] == pytest.approx(784.0)
    assert values["momentum_critical_lr"] == pytest.approx(3.8 / 14)
    assert values["port_lr"] == 0.3
    assert opt.values()["momentum_theta2"] == values["momentum_theta2"]  # no variant is variant 0


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_is_a_valid_lesson(variant):
    inp = variants.inputs(variant)
    values = opt.values(variant)
    assert variants.variant_problems(variant) == []
    # Hand-friendly: small integers, rates with one decimal.
    assert all(float(v).is_integer() for v in (*inp.x, *inp.y, inp.theta0))
    assert all(round(r * 10, 9).is_integer() for r in (inp.lr, inp.momentum, inp.port_lr))
    for step in COMPUTE_STEPS:
        answer = values[step.answer]
        assert math.isfinite(answer), step.answer
        slips = [values[s.value] for s in step.slips]
        for n, value in enumerate(slips):
            assert math.isfinite(value) and not is_close(value, answer, step.tolerance), step.slips[n].id
            assert not any(is_close(value, other, step.tolerance) for other in slips[:n]), step.slips[n].id


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variants_tables_are_what_torch_optim_does(variant):
    inp, values = variants.inputs(variant), opt.values(variant)
    for key, make in twins(inp.momentum).items():
        assert values[f"{key}_theta"] == pytest.approx(torch_thetas(inp, make, values["table_steps"]), rel=1e-9)
    for label, ours, theirs in opt.checks(variant):
        assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-9), label


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_keeps_what_the_text_says(variant):
    inp, values = variants.inputs(variant), opt.values(variant)
    star, theta0 = values["theta_star"], values["theta0"]
    side = math.copysign(1, star - theta0)  # from θ₀ towards the optimum

    def past(theta):
        return (theta - star) * side

    # Gradient descent's θ₁ overshoots and θ₂ comes back; momentum's θ₂ goes further past.
    assert past(values["sgd_theta1"]) > 0 > past(values["sgd_theta2"])
    assert past(values["momentum_theta2"]) > past(values["momentum_theta1"]) > 0
    # Adam's first step is ±α, against the gradient.
    assert values["adam_step1"] == pytest.approx(-math.copysign(inp.lr, values["grad0"]), rel=1e-6)
    # The article's form's first step is (1 − γ) times PyTorch's.
    assert values["ema_step1"] == pytest.approx((1 - inp.momentum) * values["momentum_step1"])
    # The copied rate: PyTorch's momentum diverges, the article's form comes closer (torch.optim).
    gamma, steps = inp.momentum, values["port_steps"]
    pytorch = torch_thetas(inp, twins(gamma)["momentum"], steps, lr=values["port_lr"])
    article = torch_thetas(inp, twins(gamma)["ema"], steps, lr=values["port_lr"])
    assert abs(pytorch[-1] - star) > 1e3 * abs(theta0 - star)
    assert abs(article[-1] - star) < abs(theta0 - star)
    assert values["port_lr"] > values["momentum_critical_lr"]


def test_variants_differ_and_are_reproducible():
    answers = {tuple(opt.values(v)[s.answer] for s in COMPUTE_STEPS) for v in VARIANTS}
    assert len(answers) > 40  # nearly every learner has answers of their own
    random.seed(1)
    first = variants.inputs(7)
    random.seed(2)
    assert variants.inputs(7) == first  # no global random state


@pytest.mark.parametrize("step", COMPUTE_STEPS, ids=lambda s: s.answer)
def test_an_answer_right_for_variant_3_is_wrong_for_variant_4(step):
    three, four = opt.values(3), opt.values(4)
    typed = repr(three[step.answer])
    assert judge_answer(step, three, typed).verdict == "correct"
    assert judge_answer(step, four, typed).verdict == "wrong"
    assert judge_answer(step, four, repr(four[step.answer])).verdict == "correct"


def test_compare_runs_the_learners_line():
    inp = variants.inputs(4)
    events = list(run_engine(registry.engine("opt.compare"), {"optimizer": "momentum", "variant": 4,
                                                               "lr": inp.lr, "momentum": inp.momentum, "steps": 6}))
    rows = [e for e in events if isinstance(e, Progress)]
    theirs = torch_thetas(inp, twins(inp.momentum)["momentum"], 6)
    assert [r.values["theta"] for r in rows] == pytest.approx(theirs, rel=1e-12)
    assert rows[0].values["theta"] == inp.theta0 != variants.inputs(0).theta0
    assert isinstance(events[-1], Finished) and events[-1].summary["max_abs_diff"] < 1e-12


@pytest.mark.parametrize("variant", [-1, 2.5, "3", True])
def test_a_variant_is_a_whole_number_at_least_zero(variant):
    with pytest.raises(ValueError, match="variant must be a whole number at least 0"):
        variants.inputs(variant)


def test_compare_refuses_a_negative_variant_with_a_sentence():
    events = list(run_engine(registry.engine("opt.compare"), {"variant": -1}))
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert "variant" in events[0].message and events[0].message.endswith(".")


def test_the_registry_knows_the_condition_check():
    assert registry.variant_problems("opt.values") is variants.variant_problems
