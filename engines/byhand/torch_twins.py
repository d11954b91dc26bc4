"""The torch.optim counterpart of each formula, stepped by autograd gradients.

The optimizers lesson's cross-checks and its ``opt.compare`` run replay the formulas'
steps with these; torch is imported only when one is built.
"""

from __future__ import annotations

from typing import Callable, Sequence

from engines.byhand.update_rules import BETA1, BETA2, EPS, MOMENTUM, Vector


def torch_optimizer(name: str, params: list, lr: float, momentum: float, beta1: float, beta2: float):
    """The torch.optim counterpart of each formula; the article's forms get the correct one."""
    import torch

    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=momentum)
    if name == "momentum_ema":  # the equivalence: EMA at α is PyTorch's form at α(1−γ)
        return torch.optim.SGD(params, lr=lr * (1.0 - momentum), momentum=momentum)
    return torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=EPS)


class TorchRun:
    """torch.optim minimising ``loss_fn`` (autograd gradients), one step at a time."""

    def __init__(self, name: str, loss_fn: Callable, theta0: Sequence[float], lr: float,
                 momentum: float = MOMENTUM, beta1: float = BETA1, beta2: float = BETA2,
                 dtype: str = "float64") -> None:
        import torch

        self.param = torch.tensor(list(theta0), dtype=getattr(torch, dtype), requires_grad=True)
        self.loss_fn = loss_fn
        self.optimizer = torch_optimizer(name, [self.param], lr, momentum, beta1, beta2)

    @property
    def theta(self) -> Vector:
        return [float(v) for v in self.param.detach().tolist()]

    def step(self) -> Vector:
        self.optimizer.zero_grad()
        self.loss_fn(self.param).backward()
        self.optimizer.step()
        return self.theta


def line_loss(x: Sequence[float], y: Sequence[float]) -> Callable:
    """The line problem's loss ½ Σ (yᵢ − θxᵢ)² on these points, for a torch tensor θ."""

    def loss(p):
        import torch

        xs, ys = torch.tensor(list(x), dtype=p.dtype), torch.tensor(list(y), dtype=p.dtype)
        return 0.5 * ((ys - p[0] * xs) ** 2).sum()

    return loss
