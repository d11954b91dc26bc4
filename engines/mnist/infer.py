"""The ``mnist.infer`` engine: a trained model answering the drawing pad, live.

It loads a checkpoint written by the ``mnist`` engine (or fresh random weights, to show
what an untrained network makes of a digit), sends ``Artifact("model", LoadedModel)``,
then answers each ``{"cmd": "predict", "pixels": [784 values 0-255], "center": true}``
with ``Artifact("probabilities", Probabilities)`` (``engines.mnist.artifacts``) until
stopped. A malformed command is answered with ``Artifact("command", CommandAnswer)``
(not applied, with a message). It runs on the CPU with one thread: one 28×28 image
takes well under a millisecond there, and no GPU memory is held while the student draws.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

from engines.core.events import Artifact, Event, Failed, Started
from engines.core.params import Param
from engines.core.runtime import Control, EngineSpec
from engines.mnist import data as mnist_data
from engines.mnist import models as mnist_models
from engines.mnist.artifacts import LoadedModel
from engines.mnist.checkpoint_paths import default_checkpoint


def infer(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Load a trained model, then answer ``{"cmd": "predict", "pixels": [...]}`` until stopped."""
    choice = config["checkpoint"].strip()
    untrained = choice.lower() == "untrained"
    path = None if untrained else (default_checkpoint(config["dataset"], config["model"])
                                   if choice.lower() == "auto" else Path(choice).expanduser())
    if path is not None and not path.is_file():
        yield Failed(f"There is no trained {config['model']} model for {config['dataset']} at {path}.",
                     "Train one first (every epoch end saves a checkpoint there), or set checkpoint=PATH.")
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


INFER = EngineSpec(
    name="mnist.infer",
    title="Draw a digit: the trained model's class probabilities",
    params=(
        Param("dataset", str, "mnist", "which images the model learnt", choices=tuple(mnist_data.DATASETS)),
        Param("model", str, "mlp-128", "network", choices=mnist_models.MODEL_NAMES),
        Param("checkpoint", str, "auto", "checkpoint file: auto (the training run's), a path, or untrained"),
        Param("max_seconds", float, 0.0, "end after this many seconds (0: when stopped)", minimum=0.0,
              maximum=86_400.0),
    ),
    run=infer,
    needs_torch=True,
    smoke={"checkpoint": "untrained", "max_seconds": 0.1},
)
