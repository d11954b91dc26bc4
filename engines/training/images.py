"""What both engines' image datasets share once loaded: pixel statistics for
normalising, and the ``samples`` artifact."""

from __future__ import annotations

from typing import Any

import torch

from engines.core.artifacts import SampleImage, Samples


def pixel_statistics(images_u8: Any) -> tuple[float, float]:
    """Mean and standard deviation of the pixels scaled to 0..1, from a 256-bin histogram
    (5× faster than converting tens of millions of pixels to floats first)."""
    counts = torch.bincount(images_u8.reshape(-1), minlength=256).double()
    levels = torch.arange(256, dtype=torch.float64) / 255
    total = counts.sum()
    mean = (counts * levels).sum() / total
    variance = (counts * (levels - mean) ** 2).sum() / max(float(total) - 1, 1)
    return float(mean), float(variance.sqrt()) or 1.0


def class_samples(train_u8: Any, train_y: Any, test_y: Any, classes: tuple[str, ...] | list[str]) -> Samples:
    """One training image per class (uint8 as nested lists), and how many of each class there are."""
    images = []
    for label in range(10):
        hits = (train_y == label).nonzero()
        if len(hits):
            index = int(hits[0, 0])
            images.append(SampleImage(index=index, label=label, pixels=train_u8[index].tolist()))
    return Samples(labels=list(classes), class_counts=train_y.bincount(minlength=10).tolist(),
                   test_class_counts=test_y.bincount(minlength=10).tolist(), images=images)
