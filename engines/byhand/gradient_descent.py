"""Gradient descent on one parameter: fit y = θx to three points by hand.

L(θ) = ½ Σ (yᵢ − θxᵢ)²,  ∂L/∂θ = −Σ (yᵢ − θxᵢ) xᵢ,  θₖ₊₁ = θₖ − α ∂L/∂θ.

Everything here is plain Python/NumPy so the lab can show these values instantly;
``checks`` recomputes them with torch autograd and they must agree.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

from engines.core.events import Artifact, Event, Finished, Progress, Started
from engines.core.params import Param
from engines.core.runtime import Control, EngineSpec

X = (1.0, 2.0, 3.0)
Y = (2.0, 4.0, 6.0)
LR = 0.1
THETA0 = 0.0
# Seed 000's worked example prints these (quoted: they follow from nothing it wrote).
ARTICLE_THETA1, ARTICLE_THETA2 = -0.3, -0.33


def loss(theta: float, x=X, y=Y) -> float:
    return 0.5 * sum((yi - theta * xi) * (yi - theta * xi) for xi, yi in zip(x, y))


def grad(theta: float, x=X, y=Y) -> float:
    return -sum((yi - theta * xi) * xi for xi, yi in zip(x, y))


def trajectory(lr: float, theta0: float, steps: int) -> list[dict[str, float]]:
    """Rows k = 0..steps of (θₖ, L(θₖ), ∂L/∂θ at θₖ, the update −α·grad)."""
    rows, theta = [], theta0
    for k in range(steps + 1):
        g = grad(theta)
        rows.append({"k": k, "theta": theta, "loss": loss(theta), "grad": g, "update": -lr * g})
        theta = theta - lr * g
    return rows


def critical_lr(x=X) -> float:
    """Above 2/Σx² the error grows each step; at exactly 2/Σx² it flips sign forever."""
    return 2.0 / sum(xi * xi for xi in x)


def regime(lr: float, x=X) -> str:
    factor = 1.0 - lr * sum(xi * xi for xi in x)
    if abs(factor) < 1.0:
        return "converges" if factor >= 0 else "converges, oscillating"
    if math.isclose(abs(factor), 1.0, rel_tol=1e-12):
        return "oscillates forever" if factor < 0 else "stays put"
    return "diverges"


def values() -> dict[str, Any]:
    """Every number the lesson text quotes, computed (placeholders use these names)."""
    rows = trajectory(LR, THETA0, 5)
    sum_x2 = sum(xi * xi for xi in X)
    sum_y = sum(Y)
    return {
        "x": list(X),
        "y": list(Y),
        "lr": LR,
        "theta0": THETA0,
        "sum_x2": sum_x2,
        "sum_xy": sum(xi * yi for xi, yi in zip(X, Y)),
        "loss0": rows[0]["loss"],
        "grad0": rows[0]["grad"],
        "theta1": rows[1]["theta"],
        "loss1": rows[1]["loss"],
        "grad1": rows[1]["grad"],
        "theta2": rows[2]["theta"],
        "loss2": rows[2]["loss"],
        "theta_star": sum(xi * yi for xi, yi in zip(X, Y)) / sum_x2,
        "factor": 1.0 - LR * sum_x2,
        "critical_lr": critical_lr(),
        # Seed 000's worked example: its sign-dropped gradient, evaluated without xᵢ.
        "article_sum0": sum_y,
        "article_theta1_by_its_rule": THETA0 - LR * sum_y,
        "article_theta1": ARTICLE_THETA1,
        "article_theta2": ARTICLE_THETA2,
        # What α does (the learning-rate explorer)
        "lr_oscillating": 0.12,
        "factor_oscillating": 1.0 - 0.12 * sum_x2,
        "lr_smooth": 0.05,
        "factor_smooth": 1.0 - 0.05 * sum_x2,
        "lr_diverging": 0.15,
        "factor_diverging": 1.0 - 0.15 * sum_x2,
        **numpy_snippet(),
        **batch_vs_sgd_values(),
        **slip_values(),
    }


def slip_values() -> dict[str, float]:
    """What the usual slips give on the compute steps, from the same inputs as the answers.

    Each ``<answer>_slip_<id>`` is the number a student gets after that one mistake, so
    the lab can name the mistake instead of just saying "wrong".
    """
    theta1 = THETA0 - LR * grad(THETA0)
    residual_sum = sum(yi - THETA0 * xi for xi, yi in zip(X, Y))  # Σ(yᵢ − θ₀xᵢ), xᵢ forgotten
    sum_x2 = sum(xi * xi for xi in X)
    return {
        "grad0_slip_sign": -grad(THETA0),  # d(−θxᵢ)/dθ = −xᵢ lost
        "grad0_slip_half": 2 * grad(THETA0),  # the slope of Σ(…)², the ½ forgotten
        "grad0_slip_no_x": -residual_sum,  # the inner derivative's xᵢ dropped
        "grad0_slip_article": residual_sum,  # both: what the article evaluates
        "grad0_slip_sum_vs_mean": grad(THETA0) / len(X),
        "theta1_slip_sign": THETA0 + LR * grad(THETA0),  # a step uphill
        "theta1_slip_no_lr": THETA0 - grad(THETA0),
        "theta1_slip_half": THETA0 - LR * 2 * grad(THETA0),
        "theta1_slip_article_rule": THETA0 - LR * residual_sum,  # the article's own rule, done right
        "theta1_slip_article": ARTICLE_THETA1,
        "theta2_slip_step_size": LR * grad(theta1),
        "theta2_slip_update": -LR * grad(theta1),  # the change in θ, not where it lands
        "theta2_slip_old_theta": theta1 - LR * grad(THETA0),  # the slope at θ₀ used again
        "theta2_slip_sign": theta1 + LR * grad(theta1),
        "theta2_slip_article": ARTICLE_THETA2,
        "critical_lr_slip_monotone": 1.0 / sum_x2,  # where the factor 1 − αΣx² reaches 0, not −1
        "critical_lr_slip_sum_x": 2.0 / sum(X),
        "critical_lr_slip_square_of_sum": 2.0 / sum(X) ** 2,
        "critical_lr_slip_sum_vs_mean": 2.0 / (sum_x2 / len(X)),
    }


# Seed 001's NumPy example, run as written (with a fixed start instead of randn).
SNIPPET_W0 = 0.5
SNIPPET_LR = 0.01


def numpy_snippet() -> dict[str, Any]:
    """What NumPy really does with the article's update, and what the right one gives."""
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


