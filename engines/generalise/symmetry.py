"""Symmetry, not overfitting: why a network's weights start random (``gen.symmetry``).

A 784-16-10 MLP starts either with every weight equal (``SYMMETRY_EQUAL_WEIGHT``, biases
0) or with PyTorch's random initialisation, and trains with Adam. With equal weights every
hidden unit computes the same function, so each receives the same gradient and the same
update: they stay identical through any amount of training and the network behaves like
one with a single hidden unit — its accuracy stays low. Random starting weights break the
symmetry; overfitting has nothing to do with it.

The run also holds the small training loop the compression engine (``gen.compress``)
reuses: the images on the device, a per-epoch permutation, Progress every
``LOG_EVERY`` steps, and an evaluation of the whole training subset and test set after
each epoch.

Events: ``Started``; ``Artifact("note")``; ``Progress(step, loss, epoch)``;
``Evaluated(epoch, {train_accuracy, test_accuracy, distinct_units})``; at the end
``Artifact("images")`` (the first 8 hidden units' incoming weights as 28×28 pictures,
scaled together to 0..255), ``Artifact("table")`` (each unit's largest difference from
unit 1) and ``Finished(reason, {steps, seconds, train_accuracy, test_accuracy,
unit_spread, distinct_units})``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from engines.core.events import Artifact, Evaluated, Event, Finished, Progress, Started
from engines.core.params import Param, ParamError
from engines.core.runtime import Control, EngineSpec
from engines.generalise import data
from engines.generalise.measure import accuracy_and_loss
from engines.generalise.defaults import SYMMETRY_EQUAL_WEIGHT, SYMMETRY_HIDDEN
from engines.training.specs import LR
from lab_i18n import N_, _

LOG_EVERY = 20  # optimizer steps between loss read-backs (a read-back makes the CPU wait for a GPU)
SHOWN_UNITS = 8
SAME_UNIT = 1e-6  # a unit whose incoming weights all lie this close to unit 1's counts as the same unit


# --- the loop gen.symmetry and gen.compress share --------------------------------------


def base_params(subset: int, epochs: int = 3) -> tuple[Param, ...]:
    """The data and training parameters of both engines."""
    return (
        Param("dataset", str, "fashion-mnist", N_("which images"), choices=data.DATASETS),
        Param("epochs", int, epochs, N_("passes over the training images"), minimum=1, maximum=100),
        LR,
        Param("batch_size", int, 64, N_("images per step"), minimum=1, maximum=60_000),
        Param("subset", int, subset, N_("train on this many random training images (0: all)"), minimum=0,
              maximum=60_000),
        Param("seed", int, 0, N_("seed of the initial weights, the subset and the data order"), minimum=0,
              maximum=2**31 - 1),
        Param("download", bool, True, N_("download missing data from the internet")),
    )


def check_sizes(config: dict[str, Any], train_size: int) -> None:
    """Refuse a batch larger than the training images, in one sentence (a subset larger
    than the dataset means all of it, as 0 does)."""
    images = min(config["subset"] or train_size, train_size)
    if config["batch_size"] > images:
        raise ParamError(_("batch_size is {batch} but there are only {images} training images; choose a "
                           "batch_size of at most {images}.").format(batch=config["batch_size"], images=images))


@dataclass
class Prepared:
    """The run's images on its device, and what the status bar calls the device."""

    images: data.Images
    tensors: data.Tensors
    device: Any
    label: str


def prepare(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Check sizes, fetch the images and put the chosen ones on the device; return
    ``Prepared``, or None after a ``Failed`` (missing data) or a stop. Use with ``yield from``."""
    check_sizes(config, data.train_size(config["dataset"]))
    images = yield from data.fetch(config["dataset"], ctl, config["download"])
    if images is None:
        return None
    check_sizes(config, len(images.train_labels))

    import torch

    from engines.core.device import cpu_device
    from engines.training.base import setup_device
    from engines.training.thread_choice import unmeasured_threads

    device = setup_device(ctl)
    if device.kind == "cpu":
        torch.set_num_threads(unmeasured_threads(config["batch_size"], device.threads))
    index = data.random_subset(len(images.train_labels), config["subset"], config["seed"])
    tensors = data.to_tensors(images, device.name, index)
    label = cpu_device(torch.get_num_threads()).label if device.kind == "cpu" else device.label
    return Prepared(images, tensors, device, label)


def build_mlp(hidden: int) -> Any:
    """784-hidden-10 with ReLU, as ``nn.Sequential`` (flatten, fc1, relu1, out)."""
    from collections import OrderedDict

    from torch import nn

    return nn.Sequential(OrderedDict([("flatten", nn.Flatten()), ("fc1", nn.Linear(28 * 28, hidden)),
                                      ("relu1", nn.ReLU()), ("out", nn.Linear(hidden, 10))]))


def steps_per_epoch(tensors: data.Tensors, batch_size: int) -> int:
    return math.ceil(len(tensors.train_y) / batch_size)


@dataclass
class Outcome:
    """How training ended: "completed", "stopped" or "diverged" (``summary``: step, sentence, loss)."""

    reason: str
    step: int
    metrics: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def train(model: Any, tensors: data.Tensors, config: dict[str, Any], ctl: Control,
          extra_metrics: Callable[[Any], dict[str, Any]] | None = None, report_steps: bool = True) -> Iterator[Event]:
    """Adam on cross-entropy for ``config["epochs"]`` epochs: Progress every ``LOG_EVERY``
    steps and at each epoch's end (unless not ``report_steps``: a run whose steps count
    something else), Evaluated after each epoch; return an ``Outcome``."""
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    order_rng = torch.Generator().manual_seed(config["seed"])
    x, y, batch = tensors.train_x, tensors.train_y, config["batch_size"]
    step, metrics = 0, {}
    model.train()
    for epoch in range(1, config["epochs"] + 1):
        order = torch.randperm(len(y), generator=order_rng).to(x.device)
        window, count = torch.zeros((), device=x.device), 0
        for start in range(0, len(y), batch):
            if ctl.stop_requested:
                return Outcome("stopped", step, metrics)
            ctl.poll()
            index = order[start:start + batch]
            loss = torch.nn.functional.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step, count = step + 1, count + 1
            window += loss.detach()
            if step % LOG_EVERY and start + batch < len(y):
                continue
            mean = float(window) / count
            window, count = torch.zeros((), device=x.device), 0
            if not math.isfinite(mean):
                message = _("Stopped at step {step}: the loss became {loss} — the updates grew without bound (the "
                            "run diverged). Try a smaller learning rate than lr={lr}.").format(
                    step=step, loss=mean, lr=f"{config['lr']:g}")
                return Outcome("diverged", step, metrics, {"step": step, "message": message, "loss": mean})
            if report_steps:
                yield Progress(step=step, loss=mean, epoch=epoch)
        train_accuracy, _train_loss = accuracy_and_loss(model, x, y)
        test_accuracy, _test_loss = accuracy_and_loss(model, tensors.test_x, tensors.test_y)
        metrics = {"train_accuracy": train_accuracy, "test_accuracy": test_accuracy}
        metrics.update(extra_metrics(model) if extra_metrics else {})
        yield Evaluated(epoch, dict(metrics))
    return Outcome("completed", step, metrics)


# --- the symmetry run --------------------------------------------------------------------


def unit_differences(model: Any) -> list[float]:
    """Each hidden unit's largest |difference| from unit 1 over its incoming weights and bias."""
    import torch

    with torch.no_grad():
        incoming = torch.cat([model.fc1.weight, model.fc1.bias[:, None]], dim=1)
        return (incoming - incoming[:1]).abs().amax(dim=1).tolist()


