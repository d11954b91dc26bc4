"""``tui-lab doctor`` says which datasets are here, where, and how to get the others."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.cells import cell_len

from engines.cifar import data as cifar_data
from engines.core.dataset_status import dataset_statuses
from engines.core.downloads import DataError
from engines.mnist import data as mnist_data
from lessons import load_catalog
from tui_lab import checkup

import cifar_fixtures
import mnist_fixtures


def by_title(statuses):
    return {s.title: s for s in statuses}


def test_datasets_in_the_data_root_are_found_where_they_are(tmp_path):
    mnist_raw = mnist_fixtures.write_root(tmp_path, "mnist")
    cifar_folder = cifar_fixtures.write_root(tmp_path)
    found = by_title(dataset_statuses(tmp_path, system_dirs=()))
    assert list(found) == ["MNIST", "Fashion-MNIST", "CIFAR-10"]
    assert str(mnist_raw) in found["MNIST"].found and not found["MNIST"].missing
    assert str(cifar_folder) in found["CIFAR-10"].found
    assert found["Fashion-MNIST"].found is None


def test_a_missing_dataset_gets_the_sentence_a_run_says(tmp_path):
    missing = by_title(dataset_statuses(tmp_path, system_dirs=()))["Fashion-MNIST"]
    with pytest.raises(DataError) as run_says:  # what a run that may not download tells the learner
        mnist_data.load("fashion-mnist", tmp_path, download=False, system_dirs=())
    raw = tmp_path / "FashionMNIST" / "raw"
    assert missing.missing.startswith(f"Fashion-MNIST is not on this computer (looked in {raw})")
    ways = run_says.value.hint.split(", or ", 1)[1]  # every way after the one for its own cause
    assert missing.missing.endswith(ways)
    assert "sudo apt-get install dataset-fashion-mnist" in ways and str(raw) in ways


def test_a_distribution_package_counts_and_is_named(tmp_path):
    system = mnist_fixtures.write_dataset(tmp_path / "share" / "fashion-mnist", gz=True, plain=False)
    found = by_title(dataset_statuses(tmp_path / "root", system_dirs=(str(system),)))["Fashion-MNIST"]
    assert found.found == f"Debian package dataset-fashion-mnist ({system})"


def test_cifar_from_its_archive_and_an_incomplete_folder(tmp_path):
    (tmp_path / cifar_data.ARCHIVE).write_bytes(cifar_fixtures.archive_bytes())
    archived = by_title(dataset_statuses(tmp_path, system_dirs=()))["CIFAR-10"]
    assert str(tmp_path / cifar_data.ARCHIVE) in archived.found and "unpacked" in archived.found

    folder = cifar_fixtures.write_root(tmp_path / "other")
    (folder / "test_batch").unlink()
    incomplete = by_title(dataset_statuses(tmp_path / "other", system_dirs=()))["CIFAR-10"]
    assert incomplete.found is None and "test_batch" in incomplete.missing and "data_batch_1" not in incomplete.missing


def test_cifar_missing_says_where_to_put_the_archive(tmp_path):
    missing = by_title(dataset_statuses(tmp_path, system_dirs=()))["CIFAR-10"]
    assert missing.found is None and cifar_data.URL in missing.missing and str(tmp_path) in missing.missing


@pytest.fixture
def no_debian_fashion(monkeypatch):
    """The computer's own Debian package must not decide what the report says."""
    info = mnist_data.DATASETS["fashion-mnist"]
    monkeypatch.setitem(mnist_data.DATASETS, "fashion-mnist", replace(info, system_dirs=()))


def test_the_doctor_lists_each_dataset_under_the_data_root_it_reports(tmp_path, no_debian_fashion):
    mnist_raw = mnist_fixtures.write_root(tmp_path, "mnist")
    rows = dict(checkup.doctor_report(load_catalog(), "cpu", str(tmp_path)))
    assert rows["MNIST"] == f"found in data root {mnist_raw}"
    assert rows["Fashion-MNIST"].startswith("Fashion-MNIST is not on this computer")
    assert rows["CIFAR-10"].startswith("CIFAR-10 is not on this computer")


def test_the_values_line_up_in_cells_with_wide_labels(monkeypatch):
    rows = [("python", "3"), ("数据根目录", "/data"), ("MNIST", "x")]
    monkeypatch.setattr(checkup, "doctor_report", lambda *args: rows)
    out = io.StringIO()
    checkup.cmd_doctor(None, "cpu", None, out)
    lines = out.getvalue().splitlines()
    starts = {cell_len(line[:line.index(value)]) for line, (_key, value) in zip(lines, rows)}
    assert starts == {cell_len("数据根目录") + 2}
