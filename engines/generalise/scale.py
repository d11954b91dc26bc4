"""Scale, measured (``gen.scale``): test loss against model width or training-set size.

A sweep trains 784-w-10 MLPs one after another on the same task with the same compute
rule — ``epochs`` passes over its training images, Adam at ``lr``, batches of
``batch_size`` — either at a fixed number of images with growing hidden width (``sweep``
"width": test loss against parameters) or at a fixed width with growing nested subsets
of the training set (``sweep`` "data": test loss against images). Each model's point
appears as soon as it has trained; after the first model the run says how long the
whole sweep will take on this device. At the end a power law L ≈ a·X^slope is fitted on
log–log axes to all points and to the upper half (where the small-model or small-data
end has bent away from the line).

Events, in order:

* ``Artifact("download", …)`` while missing data downloads;
* ``Started(device, config, total_steps = number of models, seed)``;
* ``Artifact("note", "the compute rule")``;
* per model k = 1…N: ``Progress(step=k, loss=test_loss, values={"parameters_x": params,
  "parameters": test_loss, "test_accuracy": acc, "seconds": s})`` (``images_x``/``images`` in
  the data sweep), and after the first one ``Artifact("note", "N models, about T on this …")``;
* ``Progress(step=N, values={"fit_x", "fit"})`` twice (the ends of the fitted line), and the
  same for the upper half's line as ``upper_x``/``upper``;
* ``Artifact("table", …)``: each model's size, test loss, accuracy, local slope and seconds;
* ``Finished(reason, {steps, seconds, sweep, slope, intercept, r2, slope_upper,
  intercept_upper, points, accuracies, model_seconds, estimate_seconds})``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from engines.core.events import Artifact, Event, Finished, Progress, Started
from engines.core.numbers import formula_number
from engines.core.params import Param, ParamError
from engines.core.runtime import Control, EngineSpec
from engines.generalise import data, defaults, powerlaw
from engines.generalise.measure import accuracy_and_loss
from lab_i18n import N_, _

SCALE_BATCH = 250  # images per step: large enough that a 784-w-10 MLP step is matrix work, not overhead
SCALE_LR = 0.003  # Adam's rate, a little above the usual 0.001 for the larger batches
MAX_WIDTH = 4096
MAX_MODELS = 16


def _joined(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)


PARAMS = (
    Param("dataset", str, "fashion-mnist", N_("which images"), choices=data.DATASETS),
    Param("sweep", str, "width", N_("what grows: width (hidden units, at a fixed number of images) or data "
                                    "(training images, at a fixed width)"), choices=("width", "data")),
    Param("widths", str, _joined(defaults.SCALE_WIDTHS), N_("hidden widths of the width sweep, separated by "
                                                           "commas")),
    Param("sizes", str, _joined(defaults.SCALE_SIZES), N_("training images of each model of the data sweep, "
                                                         "separated by commas")),
    Param("images", int, defaults.SCALE_IMAGES, N_("training images of every model of the width sweep"),
          minimum=10, maximum=60_000),
    Param("width", int, defaults.SCALE_WIDTH, N_("hidden width of every model of the data sweep"), minimum=1,
          maximum=MAX_WIDTH),
    Param("epochs", int, defaults.SCALE_EPOCHS, N_("passes over its training images for every model"), minimum=1,
          maximum=1000),
    Param("batch_size", int, SCALE_BATCH, N_("images per step"), minimum=1, maximum=60_000),
    Param("lr", float, SCALE_LR, N_("Adam's learning rate"), minimum=0.0, exclusive_minimum=True, maximum=1.0),
    Param("seed", int, 0, N_("seed of initial weights, subsets and data order"), minimum=0, maximum=2**31 - 1),
    Param("download", bool, True, N_("download missing data from the internet")),
)


def parse_list(name: str, text: str, low: int, high: int) -> tuple[int, ...]:
    """The whole numbers of ``text`` ("2,4,8"), sorted and without repeats; a ParamError
    (one sentence) unless there are two or more, each from ``low`` to ``high``."""
    try:
        values = sorted({int(part) for part in text.replace(" ", "").split(",") if part})
    except ValueError:
        values = []
    if not values or values[0] < low or values[-1] > high or len(values) > MAX_MODELS:
        raise ParamError(_("{name} must be up to {most} whole numbers from {low} to {high} separated by commas, "
                           "such as {example}, not {given}.").format(
            name=name, most=MAX_MODELS, low=low, high=high, example="2,8,32", given=repr(text)))
    if len(values) < 2:
        raise ParamError(_("{name} needs at least two different values to fit a line through, not {given}.")
                         .format(name=name, given=repr(text)))
    return tuple(values)


def _plan(config: dict[str, Any]) -> tuple[str, list[tuple[int, int]]]:
    """The sweep's x name and its models as (width, images), smallest first."""
    if config["sweep"] == "width":
        widths = parse_list("widths", config["widths"], 1, MAX_WIDTH)
        return "parameters", [(w, config["images"]) for w in widths]
    sizes = parse_list("sizes", config["sizes"], 10, 60_000)
    return "images", [(config["width"], n) for n in sizes]