def _distinct(model: Any) -> dict[str, Any]:
    return {"distinct_units": sum(d > SAME_UNIT for d in unit_differences(model))}


def _unit_pictures(model: Any) -> dict[str, Any]:
    weights = model.fc1.weight.detach()[:SHOWN_UNITS].float().cpu()
    low, high = float(weights.min()), float(weights.max())
    scaled = (weights - low) / (high - low) * 255 if high > low else weights * 0 + 128
    pixels = scaled.round().clamp(0, 255).int().reshape(-1, 28, 28).tolist()
    return {"title": _("The first {n} hidden units' incoming weights (dark: low, light: high)").format(
                n=len(pixels)),
            "images": [{"caption": _("unit {n}").format(n=i + 1), "pixels": p} for i, p in enumerate(pixels)]}


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    prepared = yield from prepare(config, ctl)
    if prepared is None:
        return

    import torch

    torch.manual_seed(config["seed"])
    model = build_mlp(SYMMETRY_HIDDEN).to(prepared.device.name)
    if config["init"] == "equal":
        with torch.no_grad():
            for layer in (model.fc1, model.out):
                layer.weight.fill_(SYMMETRY_EQUAL_WEIGHT)
                layer.bias.zero_()
    tensors = prepared.tensors
    yield Started(device=prepared.label, config=dict(config),
                  total_steps=steps_per_epoch(tensors, config["batch_size"]) * config["epochs"], seed=config["seed"])
    start = time.perf_counter()
    how = (_("every weight {w}, every bias 0").format(w=f"{SYMMETRY_EQUAL_WEIGHT:g}") if config["init"] == "equal"
           else _("PyTorch's random initial weights (seed {seed})").format(seed=config["seed"]))
    yield Artifact("note", _("A 784-{hidden}-10 MLP starting from {how}, trained with Adam on {images} images of "
                             "{title}.").format(hidden=SYMMETRY_HIDDEN, how=how, images=len(tensors.train_y),
                                                title=_(prepared.images.title)))
    outcome = yield from train(model, tensors, config, ctl, _distinct)
    differences = unit_differences(model)
    summary = {"steps": outcome.step, "seconds": round(time.perf_counter() - start, 3), **outcome.metrics,
               "unit_spread": max(differences), "distinct_units": sum(d > SAME_UNIT for d in differences)}
    if outcome.reason == "diverged":
        yield Finished("diverged", {**summary, **outcome.summary})
        return
    yield Artifact("images", _unit_pictures(model))
    yield Artifact("table", {
        "title": _("How far each hidden unit's incoming weights lie from unit 1's"),
        "columns": [_("unit"), _("largest difference from unit 1"), _("same as unit 1")],
        "rows": [[i + 1, f"{d:.2e}", _("yes") if d <= SAME_UNIT else _("no")] for i, d in enumerate(differences)]})
    if outcome.reason == "completed":
        summary["message"] = _("{distinct} of the {others} other hidden units differ from unit 1 after training; "
                               "test accuracy {accuracy}.").format(
            distinct=summary["distinct_units"], others=len(differences) - 1,
            accuracy=f"{summary['test_accuracy']:.1%}")
    yield Finished(outcome.reason, summary)


ENGINE = EngineSpec(
    name="gen.symmetry",
    title="Equal or random initial weights: do the hidden units stay the same?",
    params=(Param("init", str, "equal", N_("starting weights: equal (every weight the same) or random"),
                  choices=("equal", "random")),
            *base_params(subset=10_000)),
    run=run,
    needs_torch=True,
    smoke={"dataset": "synthetic", "subset": 500, "epochs": 1},
)
