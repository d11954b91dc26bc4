"""The payloads only the ``cifar10`` engine sends (the shared ones: ``engines.core.artifacts``)."""

from __future__ import annotations

from typing import TypedDict

from engines.core.artifacts import LayerShape


class Dataset(TypedDict):
    """``dataset``: the images a run uses; ``mean``/``std`` per RGB channel, 0..1 scale."""

    dataset: str  # cifar10 or synthetic
    title: str
    source: str
    official: bool  # False: files that are not the official CIFAR-10 (they load; results are not comparable)
    train_size: int  # after ``subset``
    full_train_size: int
    test_size: int
    classes: list[str]
    mean: list[float]
    std: list[float]
    threads: int
    processes: int
    batch_per_process: int


class Model(TypedDict):
    """``model``: the shared shape with ``pretrained`` (None unless model=resnet-article)."""

    model: str
    description: str
    parameters: int
    pretrained: bool | None
    layers: list[LayerShape]