def parameters(width: int) -> int:
    """Weights and biases of 784-width-10."""
    return (data.SIDE * data.SIDE + 1) * width + (width + 1) * 10


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Train the sweep's models, yielding the events listed in the module docstring."""
    axis, models = _plan(config)
    import torch

    from engines.core.device import cpu_device
    from engines.training.base import setup_device

    device = setup_device(ctl)
    images = yield from data.fetch(config["dataset"], ctl, download=config["download"])
    if images is None:
        return
    largest = max(n for _w, n in models)
    if largest > len(images.train_labels):
        raise ParamError(_("{what} asks for {n} training images but {title} has only {size}; choose at most "
                           "{size}.").format(what="images" if config["sweep"] == "width" else "sizes", n=largest,
                                             title=_(images.title), size=len(images.train_labels)))
    if device.kind == "cpu":
        from engines.training.thread_choice import unmeasured_threads

        torch.set_num_threads(unmeasured_threads(config["batch_size"], device.threads))
    label = cpu_device(torch.get_num_threads()).label if device.kind == "cpu" else device.label
    # Nested subsets: each model takes the first n of one random order, so every larger set
    # holds the smaller ones and each is a uniform random sample.
    order = np.random.default_rng(config["seed"]).permutation(len(images.train_labels))[:largest]
    tensors = data.to_tensors(images, device.name, train_index=order)
    seed = config["seed"]
    yield Started(device=label, config=dict(config), total_steps=len(models), seed=seed)
    yield Artifact("note", _("{count} models of 784-w-10, each trained for {epochs} epochs over its images with "
                             "Adam (lr {lr}, batches of {batch}): the same compute rule for all, so the compute "
                             "grows with parameters × images.").format(
        count=len(models), epochs=config["epochs"], lr=f"{config['lr']:g}", batch=config["batch_size"]))

    start = time.perf_counter()
    xs: list[int] = []
    losses: list[float] = []
    accuracies: list[float] = []
    seconds: list[float] = []
    estimate = None
    for k, (width, count) in enumerate(models, 1):
        result = train_model(torch, tensors, width, count, config, seed + k, ctl)
        if result is None:  # stopped during the model's epochs
            yield _stopped(k - 1, start, xs, losses)
            return
        x = parameters(width) if axis == "parameters" else count
        xs.append(x)
        losses.append(result.test_loss)
        accuracies.append(result.test_accuracy)
        seconds.append(result.seconds)
        if not math.isfinite(result.test_loss):
            yield Finished("diverged", {"step": k, "loss": result.test_loss, "steps": k - 1,
                                        "seconds": time.perf_counter() - start,
                                        "message": _("The test loss of model {k} is not a number: lower lr and "
                                                     "run again.").format(k=k)})
            return
        yield Progress(step=k, loss=result.test_loss, values={
            f"{axis}_x": x, axis: result.test_loss, "test_accuracy": result.test_accuracy, "seconds": result.seconds})
        if k == 1:
            estimate = calibrate(torch, tensors, models, result, config)
            yield Artifact("note", _("{count} models; about {time} on this {device}.").format(
                count=len(models), time=describe_seconds(estimate), device=label))
        if ctl.stop_requested:
            yield _stopped(k, start, xs, losses)
            return

    summary = {"steps": len(models), "seconds": round(time.perf_counter() - start, 2), "sweep": config["sweep"],
               "points": [[x, loss] for x, loss in zip(xs, losses)], "accuracies": accuracies,
               "model_seconds": [round(s, 3) for s in seconds],
               "estimate_seconds": round(estimate, 2) if estimate is not None else None}
    slope, intercept, r2 = powerlaw.fit(xs, losses)
    upper_xs, upper_losses = powerlaw.upper_half(xs, losses)
    slope_upper, intercept_upper, _r2 = powerlaw.fit(upper_xs, upper_losses)
    for name, (a, b), ends in (("fit", (slope, intercept), (xs[0], xs[-1])),
                               ("upper", (slope_upper, intercept_upper), (upper_xs[0], upper_xs[-1]))):
        for x in ends:
            yield Progress(step=len(models), loss=losses[-1],
                           values={f"{name}_x": x, name: powerlaw.predict(x, a, b)})
    yield Artifact("table", _table(axis, xs, losses, accuracies, seconds, slope, slope_upper))
    summary.update(slope=round(slope, 4), intercept=round(intercept, 4), r2=round(r2, 4),
                   slope_upper=round(slope_upper, 4), intercept_upper=round(intercept_upper, 4))
    summary["message"] = _("{count} models: test loss ≈ {a}·{x}^{slope} over all of them, slope {upper} over the "
                           "larger half.").format(
        count=len(models), a=f"{10 ** intercept:.3g}", x=_("parameters") if axis == "parameters" else _("images"),
        slope=formula_number(slope, ".3f"), upper=formula_number(slope_upper, ".3f"))
    yield Finished("completed", summary)


