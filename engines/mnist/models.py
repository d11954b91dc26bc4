"""The lesson's models, described by their layer shapes; built with torch only on demand.

The MLPs are the articles' (784-128-10, 784-512-10, 784-256-128-10, 784-256-128-64-10).
The CNN is the small one from the fastest published MNIST recipe (tuomaso/train_mnist_fast:
conv 24@5×5 → maxpool → conv 32@3×3 → maxpool → 800 → 256 → 10, ~99 % in one epoch).

Parameter counts come from the shapes alone, so lesson text can quote them without
importing torch; a test checks them against the built modules.
"""

from __future__ import annotations

from typing import Any

MLP_WIDTHS: dict[str, tuple[int, ...]] = {
    "mlp-128": (784, 128, 10),
    "mlp-512": (784, 512, 10),
    "mlp-256-128": (784, 256, 128, 10),
    "mlp-256-128-64": (784, 256, 128, 64, 10),
}
# (name, in_channels, out_channels, kernel) convolutions, each followed by maxpool(2) and ReLU.
CNN_CONVS = (("conv1", 1, 24, 5), ("conv2", 24, 32, 3))
CNN_HIDDEN = 256
MODEL_NAMES = (*MLP_WIDTHS, "cnn")


def _cnn_flat_features() -> int:
    side, channels = 28, 1
    for _, _, channels, kernel in CNN_CONVS:
        side = (side - kernel + 1) // 2  # valid convolution, then 2×2 max-pooling
    return channels * side * side


def layer_shapes(model: str) -> list[dict[str, Any]]:
    """Each weighted layer: name, weight shape and parameter count (weights + biases)."""
    if model in MLP_WIDTHS:
        widths = MLP_WIDTHS[model]
        names = [f"fc{i + 1}" for i in range(len(widths) - 2)] + ["out"]
        shapes = [(names[i], (widths[i + 1], widths[i])) for i in range(len(widths) - 1)]
    elif model == "cnn":
        shapes = [(name, (out_c, in_c, k, k)) for name, in_c, out_c, k in CNN_CONVS]
        shapes += [("fc1", (CNN_HIDDEN, _cnn_flat_features())), ("out", (10, CNN_HIDDEN))]
    else:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_NAMES)}")
    out = []
    for name, shape in shapes:
        weights = 1
        for size in shape:
            weights *= size
        out.append({"name": name, "shape": list(shape), "parameters": weights + shape[0]})
    return out


def parameter_count(model: str) -> int:
    return sum(layer["parameters"] for layer in layer_shapes(model))


def parameter_counts() -> dict[str, int]:
    return {name: parameter_count(name) for name in MODEL_NAMES}


def describe(model: str) -> str:
    """'784-128-10 MLP' or 'CNN conv24@5×5-conv32@3×3-800-256-10', for labels."""
    if model in MLP_WIDTHS:
        return "-".join(map(str, MLP_WIDTHS[model])) + " MLP"
    convs = "-".join(f"conv{out_c}@{k}×{k}" for _, _, out_c, k in CNN_CONVS)
    return f"CNN {convs}-{_cnn_flat_features()}-{CNN_HIDDEN}-10"


def build(model: str, double_softmax: bool = False) -> Any:
    """The model as an ``nn.Sequential`` whose children carry the names of ``layer_shapes``.

    ``double_softmax`` appends a softmax, so that the loss (which applies its own
    softmax) sees probabilities instead of logits: one of the articles' bugs, kept here
    to be shown, never the default.
    """
    from collections import OrderedDict

    from torch import nn

    layers: list[tuple[str, nn.Module]] = []
    if model in MLP_WIDTHS:
        widths = MLP_WIDTHS[model]
        layers.append(("flatten", nn.Flatten()))
        for i in range(len(widths) - 2):
            layers += [(f"fc{i + 1}", nn.Linear(widths[i], widths[i + 1])), (f"relu{i + 1}", nn.ReLU())]
        layers.append(("out", nn.Linear(widths[-2], widths[-1])))
    elif model == "cnn":
        for i, (name, in_c, out_c, kernel) in enumerate(CNN_CONVS, start=1):
            layers += [(name, nn.Conv2d(in_c, out_c, kernel)), (f"pool{i}", nn.MaxPool2d(2)),
                       (f"relu{i}", nn.ReLU())]
        n = len(CNN_CONVS)
        layers += [("flatten", nn.Flatten()), ("fc1", nn.Linear(_cnn_flat_features(), CNN_HIDDEN)),
                   (f"relu{n + 1}", nn.ReLU()), ("out", nn.Linear(CNN_HIDDEN, 10))]
    else:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_NAMES)}")
    if double_softmax:
        layers.append(("softmax", nn.Softmax(dim=1)))
    return nn.Sequential(OrderedDict(layers))
