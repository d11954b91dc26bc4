"""The MNIST data layer on files written in the exact on-disk formats (no network)."""

from __future__ import annotations

import gzip
import os
import socket
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from engines.mnist import data as mnist_data
from engines.mnist.data import DataError

from conftest import drain
from mnist_fixtures import NAMES, FakeServer, idx_images, idx_labels, served_dataset, synthetic, write_dataset, write_root

MNIST = mnist_data.DATASETS["mnist"]
FASHION = mnist_data.DATASETS["fashion-mnist"]


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_plain_and_gzip_files_read_the_same(tmp_path):
    write_root(tmp_path / "plain", train=50, test=20)
    write_root(tmp_path / "gz", train=50, test=20, gz=True, plain=False)
    plain = mnist_data.load("mnist", tmp_path / "plain", download=False, system_dirs=())
    packed = mnist_data.load("mnist", tmp_path / "gz", download=False, system_dirs=())
    expected_images, expected_labels = synthetic(50, 0)
    assert plain.train_images.shape == (50, 28, 28) and plain.train_images.dtype == np.uint8
    assert np.array_equal(plain.train_images, expected_images)
    assert np.array_equal(plain.train_labels, expected_labels)
    for name in ("train_images", "train_labels", "test_images", "test_labels"):
        assert np.array_equal(getattr(plain, name), getattr(packed, name))
    assert str(tmp_path / "gz" / "MNIST" / "raw") in packed.source


def test_our_reader_agrees_with_torchvision_on_the_same_folder(tmp_path):
    datasets = pytest.importorskip("torchvision.datasets")
    write_root(tmp_path, "fashion-mnist", train=30, test=10)
    ours = mnist_data.load("fashion-mnist", tmp_path, download=False, system_dirs=())
    theirs = datasets.FashionMNIST(str(tmp_path), train=True, download=False)
    assert np.array_equal(theirs.data.numpy(), ours.train_images)
    assert np.array_equal(theirs.targets.numpy(), ours.train_labels)
    # The download tables mirror torchvision's, so a drift there shows up here.
    for info, cls in ((MNIST, datasets.MNIST), (FASHION, datasets.FashionMNIST)):
        assert list(info.mirrors) == cls.mirrors
        assert info.md5 == dict(cls.resources)
        assert info.folder == cls.__name__
    assert list(FASHION.classes) == datasets.FashionMNIST.classes


def offline(url):
    raise urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))  # as urllib does


def test_missing_data_offline_says_what_where_and_how_in_two_lines(tmp_path):
    debian = tmp_path / "no-such-package-dir"
    with pytest.raises(DataError) as caught:
        drain(mnist_data.fetch(FASHION, tmp_path / "root", system_dirs=(str(debian),), opener=offline))
    error = caught.value
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    assert str(raw) in error.message and str(debian) in error.message
    assert error.message.endswith(", and there is no internet connection to download it.")
    assert "Errno" not in error.message
    assert "\n" not in error.message + error.hint  # one line each
    assert error.hint.startswith("To fix it, connect to the internet and run again")
    assert "`sudo apt-get install dataset-fashion-mnist`" in error.hint
    assert f"copy the four files from {FASHION.mirrors[0]} into {raw}." in error.hint
    assert files_in(raw) == []  # nothing half-written left behind


def test_each_mirror_offline_is_told_once_and_other_failures_each(tmp_path):
    with pytest.raises(DataError) as caught:
        drain(mnist_data.fetch(MNIST, tmp_path, system_dirs=(), opener=offline))
    assert caught.value.message.count("internet") == 1 and "Errno" not in caught.value.message

    def refused(url):
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    with pytest.raises(DataError) as caught:
        drain(mnist_data.fetch(MNIST, tmp_path, system_dirs=(), opener=refused))
    message = caught.value.message
    assert message.count("Connection refused") == 2 and "internet" not in message and "Errno" not in message
    assert "run again later" in caught.value.hint


def test_download_turned_off_is_refused_without_touching_the_network(tmp_path):
    with pytest.raises(DataError, match="downloading is turned off"):
        drain(mnist_data.fetch(MNIST, tmp_path, download=False, opener=offline, system_dirs=()))


def test_download_reports_progress_then_verifies_and_unpacks_in_place(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_data, "CHUNK", 4096)  # several reports per file
    published, info = served_dataset(tmp_path)
    server = FakeServer(published)
    reports, located = drain(mnist_data.fetch(info, tmp_path / "root", opener=server, system_dirs=()))
    raw = tmp_path / "root" / "MNIST" / "raw"
    assert len(server.requested) == 4
    assert files_in(raw) == sorted([*mnist_data.ALL_FILES, *(f"{n}.gz" for n in mnist_data.ALL_FILES)])
    for name in mnist_data.ALL_FILES:
        per_file = [r for r in reports if r.file == f"{name}.gz"]
        done = [r.done_bytes for r in per_file]
        assert done == sorted(done) and done[-1] == per_file[-1].total_bytes == (published / f"{name}.gz").stat().st_size
        assert (raw / name).read_bytes() == gzip.decompress((published / f"{name}.gz").read_bytes())
    images, _ = synthetic(300, 0)
    assert np.array_equal(mnist_data.read(located).train_images, images)
    # A second run finds the files and asks the server for nothing.
    drain(mnist_data.fetch(info, tmp_path / "root", opener=server, system_dirs=()))
    assert len(server.requested) == 4