@dataclass
class Trained:
    """One trained model's figures; the seconds split into training steps and the evaluation."""

    test_loss: float
    test_accuracy: float
    steps: int
    train_seconds: float
    eval_seconds: float

    @property
    def seconds(self) -> float:
        return self.train_seconds + self.eval_seconds


def _mlp(torch: Any, width: int, seed: int, device: str) -> Any:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(data.SIDE * data.SIDE, width), torch.nn.ReLU(),
                               torch.nn.Linear(width, 10)).to(device)


def train_model(torch: Any, tensors: data.Tensors, width: int, count: int, config: dict[str, Any], seed: int,
                ctl: Control) -> Trained | None:
    """Train 784-width-10 on the first ``count`` training images and evaluate it on the test
    set; None when a stop was asked for (looked at once per epoch)."""
    train_x = tensors.train_x[:count].flatten(1)
    train_y = tensors.train_y[:count]
    model = _mlp(torch, width, seed, tensors.train_x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    batch = min(config["batch_size"], count)
    order_seed = torch.Generator().manual_seed(seed)
    steps = 0
    began = time.perf_counter()
    for _epoch in range(config["epochs"]):
        ctl.poll()
        if ctl.stop_requested:
            return None
        order = torch.randperm(count, generator=order_seed).to(train_x.device)
        for first in range(0, count, batch):
            index = order[first:first + batch]
            loss = torch.nn.functional.cross_entropy(model(train_x[index]), train_y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += 1
    _synchronise(torch, train_x)
    trained = time.perf_counter()
    test_accuracy, test_loss = accuracy_and_loss(model, tensors.test_x.flatten(1), tensors.test_y)
    return Trained(test_loss, test_accuracy, steps, trained - began, time.perf_counter() - trained)


def _synchronise(torch: Any, tensor: Any) -> None:
    if tensor.is_cuda:
        torch.cuda.synchronize()


def calibrate(torch: Any, tensors: data.Tensors, models: list[tuple[int, int]], first: Trained,
              config: dict[str, Any]) -> float:
    """Seconds the whole sweep will take: the first model's own, plus every other model's steps
    at a cost per step timed on warm steps of the narrowest and the widest model — a step
    costs a fixed overhead plus a part that grows with parameters × batch, and two widths
    pin both down (the narrowest alone is nearly all overhead)."""
    width1, count1 = models[0]
    batch1 = min(config["batch_size"], count1)
    widest, count_w = max(models)
    batch_w = min(config["batch_size"], count_w)
    work1, work_w = parameters(width1) * batch1, parameters(widest) * batch_w
    step1 = _time_steps(torch, tensors, width1, batch1, config)
    # Timed steps run warm and alone; the sweep's own first model says how much slower real
    # steps are (data order, a busy machine), and every timed cost is scaled by that.
    real = max(1.0, first.train_seconds / max(1, first.steps) / step1)
    overhead, per_work = step1 * real, 0.0
    if work_w != work1:
        step_w = _time_steps(torch, tensors, widest, batch_w, config)
        per_work = max(0.0, (step_w - step1) / (work_w - work1)) * real
        overhead = max(0.0, step1 * real - per_work * work1)
    total = first.seconds
    for width, count in models[1:]:
        batch = min(config["batch_size"], count)
        step = overhead + per_work * parameters(width) * batch
        # Evaluation: a forward pass over the test set, growing with the width as the steps do.
        total += config["epochs"] * math.ceil(count / batch) * step + first.eval_seconds * parameters(width) / \
            parameters(width1)
    return total


def _time_steps(torch: Any, tensors: data.Tensors, width: int, batch: int, config: dict[str, Any],
                repeats: int = 10) -> float:
    """Seconds per training step of 784-width-10 at ``batch`` (after one untimed warm-up step)."""
    model = _mlp(torch, width, config["seed"], tensors.train_x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    x, y = tensors.train_x.flatten(1), tensors.train_y
    for i in range(repeats + 1):
        if i == 1:
            _synchronise(torch, x)
            began = time.perf_counter()
        index = torch.randint(len(y), (batch,), device=y.device)  # a gathered batch, as in training
        loss = torch.nn.functional.cross_entropy(model(x[index]), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _synchronise(torch, x)
    return (time.perf_counter() - began) / repeats


def describe_seconds(seconds: float) -> str:
    """"40 s", "3 min 20 s": a duration as a person says it."""
    whole = max(1, round(seconds))
    if whole < 60:
        return _("{s} s").format(s=whole)
    return _("{m} min {s} s").format(m=whole // 60, s=whole % 60)


def _stopped(k: int, start: float, xs: list[int], losses: list[float]) -> Finished:
    return Finished("stopped", {"steps": k, "seconds": round(time.perf_counter() - start, 2),
                                "points": [[x, loss] for x, loss in zip(xs, losses)]})


def _table(axis: str, xs: list[int], losses: list[float], accuracies: list[float], seconds: list[float],
           slope: float, slope_upper: float) -> dict[str, Any]:
    local = powerlaw.local_slopes(xs, losses)
    rows = [[str(x), f"{loss:.3f}", f"{100 * acc:.1f} %", "" if s is None else formula_number(s, ".3f"), f"{t:.2f}"]
            for x, loss, acc, s, t in zip(xs, losses, accuracies, local, seconds)]
    title = (_("Test loss against parameters: slope {slope} over all points, {upper} over the upper half")
             if axis == "parameters" else
             _("Test loss against training images: slope {slope} over all points, {upper} over the upper half"))
    return {"title": title.format(slope=formula_number(slope, ".3f"), upper=formula_number(slope_upper, ".3f")),
            "columns": [_("parameters") if axis == "parameters" else _("images"), _("test loss"),
                        _("test accuracy"), _("local slope"), _("seconds")],
            "rows": rows}


ENGINE = EngineSpec(
    name="gen.scale",
    title="Test loss against model width or training images, with a power-law fit",
    params=PARAMS,
    run=run,
    needs_torch=True,
    smoke={"dataset": "synthetic", "widths": "2,4,8", "sizes": "100,200,400", "images": 400, "width": 8,
           "epochs": 1},
)
