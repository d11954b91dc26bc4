"""The CIFAR-10 recipes' optimizers and their per-step learning rates.

``build`` groups the parameters as airbench does: BatchNorm shifts and the whitening
bias apart from the rest (their own rate factor, ``bias_lr_scale``), weight decay
decoupled from the rate (the same shrink per step at the peak, whatever ``lr`` is).
A Muon recipe gives the convolution filters (4-D trained tensors) to Muon and the rest
(the head, the biases) to SGD. ``set_rates`` sets every group's rate for a step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from engines.cifar.muon import Muon
from engines.cifar.recipe import Recipe

WARMUP_SHARE, START_FACTOR, END_FACTOR = 0.23, 0.2, 0.07  # airbench's one-cycle: 0.2 → 1 → 0.07
WHITEN_BIAS_EPOCHS = 3  # airbench trains the whitening layer's bias for 3 epochs, then freezes it


def schedule_factor(schedule: str, step: int, total: int) -> float:
    """The learning rate at ``step`` as a share of the peak: ``onecycle`` — linear warm-up
    over the first 23 % of the run from 0.2, then linear decay to 0.07 (airbench94);
    ``linear`` — from 1 down to 0 (airbench94_muon); otherwise 1."""
    if schedule == "linear":
        return max(0.0, 1 - step / max(1, total))
    if schedule != "onecycle":
        return 1.0
    warmup = int(total * WARMUP_SHARE)
    if step < warmup:
        return START_FACTOR + (1 - START_FACTOR) * step / warmup
    return 1 - (1 - END_FACTOR) * (step - warmup) / max(1, total - warmup)


@dataclass
class Optimizers:
    sgd: Any
    factors: list[float]  # each SGD group's rate as a share of the peak lr
    muon: Any = None
    muon_factor: float = 0.0  # Muon's rate as a share of the peak lr
    whiten_group: int | None = None  # the SGD group of the whitening bias
    all: list[Any] = field(default_factory=list)

    def step(self) -> None:
        for optimizer in self.all:
            optimizer.step()

    def compile_steps(self, mode: str) -> None:
        """SGD's step as one compiled function of tensors (``engines.training.compiled_update``);
        Muon's stays its own (its orthogonalisation is a few large matrix products already)."""
        from engines.training.compiled_update import CompiledUpdate

        self.all = [CompiledUpdate.make(optimizer, mode) or optimizer for optimizer in self.all]

    def uncompile_steps(self) -> None:
        self.all = [optimizer for optimizer in (self.sgd, self.muon) if optimizer is not None]

    def state_dict(self) -> dict[str, Any]:
        return {"sgd": self.sgd.state_dict(), "muon": self.muon.state_dict() if self.muon else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "sgd" not in state:  # a checkpoint of an SGD-only run: SGD's own state dict
            state = {"sgd": state, "muon": None}
        self.sgd.load_state_dict(state["sgd"])
        if self.muon is not None and state["muon"] is not None:
            self.muon.load_state_dict(state["muon"])

    def set_rates(self, peak_lr: float, factor: float, whiten_factor: float) -> None:
        """Every group at ``peak_lr`` × its share × ``factor`` (the schedule); the whitening
        bias's at ``whiten_factor`` instead of ``factor``."""
        for index, (group, share) in enumerate(zip(self.sgd.param_groups, self.factors)):
            group["lr"] = peak_lr * share * (whiten_factor if index == self.whiten_group else factor)
        if self.muon is not None:
            for group in self.muon.param_groups:
                group["lr"] = peak_lr * self.muon_factor * factor


def build(net: Any, recipe: Recipe, config: dict[str, Any], device_kind: str) -> Optimizers:
    """The recipe's optimizers for ``net`` at the run's peak lr and batch size."""
    batch_size, peak_lr = config["batch_size"], config["lr"]
    whitening = config["whitening"] == "on"
    trained = [p for p in net.parameters() if p.requires_grad]
    norm_biases = [m.bias for m in net.modules()
                   if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.bias is not None]
    whiten_bias = [net.whiten.bias] if whitening else []
    taken = {id(p) for p in norm_biases + whiten_bias}
    filters = [p for p in trained if p.ndim == 4 and id(p) not in taken] if recipe.muon else []
    taken |= {id(p) for p in filters}
    others = [p for p in trained if id(p) not in taken]
    decay = recipe.decay * batch_size / recipe.lr_batch  # per step at the peak, as airbench scales it
    groups, factors, whiten_group = [], [], None
    for params, factor in ((others, 1.0), (norm_biases, recipe.bias_lr_scale), (whiten_bias, recipe.bias_lr_scale
                                                                                 if recipe.muon else 1.0)):
        if params:
            lr = peak_lr * factor
            if params is whiten_bias:
                whiten_group = len(groups)
            groups.append({"params": params, "lr": lr, "weight_decay": decay / lr if decay and lr else 0.0})
            factors.append(factor)
    options = {"momentum": recipe.momentum, "nesterov": recipe.nesterov}
    try:
        sgd = torch.optim.SGD(groups, fused=device_kind in ("cpu", "cuda"), **options)
    except (RuntimeError, TypeError, ValueError):  # a torch without fused SGD here
        sgd = torch.optim.SGD(groups, **options)
    out = Optimizers(sgd, factors, whiten_group=whiten_group, all=[sgd])
    if filters:
        default_peak = recipe.lr * batch_size / recipe.lr_batch
        out.muon_factor = recipe.muon_lr / default_peak  # a student's lr scales Muon's rate alike
        out.muon = Muon(filters, lr=peak_lr * out.muon_factor, momentum=recipe.muon_momentum,
                        nesterov=recipe.muon_nesterov, ns_steps=recipe.ns_steps,
                        shape_scale=recipe.muon_shape_scale, normalize_weights=recipe.muon_normalize_weights)
        out.all.append(out.muon)
    return out


def whiten_bias_factor(schedule: str, factor: float, step: int, steps_per_epoch: int, epoch: int) -> float:
    """The whitening bias's schedule: the run's until epoch 3, then frozen (airbench94);
    with ``linear``, from 1 down to 0 over the first 3 epochs (airbench94_muon)."""
    if schedule == "linear":
        return schedule_factor("linear", step, math.ceil(WHITEN_BIAS_EPOCHS * steps_per_epoch))
    return factor if epoch < WHITEN_BIAS_EPOCHS else 0.0
