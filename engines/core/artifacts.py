"""The payloads of the artifacts several engines send, one shape per kind.

``Artifact(kind, payload)`` carries a JSON-ready payload; the shapes below say which
fields each kind has, so an engine builds its payloads through them and a view reads
the fields from one place. They are plain dicts at run time (``TypedDict``): the JSON
on the wire is the dict as built, keys in the order given. Shapes only one engine
sends live in its package (``engines.mnist.artifacts``, ``engines.cifar.artifacts``).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


class Download(TypedDict):
    """``download``: progress of one file, a few times a second."""

    file: str
    done_bytes: int
    total_bytes: int | None  # None when the server does not say


class SampleImage(TypedDict):
    index: int
    label: int
    pixels: list[Any]  # uint8 as nested lists: rows of pixels (of [R, G, B] for colour images)


class Samples(TypedDict):
    """``samples``: one training image per class, and how many images each class has."""

    labels: list[str]
    class_counts: list[int]
    test_class_counts: list[int]
    images: list[SampleImage]


class LayerShape(TypedDict):
    name: str
    shape: list[int]
    parameters: int  # weights + biases


class Model(TypedDict):
    """``model``: the network a training run builds."""

    model: str
    description: str
    parameters: int
    layers: list[LayerShape]


class Resumed(TypedDict):
    """``resumed``: the checkpoint a run continues, and where it stood."""

    path: str
    epoch: int
    step: int


class HealthLayer(TypedDict):
    name: str
    grad_norm: float
    dead_relu_share: float | None  # None where no ReLU follows (e.g. the output layer)
    weight_hist: list[int]  # the weights now, HEALTH_BINS bins over ``range``
    init_hist: list[int]  # the initial weights, the same bins
    range: list[float]  # [low, high]
    weight_norm: float


class Health(TypedDict):
    """``health``: per convolution and linear layer, at a step."""

    step: int
    epoch: int
    layers: list[HealthLayer]


class ConfusionMatrix(TypedDict):
    """``confusion_matrix``: rows are the true class, columns the predicted one."""

    epoch: int
    labels: list[str]
    matrix: list[list[int]]


class WorstImage(TypedDict):
    """One of ``worst_images`` (a list): a misclassified test image, the lowest
    probability for the true class first."""

    index: int
    label: int
    predicted: int
    confidence: float
    pixels: list[Any]


class Checkpoint(TypedDict):
    """``checkpoint``: a checkpoint was written."""

    path: str
    epoch: int
    step: int
    reason: Literal["epoch_end", "stopped"]


class CommandAnswer(TypedDict):
    """``command``: the answer to a live command; ``message`` says why one was refused,
    the other fields what an applied one changed."""

    cmd: Any
    step: NotRequired[int]
    applied: bool
    message: NotRequired[str]
    lr: NotRequired[float]
    epochs: NotRequired[float]
    total_steps: NotRequired[int]
    step_seconds: NotRequired[float]
