"""Every student their own numbers in the backprop lesson: variant 0 is the articles',
every other variant is a network and a neuron of tenths for which the lesson's text holds."""

import dataclasses
import math

import numpy as np
import pytest

from engines.byhand import backprop, backprop_variants
from engines.byhand.backprop_models import ARTICLE, BackpropInputs
from engines.byhand.graph import Graph
from engines.core.events import Artifact, Finished, Progress
from engines.core.runtime import run_engine
from lessons import placeholders
from lessons.answers import is_close
from lessons.check import CROSS_CHECK_ATOL, CROSS_CHECK_RTOL
from lessons.judge import judge_answer
from lessons.loader import load_lesson
from lessons.model import ComputeStep, FindErrorStep

from conftest import ROOT

LESSON = load_lesson(ROOT / "lessons" / "backprop")
COMPUTE = [s for s in LESSON.steps if isinstance(s, ComputeStep)]
VARIANTS = range(50)


def torch_network(inp: BackpropInputs):
    """The variant's network written out again in torch (float64), apart from the engine."""
    import torch

    t = lambda v, grad=True: torch.tensor(v, dtype=torch.float64, requires_grad=grad)  # noqa: E731
    W1, b1, W2, b2 = t(inp.W1), t(inp.b1), t(inp.W2), t(inp.b2)
    yhat = torch.relu(W2 @ torch.relu(W1 @ t(inp.net_x, False) + b1) + b2)
    (0.5 * ((t(inp.net_y, False) - yhat) ** 2).sum()).backward()
    return np.concatenate([a.grad.numpy().ravel() for a in (W1, b1, W2, b2)])


def test_variant_0_is_the_articles_numbers():
    assert backprop_variants.inputs(0) == ARTICLE
    assert ARTICLE.x == (0.1, 0.2, 0.3, 0.4) and ARTICLE.W1 == ((0.1, 0.2), (0.3, 0.4), (0.5, 0.6))
    v = backprop.values(0)
    # From the lesson's [expect] table, and ½(0.345² + 0.17² + 1²) for ŷ = [0.655, 0.17, 0], y = [1, 0, 1].
    assert v["z"] == pytest.approx(0.8) and v["yhat"] == pytest.approx(0.689974, abs=1e-6)
    assert v["ce"] == pytest.approx(0.371101, abs=1e-6) and v["dCE_dw_4"] == pytest.approx(-0.124010, abs=1e-6)
    assert v["h"] == pytest.approx([0.25, 0.55, 0.85]) and v["net_loss"] == pytest.approx(0.5739625)
    assert (v["explore_b1_1"], v["explore_b2_3"], v["explore_kink_b1_1"]) == pytest.approx((-0.5, 0.5, -0.15))


def test_a_variant_is_a_whole_number_from_0_up():
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="whole number from 0 up"):
            backprop_variants.inputs(bad)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_meets_the_lessons_conditions(variant):
    inp = backprop_variants.inputs(variant)
    assert backprop_variants.variant_problems(variant) == []
    numbers = [float(n) for value in vars(inp).values() for n in np.ravel(value)]
    assert all(abs(n) <= 1 and round(n * 10) == pytest.approx(n * 10) for n in numbers)  # tenths
    v = backprop.values(variant)
    for step in COMPUTE:
        answer = v[step.answer]
        assert math.isfinite(answer)
        told = [answer] + [v[slip.value] for slip in step.slips]
        assert all(not is_close(a, b, step.tolerance) for k, a in enumerate(told) for b in told[k + 1:]), step.answer
    # Every hidden unit and the first two outputs on, the last output blocked, off the kink.
    assert min(v["z1"]) > 0.01 and min(v["z2"][:2]) > 0.01 and v["z2_3"] < -0.01
    assert v["dL_db2_3"] == 0 and v["dL_dyhat_3"] < 0 and not any(v["dL_dW2"][2])
    assert v["dL_dyhat_1"] < 0 and v["y"] == 1 and min(v["x"]) > 0  # the directions the text states


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_agrees_with_autograd_and_finite_differences(variant):
    pairs = backprop.checks(variant)
    assert len(pairs) == 3 + 2 * 5 + 7 + 2 * 21  # forward values, then two proofs per parameter
    bad = [(label, a, b) for label, a, b in pairs
           if not math.isclose(a, b, rel_tol=CROSS_CHECK_RTOL, abs_tol=CROSS_CHECK_ATOL)]
    assert bad == []


