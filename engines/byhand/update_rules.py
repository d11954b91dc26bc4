"""Optimizers from their formulas: SGD, momentum (two forms) and Adam, step by step.

    SGD                θ ← θ − α g
    momentum, PyTorch  v ← γv + g,         θ ← θ − α v      (torch.optim.SGD(momentum=γ))
    momentum, EMA      v ← γv + (1−γ)g,    θ ← θ − α v      (the article's form)
    Adam               m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
                       m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ),  θ ← θ − α m̂/(√v̂ + ε)
    Adam, the article  θ ← θ − α m̂/√v̂ + ε  (ε outside the fraction: wrong)

The EMA form's v is (1−γ) times PyTorch's v, step for step, so EMA momentum at rate α
is PyTorch momentum at rate α(1−γ): the same trajectory.

Everything is plain Python floats: the lab shows these numbers without torch, and an
overflow becomes inf/nan (which the runtime reports as divergence) instead of an error.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from engines.core.params import ParamError

Vector = list[float]

MOMENTUM = 0.9
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # torch.optim.Adam's defaults


class SGD:
    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, theta: Vector, grad: Vector) -> Vector:
        return [t - self.lr * g for t, g in zip(theta, grad)]


class Momentum:
    """PyTorch's form: v is a running *sum* of gradients (dampening 0, v₀ = 0)."""

    def __init__(self, lr: float, momentum: float) -> None:
        self.lr, self.gamma = lr, momentum
        self.v: Vector | None = None

    def accumulate(self, v: float, g: float) -> float:
        return self.gamma * v + g

    def step(self, theta: Vector, grad: Vector) -> Vector:
        v = self.v or [0.0] * len(theta)
        self.v = [self.accumulate(vi, gi) for vi, gi in zip(v, grad)]
        return [t - self.lr * vi for t, vi in zip(theta, self.v)]


class EMAMomentum(Momentum):
    """The article's form: v is a running *average* of gradients, (1−γ) times PyTorch's."""

    def accumulate(self, v: float, g: float) -> float:
        return self.gamma * v + (1.0 - self.gamma) * g


class Adam:
    def __init__(self, lr: float, beta1: float = BETA1, beta2: float = BETA2, eps: float = EPS,
                 eps_outside: bool = False) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.eps_outside = eps_outside  # True: the article's θ − α m̂/√v̂ + ε
        self.t = 0
        self.m: Vector | None = None
        self.v: Vector | None = None
        self.m_hat: Vector = []
        self.v_hat: Vector = []

    def step(self, theta: Vector, grad: Vector) -> Vector:
        self.t += 1
        zeros = [0.0] * len(theta)
        self.m = [self.beta1 * m + (1.0 - self.beta1) * g for m, g in zip(self.m or zeros, grad)]
        # g*g, not g**2: float ** raises OverflowError where * gives inf.
        self.v = [self.beta2 * v + (1.0 - self.beta2) * g * g for v, g in zip(self.v or zeros, grad)]
        # m and v start at 0, so early averages are too small by (1 − βᵗ); undo that.
        c1, c2 = 1.0 - self.beta1 ** self.t, 1.0 - self.beta2 ** self.t
        self.m_hat = [m / c1 for m in self.m]
        self.v_hat = [v / c2 for v in self.v]
        if self.eps_outside:
            return [t - self.lr * _ieee_divide(mh, math.sqrt(vh)) + self.eps
                    for t, mh, vh in zip(theta, self.m_hat, self.v_hat)]
        return [t - self.lr * mh / (math.sqrt(vh) + self.eps)
                for t, mh, vh in zip(theta, self.m_hat, self.v_hat)]


def _ieee_divide(a: float, b: float) -> float:
    """a/b as the hardware (and NumPy, and torch) does it: 0/0 = nan, a/0 = ±inf.

    Only the article's Adam divides by √v̂ unprotected; Python would raise there.
    """
    if b != 0.0:
        return a / b
    if a == 0.0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


OPTIMIZERS = ("sgd", "momentum", "momentum_ema", "adam", "adam_article")


def make(name: str, lr: float, momentum: float = MOMENTUM, beta1: float = BETA1, beta2: float = BETA2):
    if name == "sgd":
        return SGD(lr)
    if name == "momentum":
        return Momentum(lr, momentum)
    if name == "momentum_ema":
        return EMAMomentum(lr, momentum)
    if name in ("adam", "adam_article"):
        return Adam(lr, beta1, beta2, EPS, eps_outside=name == "adam_article")
    raise ParamError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {name!r}.")


def trajectory(optimizer, grad_fn: Callable[[Vector], Vector], theta0: Sequence[float], steps: int) -> list[Vector]:
    """θ₀, θ₁, …, θ_steps."""
    thetas = [list(theta0)]
    for _ in range(steps):
        thetas.append(optimizer.step(thetas[-1], grad_fn(thetas[-1])))
    return thetas