@pytest.mark.parametrize("damage, words", [("flip", "arrived damaged (md5"), ("short", "stopped after")])
def test_a_damaged_download_is_explained_and_leaves_no_file(tmp_path, damage, words):
    published, info = served_dataset(tmp_path)
    with pytest.raises(DataError) as caught:
        drain(mnist_data.fetch(info, tmp_path / "root", opener=FakeServer(published, damage), system_dirs=()))
    assert words in caught.value.message and "train-images-idx3-ubyte.gz" in caught.value.message
    assert files_in(tmp_path / "root") == []


def test_an_abandoned_download_leaves_no_partial_file(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_data, "CHUNK", 1024)
    published, info = served_dataset(tmp_path)
    generator = mnist_data.fetch(info, tmp_path / "root", opener=FakeServer(published), system_dirs=())
    first = [next(generator) for _ in range(3)]
    assert first[-1].done_bytes > 0 and any(p.name.endswith(".part") for p in (tmp_path / "root").rglob("*"))
    generator.close()  # what the engine does when the student presses stop mid-download
    assert files_in(tmp_path / "root") == []


def cut(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def read_error(root: Path) -> DataError:
    with pytest.raises(DataError) as caught:
        mnist_data.load("mnist", root, download=False, system_dirs=())
    return caught.value


def test_a_truncated_file_is_named_and_explained(tmp_path):
    raw = write_root(tmp_path)
    cut(raw / "train-images-idx3-ubyte", 16 + 784 * 10 + 5)
    error = read_error(tmp_path)
    assert str(raw / "train-images-idx3-ubyte") in error.message and "truncated" in error.message
    assert "announces 200 images" in error.message
    assert "Delete" in error.hint and str(raw / "train-images-idx3-ubyte") in error.hint


def test_a_truncated_gzip_file_is_named(tmp_path):
    raw = write_root(tmp_path, gz=True, plain=False)
    gz = raw / "t10k-labels-idx1-ubyte.gz"
    cut(gz, gz.stat().st_size - 12)
    error = read_error(tmp_path)
    assert str(gz) in error.message and "truncated" in error.message


def test_a_file_of_the_wrong_kind_is_named(tmp_path):
    raw = write_root(tmp_path)
    (raw / "t10k-images-idx3-ubyte").write_bytes((raw / "t10k-labels-idx1-ubyte").read_bytes())
    error = read_error(tmp_path)
    assert str(raw / "t10k-images-idx3-ubyte") in error.message and "holds labels, not images" in error.message


def test_garbage_and_mismatched_counts_are_named(tmp_path):
    raw = write_root(tmp_path)
    (raw / "train-labels-idx1-ubyte").write_bytes(b"<html>not found</html>")
    assert "is not an IDX labels file" in read_error(tmp_path).message
    images, labels = synthetic(200, 0)
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_labels(labels[:150]))
    error = read_error(tmp_path)
    assert "200 images" in error.message and "150 labels" in error.message
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_labels(np.full(200, 12)))
    assert "label 12" in read_error(tmp_path).message
    (raw / "train-images-idx3-ubyte").write_bytes(idx_images(np.zeros((5, 32, 32))))
    assert "32×32" in read_error(tmp_path).message


def debian_tree(tmp_path: Path) -> Path:
    """Debian's dataset-fashion-mnist layout: the four .gz files flat in one folder."""
    return write_dataset(tmp_path / "usr/share/datasets/fashion-mnist", train=40, test=20, gz=True, plain=False)


def test_debian_package_files_are_found_and_read_in_place(tmp_path):
    debian = debian_tree(tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in debian.iterdir()}
    located = mnist_data.locate(FASHION, tmp_path / "root", system_dirs=(str(debian),))
    assert located is not None and located.system
    assert "dataset-fashion-mnist" in located.source and str(debian) in located.source
    assert set(located.paths.values()) == {debian / f"{n}.gz" for n in mnist_data.ALL_FILES}
    arrays = mnist_data.read(located)
    assert arrays.train_images.shape == (40, 28, 28) and arrays.test_labels.shape == (20,)
    # Read in place: nothing copied into the data root, nothing changed in the package.
    assert not (tmp_path / "root").exists()
    assert {p.name: p.stat().st_mtime_ns for p in debian.iterdir()} == before


def test_the_data_root_wins_over_the_package_and_incomplete_folders_are_skipped(tmp_path):
    debian = debian_tree(tmp_path)
    write_root(tmp_path / "root", "fashion-mnist", train=30, test=10)
    located = mnist_data.locate(FASHION, tmp_path / "root", system_dirs=(str(debian),))
    assert not located.system and len(mnist_data.read(located).train_labels) == 30
    os.remove(debian / "t10k-labels-idx1-ubyte.gz")
    assert mnist_data.locate(FASHION, tmp_path / "elsewhere", system_dirs=(str(debian),)) is None


def test_damaged_package_files_advise_reinstalling_the_package(tmp_path):
    debian = debian_tree(tmp_path)
    cut(debian / "train-images-idx3-ubyte.gz", 200)
    located = mnist_data.locate(FASHION, tmp_path / "root", system_dirs=(str(debian),))
    with pytest.raises(DataError) as caught:
        mnist_data.read(located)
    assert str(debian / "train-images-idx3-ubyte.gz") in caught.value.message
    assert "apt-get install --reinstall dataset-fashion-mnist" in caught.value.hint


def test_fixture_names_match_the_data_layer():
    assert tuple(name for pair in NAMES.values() for name in pair) == mnist_data.ALL_FILES