def test_variants_differ_and_a_right_answer_of_one_is_wrong_for_another():
    three, four = backprop.values(3), backprop.values(4)
    assert backprop_variants.inputs(3) != backprop_variants.inputs(4)
    for step in COMPUTE:
        if step.answer == "dL_db2_3":  # ReLU blocks it: 0 in every variant
            continue
        typed = f"{three[step.answer]:.6f}"
        assert judge_answer(step, three, typed).verdict == "correct"
        assert judge_answer(step, four, typed).verdict == "wrong", step.answer


def test_find_the_error_steps_quote_the_articles_whatever_the_variant():
    first, other = backprop.values(0), backprop.values(11)
    for step in (s for s in LESSON.steps if isinstance(s, FindErrorStep)):
        quoted = [step.body, *step.lines, *step.correct, *step.hints]
        assert placeholders.fill_all(quoted, other) == placeholders.fill_all(quoted, first), step.title


def test_a_broken_condition_is_named():
    blocked_open = dataclasses.replace(ARTICLE, b2=(0.1, 0.0, 0.6))
    assert any("last output is not clearly blocked" in p for p in backprop_variants.problems(blocked_open))
    small_error = dataclasses.replace(ARTICLE, net_y=(1.0, 0.0, 0.2))
    assert any("error is not clearly the largest" in p for p in backprop_variants.problems(small_error))
    off_label = dataclasses.replace(ARTICLE, y=0.0, x=(0.1, -0.2, 0.3, 0.4))
    assert len(backprop_variants.problems(off_label)) == 2
    untidy = dataclasses.replace(ARTICLE, b=0.55)
    assert backprop_variants.problems(untidy) == [
        "b = 0.55 is not a tenth between −1 and 1, a number to compute with by hand."]


def test_runs_use_the_variants_network():
    inp = backprop_variants.inputs(7)
    assert inp != ARTICLE
    expected = torch_network(inp)
    events = list(run_engine(backprop.EXPLORE, {"variant": "7"}))
    rows = [e for e in events if isinstance(e, Progress)]
    assert [r.values["grad"] for r in rows] == pytest.approx(expected.tolist(), abs=1e-12)
    graph = Graph.from_dict(next(e for e in events if isinstance(e, Artifact)).payload)
    assert graph.node("W1").value == inp.W1 and graph.node("x").value == inp.net_x
    checked = list(run_engine(backprop.GRADCHECK, {"variant": "7", "model": "network", "autograd": "true"}))
    rows = [e for e in checked if isinstance(e, Progress)]
    assert [r.values["autograd"] for r in rows] == pytest.approx(expected.tolist(), abs=1e-12)
    assert "hand-derived gradients are right" in checked[-1].summary["message"]


@pytest.mark.parametrize("variant", [0, 7, 23])
def test_the_explore_steps_suggestions_do_what_it_says(variant):
    v = backprop.values(variant)

    def message(**changes) -> str:
        params = {"variant": str(variant), **{name: str(change) for name, change in changes.items()}}
        last = list(run_engine(backprop.EXPLORE, params))[-1]
        assert isinstance(last, Finished)
        return last.summary["message"]

    assert "hidden unit 1 is off" in message(db1_1=v["explore_db1_1"])
    assert "output unit 3" not in message(db2_3=v["explore_db2_3"])
    assert "hidden unit 1 sits on ReLU's kink" in message(db1_1=v["explore_kink_db1_1"])