def checks() -> list[tuple[str, float, float]]:
    """(name, closed-form value, torch-autograd value) pairs that must agree."""
    import torch

    out = []
    for k, row in enumerate(trajectory(LR, THETA0, 5)):
        theta = torch.tensor(row["theta"], dtype=torch.float64, requires_grad=True)
        x = torch.tensor(X, dtype=torch.float64)
        y = torch.tensor(Y, dtype=torch.float64)
        value = 0.5 * ((y - theta * x) ** 2).sum()
        value.backward()
        out.append((f"loss at θ{k}", row["loss"], value.item()))
        out.append((f"∂L/∂θ at θ{k}", row["grad"], theta.grad.item()))
    # The batch gradient on the noisy data (the mean form) against autograd.
    x_np, y_np = noisy_data()
    x, y = torch.tensor(x_np), torch.tensor(y_np)
    for start in (0.0, 1.5, 3.0):
        theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        (0.5 * ((y - theta * x) ** 2).mean()).backward()
        by_hand = -float(((y_np - start * x_np) * x_np).mean())
        out.append((f"noisy-data ∂L/∂θ at θ = {start:g}", by_hand, theta.grad.item()))
    return out


def regime_note(lr: float) -> str:
    """The engine's own sentence about what this α will do, and why."""
    sum_x2 = sum(xi * xi for xi in X)
    factor = 1.0 - lr * sum_x2
    return (
        f"α = {lr:g}: each step multiplies the error θ − {THETA_STAR:g} by 1 − αΣx² = {factor:.4g}, "
        f"so the run {regime(lr)} (it converges only for α < 2/Σx² = {critical_lr():.6f})."
    )


