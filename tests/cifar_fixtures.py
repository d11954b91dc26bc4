"""Tiny CIFAR-10 datasets written exactly as the real files are (``cifar-10-batches-py``).

Each class is a fixed colour tint plus a coarse random texture, shifted by up to two
pixels and sprinkled with noise, so a small network learns it in a few epochs while a
pipeline that mixes up images and labels stays at chance (10 %). Each batch file is a
pickle of {"batch_label", "labels", "data" (uint8 [n, 3072]: R plane, G plane, B plane),
"filenames"}, as in the real set; ``batches.meta`` holds the label names.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import socket
import tarfile
import tempfile
from pathlib import Path

import numpy as np

FOLDER = "cifar-10-batches-py"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def synthetic(count: int, seed: int, pattern_seed: int = 4321) -> tuple[np.ndarray, np.ndarray]:
    """``count`` images uint8 [n, 32, 32, 3] (rows, columns, RGB) in 10 learnable classes, and labels."""
    rng = np.random.default_rng(pattern_seed)
    tints = rng.uniform(40, 215, size=(10, 3))
    textures = np.kron(rng.uniform(-50, 50, size=(10, 8, 8, 3)), np.ones((1, 4, 4, 1)))  # 8×8 cells of 4×4 pixels
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10
    rng.shuffle(labels)
    images = np.empty((count, 32, 32, 3), np.float32)
    for i, label in enumerate(labels):
        dy, dx = rng.integers(-2, 3, size=2)
        images[i] = tints[label] + np.roll(textures[label], (dy, dx), axis=(0, 1))
    images += rng.normal(0, 20, images.shape)
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.uint8)


def batch_bytes(images: np.ndarray, labels: np.ndarray, name: str) -> bytes:
    """One batch file's bytes, laid out as the real ones."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), 3072)  # rows × columns × RGB -> R, G, B planes
    return pickle.dumps({"batch_label": name, "labels": [int(v) for v in labels], "data": planes,
                         "filenames": [f"img_{i}.png" for i in range(len(labels))]}, protocol=2)


def write_folder(folder: Path, per_batch: int = 20, test: int = 50, seed: int = 0) -> Path:
    """``folder`` with the seven files; the training images are ``synthetic(5 * per_batch, seed)``."""
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = synthetic(5 * per_batch, seed)
    for i, name in enumerate(TRAIN_FILES):
        part = slice(i * per_batch, (i + 1) * per_batch)
        (folder / name).write_bytes(batch_bytes(images[part], labels[part], name))
    test_images, test_labels = synthetic(test, seed + 1)
    (folder / "test_batch").write_bytes(batch_bytes(test_images, test_labels, "testing batch 1 of 1"))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": CLASSES, "num_cases_per_batch": per_batch,
                                                        "num_vis": 3072}, protocol=2))
    return folder


def write_root(root: Path, **kwargs) -> Path:
    """A data root in torchvision's layout (ROOT/cifar-10-batches-py/...); returns that folder."""
    return write_folder(root / FOLDER, **kwargs)


def archive_bytes(**kwargs) -> bytes:
    """A cifar-10-python.tar.gz made of a fixture, as the real archive is laid out."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as work:
        folder = write_folder(Path(work) / FOLDER, **kwargs)
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(folder, arcname=FOLDER)
    return buffer.getvalue()


def md5s(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


class FakeServer:
    """Serves bytes by URL, optionally damaged or refusing, as ``urlopen`` would."""

    def __init__(self, files: dict[str, bytes], damage: str = "") -> None:
        self.files, self.damage, self.requested = files, damage, []

    def __call__(self, url):
        import urllib.error

        self.requested.append(url)
        name = url.rsplit("/", 1)[1]
        if self.damage == "offline":
            raise urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))  # as urllib does
        data = self.files[name]
        length = len(data)
        if self.damage == "flip":
            data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
        response = io.BufferedReader(io.BytesIO(data))
        response.headers = {"Content-Length": str(length)}
        return response
