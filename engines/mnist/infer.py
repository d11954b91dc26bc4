"""The ``mnist.infer`` engine: a trained model answering the drawing pad, live.

It loads a checkpoint written by the ``mnist`` engine (``auto``: the newest one trained on
``dataset``; or fresh random weights, to show what an untrained network makes of a digit;
or ``train``: a small model trained first, its progress sent as the training engine sends
it), sends ``Artifact("model", LoadedModel)``, then answers each
``{"cmd": "predict", "pixels": [784 values 0-255], "center": true}`` with
``Artifact("probabilities", Probabilities)`` (``engines.mnist.artifacts``) until stopped.
A malformed command is answered with ``Artifact("command", CommandAnswer)`` (not applied,
with a message). It answers on the CPU with one thread: one 28×28 image takes well under
a millisecond there, and no GPU memory is held while the student draws.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

from engines.core.events import Artifact, Evaluated, Event, Failed, Finished, Progress, Started
from engines.core.params import Param
from engines.core.runtime import Control, EngineSpec
from engines.mnist import data as mnist_data
from engines.mnist import models as mnist_models
from engines.mnist.artifacts import LoadedModel
from engines.mnist.checkpoint_paths import default_checkpoint, newest_trained
from engines.training.checkpoint_paths import checkpoints_folder
from lab_i18n import N_, _

# ``checkpoint=train``: one epoch over part of the training set, the settings of the CNN
# step (Adam, one-cycle schedule) with a large batch: a usable model in seconds on a CPU.
QUICK_TRAINING = {"epochs": 1, "batch_size": 256, "lr": 0.01, "optimizer": "adam", "schedule": "onecycle"}
TRAINING_SHOWN = ("download", "checkpoint", "note")  # the training's artifacts the pad's run passes on

# How long ``checkpoint=train`` takes, said before it starts. Measured on a 2-core CPU
# (cpu · 2 threads), Fashion-MNIST, cnn, 20 000 images: 2.6 s of start (torch, the dataset),
# then 3.7 s for the training and the 10 000-image evaluation, about 2 700 training images/s
# per core, on an idle machine; 80 s while other processes kept both cores busy. The
# estimate takes half the idle rate. A GPU is not measured here: the CNN's published recipe
# trains a whole epoch in about a second there, so the start dominates; GPU_TRAINING_S is
# a generous bound for the training and the evaluation.
START_S = 3.0
CPU_IMAGES_PER_S_PER_CORE = 1_350.0
GPU_TRAINING_S = 5.0


def quick_training_seconds(images: int, device_kind: str, cores: int) -> float:
    """About how long ``checkpoint=train`` with ``train_images=images`` takes on this device."""
    if device_kind != "cpu":
        return START_S + GPU_TRAINING_S
    return START_S + images / (CPU_IMAGES_PER_S_PER_CORE * max(1, cores))


def infer(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Load (or first train) a model, then answer ``{"cmd": "predict", "pixels": [...]}`` until stopped."""
    choice = config["checkpoint"].strip()
    path: Path | None = None  # None: fresh random weights
    if choice.lower() == "train":
        ended = yield from _train_quickly(config, ctl)
        if ended is not None:
            yield ended
            return
        path = default_checkpoint(config["dataset"], config["model"])
    elif choice.lower() == "auto":
        newest = newest_trained(config["dataset"])
        if newest is None:
            title = mnist_data.dataset_info(config["dataset"]).title
            yield Failed(_("There is no model trained on {dataset} in {folder}.").format(dataset=title,
                                                                                          folder=checkpoints_folder()),
                         _("Train one (the MNIST lesson's step 9, or checkpoint=train here), or give checkpoint=PATH."))
            return
        path = newest.path
    elif choice.lower() != "untrained":
        path = Path(choice).expanduser()
        if not path.is_file():
            yield Failed(_("There is no checkpoint at {path}.").format(path=path),
                         _("Train one first (every epoch end saves a checkpoint), or give checkpoint=auto."))
            return
    import torch

    from engines.mnist.drawing import predict
    from engines.mnist.training import read_checkpoint

    torch.set_num_threads(1)  # one 28×28 image: threads would only add overhead
    if path is None:  # fresh random weights: what a network "sees" before any training
        torch.manual_seed(0)
        info = mnist_data.dataset_info(config["dataset"])
        state = {"model": config["model"], "dataset": info.key, "double_softmax": False, "epoch": 0,
                 "model_state": mnist_models.build(config["model"]).state_dict(), "metrics": {},
                 "normalisation": {"mean": info.mean, "std": info.std}, "classes": list(info.classes)}
    else:
        state = read_checkpoint(path)
    model = mnist_models.build(state["model"], state["double_softmax"])
    model.load_state_dict(state["model_state"])
    model.eval()
    mean, std = state["normalisation"]["mean"], state["normalisation"]["std"]
    if choice.lower() != "train":  # a trained-first run started with its training
        yield Started(device="cpu", config=dict(config), total_steps=0)
    yield Artifact("model", LoadedModel(model=state["model"], dataset=state["dataset"],
                                        checkpoint=str(path) if path else "untrained", epoch=state["epoch"],
                                        test_accuracy=state["metrics"].get("test_accuracy"),
                                        classes=state["classes"]))
    started, limit = time.monotonic(), config["max_seconds"]
    while not ctl.stop_requested:
        commands = ctl.poll()
        for command in commands:
            yield predict(model, command, mean, std, state["classes"], state["double_softmax"])
        if limit and time.monotonic() - started >= limit:
            return
        if not commands:
            time.sleep(0.02)  # idle: answer within 20 ms without spinning a core


def _train_quickly(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Train ``model`` on ``dataset`` with the ``mnist`` engine (saved where ``auto`` finds it),
    passing on its start, progress and evaluation; returns None when it completed, else the
    event that ends the run."""
    from engines.mnist.engine import TRAIN

    images = config["train_images"]
    settings = TRAIN.config({**QUICK_TRAINING, "batch_size": min(QUICK_TRAINING["batch_size"], images),
                             "dataset": config["dataset"], "model": config["model"], "subset": images})
    for event in TRAIN.run(settings, ctl):
        if isinstance(event, Finished):
            return None if event.reason == "completed" else event
        if isinstance(event, Failed):
            return event
        if isinstance(event, (Started, Progress, Evaluated)) or \
                isinstance(event, Artifact) and event.kind in TRAINING_SHOWN:
            yield event
    return Finished("stopped", {})  # stopped before it began (while downloading)


INFER = EngineSpec(
    name="mnist.infer",
    title="Draw a digit: the trained model's class probabilities",
    takes_turn=False,  # the drawing pad answers strokes while its step is open: it never waits in line
    params=(
        Param("dataset", str, "mnist", N_("which images the model learnt"), choices=tuple(mnist_data.DATASETS)),
        Param("model", str, "mlp-128", N_("network (of checkpoint=train or untrained)"),
              choices=mnist_models.MODEL_NAMES),
        Param("checkpoint", str, "auto", N_("auto (the newest trained on dataset), a path, untrained, "
                 "or train (a small model first)")),
        Param("train_images", int, 20_000, N_("training images of checkpoint=train"), minimum=1, maximum=60_000),
        Param("max_seconds", float, 0.0, N_("end after this many seconds (0: when stopped)"), minimum=0.0,
              maximum=86_400.0),
    ),
    run=infer,
    needs_torch=True,
    smoke={"checkpoint": "untrained", "max_seconds": 0.1},
)
