"""Muon: SGD momentum whose update, for each weight matrix, is replaced by the nearest
(semi-)orthogonal matrix, approximated with a few Newton–Schulz iterations.

For a parameter W (a convolution's filters are read as a matrix of out-channels ×
in-channels·kh·kw) with gradient G, each step:

    B ← μ·B + G                         momentum buffer (airbench94_muon's form)
    M ← G + μ·B  (Nesterov)  or  B
    O ← NS(M)                           ≈ U·Vᵀ of M = U·S·Vᵀ
    W ← W · sqrt(rows)/‖W‖_F            only with ``normalize_weights`` (airbench94_muon)
    W ← W − lr · scale · O

NS: X = M/‖M‖_F (so every singular value ≤ 1), transposed to be wide, then ``ns_steps``
times A = X·Xᵀ, X ← a·X + (b·A + c·A·A)·X with (a, b, c) = (3.4445, −4.7750, 2.0315),
computed in bfloat16. The coefficients and the bf16 iteration are Keller Jordan's
(KellerJordan/Muon and airbench94_muon.py); they push small singular values up fast and
leave them scattered around 1 (about 0.5–1.2 after five iterations) rather than exactly 1.

``scale`` is max(1, rows/cols)^0.5 with ``shape_scale`` (KellerJordan/Muon's default, so
that tall matrices take steps of comparable size), else 1. airbench94_muon instead
normalises each filter tensor to Frobenius norm sqrt(out-channels) before the step and
uses three iterations; ``engines.cifar.recipe`` sets what it uses.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import torch

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # KellerJordan/Muon, airbench94_muon.py: maximal slope at zero
NS_EPS = 1e-7  # airbench94_muon.py: keeps an all-zero update finite


def newton_schulz(g: torch.Tensor, steps: int = 5, dtype: torch.dtype = torch.bfloat16) -> torch.Tensor:
    """The approximate orthogonal factor U·Vᵀ of the 2-D ``g`` (returned in ``dtype``)."""
    if g.ndim != 2:
        raise ValueError(f"newton_schulz takes a matrix, not a tensor of shape {tuple(g.shape)}")
    a, b, c = NS_COEFFICIENTS
    x = g.to(dtype)
    x = x / (x.norm() + NS_EPS)
    tall = g.size(0) > g.size(1)
    if tall:  # iterate on the wide form: X·Xᵀ is the smaller square
        x = x.T
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


class Muon(torch.optim.Optimizer):
    """Muon for parameters of two or more dimensions (flattened after the first); the
    other parameters belong to another optimizer."""

    def __init__(self, params: Iterable[Any], lr: float = 0.02, momentum: float = 0.95, nesterov: bool = True,
                 ns_steps: int = 5, shape_scale: bool = True, normalize_weights: bool = False,
                 ns_dtype: torch.dtype = torch.bfloat16) -> None:
        if lr < 0 or not 0 <= momentum < 1 or ns_steps < 1:
            raise ValueError(f"Muon needs lr ≥ 0, 0 ≤ momentum < 1 and ns_steps ≥ 1 (got {lr}, {momentum}, {ns_steps})")
        if nesterov and momentum == 0:
            raise ValueError("Nesterov momentum needs a momentum above 0")
        defaults = {"lr": lr, "momentum": momentum, "nesterov": nesterov, "ns_steps": ns_steps,
                    "shape_scale": shape_scale, "normalize_weights": normalize_weights}
        super().__init__(params, defaults)
        self.ns_dtype = ns_dtype
        self.orthogonalise: Callable[..., torch.Tensor] = newton_schulz  # torch.compile may replace it

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.ndim < 2:
                    raise ValueError("Muon updates matrices and filters only; give vectors to another optimizer")
                g = p.grad
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(g)
                buf = state["momentum_buffer"]
                buf.mul_(momentum).add_(g)
                direction = g.add(buf, alpha=momentum) if group["nesterov"] else buf
                matrix = direction.reshape(len(direction), -1)
                update = self.orthogonalise(matrix, group["ns_steps"], self.ns_dtype)
                scale = max(1.0, matrix.size(0) / matrix.size(1)) ** 0.5 if group["shape_scale"] else 1.0
                if group["normalize_weights"]:
                    p.mul_(len(p) ** 0.5 / p.norm())
                p.add_(update.view(p.shape).to(p.dtype), alpha=-lr * scale)
        return loss
