"""The images of the generalisation lesson: MNIST, Fashion-MNIST, or a generated set.

Every engine of the lesson (overfitting, symmetry, transfer, scale, compression) trains
small networks on one of these, held as float tensors on the device, normalised with
the training pixels' mean and deviation. ``synthetic`` is generated here (no file): ten
classes, each two of eight small shapes in two of the four quadrants of a noisy
background, so that
what a network learns on some classes helps with the others — a transferable task that
tests and ``tui-lab check`` can train on in a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

import numpy as np

from engines.core import downloads
from engines.core.events import Event, Failed
from engines.core.runtime import Control
from engines.mnist import data as mnist_data
from engines.mnist.data import DataError
from lab_i18n import N_, _

DATASETS = (*mnist_data.DATASETS, "synthetic")
SIDE = 28
SYNTHETIC_CLASSES = tuple(str(i) for i in range(10))
SYNTHETIC_TRAIN, SYNTHETIC_TEST = 6000, 2000
# Eight small shapes (7×7); each class is two of them, each in a quadrant of the picture.
# Classes 0–4 use all eight, so a network that tells them apart has learnt to find every
# shape wherever it is; classes 5–9 are new pairs of the same shapes — learnt from a few
# examples only by a network that already finds them (the transfer step's point).
_SHAPE = 7
_SHAPES = (
    ["...#...", "...#...", "...#...", "#######", "...#...", "...#...", "...#..."],  # plus
    ["#######", "#.....#", "#.....#", "#.....#", "#.....#", "#.....#", "#######"],  # square
    ["#......", ".#.....", "..#....", "...#...", "....#..", ".....#.", "......#"],  # diagonal
    ["#######", "...#...", "...#...", "...#...", "...#...", "...#...", "...#..."],  # T
    ["#......", "#......", "#......", "#......", "#......", "#......", "#######"],  # L
    ["...#...", "..#.#..", ".#...#.", "#.....#", ".#...#.", "..#.#..", "...#..."],  # diamond
    ["#######", ".......", ".......", "#######", ".......", ".......", "#######"],  # three bars
    ["#.#.#.#", ".......", "#.#.#.#", ".......", "#.#.#.#", ".......", "#.#.#.#"],  # dots
)
_MASKS = np.array([[[c == "#" for c in row] for row in shape] for shape in _SHAPES], dtype=np.float64)
_CLASS_SHAPES = ((0, 1), (2, 3), (4, 5), (6, 7), (0, 4), (1, 2), (3, 5), (6, 0), (7, 4), (2, 6))


@dataclass(frozen=True)
class Images:
    """A dataset as uint8 arrays (images [N, 28, 28], labels [N]) with its class names."""

    key: str
    title: str
    classes: tuple[str, ...]
    train_images: Any
    train_labels: Any
    test_images: Any
    test_labels: Any
    source: str


@lru_cache(maxsize=2)  # a second or two in Python to draw; runs only read the arrays
def synthetic(seed: int = 0, train_size: int = SYNTHETIC_TRAIN, test_size: int = SYNTHETIC_TEST) -> Images:
    """The generated dataset: the same arrays for the same arguments (shared: do not write to them)."""
    rng = np.random.default_rng(seed)

    def draw(count: int) -> tuple[Any, Any]:
        labels = rng.integers(0, 10, size=count)
        images = rng.normal(40.0, 25.0, size=(count, SIDE, SIDE))
        # Each shape goes to its own quadrant (two of the four, at random), a pixel or two off
        # its centre: an MLP can learn the few placements from many images, while a few images
        # show a class in only some of them.
        quadrants = np.argsort(rng.random((count, 4)), axis=1)[:, :2]
        jitter = rng.integers(-2, 3, size=(count, 2, 2))
        brightness = rng.uniform(120, 200, size=(count, 2))
        for i, label in enumerate(labels):
            for k, shape in enumerate(_CLASS_SHAPES[label]):
                row = (quadrants[i, k] // 2) * 14 + 3 + jitter[i, k, 0]
                column = (quadrants[i, k] % 2) * 14 + 3 + jitter[i, k, 1]
                images[i, row:row + _SHAPE, column:column + _SHAPE] += brightness[i, k] * _MASKS[shape]
        return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.int64)

    train_x, train_y = draw(train_size)
    test_x, test_y = draw(test_size)
    return Images("synthetic", N_("generated shapes"), SYNTHETIC_CLASSES, train_x, train_y, test_x, test_y,
                  N_("generated in memory"))


def train_size(dataset: str) -> int:
    """How many training images a dataset has, known before reading it (to refuse sizes early)."""
    return SYNTHETIC_TRAIN if dataset == "synthetic" else mnist_data.dataset_info(dataset).train_size


def title(dataset: str) -> str:
    """The dataset's name for people, in the current language."""
    return _("generated shapes") if dataset == "synthetic" else mnist_data.dataset_info(dataset).title


