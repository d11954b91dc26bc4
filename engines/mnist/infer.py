"""The ``mnist.infer`` engine: a trained model answering the drawing pad, live.

It loads a checkpoint written by the ``mnist`` engine (or fresh random weights, to show
what an untrained network makes of a digit), then answers each
``{"cmd": "predict", "pixels": [784 values 0-255], "center": true}`` with
``Artifact("probabilities", {"probs": [10 floats], "predicted": k, "label": name})``
until stopped. A malformed command is answered with ``Artifact("command", {"cmd",
"applied": false, "message"})``. It runs on the CPU with one thread: one 28×28 image
takes well under a millisecond there, and no GPU memory is held while the student draws.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

from engines.mnist import data as mnist_data
from engines.mnist import models as mnist_models
from engines.core.events import Artifact, Event, Failed, Started
from engines.mnist.training import default_checkpoint, read_checkpoint
from engines.core.runtime import Control


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

    torch.set_num_threads(1)  # one 28×28 image: threads would only add overhead
    if path is None:  # fresh random weights: what a network "sees" before any training
        torch.manual_seed(0)
        info = mnist_data.dataset_info(config["dataset"])
        state = {"model": config["model"], "dataset": info.key, "double_softmax": False, "epoch": 0,
                 "model_state": mnist_models.build(config["model"]).state_dict(), "metrics": {},
                 "normalisation": {"mean": info.mean, "std": info.std}, "classes": list(info.classes)}
    else:
        state = read_checkpoint(torch, path)
    model = mnist_models.build(state["model"], state["double_softmax"])
    model.load_state_dict(state["model_state"])
    model.eval()
    mean, std = state["normalisation"]["mean"], state["normalisation"]["std"]
    yield Started(device="cpu", config=dict(config), total_steps=0)
    yield Artifact("model", {"model": state["model"], "dataset": state["dataset"],
                             "checkpoint": str(path) if path else "untrained",
                             "epoch": state["epoch"], "test_accuracy": state["metrics"].get("test_accuracy"),
                             "classes": state["classes"]})
    started, limit = time.monotonic(), config["max_seconds"]
    while not ctl.stop_requested:
        commands = ctl.poll()
        for command in commands:
            yield _predict(torch, model, command, mean, std, state["classes"], state["double_softmax"])
        if limit and time.monotonic() - started >= limit:
            return
        if not commands:
            time.sleep(0.02)  # idle: answer within 20 ms without spinning a core


def _predict(torch: Any, model: Any, command: dict[str, Any], mean: float, std: float,
             classes: list[str], outputs_probabilities: bool) -> Artifact:
    if command.get("cmd") != "predict":
        return Artifact("command", {"cmd": command.get("cmd"), "applied": False,
                                    "message": f"Unknown command {command.get('cmd')!r}; "
                                               "this engine understands predict and stop."})
    try:
        pixels = torch.tensor(command.get("pixels"), dtype=torch.float32).reshape(28, 28)
    except (TypeError, ValueError, RuntimeError):
        pixels = None
    if pixels is None or not bool(torch.isfinite(pixels).all()):
        return Artifact("command", {"cmd": "predict", "applied": False,
                                    "message": "pixels must be 784 numbers from 0 to 255 (28 rows of 28)."})
    image = pixels.clamp(0, 255) / 255
    if command.get("center", True):
        image = center_like_mnist(torch, image)
    with torch.no_grad():
        output = model(((image - mean) / std)[None, None])
        probs = (output if outputs_probabilities else output.softmax(1))[0]
    best = int(probs.argmax())
    return Artifact("probabilities", {"probs": [round(float(p), 6) for p in probs],
                                      "predicted": best, "label": classes[best]})


def center_like_mnist(torch: Any, image: Any) -> Any:
    """Scale the drawing into a 20×20 box and put its centre of mass at the centre, as
    MNIST's digits were prepared; a digit drawn large or off-centre is then recognised."""
    ink = image > 0.05
    if not bool(ink.any()):
        return image
    rows, cols = ink.any(1).nonzero()[:, 0], ink.any(0).nonzero()[:, 0]
    crop = image[int(rows[0]):int(rows[-1]) + 1, int(cols[0]):int(cols[-1]) + 1]
    scale = 20 / max(crop.shape)
    size = (max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale)))
    crop = torch.nn.functional.interpolate(crop[None, None], size=size, mode="bilinear",
                                           antialias=True, align_corners=False)[0, 0].clamp(0, 1)
    mass = crop.sum()
    ys = torch.arange(size[0], dtype=torch.float32)
    xs = torch.arange(size[1], dtype=torch.float32)
    cy, cx = float((crop.sum(1) * ys).sum() / mass), float((crop.sum(0) * xs).sum() / mass)
    top = min(max(round(13.5 - cy), 0), 28 - size[0])
    left = min(max(round(13.5 - cx), 0), 28 - size[1])
    out = torch.zeros(28, 28)
    out[top:top + size[0], left:left + size[1]] = crop
    return out
