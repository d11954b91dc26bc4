"""Gradient descent on one parameter: fit y = θx to three points by hand.

The problem itself (each variant's points, start and learning rate, and the hand
arithmetic on them) is in ``gd_problem``; here are the lesson's value table, the
cross-checks and the run engines. Everything in the value table is plain Python/NumPy
so the lab can show it instantly; ``checks`` recomputes it with torch autograd and
finite differences, and they must agree.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

from engines.byhand.gd_problem import (
    ARTICLE, ARTICLE_THETA1, ARTICLE_THETA2, LR, THETA0, X, Y, GDInputs, critical_lr, grad, hand_values, inputs,
    loss, slip_values, trajectory,
)
from engines.byhand.variant_draw import VARIANT
from engines.core.events import Artifact, Event, Finished, Progress, Started
from engines.core.params import Param
from engines.core.runtime import Control, EngineSpec
from engines.core.numbers import formula_number
from lab_i18n import N_, _


def values(variant: int = 0) -> dict[str, Any]:
    """Every number the lesson text quotes, computed (placeholders use these names)."""
    problem = inputs(variant)
    return {
        **hand_values(problem),
        **article_values(),
        **numpy_snippet(),
        **batch_vs_sgd_values(),
        **slip_values(problem),
    }


def article_values() -> dict[str, Any]:
    """Seed 000's worked example, quoted by the find-the-error step whatever the variant."""
    x, y, lr, theta0 = ARTICLE.x, ARTICLE.y, ARTICLE.lr, ARTICLE.theta0
    residual_sum = sum(yi - theta0 * xi for xi, yi in zip(x, y))
    sum_xy = sum(xi * yi for xi, yi in zip(x, y))
    return {
        "article_x": list(x),
        "article_y": list(y),
        "article_lr": lr,
        "article_theta0": theta0,
        "article_sum_xy": sum_xy,
        "article_theta_star": sum_xy / sum(xi * xi for xi in x),
        "article_theta1_correct": theta0 - lr * grad(theta0, x, y),
        # Its sign-dropped gradient, evaluated without xᵢ, and what its own rule then gives.
        "article_sum0": residual_sum,
        "article_theta1_by_its_rule": theta0 - lr * residual_sum,
        "article_theta1": ARTICLE_THETA1,
        "article_theta2": ARTICLE_THETA2,
    }


# Seed 001's NumPy example, run as written (with a fixed start instead of randn).
SNIPPET_W0 = 0.5
SNIPPET_LR = 0.01


def numpy_snippet() -> dict[str, Any]:
    """What NumPy really does with the article's update, and what the right one gives
    (on the first article's points, whatever the variant: this is no hand arithmetic)."""
    import numpy as np

    x = np.array(X).reshape(-1, 1)  # the only shape for which x.dot(w) works with w of shape (1,)
    y = np.array(Y)
    w = np.array([SNIPPET_W0])
    y_pred = x.dot(w)
    gradient = 2 * (y_pred - y)  # the article's line: a vector, one number per sample
    try:
        w_inplace = w.copy()
        w_inplace -= SNIPPET_LR * gradient
        inplace_error = "none"
    except ValueError as error:
        inplace_error = str(error)
    broadcast = w - SNIPPET_LR * gradient  # the same update written w = w − …
    right = 2 * x.T.dot(y_pred - y) / len(y)  # ∂/∂w of mean((xw − y)²): shape (1,)
    return {
        "snippet_x": list(X),
        "snippet_y": list(Y),
        "snippet_w0": SNIPPET_W0,
        "snippet_lr": SNIPPET_LR,
        "snippet_gradient": gradient.tolist(),
        "snippet_gradient_shape": str(gradient.shape),
        "snippet_inplace_error": inplace_error,
        "snippet_broadcast_w": broadcast.tolist(),
        "snippet_broadcast_shape": str(broadcast.shape),
        "snippet_right_gradient": float(right[0]),
        "snippet_right_w1": float((w - SNIPPET_LR * right)[0]),
    }


# Batch vs stochastic gradient descent on a noisy version of the same line.
NOISY_POINTS = 30
NOISE = 0.5


