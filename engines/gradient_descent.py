"""Gradient descent on one parameter: fit y = θx to three points by hand.

L(θ) = ½ Σ (yᵢ − θxᵢ)²,  ∂L/∂θ = −Σ (yᵢ − θxᵢ) xᵢ,  θₖ₊₁ = θₖ − α ∂L/∂θ.

Everything here is plain Python/NumPy so the lab can show these values instantly;
``checks`` recomputes them with torch autograd and they must agree.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

from engines.events import Event, Progress, Started
from engines.params import Param
from engines.runtime import Control, EngineSpec

X = (1.0, 2.0, 3.0)
Y = (2.0, 4.0, 6.0)
LR = 0.1
THETA0 = 0.0


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
        "article_theta1": -0.3,
        "article_theta2": -0.33,
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
    return out


def iterate(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    lr, theta, steps = config["lr"], config["theta0"], config["steps"]
    yield Started(device="cpu", config=dict(config), total_steps=steps)
    for k in range(steps + 1):
        if ctl.stop_requested:
            return
        ctl.poll()
        g = grad(theta)
        yield Progress(step=k, loss=loss(theta), lr=lr, values={"theta": theta, "grad": g, "update": -lr * g})
        theta = theta - lr * g


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
