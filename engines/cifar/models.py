"""The CIFAR-10 networks described by their layers, without torch: sizes, counts, costs.

Three networks, each with the recipe that trains it (``engines.cifar.engine``):

* ``small-cnn``: three conv-BatchNorm-ReLU-maxpool blocks (32, 64, 128 channels) and a
  linear layer scaled by 1/8: 0.11 M parameters, cheap enough to learn on two CPU
  cores in minutes;
* ``fast``: the airbench94 network, built for 32×32 inputs — a frozen 2×2
  patch-whitening convolution, three blocks of two 3×3 convolutions (64, 256, 256
  channels) with max-pooling, BatchNorm and GELU, and a linear layer scaled by 1/9;
* ``resnet-article``: torchvision's ResNet-18 with a 10-class head, as the article
  uses it. Its stem was designed for 224×224 ImageNet photos: a 7×7 stride-2
  convolution and a stride-2 max-pool shrink a 32×32 image to 8×8 before the first
  residual block, and the last block works on a single pixel.

Layer lists come from the shapes alone, so lesson text can quote parameter counts,
multiply-accumulates and feature-map sizes without importing torch; ``cifar.checks``
compares them with the modules torch builds (``engines.cifar.nets``).
"""

from __future__ import annotations

from typing import Any

MODEL_NAMES = ("small-cnn", "fast", "resnet-article")
SMALL_CNN_WIDTHS = (32, 64, 128)
FAST_WIDTHS = (64, 256, 256)
WHITEN_KERNEL = 2
WHITEN_WIDTH = 2 * 3 * WHITEN_KERNEL**2  # the 12 patch eigenvectors, each with both signs
RESNET_WIDTHS = (64, 128, 256, 512)
DESCRIPTIONS = {
    "small-cnn": "small CNN: 3×(conv3×3-BatchNorm-ReLU-maxpool) 32-64-128, linear 2048→10 ×1/8",
    "fast": "airbench94 net: 2×2 whitening conv, 3 blocks of 2 conv3×3 (64-256-256) with maxpool, "
            "BatchNorm, GELU; linear 256→10 ×1/9",
    "resnet-article": "torchvision ResNet-18 (ImageNet stem: conv7×7/2 + maxpool/2), head 512→10",
}


class _Layers:
    """Collects layers while walking a network's shape, tracking the feature-map side."""

    def __init__(self, side: int) -> None:
        self.side = side
        self.layers: list[dict[str, Any]] = []

    def conv(self, name: str, cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0,
             bias: bool = False) -> None:
        self.side = (self.side + 2 * padding - kernel) // stride + 1
        weights = cout * cin * kernel * kernel
        self.layers.append({"name": name, "shape": [cout, cin, kernel, kernel],
                            "parameters": weights + (cout if bias else 0),
                            "macs": weights * self.side * self.side, "side": self.side})

    def norm(self, name: str, channels: int) -> None:
        self.layers.append({"name": name, "shape": [channels], "parameters": 2 * channels, "macs": 0,
                            "side": self.side})

    def pool(self, kernel: int, stride: int | None = None, padding: int = 0) -> None:
        self.side = (self.side + 2 * padding - kernel) // (stride or kernel) + 1

    def linear(self, name: str, cin: int, cout: int, bias: bool = True) -> None:
        self.layers.append({"name": name, "shape": [cout, cin], "parameters": cout * cin + (cout if bias else 0),
                            "macs": cout * cin, "side": 1})


def _small_cnn(side: int) -> _Layers:
    net = _Layers(side)
    cin = 3
    for i, cout in enumerate(SMALL_CNN_WIDTHS, start=1):
        net.conv(f"conv{i}", cin, cout, 3, padding=1)
        net.norm(f"bn{i}", cout)
        net.pool(2)
        cin = cout
    net.linear("fc", cin * net.side * net.side, 10)
    return net


def _fast(side: int) -> _Layers:
    net = _Layers(side)
    net.conv("whiten", 3, WHITEN_WIDTH, WHITEN_KERNEL, bias=True)
    cin = WHITEN_WIDTH
    for i, cout in enumerate(FAST_WIDTHS, start=1):
        net.conv(f"block{i}.conv1", cin, cout, 3, padding=1)
        net.pool(2)
        net.norm(f"block{i}.norm1", cout)
        net.conv(f"block{i}.conv2", cout, cout, 3, padding=1)
        net.norm(f"block{i}.norm2", cout)
        cin = cout
    net.pool(3)
    net.linear("fc", cin * net.side * net.side, 10, bias=False)
    return net


def _resnet18(side: int) -> _Layers:
    net = _Layers(side)
    net.conv("conv1", 3, 64, 7, stride=2, padding=3)
    net.norm("bn1", 64)
    net.pool(3, stride=2, padding=1)
    cin = 64
    for stage, cout in enumerate(RESNET_WIDTHS, start=1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            prefix = f"layer{stage}.{block}"
            entry = net.side
            net.conv(f"{prefix}.conv1", cin, cout, 3, stride=stride, padding=1)
            net.norm(f"{prefix}.bn1", cout)
            net.conv(f"{prefix}.conv2", cout, cout, 3, padding=1)
            net.norm(f"{prefix}.bn2", cout)
            if stride != 1 or cin != cout:
                after = net.side
                net.side = entry
                net.conv(f"{prefix}.downsample.0", cin, cout, 1, stride=stride)
                net.norm(f"{prefix}.downsample.1", cout)
                net.side = after
            cin = cout
    net.linear("fc", cin, 10)  # after global average pooling, whatever the side
    return net


_BUILDERS = {"small-cnn": _small_cnn, "fast": _fast, "resnet-article": _resnet18}


def _walk(model: str, side: int = 32) -> _Layers:
    try:
        return _BUILDERS[model](side)
    except KeyError:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_NAMES)}") from None


def layer_shapes(model: str) -> list[dict[str, Any]]:
    """Each layer with parameters: name, weight shape and parameter count (weights + biases)."""
    return [{"name": layer["name"], "shape": layer["shape"], "parameters": layer["parameters"]}
            for layer in _walk(model).layers]


def parameter_count(model: str) -> int:
    return sum(layer["parameters"] for layer in _walk(model).layers)


def macs_per_image(model: str, side: int = 32) -> int:
    """Multiply-accumulates of one forward pass (convolutions and linear layers)."""
    return sum(layer["macs"] for layer in _walk(model, side).layers)


def feature_sides(model: str, side: int = 32) -> dict[str, int]:
    """Side of the feature map each convolution produces, by layer name."""
    return {layer["name"]: layer["side"] for layer in _walk(model, side).layers if len(layer["shape"]) == 4}


def resnet_stem_sides(side: int) -> list[int]:
    """ResNet-18's feature-map side: input, after conv1, after the max-pool, after each stage."""
    sides = feature_sides("resnet-article", side)
    after_pool = (sides["conv1"] + 2 - 3) // 2 + 1
    return [side, sides["conv1"], after_pool] + [sides[f"layer{s}.1.conv2"] for s in range(1, 5)]


def describe(model: str) -> str:
    return DESCRIPTIONS[model]
