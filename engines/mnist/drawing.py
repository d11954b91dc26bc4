"""The drawing pad's side of ``mnist.infer``: a drawn digit, prepared as MNIST's digits
were, through a trained model to its class probabilities."""

from __future__ import annotations

from typing import Any

import torch

from engines.core.artifacts import CommandAnswer
from engines.core.events import Artifact
from engines.mnist.artifacts import Probabilities
from lab_i18n import _


def predict(model: Any, command: dict[str, Any], mean: float, std: float, classes: list[str],
            outputs_probabilities: bool) -> Artifact:
    """The ``probabilities`` answer to a ``predict`` command, or a ``command`` refusal."""
    if command.get("cmd") != "predict":
        return Artifact("command", CommandAnswer(cmd=command.get("cmd"), applied=False,
                                                 message=_("Unknown command {name}; this engine understands predict "
                                                           "and stop.").format(name=repr(command.get("cmd")))))
    try:
        pixels = torch.tensor(command.get("pixels"), dtype=torch.float32).reshape(28, 28)
    except (TypeError, ValueError, RuntimeError):
        pixels = None
    if pixels is None or not bool(torch.isfinite(pixels).all()):
        return Artifact("command", CommandAnswer(cmd="predict", applied=False,
                                                 message=_("pixels must be 784 numbers from 0 to 255 (28 rows of 28).")))
    image = pixels.clamp(0, 255) / 255
    if command.get("center", True):
        image = center_like_mnist(image)
    with torch.no_grad():
        output = model(((image - mean) / std)[None, None])
        probs = (output if outputs_probabilities else output.softmax(1))[0]
    best = int(probs.argmax())
    return Artifact("probabilities", Probabilities(probs=[round(float(p), 6) for p in probs], predicted=best,
                                                   label=classes[best]))


def center_like_mnist(image: Any) -> Any:
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