def noisy_data(points: int = NOISY_POINTS, noise: float = NOISE, seed: int = 0):
    """x spread over [0.5, 3.5], y = 2x + Gaussian noise (seeded: the same for everyone)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 3.5, points)
    y = 2.0 * x + rng.normal(0.0, noise, points)
    return x, y


def batch_vs_sgd_values() -> dict[str, Any]:
    x, y = noisy_data()
    mean_x2 = float((x * x).mean())
    return {
        "noisy_points": NOISY_POINTS,
        "noise": NOISE,
        "noisy_theta_star": float((x * y).sum() / (x * x).sum()),
        "noisy_mean_x2": mean_x2,
        "noisy_critical_lr": 2.0 / mean_x2,
    }


def checks(variant: int = 0) -> list[tuple[str, float, float]]:
    """(name, closed-form value, reference) pairs that must agree: torch autograd and
    central finite differences against the hand formulas, on the variant's problem."""
    import torch

    problem = inputs(variant)
    out = []
    x = torch.tensor(problem.x, dtype=torch.float64)
    y = torch.tensor(problem.y, dtype=torch.float64)
    for k, row in enumerate(trajectory(problem, 5)):
        theta = torch.tensor(row["theta"], dtype=torch.float64, requires_grad=True)
        value = 0.5 * ((y - theta * x) ** 2).sum()
        value.backward()
        out.append((f"loss at θ{k}", row["loss"], value.item()))
        out.append((f"∂L/∂θ at θ{k}", row["grad"], theta.grad.item()))
        h = 1e-4  # L is quadratic: the central difference is exact up to rounding
        above, below = loss(row["theta"] + h, problem.x, problem.y), loss(row["theta"] - h, problem.x, problem.y)
        difference = (above - below) / (2 * h)
        out.append((f"∂L/∂θ at θ{k} by finite differences", row["grad"], difference))
    # The batch gradient on the noisy data (the mean form) against autograd.
    x_np, y_np = noisy_data()
    x, y = torch.tensor(x_np), torch.tensor(y_np)
    for start in (0.0, 1.5, 3.0):
        theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        (0.5 * ((y - theta * x) ** 2).mean()).backward()
        by_hand = -float(((y_np - start * x_np) * x_np).mean())
        out.append((f"noisy-data ∂L/∂θ at θ = {start:g}", by_hand, theta.grad.item()))
    return out


def regime(lr: float, x=X) -> str:
    factor = 1.0 - lr * sum(xi * xi for xi in x)
    if abs(factor) < 1.0:
        return "converges" if factor >= 0 else "converges, oscillating"
    if math.isclose(abs(factor), 1.0, rel_tol=1e-12):
        return "oscillates forever" if factor < 0 else "stays put"
    return "diverges"


# One whole sentence per regime (a language words each its own way).
REGIME_NOTES = {
    "converges": N_("α = {lr}: each step multiplies the error θ − {theta_star} by 1 − αΣx² = {factor}, so the "
                    "run converges (it converges only for α < 2/Σx² = {critical})."),
    "converges, oscillating": N_("α = {lr}: each step multiplies the error θ − {theta_star} by 1 − αΣx² = "
                                 "{factor}, so the run converges, oscillating (it converges only for α < 2/Σx² = "
                                 "{critical})."),
    "oscillates forever": N_("α = {lr}: each step multiplies the error θ − {theta_star} by 1 − αΣx² = {factor}, "
                             "so the run oscillates forever (it converges only for α < 2/Σx² = {critical})."),
    "stays put": N_("α = {lr}: each step multiplies the error θ − {theta_star} by 1 − αΣx² = {factor}, so the "
                    "run stays put (it converges only for α < 2/Σx² = {critical})."),
    "diverges": N_("α = {lr}: each step multiplies the error θ − {theta_star} by 1 − αΣx² = {factor}, so the "
                   "run diverges (it converges only for α < 2/Σx² = {critical})."),
}


def regime_note(lr: float, problem: GDInputs) -> str:
    """The engine's own sentence about what this α will do, and why."""
    sum_x2 = sum(xi * xi for xi in problem.x)
    factor = 1.0 - lr * sum_x2
    theta_star = sum(xi * yi for xi, yi in zip(problem.x, problem.y)) / sum_x2
    return _(REGIME_NOTES[regime(lr, problem.x)]).format(
        lr=formula_number(lr), theta_star=formula_number(theta_star), factor=formula_number(factor, ".4g"), critical=f"{critical_lr(problem.x):.6f}")


OVERFLOW = 1e150  # beyond this, squaring θ overflows a float: call the divergence now


