"""The compiled optimizer step of benchmark runs: the same numbers as torch.optim's own step,
on the optimizer's own state, compiled once for every later run."""

import copy

import pytest
import torch

from engines.training.compiled_update import CompiledUpdate, adam_update, sgd_update


def two_layer(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


# Tolerance: float32 rounding of the same formulas in another order (a step is ~lr = 0.05 here).
def train(model, step, scheduler=None, steps=6):
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(16, 12, generator=g), torch.randint(0, 3, (16,), generator=g)
    for _ in range(steps):
        model.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        step()
        if scheduler is not None:
            scheduler.step()
    return [p.detach().clone() for p in model.parameters()]


def onecycle(optimizer):
    return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=10, cycle_momentum=False)


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.7, 0.9)])
def test_the_adam_update_is_torchs_adam_under_a_changing_rate(betas, monkeypatch):
    # The formulas run uncompiled here (fast); the last test runs the compiled code.
    monkeypatch.setattr("engines.training.compiled_update._compiled", lambda kind, mode: adam_update)
    reference_model, model = two_layer(0), two_layer(0)
    reference = torch.optim.Adam(reference_model.parameters(), lr=0.05, betas=betas)
    schedule = onecycle(reference)  # before taking .step: the schedule wraps it
    expected = train(reference_model, reference.step, schedule)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05, betas=betas)
    update = CompiledUpdate.make(optimizer, "on")
    got = train(model, update.step, onecycle(optimizer))
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert float(optimizer.state[model[0].weight]["step"]) == 6  # its own state, counted as torch counts


@pytest.mark.parametrize("nesterov,decay", [(False, 0.0), (True, 5e-4)])
def test_the_sgd_update_is_torchs_sgd_with_per_group_rates(nesterov, decay, monkeypatch):
    monkeypatch.setattr("engines.training.compiled_update._compiled", lambda kind, mode: sgd_update)

    def groups(model):
        return [{"params": list(model[0].parameters()), "lr": 0.1, "weight_decay": decay},
                {"params": list(model[2].parameters()), "lr": 0.02, "weight_decay": 0.0}]

    reference_model, model = two_layer(3), two_layer(3)
    reference = torch.optim.SGD(groups(reference_model), momentum=0.9, nesterov=nesterov)
    expected = train(reference_model, reference.step)
    optimizer = torch.optim.SGD(groups(model), momentum=0.9, nesterov=nesterov)
    got = train(model, CompiledUpdate.make(optimizer, "on").step)
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_options_outside_the_formulas_keep_torchs_own_step():
    model = two_layer(0)
    assert CompiledUpdate.make(torch.optim.Adam(model.parameters(), amsgrad=True), "on") is None
    assert CompiledUpdate.make(torch.optim.AdamW(model.parameters()), "on") is None
    assert CompiledUpdate.make(torch.optim.SGD(model.parameters(), lr=0.1, dampening=0.5), "on") is None


def test_a_loaded_checkpoint_continues_from_its_state(monkeypatch):
    monkeypatch.setattr("engines.training.compiled_update._compiled", lambda kind, mode: adam_update)
    reference_model, model = two_layer(0), two_layer(0)
    reference = torch.optim.Adam(reference_model.parameters(), lr=0.01)
    train(reference_model, reference.step, steps=3)
    saved_model, saved_optimizer = copy.deepcopy(reference_model.state_dict()), copy.deepcopy(reference.state_dict())
    expected = train(reference_model, reference.step, steps=3)
    model.load_state_dict(saved_model)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    update = CompiledUpdate.make(optimizer, "on")
    optimizer.load_state_dict(saved_optimizer)  # after the update was made, as a resumed run does
    got = train(model, update.step, steps=3)
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_compiled_once_every_later_run_reuses_it():
    from torch._dynamo.utils import counters

    first_model = two_layer(0)
    first = torch.optim.Adam(first_model.parameters(), lr=0.01)
    expected_model = two_layer(0)
    expected_optimizer = torch.optim.Adam(expected_model.parameters(), lr=0.01)
    expected = train(expected_model, expected_optimizer.step, steps=2)
    got = train(first_model, CompiledUpdate.make(first, "on").step, steps=2)
    for a, b in zip(got, expected):  # the real compiled code gives torch's numbers too
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    graphs = counters["stats"]["unique_graphs"]
    second_model = two_layer(1)  # a new run: a new model and a new optimizer
    train(second_model, CompiledUpdate.make(torch.optim.Adam(second_model.parameters(), lr=0.01), "on").step, steps=2)
    assert counters["stats"]["unique_graphs"] == graphs
