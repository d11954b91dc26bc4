"""The CIFAR-10 data layer on files written in the exact ``cifar-10-batches-py`` format (no network)."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from engines.cifar import data as cifar_data
from engines.cifar.data import DataError

from conftest import drain
from cifar_fixtures import FOLDER, FakeServer, archive_bytes, batch_bytes, md5s, synthetic, write_root


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_the_fixture_reads_back_exactly_with_a_visible_warning(tmp_path):
    folder = write_root(tmp_path, per_batch=20, test=30)
    arrays = cifar_data.load(tmp_path, download=False)
    images, labels = synthetic(100, 0)
    assert arrays.train_images.shape == (100, 32, 32, 3) and arrays.train_images.dtype == np.uint8
    assert np.array_equal(arrays.train_images, images) and np.array_equal(arrays.train_labels, labels)
    assert arrays.test_images.shape == (30, 32, 32, 3) and np.array_equal(arrays.test_labels, synthetic(30, 1)[1])
    assert arrays.classes == cifar_data.CLASSES
    # Readable but not the official files (a course's own set): loaded, with one sentence saying so.
    assert not arrays.official and len(arrays.warnings) == 1
    warning = arrays.warnings[0]
    assert str(folder) in warning and "not the official ones" in warning and "100 training and 30 test" in warning
    assert warning.count(". ") == 0 and warning.endswith(".")


def test_files_matching_the_published_checksums_load_without_a_warning(tmp_path, monkeypatch):
    folder = write_root(tmp_path)
    monkeypatch.setattr(cifar_data, "MD5", md5s(folder))  # as if these were the official files
    arrays = cifar_data.load(tmp_path, download=False)
    assert arrays.official and arrays.warnings == []


def test_our_reader_agrees_with_torchvision_on_the_same_folder(tmp_path):
    datasets = pytest.importorskip("torchvision.datasets")
    folder = write_root(tmp_path, per_batch=12, test=10)
    sums = md5s(folder)

    class FixtureCIFAR10(datasets.CIFAR10):  # torchvision refuses files whose md5s are not the official ones
        train_list = [[name, sums[name]] for name in cifar_data.TRAIN_FILES]
        test_list = [["test_batch", sums["test_batch"]]]
        meta = {**datasets.CIFAR10.meta, "md5": sums["batches.meta"]}

    ours = cifar_data.load(tmp_path, download=False)
    for train, images, labels in ((True, ours.train_images, ours.train_labels),
                                  (False, ours.test_images, ours.test_labels)):
        theirs = FixtureCIFAR10(str(tmp_path), train=train, download=False)
        assert np.array_equal(theirs.data, images) and np.array_equal(theirs.targets, labels)
    # Our tables mirror torchvision's, so a drift there shows up here.
    cls = datasets.CIFAR10
    assert (cifar_data.FOLDER, cifar_data.URL, cifar_data.ARCHIVE, cifar_data.ARCHIVE_MD5) == \
        (cls.base_folder, cls.url, cls.filename, cls.tgz_md5)
    assert cifar_data.MD5 == {**dict(cls.train_list), **dict(cls.test_list), cls.meta["filename"]: cls.meta["md5"]}


def read_error(root: Path) -> DataError:
    with pytest.raises(DataError) as caught:
        cifar_data.load(root, download=False)
    return caught.value


def test_a_truncated_batch_is_named(tmp_path):
    folder = write_root(tmp_path)
    path = folder / "data_batch_3"
    path.write_bytes(path.read_bytes()[:2000])
    error = read_error(tmp_path)
    assert str(path) in error.message and "truncated" in error.message
    assert str(path) in error.hint


@pytest.mark.parametrize("content, words", [
    (b"<html>not found</html>", "is not a CIFAR-10 pickle"),
    (b"", "is truncated"),
    (pickle.dumps([1, 2, 3], protocol=2), "holds a list, not a dict"),
    (pickle.dumps({"data": np.zeros((4, 100), np.uint8), "labels": [0] * 4}, protocol=2), "not uint8 [n, 3072]"),
    (pickle.dumps({"data": np.zeros((4, 3072), np.uint8), "labels": [0, 1, 2]}, protocol=2), "4 images but 3 labels"),
    (pickle.dumps({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 12]}, protocol=2), "the label 12"),
])
def test_unreadable_and_damaged_batches_are_named(tmp_path, content, words):
    folder = write_root(tmp_path)
    (folder / "test_batch").write_bytes(content)
    error = read_error(tmp_path)
    assert str(folder / "test_batch") in error.message and words in error.message


def test_a_pickle_that_would_run_code_is_refused_without_running_it(tmp_path):
    folder = write_root(tmp_path)
    marker = tmp_path / "ran"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (folder / "data_batch_1").write_bytes(pickle.dumps({"data": Exploit(), "labels": []}, protocol=2))
    error = read_error(tmp_path)
    assert "data_batch_1" in error.message and "which a CIFAR-10 file never holds" in error.message
    assert not marker.exists()


def test_an_incomplete_folder_is_refused_and_left_alone(tmp_path):
    folder = write_root(tmp_path)
    (folder / "data_batch_5").unlink()
    (folder / "batches.meta").unlink()
    before = files_in(tmp_path)
    with pytest.raises(DataError) as caught:
        drain(cifar_data.fetch(tmp_path, opener=FakeServer({}, "offline")))
    assert "data_batch_5, batches.meta are missing" in caught.value.message
    assert str(folder) in caught.value.message and files_in(tmp_path) == before


def test_missing_data_offline_says_what_where_and_how_in_two_lines(tmp_path):
    server = FakeServer({}, "offline")
    with pytest.raises(DataError) as caught:
        drain(cifar_data.fetch(tmp_path / "root", opener=server))
    error = caught.value
    folder = tmp_path / "root" / FOLDER
    assert str(folder) in error.message and server.requested == [cifar_data.URL]
    assert error.message.endswith(", and there is no internet connection to download it.")
    assert "Errno" not in error.message and "\n" not in error.message + error.hint  # one line each
    assert error.hint.startswith("To fix it, connect to the internet and run again")
    assert cifar_data.URL in error.hint and error.hint.endswith(f" into {tmp_path / 'root'}.")
    assert [name for name in files_in(tmp_path / "root")] == []  # nothing half-written left behind


def test_download_turned_off_is_refused_without_touching_the_network(tmp_path):
    server = FakeServer({}, "offline")
    with pytest.raises(DataError, match="downloading is turned off"):
        drain(cifar_data.fetch(tmp_path, download=False, opener=server))
    assert server.requested == []


@pytest.fixture
def published(monkeypatch):
    """A fixture archive, with the checksum tables set to its own (as if it were the real one)."""
    archive = archive_bytes(per_batch=20, test=30)
    monkeypatch.setattr(cifar_data, "ARCHIVE_MD5", hashlib.md5(archive).hexdigest())
    staging = {}
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                staging[member.name.rsplit("/", 1)[-1]] = hashlib.md5(tar.extractfile(member).read()).hexdigest()
    monkeypatch.setattr(cifar_data, "MD5", staging)
    monkeypatch.setattr(cifar_data, "CHUNK", 8192)  # several progress reports
    return archive


def test_download_reports_progress_then_verifies_and_unpacks_in_place(tmp_path, published):
    server = FakeServer({cifar_data.ARCHIVE: published})
    reports, folder = drain(cifar_data.fetch(tmp_path, opener=server))
    done = [r.done_bytes for r in reports]
    assert len(reports) > 3 and done == sorted(done) and done[-1] == reports[-1].total_bytes == len(published)
    assert {r.file for r in reports} == {cifar_data.ARCHIVE}
    assert folder == tmp_path / FOLDER
    assert files_in(tmp_path) == sorted([cifar_data.ARCHIVE, FOLDER] + [f"{FOLDER}/{n}" for n in cifar_data.ALL_FILES])
    arrays = cifar_data.read(folder)
    assert arrays.official and np.array_equal(arrays.train_images, synthetic(100, 0)[0])
    drain(cifar_data.fetch(tmp_path, opener=server))  # a second run asks the server for nothing
    assert len(server.requested) == 1


def test_a_damaged_download_is_explained_and_leaves_nothing(tmp_path, published):
    with pytest.raises(DataError) as caught:
        drain(cifar_data.fetch(tmp_path, opener=FakeServer({cifar_data.ARCHIVE: published}, "flip")))
    assert "arrived damaged (md5" in caught.value.message
    assert files_in(tmp_path) == []


def test_an_abandoned_download_leaves_no_partial_file(tmp_path, published):
    generator = cifar_data.fetch(tmp_path, opener=FakeServer({cifar_data.ARCHIVE: published}))
    first = [next(generator) for _ in range(3)]
    assert first[-1].done_bytes > 0 and any(p.name.endswith(".part") for p in tmp_path.iterdir())
    generator.close()  # what the engine does when the student presses stop mid-download
    assert files_in(tmp_path) == []


def test_an_archive_already_in_the_root_is_unpacked_offline(tmp_path, published):
    (tmp_path / cifar_data.ARCHIVE).write_bytes(published)
    reports, folder = drain(cifar_data.fetch(tmp_path, download=False))
    assert reports == [] and len(cifar_data.read(folder).test_labels) == 30


def test_a_damaged_archive_offline_is_named(tmp_path, published):
    (tmp_path / cifar_data.ARCHIVE).write_bytes(published[:1000])
    with pytest.raises(DataError) as caught:
        drain(cifar_data.fetch(tmp_path, download=False))
    assert str(tmp_path / cifar_data.ARCHIVE) in caught.value.message and "is damaged" in caught.value.message
    assert not (tmp_path / FOLDER).exists()


def test_fixture_batches_use_the_real_layout():
    images, labels = synthetic(3, 7)
    batch = pickle.loads(batch_bytes(images, labels, "x"))
    assert batch["data"].shape == (3, 3072)
    # First 1024 values are the red plane, row by row.
    assert np.array_equal(batch["data"][1, :32], images[1, 0, :, 0])
    assert np.array_equal(batch["data"][1, 1024:1056], images[1, 0, :, 1])