def iterate(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    problem = inputs(config["variant"])
    x, y = problem.x, problem.y
    lr, theta, steps = config["lr"], config["theta0"], config["steps"]
    factor = 1 - lr * sum(v * v for v in x)
    yield Started(device="cpu", config=dict(config), total_steps=steps)
    yield Artifact("note", regime_note(lr, problem))
    first_loss = loss(theta, x, y)
    g = grad(theta, x, y)
    for k in range(steps + 1):
        if k:  # step k is one update: it waits its turn (a key press, when run step by step)
            ctl.poll()
            if ctl.stop_requested:  # checked after the wait: a stop that ends it adds no step
                return
            theta = theta - lr * g
            g = grad(theta, x, y)
        yield Progress(step=k, loss=loss(theta, x, y), lr=lr, values={"theta": theta, "grad": g, "update": -lr * g})
        if abs(theta) > OVERFLOW:
            yield Finished("diverged", {"message": _(
                "Stopped at step {step}: θ reached {theta} and keeps growing — the run diverged. With α = {lr} "
                "every step multiplies the error by {factor}; pick α below {critical}."
            ).format(step=k, theta=f"{theta:.3g}", lr=f"{lr:g}", factor=f"{factor:.4g}",
                     critical=f"{critical_lr(x):.6f}")})
            return
    final_loss = loss(theta, x, y)
    if final_loss > first_loss * (1 + 1e-9) and steps >= 2:  # worse than where it started
        yield Finished("diverged", {"message": _(
            "Diverged: after {steps} steps the loss grew from {first} to {last}. With α = {lr} each step "
            "multiplies the error by {factor}; pick α below {critical}."
        ).format(steps=steps, first=f"{first_loss:.4g}", last=f"{final_loss:.4g}", lr=f"{lr:g}",
                 factor=f"{factor:.4g}", critical=f"{critical_lr(x):.6f}")})


def batch_vs_sgd(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Full-batch GD and one-sample SGD side by side, both judged on the full data."""
    import numpy as np

    x, y = noisy_data(config["points"], config["noise"], config["seed"])
    rng = np.random.default_rng(config["seed"] + 1)
    lr, steps = config["lr"], config["steps"]
    batch = sgd = config["theta0"]

    def full_loss(theta: float) -> float:
        r = y - theta * x
        return float(0.5 * (r * r).mean())

    yield Started(device="cpu", config=dict(config), total_steps=steps)
    theta_star = float((x * y).sum() / (x * x).sum())
    yield Artifact("note", _("The least-squares fit of this noisy data is θ* = {theta_star}; the lowest "
                             "possible loss is {loss}.").format(theta_star=f"{theta_star:.4f}",
                                                                loss=f"{full_loss(theta_star):.4f}"))
    for k in range(steps + 1):
        ctl.poll()
        if ctl.stop_requested:  # after the wait: a stop that ends a pause adds no step
            return
        yield Progress(step=k, loss=full_loss(batch), lr=lr, values={
            "batch_theta": batch, "sgd_theta": sgd, "batch_loss": full_loss(batch), "sgd_loss": full_loss(sgd),
        })
        if max(abs(batch), abs(sgd)) > OVERFLOW:
            yield Finished("diverged", {"message": _("Stopped at step {step}: θ overflowed; α = {lr} is too large.")
                                        .format(step=k, lr=f"{lr:g}")})
            return
        batch = batch + lr * float(((y - batch * x) * x).mean())  # the mean gradient over all points
        i = int(rng.integers(len(x)))
        sgd = sgd + lr * float((y[i] - sgd * x[i]) * x[i])  # the gradient of one random point


BATCH_VS_SGD = EngineSpec(
    name="gd.batch_vs_sgd",
    title="Batch vs stochastic gradient descent on noisy data",
    params=(
        Param("lr", float, 0.05, N_("learning rate α (both)"), minimum=0.0, exclusive_minimum=True, maximum=10.0),
        Param("theta0", float, 0.0, N_("starting value θ₀"), minimum=-1e6, maximum=1e6),
        Param("steps", int, 150, N_("steps (a batch step sees all points, an SGD step one)"), minimum=1, maximum=1_000_000),
        Param("points", int, NOISY_POINTS, N_("number of noisy points"), minimum=2, maximum=100_000),
        Param("noise", float, NOISE, N_("standard deviation of the noise"), minimum=0.0, maximum=100.0),
        Param("seed", int, 0, N_("random seed (data and SGD's picks)"), minimum=0, maximum=2**31 - 1),
    ),
    run=batch_vs_sgd,
    smoke={"steps": 5},
)


def _lesson_start(variant: int) -> dict[str, float]:
    """The α and θ₀ of the variant's lesson: where a run starts unless it is told otherwise."""
    problem = inputs(variant)
    return {"lr": problem.lr, "theta0": problem.theta0}


ITERATE = EngineSpec(
    name="gd.iterate",
    title="Gradient descent on y = θx",
    params=(
        Param("lr", float, LR, N_("learning rate α (default: the variant's)"), minimum=0.0, exclusive_minimum=True,
              maximum=10.0),
        Param("theta0", float, THETA0, N_("starting value θ₀ (default: the variant's)"), minimum=-1e6, maximum=1e6),
        Param("steps", int, 30, N_("iterations after θ₀"), minimum=1, maximum=1_000_000),
        VARIANT,
    ),
    run=iterate,
    smoke={"steps": 5},
    variant_defaults=_lesson_start,
)
