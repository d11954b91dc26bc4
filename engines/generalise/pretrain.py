"""The pretrained network of the transfer run: the small CNN trained on some classes of a
dataset, cached in the lab's folder so that it is trained once.

The cache file is named by everything that decides its weights (dataset, classes,
epochs, seed; batch and learning rate are fixed here), written atomically and read back
with ``weights_only`` (``engines.training.checkpoints``). A file that cannot be read, or
that does not fit the network, is trained again and overwritten: the run says so.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from engines.core.events import Event, Finished, Progress
from engines.core.params import ParamError
from engines.core.runtime import Control
from engines.generalise import data
from engines.generalise.measure import accuracy_and_loss
from engines.training.checkpoint_paths import lab_home
from lab_i18n import _

FORMAT, VERSION = "gen.transfer.pretrained", 1
PRETRAIN_BATCH = 128
PRETRAIN_LR = 1e-3
HEAD = "out"  # the name of the CNN's last layer, replaced by a new one for each task


@dataclass
class Pretrained:
    """A pretrained network's weights and what the run says about it."""

    state: dict[str, Any]  # the CNN's state_dict, head included (one output per pretraining class)
    accuracy: float  # on the pretraining classes' test images
    seconds: float  # how long its training took (when it was trained, not now)
    images: int  # pretraining images
    mean: float  # the pixel statistics its inputs were normalised with
    std: float
    cached: bool  # read from the cache by this run
    path: Path
    problem: str = ""  # why a cache file there was not used, when it was trained again


def cache_path(dataset: str, classes: tuple[int, ...], epochs: int, seed: int) -> Path:
    digits = "".join(str(c) for c in classes)
    return lab_home() / "cache" / f"transfer-cnn-{dataset}-classes{digits}-epochs{epochs}-seed{seed}.pt"


def build(outputs: int) -> Any:
    """The small CNN of the MNIST lesson with a head of ``outputs`` classes."""
    from torch import nn

    from engines.mnist import models

    model = models.build("cnn")
    setattr(model, HEAD, nn.Linear(getattr(model, HEAD).in_features, outputs))
    return model


def read_cached(path: Path, dataset: str, classes: tuple[int, ...], epochs: int,
                seed: int) -> tuple[Pretrained | None, str]:
    """The cached network at ``path``, or None and why not ("" when there is no file)."""
    if not path.is_file():
        return None, ""
    from engines.training.checkpoints import read_checkpoint

    try:
        state = read_checkpoint(path, FORMAT, VERSION, "gen.transfer")
        if (state.get("dataset"), tuple(state.get("classes", ())), state.get("epochs"), state.get("seed")) != \
                (dataset, tuple(classes), epochs, seed):
            raise ParamError(_("{path} holds a network pretrained with other settings.").format(path=path))
        build(len(classes)).load_state_dict(state["model"])  # the shapes must fit
        pretrained = Pretrained(state["model"], float(state["accuracy"]), float(state["seconds"]),
                                int(state["images"]), float(state["mean"]), float(state["std"]), True, path)
    except ParamError as error:
        return None, str(error)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        return None, _("{path} does not hold a pretrained network ({reason}).").format(
            path=path, reason=str(error).splitlines()[0][:200] if str(error) else error.__class__.__name__)
    return pretrained, ""


def train(images: data.Images, classes: tuple[int, ...], epochs: int, seed: int, device: str, ctl: Control,
          path: Path, problem: str) -> Iterator[Event]:  # returns (Pretrained | None, int)
    """Pretrain on ``classes`` of ``images`` (one ``Progress`` per epoch, steps 1…epochs),
    write the cache and return (the ``Pretrained``, epochs done); (None, epochs done) when
    the run was stopped, or after yielding ``Finished("diverged")``.
    Use as ``pretrained, done = yield from train(...)``."""
    import numpy as np
    import torch

    start = time.perf_counter()
    train_index = np.flatnonzero(np.isin(images.train_labels, classes))
    test_index = np.flatnonzero(np.isin(images.test_labels, classes))
    tensors = data.to_tensors(images, device, train_index, test_index)
    remap = remap_labels(classes, device)
    train_y, test_y = remap[tensors.train_y], remap[tensors.test_y]
    torch.manual_seed(seed)
    model = build(len(classes)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=PRETRAIN_LR)
    order_generator = torch.Generator().manual_seed(seed)
    count = len(train_y)
    for epoch in range(1, epochs + 1):
        order = torch.randperm(count, generator=order_generator).to(device)
        total = torch.zeros((), device=device)
        for offset in range(0, count, PRETRAIN_BATCH):
            ctl.poll()
            if ctl.stop_requested:
                return None, epoch - 1
            index = order[offset:offset + PRETRAIN_BATCH]
            loss = torch.nn.functional.cross_entropy(model(tensors.train_x[index]), train_y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(index)
        mean_loss = float(total) / count  # one read-back per epoch
        if not math.isfinite(mean_loss):
            yield Finished("diverged", {"step": epoch, "loss": mean_loss, "message": _(
                "The pretraining loss became {loss} in epoch {epoch}.").format(loss=mean_loss, epoch=epoch)})
            return None, epoch - 1
        yield Progress(step=epoch, loss=mean_loss, epoch=epoch)
    accuracy, _loss = accuracy_and_loss(model, tensors.test_x, test_y)
    seconds = time.perf_counter() - start
    weights = {name: value.detach().cpu() for name, value in model.state_dict().items()}
    pretrained = Pretrained(weights, accuracy, seconds, count, tensors.mean, tensors.std, False, path, problem)
    from engines.training.checkpoints import save_checkpoint

    save_checkpoint({"format": FORMAT, "version": VERSION, "dataset": images.key, "classes": list(classes),
                     "epochs": epochs, "seed": seed, "model": weights, "accuracy": accuracy, "seconds": seconds,
                     "images": count, "mean": tensors.mean, "std": tensors.std}, path)
    return pretrained, epochs


def remap_labels(classes: tuple[int, ...], device: str) -> Any:
    """A lookup from dataset labels to 0…len(classes)−1 (−1 elsewhere)."""
    import torch

    table = torch.full((10,), -1, dtype=torch.long)
    table[list(classes)] = torch.arange(len(classes))
    return table.to(device)

