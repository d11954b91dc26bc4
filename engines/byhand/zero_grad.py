"""The classic PyTorch bug: a training loop without ``optimizer.zero_grad()``.

``loss.backward()`` *adds* this step's gradient to ``.grad``; without clearing it, step
k uses the sum of all k gradients so far, so the effective learning rate grows every
step and the loss, after a good start, swings and climbs. The engine trains the same
model on the same data twice in lockstep — once with the loop as published, once fixed
— so the two loss curves can be drawn side by side.
"""

from __future__ import annotations

from typing import Any, Iterator

from engines.core.events import Artifact, Event, Progress, Started
from engines.core.params import Param
from engines.core.runtime import Control, EngineSpec
from lab_i18n import N_, _

POINTS = 64
TRUE_W, TRUE_B = 3.0, 1.0


def _data(torch: Any, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(POINTS, 1, generator=g) * 2 - 1
    y = TRUE_W * x + TRUE_B + 0.1 * torch.randn(POINTS, 1, generator=g)
    return x, y


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    import torch

    loops = ("buggy", "fixed") if config["loop"] == "both" else (config["loop"],)
    x, y = _data(torch, config["seed"])
    models, optimizers = {}, {}
    for name in loops:
        torch.manual_seed(config["seed"])  # the same initial weights for both loops
        models[name] = torch.nn.Linear(1, 1).double()
        optimizers[name] = torch.optim.SGD(models[name].parameters(), lr=config["lr"])
    x, y = x.double(), y.double()
    yield Started(device="cpu", config=dict(config), total_steps=config["steps"], seed=config["seed"])
    note = (N_("{points} points around y = {w}x + {b}; plain SGD, lr = {lr}, the same initial weights for both loops.")
            if len(loops) > 1 else N_("{points} points around y = {w}x + {b}; plain SGD, lr = {lr}, the {loop} loop."))
    yield Artifact("note", _(note).format(points=POINTS, w=f"{TRUE_W:g}", b=f"{TRUE_B:g}", lr=f"{config['lr']:g}",
                                          loop=loops[0]))
    for step in range(config["steps"] + 1):
        if ctl.stop_requested:
            return
        ctl.poll()
        values: dict[str, float] = {}
        for name in loops:
            model, optimizer = models[name], optimizers[name]
            if name == "fixed":
                optimizer.zero_grad()  # the line the published loop lacks
            loss = torch.nn.functional.mse_loss(model(x), y)
            values[f"{name}_loss"] = loss.item()
            if step < config["steps"]:
                loss.backward()  # adds into .grad: without zero_grad it keeps every past gradient
                values[f"{name}_grad"] = float(model.weight.grad.abs().sum())
                optimizer.step()
        yield Progress(step=step, loss=values[f"{loops[0]}_loss"], lr=config["lr"], values=values)


ENGINE = EngineSpec(
    name="opt.zero_grad",
    title="A training loop with and without zero_grad()",
    params=(
        Param("loop", str, "both", N_("which loop: buggy (as published), fixed, or both side by side"),
              choices=("buggy", "fixed", "both")),
        Param("lr", float, 0.1, N_("learning rate"), minimum=0.0, exclusive_minimum=True, maximum=10.0),
        Param("steps", int, 60, N_("training steps"), minimum=1, maximum=100_000),
        Param("seed", int, 0, N_("seed of the data and the initial weights"), minimum=0, maximum=2**31 - 1),
    ),
    run=run,
    needs_torch=True,
    smoke={"steps": 5},
)
