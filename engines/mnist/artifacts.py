"""The payloads only the MNIST engines send (the shared ones: ``engines.core.artifacts``)."""

from __future__ import annotations

from typing import TypedDict


class Dataset(TypedDict):
    """``dataset``: the images a training run uses (``mean``/``std`` of its pixels, 0..1 scale)."""

    dataset: str
    title: str
    source: str
    train_size: int
    test_size: int
    classes: list[str]
    mean: float
    std: float
    threads: int


class LoadedModel(TypedDict):
    """``model`` of ``mnist.infer``: the trained model answering the drawing pad."""

    model: str
    dataset: str
    checkpoint: str  # its path, or "untrained"
    epoch: int
    test_accuracy: float | None
    classes: list[str]


class Probabilities(TypedDict):
    """``probabilities``: the answer to a drawing."""

    probs: list[float]  # one per class
    predicted: int
    label: str