def fetch(dataset: str, ctl: Control, download: bool = True) -> Iterator[Event]:
    """Yield download events while a missing dataset downloads; return ``Images``, or None
    after yielding ``Failed`` (missing or damaged data: the sentence and what to do) or
    when the run was stopped. Use as ``images = yield from fetch(...)``."""
    if dataset == "synthetic":
        return synthetic()
    info = mnist_data.dataset_info(dataset)
    root = ctl.data_root()
    try:
        located = yield from downloads.reporting(mnist_data.fetch(info, root, download=download), ctl)
        if located is None:
            return None
        arrays = mnist_data.read(located)
    except DataError as error:
        yield Failed(error.message, error.hint, mnist_data.alternative(info, root))
        return None
    return Images(info.key, info.title, tuple(info.classes), arrays.train_images, arrays.train_labels.astype(np.int64),
                  arrays.test_images, arrays.test_labels.astype(np.int64), located.source)


def random_subset(count: int, size: int, seed: int) -> Any:
    """Indices of ``size`` of ``count`` items (all of them, in order, when size is 0 or ≥ count)."""
    if not size or size >= count:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).permutation(count)[:size])


def per_class(labels: Any, classes: tuple[int, ...], per_class_count: int, seed: int) -> Any:
    """Indices of ``per_class_count`` examples of each class in ``classes`` (fewer where a
    class has fewer), chosen at random by ``seed``."""
    rng = np.random.default_rng(seed)
    picked = [rng.permutation(np.flatnonzero(labels == c))[:per_class_count] for c in classes]
    return np.sort(np.concatenate(picked)) if picked else np.arange(0)


@dataclass
class Tensors:
    """Images as normalised float tensors [N, 1, 28, 28] and labels as long tensors, on one device."""

    train_x: Any
    train_y: Any
    test_x: Any
    test_y: Any
    mean: float
    std: float


def to_tensors(images: Images, device: str, train_index: Any = None, test_index: Any = None,
               mean_std: tuple[float, float] | None = None) -> Tensors:
    """The chosen training and test images on ``device``, normalised with ``mean_std`` or
    with the chosen training pixels' own mean and deviation."""
    import torch

    from engines.training.images import pixel_statistics

    train_u8 = torch.from_numpy(np.ascontiguousarray(
        images.train_images if train_index is None else images.train_images[train_index]))
    test_u8 = torch.from_numpy(np.ascontiguousarray(
        images.test_images if test_index is None else images.test_images[test_index]))
    train_y = torch.from_numpy(np.ascontiguousarray(
        images.train_labels if train_index is None else images.train_labels[train_index]))
    test_y = torch.from_numpy(np.ascontiguousarray(
        images.test_labels if test_index is None else images.test_labels[test_index]))
    mean, std = mean_std or pixel_statistics(train_u8)

    def normalise(u8: Any) -> Any:
        return u8.to(device).unsqueeze(1).float().div_(255).sub_(mean).div_(std)

    return Tensors(normalise(train_u8), train_y.long().to(device), normalise(test_u8), test_y.long().to(device),
                   mean, std)

