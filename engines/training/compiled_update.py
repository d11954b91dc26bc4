"""The optimizer step as one compiled function of tensors, for benchmark runs with ``compile``.

``torch.compile`` of ``optimizer.step()`` guards on the optimizer object, so every new run
(each seed's new optimizer) compiles again — a third of a second on a CPU, more than the
whole MNIST run on a GPU. Written as a plain function of tensor lists (parameters,
gradients, the optimizer's own state tensors, one learning-rate tensor per group), it is
compiled once per process and shape, and every later run reuses it. The learning rate is a
tensor on the device, refilled from the schedule before each step (a fill, no host wait), so
a changing rate never recompiles, and under ``reduce-overhead`` the update is replayed as a
CUDA graph like the forward and backward.

The update is exactly ``torch.optim.Adam`` (no weight decay, no amsgrad) or ``torch.optim.SGD``
(momentum, Nesterov, weight decay): it works on the optimizer's own state, so checkpoints,
``state_dict`` and a later uncompiled run continue as if ``optimizer.step()`` had run. Anything
else (another optimizer, options outside these) keeps ``optimizer.step()``.
"""

from __future__ import annotations

from typing import Any, Callable

import torch


def adam_update(params: list[Any], grads: list[Any], exp_avgs: list[Any], exp_avg_sqs: list[Any],
                steps: list[Any], lrs: list[Any], beta1: float, beta2: float, eps: float) -> None:
    """Adam's formulas (Kingma & Ba, as torch.optim.Adam applies them), one group per ``lrs`` entry
    in the order of the lists."""
    for param, grad, m, v, step, lr in zip(params, grads, exp_avgs, exp_avg_sqs, steps, lrs):
        step.add_(1)
        m.lerp_(grad, 1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias1 = 1 - beta1 ** step
        bias2 = 1 - beta2 ** step
        param.sub_(lr / bias1 * m / (v.sqrt() / bias2.sqrt() + eps))


def sgd_update(params: list[Any], grads: list[Any], buffers: list[Any], lrs: list[Any], decays: list[float],
               momentum: float, nesterov: bool) -> None:
    """SGD with momentum as torch.optim.SGD applies it (no dampening): the buffer starts at 0,
    so its first step is the gradient itself, as torch's first step is."""
    for param, grad, buffer, lr, decay in zip(params, grads, buffers, lrs, decays):
        if decay:
            grad = grad + decay * param
        if momentum:
            buffer.mul_(momentum).add_(grad)
            grad = grad + momentum * buffer if nesterov else buffer
        param.sub_(lr * grad)


_COMPILED: dict[tuple[str, str], Callable[..., None]] = {}


def _compiled(kind: str, mode: str) -> Callable[..., None]:
    key = (kind, mode)
    if key not in _COMPILED:
        function = adam_update if kind == "adam" else sgd_update
        options = {"mode": "reduce-overhead"} if mode == "reduce-overhead" else {}
        _COMPILED[key] = torch.compile(function, dynamic=False, **options)
    return _COMPILED[key]


class CompiledUpdate:
    """``optimizer.step()`` through a compiled update, or None from ``make`` when the optimizer
    has options the compiled update does not cover."""

    def __init__(self, optimizer: Any, kind: str, mode: str) -> None:
        self.optimizer, self.kind, self.mode = optimizer, kind, mode
        self.function = _compiled(kind, mode)
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        device = self.params[0].device
        # One rate tensor per parameter (a view of its group's), so the lists line up.
        self.group_lrs = [torch.tensor(float(group["lr"]), device=device) for group in optimizer.param_groups]
        self.lrs = [lr for group, lr in zip(optimizer.param_groups, self.group_lrs) for _ in group["params"]]
        self.decays = [float(group.get("weight_decay", 0.0)) for group in optimizer.param_groups
                       for _ in group["params"]]
        self._state_seen: Any = None  # the optimizer's state dict we filled (load_state_dict replaces it)

    @staticmethod
    def make(optimizer: Any, mode: str) -> "CompiledUpdate | None":
        groups = optimizer.param_groups
        if isinstance(optimizer, torch.optim.Adam) and not isinstance(optimizer, torch.optim.AdamW) and all(
                not g["amsgrad"] and not g["weight_decay"] and not g["maximize"] for g in groups) \
                and len({(g["betas"], g["eps"]) for g in groups}) == 1:
            return CompiledUpdate(optimizer, "adam", mode)
        if type(optimizer) is torch.optim.SGD and all(not g["dampening"] and not g["maximize"] for g in groups) \
                and len({(g["momentum"], g["nesterov"]) for g in groups}) == 1:
            return CompiledUpdate(optimizer, "sgd", mode)
        return None

    def _init_state(self) -> None:
        """The state tensors torch would create at the first step (zeros; Adam's step counter on
        the device, as fused Adam keeps it), unless a checkpoint already filled them."""
        state = self._state_seen = self.optimizer.state
        for param in self.params:
            entry = state[param]
            if self.kind == "adam":
                if "step" not in entry:
                    entry["step"] = torch.zeros((), dtype=torch.float32, device=param.device)
                    entry["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                    entry["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                elif entry["step"].device != param.device:  # a checkpoint of an unfused run keeps it on the CPU
                    entry["step"] = entry["step"].to(param.device, torch.float32)
            elif entry.get("momentum_buffer") is None:
                entry["momentum_buffer"] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def step(self) -> None:
        grads = [p.grad for p in self.params]
        if any(g is None for g in grads):  # a parameter that took no part: torch's own step skips it
            self.optimizer.step()
            return
        self.optimizer._opt_called = True  # what optimizer.step() marks: a schedule then steps without a warning
        if self.optimizer.state is not self._state_seen:  # the first step, or a checkpoint loaded since
            self._init_state()
        for group, lr in zip(self.optimizer.param_groups, self.group_lrs):
            lr.fill_(group["lr"])  # the schedule's rate for this step: a fill on the device, no wait
        state = self.optimizer.state
        with torch.no_grad():
            if self.kind == "adam":
                group = self.optimizer.param_groups[0]
                self.function(self.params, grads, [state[p]["exp_avg"] for p in self.params],
                              [state[p]["exp_avg_sq"] for p in self.params], [state[p]["step"] for p in self.params],
                              self.lrs, group["betas"][0], group["betas"][1], group["eps"])
            else:
                group = self.optimizer.param_groups[0]
                self.function(self.params, grads, [state[p]["momentum_buffer"] for p in self.params], self.lrs,
                              self.decays, group["momentum"], group["nesterov"])
