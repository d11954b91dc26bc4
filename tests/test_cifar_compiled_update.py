"""The CIFAR-10 recipes' SGD groups (their own rates, decoupled decay, the whitening bias)
stepped by the compiled update give what SGD's own step gives."""

import copy

import pytest
import torch

from engines.cifar import engine as cifar
from engines.cifar import nets as cifar_nets
from engines.cifar import optimizers
from engines.cifar.recipe import recipe_of, resolve
from engines.training.compiled_update import sgd_update


# Muon orthogonalises in bf16: a rounding-level change in its input after a first step moves
# its update by whole bf16 steps, so the Muon recipe is compared after one step (its SGD
# groups then get identical gradients), the SGD recipe after three (momentum at work).
@pytest.mark.parametrize("recipe_name,steps", [("airbench94", 3), ("airbench94-muon", 1)])
def test_compiled_sgd_groups_match_sgds_own_step(recipe_name, steps, monkeypatch):
    # The formulas run uncompiled (fast); tests/test_compiled_update.py runs the compiled code.
    monkeypatch.setattr("engines.training.compiled_update._compiled", lambda kind, mode: sgd_update)
    config = resolve({**{p.name: p.default for p in cifar.PARAMS}, "model": "fast", "recipe": recipe_name}, "cuda")
    torch.manual_seed(0)
    reference_net = cifar_nets.build("fast")
    net = copy.deepcopy(reference_net)
    start = [p.detach().clone() for p in net.parameters()]
    x = torch.randn(8, 3, 32, 32)
    y = torch.randint(0, 10, (8,))
    results = []
    for model, compiled in ((reference_net, False), (net, True)):
        opts = optimizers.build(model, recipe_of(config), config, "cpu")
        if compiled:
            opts.compile_steps("on")
            assert any(type(o).__name__ == "CompiledUpdate" for o in opts.all)
        for step in range(steps):
            opts.set_rates(config["lr"], 0.5 + 0.2 * step, 0.3)  # every group's rate changes each step
            model.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opts.step()
        results.append([p.detach().clone() for p in model.parameters()])
    for a, b, before in zip(*results, start):
        moved = float((a - before).abs().max())  # rates up to 86 (the BatchNorm shifts): judged against the move
        assert float((a - b).abs().max()) <= 1e-3 * moved + 1e-7
