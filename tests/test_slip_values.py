"""Slips: the numbers the usual mistakes give, computed by the engines.

Every compute step of the built-in lessons names its slips; each slip's value must be a
number the judge can tell apart from the answer and from the step's other slips. A few
values are recomputed here by hand, independently of the engines.
"""

import math

import pytest

from engines.core import registry
from lessons.answers import is_close
from lessons.judge import judge_answer
from lessons.loader import load_lesson
from lessons.model import ComputeStep

from conftest import ROOT

LESSONS = ("gradient-descent", "backprop", "optimizers", "mnist", "cifar10")


def lesson_values(name: str):
    lesson = load_lesson(ROOT / "lessons" / name)
    return lesson, registry.values(lesson.values)()


def compute_steps():
    for name in LESSONS:
        lesson, values = lesson_values(name)
        for step in lesson.steps:
            if isinstance(step, ComputeStep):
                yield pytest.param(step, values, id=f"{name}:{step.index}")


@pytest.mark.parametrize("step, values", compute_steps())
def test_every_slip_is_a_number_apart_from_the_answer_and_the_other_slips(step, values):
    assert step.slips, f"step {step.index} ({step.answer}) names no slips"
    answer = float(values[step.answer])
    seen: dict[str, float] = {}
    for slip in step.slips:
        assert slip.value.startswith(f"{step.answer}_slip_"), slip.value
        value = values[slip.value]
        assert isinstance(value, (int, float)) and math.isfinite(value), slip.id
        assert not is_close(value, answer, step.tolerance), f"{slip.id} = {value} is the answer {answer}"
        for other, other_value in seen.items():
            assert not is_close(value, other_value, step.tolerance), f"{slip.id} and {other} are both {value}"
        seen[slip.id] = value


def step_for(name: str, answer: str):
    lesson, values = lesson_values(name)
    return next(s for s in lesson.steps if isinstance(s, ComputeStep) and s.answer == answer), values


@pytest.mark.parametrize("name, answer, typed, slip", [
    # L(θ) = ½Σ(yᵢ − θxᵢ)² at θ₀ = 0 with x = [1, 2, 3], y = 2x: ∂L/∂θ = −Σyᵢxᵢ = −28.
    ("gradient-descent", "grad0", "28", "sign"),  # the minus lost
    ("gradient-descent", "grad0", "-56", "half"),  # the ½ forgotten: −2·28
    ("gradient-descent", "grad0", "12", "article"),  # Σyᵢ = 2 + 4 + 6, sign and xᵢ dropped
    ("gradient-descent", "theta1", "-0.3", "article"),  # the article's printed θ₁
    # θ₁ = 2.8, slope there 14·2.8 − 28 = 11.2: the step α·11.2 = 1.12, not θ₂ = 1.68.
    ("gradient-descent", "theta2", "1.12", "step_size"),
    ("gradient-descent", "theta2", "-1.12", "update"),
    # 2/Σx² = 1/7; 1/Σx² = 1/14 only ends the monotone regime.
    ("gradient-descent", "critical_lr", "0.0714", "monotone"),
    # CE = −ln σ(0.8); with log₁₀ it is −log₁₀ σ(0.8) = 0.1612.
    ("backprop", "ce", f"{-math.log10(1 / (1 + math.exp(-0.8))):.5f}", "log10"),
    # The blocked output: ŷ₃ − y₃ = 0 − 1 if ReLU's zero slope is ignored.
    ("backprop", "dL_db2_3", "-1", "relu_ignored"),
    # EMA momentum θ₂ = 0.7728 (by hand in the optimizers tests) is not PyTorch's 4.2.
    ("optimizers", "momentum_theta2", "0.7728", "ema"),
    # 784·128 + 128·10 weights, no biases.
    ("mnist", "params_mlp_128", "101632", "no_bias"),
    # 50000 / 4 = 12500 steps is one epoch; the article runs two.
    ("cifar10", "article_total_steps", "12500", "one_epoch"),
])
def test_the_judge_names_the_slip_of_a_hand_computed_mistake(name, answer, typed, slip):
    step, values = step_for(name, answer)
    verdict = judge_answer(step, values, typed)
    assert (verdict.verdict, verdict.slip) == ("wrong", slip)
    assert "{{" not in verdict.message and verdict.message.endswith(".")


def test_slip_values_match_independent_arithmetic():
    gd = registry.values("gd.values")()
    assert (gd["grad0_slip_sign"], gd["grad0_slip_half"], gd["theta1_slip_article"]) == (28.0, -56.0, -0.3)
    assert gd["theta2_slip_step_size"] == pytest.approx(1.12)
    assert gd["theta1_slip_article_rule"] == pytest.approx(-1.2)  # −0.1·12: the article's own rule

    bp = registry.values("backprop.values")()
    yhat = 1 / (1 + math.exp(-0.8))
    assert bp["dCE_dyhat_slip_log10"] == pytest.approx(-1 / (yhat * math.log(10)))
    assert bp["dyhat_dz_slip_z_for_yhat"] == pytest.approx(0.8 * 0.2)
    # ŷ = [0.655, 0.17, 0], y = [1, 0, 1]: errors 0.345, −0.17, 1.
    assert bp["net_loss_slip_half"] == pytest.approx(0.345 ** 2 + 0.17 ** 2 + 1)
    assert bp["net_loss_slip_brackets"] == pytest.approx(0.5 * 0.345 ** 2 + 0.17 ** 2 + 1)
    # Ignoring the output ReLU: ŷ₃ = z₂[3] = −0.245, an error of 1.245.
    assert bp["net_loss_slip_relu_ignored"] == pytest.approx(0.5 * (0.345 ** 2 + 0.17 ** 2 + 1.245 ** 2))
    # ∂L/∂z₂ = [−0.345, 0.17, 0]; row 2 of W₂ is [0.1, −0.2, 0.3] where column 2 is [0.3, −0.2, 0.1].
    assert bp["dL_dh_2_slip_row"] == pytest.approx(0.1 * -0.345 - 0.2 * 0.17)
    assert bp["dL_dh_2_slip_relu_ignored"] == pytest.approx(0.3 * -0.345 - 0.2 * 0.17 + 0.1 * -1)

    opt = registry.values("opt.values")()
    # Adam without bias correction: m₁ = 0.1·(−28), v₁ = 0.001·784, θ₁ = −0.1·m₁/√v₁.
    assert opt["adam_theta1_slip_no_bias_correction"] == pytest.approx(0.1 * 2.8 / math.sqrt(0.784))
    assert opt["ema_theta1_slip_pytorch_form"] == pytest.approx(2.8)

    assert registry.values("cifar10.values")()["article_total_steps_slip_images"] == 100_000
