"""The gradient-descent lesson's problem, y = θx through three points, for every variant.

Variant 0 is the article's: x = (1, 2, 3), y = 2x, α = 0.1, θ₀ = 0. Every other variant
draws its points, slope, start and learning rate from small pools and keeps the first
draw for which everything the lesson's text says holds: the points lie on a line through
the origin, the first slope is negative, the first step overshoots the optimum and the
steps converge, and each answer is a number of its own, apart from its slips.

L(θ) = ½ Σ (yᵢ − θxᵢ)²,  ∂L/∂θ = −Σ (yᵢ − θxᵢ) xᵢ,  θₖ₊₁ = θₖ − α ∂L/∂θ.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any

from engines.byhand.variant_draw import draw


@dataclass(frozen=True)
class GDInputs:
    x: tuple[float, ...]
    y: tuple[float, ...]
    lr: float
    theta0: float


X = (1.0, 2.0, 3.0)
Y = (2.0, 4.0, 6.0)
LR = 0.1
THETA0 = 0.0
ARTICLE = GDInputs(X, Y, LR, THETA0)
# Seed 000's worked example prints these (quoted: they follow from nothing it wrote).
ARTICLE_THETA1, ARTICLE_THETA2 = -0.3, -0.33

# The pools a variant is drawn from: x three different whole numbers with Σx² ≤ 30 (so
# α·Σx² stays a short product), y = θ*·x with a whole θ*, a whole θ₀, α in hundredths.
# (1, 2, 4) never passes: its Σx² = 3·Σx makes the slope of the mean equal the slope without xᵢ.
POINTS = tuple(c for c in combinations(range(1, 6), 3) if sum(v * v for v in c) <= 30)
SLOPES = (1, 2, 3)
STARTS = (-1, 0, 1)
RATES = tuple(n / 100 for n in range(1, 15))
# 1 − αΣx² for the lesson's α: negative (the first step overshoots), inside (−1, 0) with a
# margin, so both the oscillation and its decay show within a few steps.
FACTOR_RANGE = (-0.8, -0.2)
# The explorer's rates: the friendliest α (hundredths) whose factor 1 − αΣx² is nearest the
# target inside the range, the article's 0.05, 0.12 and 0.15 for variant 0.
EXPLORER = {
    "smooth": (0.3, (0.0, 1.0)),
    "oscillating": (-0.7, (-0.9, -0.5)),
    "diverging": (-1.1, (-math.inf, -1.05)),
}
EXPLORER_RATES = tuple(n / 100 for n in range(1, 31))
# Answers and slips must be this far apart: the loosest tolerance the lesson judges them with.
APART = 1e-3
ANSWERS = ("grad0", "theta1", "theta2", "critical_lr")


def loss(theta: float, x=X, y=Y) -> float:
    return 0.5 * sum((yi - theta * xi) * (yi - theta * xi) for xi, yi in zip(x, y))


def grad(theta: float, x=X, y=Y) -> float:
    return -sum((yi - theta * xi) * xi for xi, yi in zip(x, y))


def critical_lr(x=X) -> float:
    """Above 2/Σx² the error grows each step; at exactly 2/Σx² it flips sign forever."""
    return 2.0 / sum(xi * xi for xi in x)


def trajectory(problem: GDInputs, steps: int) -> list[dict[str, float]]:
    """Rows k = 0..steps of (θₖ, L(θₖ), ∂L/∂θ at θₖ, the update −α·grad)."""
    rows, theta, x, y, lr = [], problem.theta0, problem.x, problem.y, problem.lr
    for k in range(steps + 1):
        g = grad(theta, x, y)
        rows.append({"k": k, "theta": theta, "loss": loss(theta, x, y), "grad": g, "update": -lr * g})
        theta = theta - lr * g
    return rows


def explorer_rate(sum_x2: float, kind: str) -> float | None:
    target, (low, high) = EXPLORER[kind]
    fitting = [lr for lr in EXPLORER_RATES if low < 1.0 - lr * sum_x2 < high]
    return min(fitting, key=lambda lr: abs(1.0 - lr * sum_x2 - target), default=None)


def hand_values(problem: GDInputs) -> dict[str, Any]:
    """The numbers of the by-hand steps: inputs, the first two steps, the rates."""
    x, y, lr, theta0 = problem.x, problem.y, problem.lr, problem.theta0
    rows = trajectory(problem, 2)
    sum_x2 = sum(xi * xi for xi in x)
    out = {
        "x": list(x),
        "y": list(y),
        "lr": lr,
        "theta0": theta0,
        "sum_x2": sum_x2,
        "sum_xy": sum(xi * yi for xi, yi in zip(x, y)),
        "residual0": [yi - theta0 * xi for xi, yi in zip(x, y)],
        "loss0": rows[0]["loss"],
        "grad0": rows[0]["grad"],
        "theta1": rows[1]["theta"],
        "loss1": rows[1]["loss"],
        "grad1": rows[1]["grad"],
        "theta2": rows[2]["theta"],
        "loss2": rows[2]["loss"],
        "theta_star": sum(xi * yi for xi, yi in zip(x, y)) / sum_x2,
        "factor": 1.0 - lr * sum_x2,
        "critical_lr": critical_lr(x),
        "critical_lr_fraction": str(Fraction(2, round(sum_x2))),  # 2/Σx² typed as a fraction
    }
    for kind in EXPLORER:  # what α does: the learning-rate explorer
        rate = explorer_rate(sum_x2, kind)
        out[f"lr_{kind}"] = rate
        out[f"factor_{kind}"] = None if rate is None else 1.0 - rate * sum_x2
    return out


def slip_values(problem: GDInputs) -> dict[str, float]:
    """What the usual slips give on the compute steps, from the same inputs as the answers.

    Each ``<answer>_slip_<id>`` is the number a student gets after that one mistake, so
    the lab can name the mistake instead of just saying "wrong".
    """
    x, y, lr, theta0 = problem.x, problem.y, problem.lr, problem.theta0
    g0 = grad(theta0, x, y)
    theta1 = theta0 - lr * g0
    g1 = grad(theta1, x, y)
    residual_sum = sum(yi - theta0 * xi for xi, yi in zip(x, y))  # Σ(yᵢ − θ₀xᵢ), xᵢ forgotten
    sum_x2 = sum(xi * xi for xi in x)
    return {
        "grad0_slip_sign": -g0,  # d(−θxᵢ)/dθ = −xᵢ lost
        "grad0_slip_half": 2 * g0,  # the slope of Σ(…)², the ½ forgotten
        "grad0_slip_no_x": -residual_sum,  # the inner derivative's xᵢ dropped
        "grad0_slip_article": residual_sum,  # both: what the article's rule evaluates
        "grad0_slip_sum_vs_mean": g0 / len(x),
        "theta1_slip_sign": theta0 + lr * g0,  # a step uphill
        "theta1_slip_no_lr": theta0 - g0,
        "theta1_slip_half": theta0 - lr * 2 * g0,
        "theta1_slip_article_rule": theta0 - lr * residual_sum,  # the article's own rule, done right
        "theta1_slip_article": ARTICLE_THETA1,
        "theta2_slip_step_size": lr * g1,
        "theta2_slip_update": -lr * g1,  # the change in θ, not where it lands
        "theta2_slip_old_theta": theta1 - lr * g0,  # the slope at θ₀ used again
        "theta2_slip_sign": theta1 + lr * g1,
        "theta2_slip_article": ARTICLE_THETA2,
        "critical_lr_slip_monotone": 1.0 / sum_x2,  # where the factor 1 − αΣx² reaches 0, not −1
        "critical_lr_slip_sum_x": 2.0 / sum(x),
        "critical_lr_slip_square_of_sum": 2.0 / sum(x) ** 2,
        "critical_lr_slip_sum_vs_mean": 2.0 / (sum_x2 / len(x)),
    }


def problems(problem: GDInputs) -> list[str]:
    """One sentence per thing the lesson says that these inputs would make untrue."""
    values = hand_values(problem)
    found = _friendliness(problem)
    star, factor = values["theta_star"], values["factor"]
    if any(not math.isclose(yi, star * xi) for xi, yi in zip(problem.x, problem.y)) or star != round(star):
        found.append("the points do not lie on a line y = θ*·x with a whole θ* (the lesson calls θ* obvious)")
    if not problem.theta0 < star:
        found.append(f"θ₀ = {problem.theta0:g} is not below the optimum {star:g}: the first slope would not be "
                     "negative, as the lesson says")
    if not problem.lr < values["critical_lr"]:
        found.append(f"α = {problem.lr:g} is not below the critical rate 2/Σx² = {values['critical_lr']:.6f}: "
                     "the steps would not converge")
    elif not FACTOR_RANGE[0] <= factor <= FACTOR_RANGE[1]:
        found.append(f"the factor 1 − αΣx² = {factor:.3g} is outside [{FACTOR_RANGE[0]:g}, {FACTOR_RANGE[1]:g}]: "
                     "the first step would not overshoot the optimum visibly, or the decay would not show")
    for kind in EXPLORER:
        if values[f"lr_{kind}"] is None:
            found.append(f"no learning rate in hundredths makes the explorer's {kind} run")
    return found + _clashes({**values, **slip_values(problem)})


def _friendliness(problem: GDInputs) -> list[str]:
    found = []
    if len(problem.x) != 3 or len(set(problem.x)) != 3 or not all(_whole(v, 1, 9) for v in problem.x):
        found.append(f"x = {list(problem.x)} is not three different whole numbers from 1 to 9")
    if not all(_whole(v, 1, 50) for v in problem.y):
        found.append(f"y = {list(problem.y)} is not whole numbers from 1 to 50")
    if not (abs(problem.theta0) <= 5 and math.isclose(problem.theta0, round(problem.theta0, 1))):
        found.append(f"θ₀ = {problem.theta0:g} is not a small number with at most one decimal")
    if not (0 < problem.lr <= 1 and math.isclose(problem.lr, round(problem.lr, 2))):
        found.append(f"α = {problem.lr:g} is not a rate between 0 and 1 with at most two decimals")
    return found


def _whole(value: float, low: int, high: int) -> bool:
    return value == round(value) and low <= value <= high


def _clashes(values: dict[str, Any]) -> list[str]:
    """Answers a student could not tell from another number of the lesson: a slip of the
    same step, or any other number the table holds (the text shows some before the step)."""
    found = []
    for answer in ANSWERS:
        slips = [name for name in values if name.startswith(f"{answer}_slip_")]
        for n, slip in enumerate(slips):
            for other in [answer, *slips[:n]]:
                if abs(values[slip] - values[other]) <= APART:
                    found.append(f"{slip} = {values[slip]:g} cannot be told from {other} = {values[other]:g}")
        for name, shown in _numbers(values, skip={answer, *slips}):
            if any(abs(values[answer] - v) <= APART for v in shown):
                found.append(f"the answer {answer} = {values[answer]:g} equals {name} = {values[name]}")
    return found


def _numbers(values: dict[str, Any], skip: set[str]):
    """(name, its numbers as the text may render them: exact and rounded to 3 or 4 figures)."""
    for name, value in values.items():
        items = value if isinstance(value, list) else [value]
        if name in skip or not all(isinstance(v, (int, float)) for v in items):
            continue
        yield name, [r for v in items for r in (v, float(f"{v:.3g}"), float(f"{v:.4g}"))]


def inputs(variant: int) -> GDInputs:
    """The inputs of a variant (0: the article's), the same every time it is asked for."""
    if variant < 0:
        raise ValueError(f"A variant is a whole number, 0 or more; got {variant}.")
    if variant == 0:
        return ARTICLE
    return draw("gd", variant, _candidate, problems)


def _candidate(rng: random.Random) -> GDInputs:
    points, slope = rng.choice(POINTS), rng.choice(SLOPES)
    return GDInputs(tuple(float(v) for v in points), tuple(float(slope * v) for v in points),
                    rng.choice(RATES), float(rng.choice(STARTS)))


def variant_problems(variant: int) -> list[str]:
    """The lesson's conditions a variant's inputs break (none, for every variant the generator makes)."""
    return problems(inputs(variant))
