"""Tiny MNIST-format datasets written byte for byte as the real files are (IDX, big-endian).

Each class is a fixed random pattern of strokes, shifted by up to a pixel and sprinkled
with noise, so a small network learns it in a few epochs while a pipeline that mixes up
images and labels stays at chance (10 %).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import struct
from pathlib import Path

import numpy as np

NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


def idx_images(images: np.ndarray) -> bytes:
    return struct.pack(">IIII", 0x803, *images.shape) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">II", 0x801, len(labels)) + np.asarray(labels, np.uint8).tobytes()


def synthetic(count: int, seed: int, pattern_seed: int = 1234) -> tuple[np.ndarray, np.ndarray]:
    """``count`` 28×28 uint8 images in 10 learnable classes, and their labels."""
    patterns = np.random.default_rng(pattern_seed).random((10, 28, 28)) < 0.12
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10
    rng.shuffle(labels)
    images = np.zeros((count, 28, 28), np.float32)
    for i, label in enumerate(labels):
        dy, dx = rng.integers(-1, 2, size=2)
        images[i] = np.roll(patterns[label], (dy, dx), axis=(0, 1)) * rng.uniform(150, 255)
    images += rng.normal(0, 25, images.shape)
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.uint8)


def write_dataset(folder: Path, train: int = 200, test: int = 100, gz: bool = False,
                  plain: bool = True, seed: int = 0) -> Path:
    """The four files in ``folder`` (plain and/or .gz); returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, count, split_seed in (("train", train, seed), ("test", test, seed + 1)):
        images, labels = synthetic(count, split_seed)
        for name, data in zip(NAMES[split], (idx_images(images), idx_labels(labels))):
            if plain:
                (folder / name).write_bytes(data)
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(data))
    return folder


def write_root(root: Path, dataset: str = "mnist", **kwargs) -> Path:
    """A data root in torchvision's layout (ROOT/MNIST/raw/...); returns the raw folder."""
    return write_dataset(root / FOLDERS[dataset] / "raw", **kwargs)


class FakeServer:
    """Serves the fixture's .gz files by URL, optionally damaged, like urlopen does."""

    def __init__(self, folder: Path, damage: str = "") -> None:
        self.folder, self.damage, self.requested = folder, damage, []

    def __call__(self, url):
        self.requested.append(url)
        data = (self.folder / url.rsplit("/", 1)[1]).read_bytes()
        length = len(data)
        if self.damage == "flip":
            data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
        elif self.damage == "short":
            data = data[: len(data) // 2]  # the connection drops; Content-Length still says all
        response = io.BufferedReader(io.BytesIO(data))
        response.headers = {"Content-Length": str(length)}
        return response


def served_dataset(tmp_path: Path, train: int = 300, test: int = 50):
    """A fixture published as .gz files, and an MNIST description whose md5s match them."""
    from engines.mnist.data import DATASETS

    published = write_dataset(tmp_path / "published", train=train, test=test, gz=True, plain=False)
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in published.glob("*.gz")}
    info = dataclasses.replace(DATASETS["mnist"], mirrors=("https://mirror.test/mnist/",), md5=md5)
    return published, info