THETA_STAR = sum(xi * yi for xi, yi in zip(X, Y)) / sum(xi * xi for xi in X)
OVERFLOW = 1e150  # beyond this, squaring θ overflows a float: call the divergence now


def iterate(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    lr, theta, steps = config["lr"], config["theta0"], config["steps"]
    yield Started(device="cpu", config=dict(config), total_steps=steps)
    yield Artifact("note", regime_note(lr))
    first_loss = loss(theta)
    for k in range(steps + 1):
        if ctl.stop_requested:
            return
        ctl.poll()
        g = grad(theta)
        yield Progress(step=k, loss=loss(theta), lr=lr, values={"theta": theta, "grad": g, "update": -lr * g})
        if abs(theta) > OVERFLOW:
            yield Finished("diverged", {"message": (
                f"Stopped at step {k}: θ reached {theta:.3g} and keeps growing — the run diverged. "
                f"With α = {lr:g} every step multiplies the error by {1 - lr * sum(v * v for v in X):.4g}; "
                f"pick α below {critical_lr():.6f}."
            )})
            return
        if k < steps:
            theta = theta - lr * g
    final_loss = loss(theta)
    if final_loss > first_loss * (1 + 1e-9) and steps >= 2:  # worse than where it started
        yield Finished("diverged", {"message": (
            f"Diverged: after {steps} steps the loss grew from {first_loss:.4g} to {final_loss:.4g}. "
            f"With α = {lr:g} each step multiplies the error by {1 - lr * sum(v * v for v in X):.4g}; "
            f"pick α below {critical_lr():.6f}."
        )})


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
    yield Artifact("note", f"The least-squares fit of this noisy data is θ* = {theta_star:.4f}; "
                           f"the lowest possible loss is {full_loss(theta_star):.4f}.")
    for k in range(steps + 1):
        if ctl.stop_requested:
            return
        ctl.poll()
        yield Progress(step=k, loss=full_loss(batch), lr=lr, values={
            "batch_theta": batch, "sgd_theta": sgd, "batch_loss": full_loss(batch), "sgd_loss": full_loss(sgd),
        })
        if max(abs(batch), abs(sgd)) > OVERFLOW:
            yield Finished("diverged", {"message": f"Stopped at step {k}: θ overflowed; α = {lr:g} is too large."})
            return
        batch = batch + lr * float(((y - batch * x) * x).mean())  # the mean gradient over all points
        i = int(rng.integers(len(x)))
        sgd = sgd + lr * float((y[i] - sgd * x[i]) * x[i])  # the gradient of one random point


BATCH_VS_SGD = EngineSpec(
    name="gd.batch_vs_sgd",
    title="Batch vs stochastic gradient descent on noisy data",
    params=(
        Param("lr", float, 0.05, "learning rate α (both)", minimum=0.0, exclusive_minimum=True, maximum=10.0),
        Param("theta0", float, 0.0, "starting value θ₀", minimum=-1e6, maximum=1e6),
        Param("steps", int, 150, "steps (a batch step sees all points, an SGD step one)", minimum=1, maximum=1_000_000),
        Param("points", int, NOISY_POINTS, "number of noisy points", minimum=2, maximum=100_000),
        Param("noise", float, NOISE, "standard deviation of the noise", minimum=0.0, maximum=100.0),
        Param("seed", int, 0, "random seed (data and SGD's picks)", minimum=0, maximum=2**31 - 1),
    ),
    run=batch_vs_sgd,
    smoke={"steps": 5},
)

ITERATE = EngineSpec(
    name="gd.iterate",
    title="Gradient descent on y = θx",
    params=(
        Param("lr", float, LR, "learning rate α", minimum=0.0, exclusive_minimum=True, maximum=10.0),
        Param("theta0", float, THETA0, "starting value θ₀", minimum=-1e6, maximum=1e6),
        Param("steps", int, 30, "iterations after θ₀", minimum=1, maximum=1_000_000),
    ),
    run=iterate,
    smoke={"steps": 5},
)
