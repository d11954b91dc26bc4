"""Overfitting, seen, and its cures (``gen.overfit``).

The MNIST lesson's MLP (784-128-10) trains with Adam on a few training images (``subset``,
500 by default) for many epochs: it learns them by heart while the test accuracy stalls,
and the gap between the two is overfitting. Each cure is a switch on the same run
(``engines.generalise.cures`` says how each works): ``weight_decay`` (decoupled, as AdamW
does it — not an L2 penalty added to the loss), ``l1`` (λ·Σ|w| added to the loss),
``dropout``, ``augment`` (random shifts) and ``early_stopping`` (patience in epochs, on
training images outside the subset: the test set decides nothing).

Events: ``Started``; ``Artifact("note")`` naming the images and the cures in force; per
epoch ``Progress(step, loss, epoch)`` (``loss``: the mean cross-entropy of the epoch's
training steps, penalties left out so runs with and without L1 compare) and
``Evaluated(epoch, {train_accuracy, test_accuracy, train_loss, test_loss, gap})`` —
accuracies 0–1 measured in eval mode on the whole training subset and the whole test
set, ``gap`` = train − test accuracy; with early stopping also ``val_accuracy`` and
``val_loss``, and at the end a note on the epoch whose weights were restored. Last
``Finished(reason, {steps, seconds, train_accuracy, test_accuracy, gap, train_loss,
test_loss, weight_norm, weight_l1, epochs_run})`` (``weight_norm``: L2 norm of all weights,
biases excluded; ``weight_l1``: Σ|w| of the same; ``best_epoch`` with early stopping),
measured on the final weights (the best epoch's with early stopping).
"""

from __future__ import annotations

import math
import time
from typing import Any, Iterator

import numpy as np

from engines.core.events import Artifact, Evaluated, Event, Finished, Progress, Started
from engines.core.params import Param, ParamError
from engines.core.runtime import Control, EngineSpec
from engines.generalise import cures, data, defaults
from engines.generalise.measure import accuracy_and_loss
from lab_i18n import N_, _, sentences


PARAMS = (
    Param("dataset", str, "fashion-mnist", N_("which images"), choices=data.DATASETS),
    Param("subset", int, defaults.OVERFIT_SUBSET, N_("train on this many random training images (0: all)"),
          minimum=0, maximum=60_000),
    Param("epochs", int, defaults.OVERFIT_EPOCHS, N_("passes over the training images"), minimum=1, maximum=1000),
    Param("batch_size", int, defaults.OVERFIT_BATCH, N_("images per step"), minimum=1, maximum=60_000),
    Param("lr", float, defaults.OVERFIT_LR, N_("learning rate"), minimum=0.0, exclusive_minimum=True, maximum=1.0),
    Param("seed", int, 0, N_("seed of initial weights, subset and data order"), minimum=0, maximum=2**31 - 1),
    Param("weight_decay", float, 0.0, N_("weight decay: each step shrinks every weight by lr × this share of "
                                         "itself (AdamW, decoupled; 0: off)"), minimum=0.0, maximum=100.0),
    Param("l1", float, 0.0, N_("L1 penalty: this times the sum of |weights| is added to the loss (0: off)"),
          minimum=0.0, maximum=1.0),
    Param("dropout", float, 0.0, N_("share of hidden units dropped at random in each training step (0: off)"),
          minimum=0.0, maximum=0.9),
    Param("augment", bool, False, N_("shift each training image at random by a few pixels each way, in every step")),
    Param("early_stopping", int, 0, N_("stop after this many epochs without a better accuracy on held-out training "
                                       "images, and keep the best epoch's weights (0: off)"), minimum=0, maximum=1000),
    Param("download", bool, True, N_("download missing data from the internet")),
)


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Train one model with the chosen cures, yielding the events of the module docstring."""
    validation = defaults.VALIDATION_IMAGES if config["early_stopping"] else 0
    _check_sizes(config, data.train_size(config["dataset"]), data.title(config["dataset"]), validation)

    import torch

    from engines.training.base import setup_device

    device = setup_device(ctl)
    images = yield from data.fetch(config["dataset"], ctl, config["download"])
    if images is None:
        return  # stopped, or Failed already said why
    _check_sizes(config, len(images.train_labels), _(images.title), validation)
    train_index, val_index = split(len(images.train_labels), config["subset"], validation, config["seed"])
    tensors = data.to_tensors(images, device.name, train_index)
    held_out = None
    if val_index is not None:
        held_out = data.to_tensors(images, device.name, val_index, np.arange(0), (tensors.mean, tensors.std))
    if device.kind == "cpu":
        from engines.training.thread_choice import unmeasured_threads

        torch.set_num_threads(unmeasured_threads(config["batch_size"], device.threads))

    torch.manual_seed(config["seed"])  # the same initial weights (and shifts) for every cure
    model = cures.build_model(defaults.HIDDEN, config["dropout"]).to(device.name)
    optimizer = cures.optimizer(model, config["lr"], config["weight_decay"], device.kind)
    count = len(tensors.train_y)
    batch = config["batch_size"]
    steps_per_epoch = math.ceil(count / batch)
    label = device.label
    if device.kind == "cpu":
        from engines.core.device import cpu_device

        label = cpu_device(torch.get_num_threads()).label
    yield Started(device=label, config=dict(config), total_steps=config["epochs"] * steps_per_epoch,
                  seed=config["seed"])
    started = time.perf_counter()
    yield Artifact("note", sentences(
        _("{train} training images of {title}, {test} test images.").format(
            train=count, title=_(images.title), test=len(tensors.test_y)),
        cures.cures_sentence(config, defaults.SHIFT_PIXELS, validation)))

    background = -tensors.mean / tensors.std  # a black pixel, normalised: what shifts uncover
    order_rng = torch.Generator().manual_seed(config["seed"])  # on the CPU: the same order on any device
    stopper = cures.EarlyStopping(config["early_stopping"]) if config["early_stopping"] else None
    step = epochs_run = 0
    metrics: dict[str, float] = {}
    stopped = False
    for epoch in range(1, config["epochs"] + 1):
        ctl.poll()
        model.train()
        order = torch.randperm(count, generator=order_rng).to(device.name)
        total = torch.zeros((), device=device.name)
        for start in range(0, count, batch):
            if ctl.stop_requested:
                stopped = True
                break
            index = order[start:start + batch]
            x = tensors.train_x[index]
            if config["augment"]:
                x = cures.shift_images(x, defaults.SHIFT_PIXELS, background)
            data_loss = torch.nn.functional.cross_entropy(model(x), tensors.train_y[index])
            loss = data_loss + config["l1"] * cures.l1_sum(model) if config["l1"] else data_loss
            model.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += data_loss.detach() * len(index)
            step += 1
        if stopped:
            break
        train_loss = float(total) / count
        if not math.isfinite(train_loss):
            yield Finished("diverged", {"step": step, "loss": train_loss, "message": _(
                "Stopped at epoch {epoch}: the training loss became {loss} — the updates grew without bound (the "
                "run diverged). Try a smaller learning rate than lr={lr}.").format(
                epoch=epoch, loss=train_loss, lr=f"{config['lr']:g}")})
            return
        yield Progress(step=step, loss=train_loss, epoch=epoch)
        metrics = evaluate(model, tensors, held_out)
        epochs_run = epoch
        yield Evaluated(epoch, metrics)
        if stopper is not None and stopper.update(epoch, metrics["val_accuracy"], model):
            break

    summary: dict[str, Any] = {"steps": step, "epochs_run": epochs_run}
    if stopper is not None and epochs_run:
        stopper.restore(model)
        metrics = evaluate(model, tensors, held_out)
        summary["best_epoch"] = stopper.best_epoch
        yield Artifact("note", _("Early stopping: epoch {best} had the best accuracy on the held-out images "
                                 "({accuracy}); the run stopped after epoch {last} and keeps epoch {best}'s "
                                 "weights.").format(best=stopper.best_epoch, last=epochs_run,
                                                    accuracy=f"{100 * stopper.best_accuracy:.1f} %"))
    elif stopped or not metrics:
        metrics = evaluate(model, tensors, None)  # stopped inside an epoch: measure the weights as they are
    summary.update({name: metrics[name] for name in ("train_accuracy", "test_accuracy", "gap", "train_loss",
                                                     "test_loss")})
    summary["weight_norm"] = cures.weight_norm(model)
    summary["weight_l1"] = float(cures.l1_sum(model).detach())
    summary["seconds"] = round(time.perf_counter() - started, 4)
    if not stopped:
        summary["message"] = _("After {epochs} epochs on {images} images: train accuracy {train}, test accuracy "
                               "{test} — a gap of {gap} points; test loss {loss}.").format(
            epochs=epochs_run, images=len(tensors.train_y), train=f"{summary['train_accuracy']:.1%}",
            test=f"{summary['test_accuracy']:.1%}", gap=f"{100 * summary['gap']:.1f}", loss=f"{summary['test_loss']:.3f}")
    yield Finished("stopped" if stopped else "completed", summary)


def evaluate(model: Any, tensors: data.Tensors, held_out: data.Tensors | None) -> dict[str, float]:
    """Accuracy and loss on the whole training subset and test set (and the held-out images)."""
    train_accuracy, train_loss = accuracy_and_loss(model, tensors.train_x, tensors.train_y)
    test_accuracy, test_loss = accuracy_and_loss(model, tensors.test_x, tensors.test_y)
    metrics = {"train_accuracy": train_accuracy, "test_accuracy": test_accuracy, "train_loss": train_loss,
               "test_loss": test_loss, "gap": train_accuracy - test_accuracy}
    if held_out is not None:
        metrics["val_accuracy"], metrics["val_loss"] = accuracy_and_loss(model, held_out.train_x, held_out.train_y)
    return metrics


def split(count: int, subset: int, validation: int, seed: int) -> tuple[Any, Any]:
    """Indices of the training images and of the held-out ones (None without early stopping).

    The training images are ``data.random_subset``'s for the same seed whether or not images are
    held out, so a run with early stopping trains on the same images as one without; the
    held-out ones come from the rest (with subset 0: the last ``validation`` of the shuffle)."""
    if not validation:
        return data.random_subset(count, subset, seed), None
    order = np.random.default_rng(seed).permutation(count)
    if subset:
        return np.sort(order[:subset]), np.sort(order[subset:subset + validation])
    return np.sort(order[:-validation]), np.sort(order[-validation:])


def _check_sizes(config: dict[str, Any], size: int, title: str, validation: int) -> None:
    """Refuse sizes the training set cannot give, with one sentence."""
    subset = config["subset"]
    if subset > size:
        raise ParamError(_("subset must be at most {size} (the size of {title}'s training set), not {subset}.")
                         .format(size=size, title=title, subset=subset))
    if validation and (subset or size - validation) + validation > size:
        raise ParamError(_("early_stopping holds out {validation} training images besides the subset, so subset "
                           "must be at most {most} for {title}, not {subset}.").format(
            validation=validation, most=size - validation, title=title, subset=subset))
    train = subset or size - validation
    if config["batch_size"] > train:
        raise ParamError(_("batch_size is {batch} but the run trains on only {size} images; choose a batch_size "
                           "of at most {size}.").format(batch=config["batch_size"], size=train))


ENGINE = EngineSpec(
    name="gen.overfit",
    title="Overfitting and its cures",
    params=PARAMS,
    run=run,
    needs_torch=True,
    smoke={"dataset": "synthetic", "subset": 200, "epochs": 3, "early_stopping": 0},
)
