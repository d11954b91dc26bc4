"""Which dataset a run starts with, and what a learner is told when data is missing:
tiny datasets in the exact on-disk formats, the download forced offline (no network)."""

from __future__ import annotations

import dataclasses
import io
import json
import socket
import subprocess
import sys
import urllib.error

import pytest

from engines.cifar import data as cifar_data
from engines.cifar import engine as cifar
from engines.core import registry
from engines.core.events import Artifact, Failed, Finished, Started, from_json, to_json
from engines.core.runtime import run_engine
from engines.mnist import data as mnist_data
from engines.mnist import engine as mnist
from lessons import load_catalog
from tui_lab.contract import EXIT_FAILED, EXIT_OK, UsageError
from tui_lab.headless import cmd_run

from conftest import ROOT, cpu_control, of
from mnist_fixtures import write_dataset, write_root

QUICK = {"epochs": 1, "batch_size": 32, "checkpoint": "off"}
CIFAR_QUICK = {"model": "small-cnn", "subset": 100, "epochs": 1, "batch_size": 50, "tta": "off", "checkpoint": "off"}


@pytest.fixture(autouse=True)
def no_debian_package(monkeypatch):
    """Whether this computer has Debian's Fashion-MNIST must not matter here."""
    fashion = mnist_data.DATASETS["fashion-mnist"]
    monkeypatch.setitem(mnist_data.DATASETS, "fashion-mnist", dataclasses.replace(fashion, system_dirs=()))


@pytest.fixture
def offline(monkeypatch):
    """Every download fails as urlopen fails without a connection; the URLs asked are kept."""
    asked = []

    def urlopen(url):
        asked.append(url)
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(mnist_data, "_urlopen", urlopen)
    monkeypatch.setattr(cifar_data, "_urlopen", urlopen)
    return asked


def fashion_only(tmp_path):
    root = tmp_path / "data"
    write_root(root, "fashion-mnist", train=200, test=100)
    return root


# --- the dataset a run starts with ---------------------------------------------------


def test_only_fashion_mnist_here_is_the_default_and_the_sentence_says_why(tmp_path):
    name, sentence = mnist_data.default_dataset(fashion_only(tmp_path))
    assert name == "fashion-mnist"
    assert sentence.startswith("Fashion-MNIST: it is on this computer; MNIST is not")


def test_fashion_mnist_of_the_debian_package_counts_as_here(tmp_path, monkeypatch):
    package = write_dataset(tmp_path / "usr-share-datasets", gz=True, plain=False)
    fashion = mnist_data.DATASETS["fashion-mnist"]
    monkeypatch.setitem(mnist_data.DATASETS, "fashion-mnist", dataclasses.replace(fashion, system_dirs=(str(package),)))
    assert mnist_data.default_dataset(tmp_path / "empty-root")[0] == "fashion-mnist"


def test_with_both_here_mnist_is_the_default(tmp_path):
    root = fashion_only(tmp_path)
    write_root(root, "mnist", train=20, test=10, gz=True, plain=False)
    assert mnist_data.default_dataset(root) == ("mnist", "MNIST: it is on this computer.")


def test_with_neither_here_mnist_is_the_default_and_downloads(tmp_path):
    name, sentence = mnist_data.default_dataset(tmp_path / "empty")
    assert name == "mnist" and "not on this computer" in sentence and "downloads" in sentence


def test_an_incomplete_folder_does_not_count_as_here(tmp_path):
    raw = write_root(tmp_path, "mnist", train=20, test=10)
    (raw / "t10k-labels-idx1-ubyte").unlink()
    assert mnist_data.default_dataset(tmp_path)[0] == "mnist"
    assert "not on this computer" in mnist_data.default_dataset(tmp_path)[1]


def test_choosing_the_default_imports_no_torch():
    code = ("import sys; from pathlib import Path; from engines.mnist.data import default_dataset; "
            "default_dataset(Path('/nonexistent')); print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "False"


# --- missing data: at most four lines, and a run that works now ----------------------


def test_missing_mnist_offline_fails_in_two_lines_offering_the_dataset_that_is_here(tmp_path, offline):
    root = fashion_only(tmp_path)
    events = list(run_engine(mnist.TRAIN, {"dataset": "mnist", **QUICK}, cpu_control(str(root))))
    failed = events[-1]
    assert isinstance(failed, Failed) and not of(events, Started)
    text = failed.message + "\n" + failed.hint
    assert len(text.splitlines()) <= 4
    assert str(root / "MNIST" / "raw") in failed.message
    assert "no internet connection" in failed.message and "Errno" not in text
    assert "connect to the internet" in failed.hint and str(root / "MNIST" / "raw") in failed.hint
    assert failed.alternative == {"key": "d", "label": "train on Fashion-MNIST, which is on this computer",
                                  "params": {"dataset": "fashion-mnist"}}
    assert from_json(to_json(failed)) == failed  # it crosses to the lab's process whole
    assert len(offline) == 2  # each mirror asked once, then the run gave up

    again = list(run_engine(mnist.TRAIN, {"dataset": "mnist", **QUICK, **failed.alternative["params"]},
                            cpu_control(str(root))))
    assert isinstance(again[-1], Finished) and again[-1].reason == "completed"
    assert of(again, Artifact, "dataset")[0].payload["dataset"] == "fashion-mnist"


def test_with_nothing_here_no_alternative_is_offered(tmp_path, offline):
    events = list(run_engine(mnist.TRAIN, {"dataset": "mnist", **QUICK}, cpu_control(str(tmp_path / "empty"))))
    assert isinstance(events[-1], Failed) and events[-1].alternative is None


def test_missing_cifar10_offers_the_generated_stand_in_which_runs(tmp_path, offline):
    root = str(tmp_path / "empty")
    events = list(run_engine(cifar.TRAIN, CIFAR_QUICK, cpu_control(root)))
    failed = events[-1]
    assert isinstance(failed, Failed) and len((failed.message + "\n" + failed.hint).splitlines()) <= 4
    assert str(tmp_path / "empty" / cifar_data.FOLDER) in failed.message and "no internet connection" in failed.message
    assert failed.alternative["key"] == "d" and failed.alternative["params"] == {"dataset": "synthetic"}
    again = list(run_engine(cifar.TRAIN, {**CIFAR_QUICK, **failed.alternative["params"]}, cpu_control(root)))
    assert isinstance(again[-1], Finished) and again[-1].reason == "completed"


def test_the_command_line_says_it_in_at_most_four_unwrapped_lines_ending_with_the_command(tmp_path, offline):
    root = fashion_only(tmp_path)
    out = io.StringIO()
    status = cmd_run(load_catalog(), "mnist", None, {"dataset": "mnist", "epochs": "1"}, "cpu", str(root), False, out)
    lines = out.getvalue().splitlines()
    assert status == EXIT_FAILED and 3 <= len(lines) <= 4
    assert lines[0].startswith("Error: MNIST is not on this computer") and str(root / "MNIST" / "raw") in lines[0]
    assert lines[1].startswith("To fix it, ") and mnist_data.DATASETS["mnist"].mirrors[0] in lines[1]
    assert lines[-1].startswith("Or, to train on Fashion-MNIST, which is on this computer: ")
    assert lines[-1].endswith(
        f"tui-lab run mnist --param dataset=fashion-mnist --param epochs=1 --device cpu --data-dir {root}")


# --- the command line's choice, and former names --------------------------------------


def test_run_without_a_dataset_trains_on_what_is_here_and_says_so_once(tmp_path, capsys):
    root = fashion_only(tmp_path)
    out = io.StringIO()
    overrides = {"epochs": "1", "subset": "100", "batch_size": "50", "checkpoint": "off"}
    assert cmd_run(load_catalog(), "mnist", None, overrides, "cpu", str(root), True, out) == EXIT_OK
    started = json.loads(out.getvalue().splitlines()[0])
    assert started["type"] == "started" and started["config"]["dataset"] == "fashion-mnist"
    assert capsys.readouterr().err.count("dataset=fashion-mnist. Fashion-MNIST: it is on this computer") == 1


def test_cifars_former_data_param_still_works_with_a_note(tmp_path, capsys):
    out = io.StringIO()
    overrides = {"data": "synthetic", **{k: str(v) for k, v in CIFAR_QUICK.items()}}
    assert cmd_run(load_catalog(), "cifar10", None, overrides, "cpu", str(tmp_path / "none"), True, out) == EXIT_OK
    config = json.loads(out.getvalue().splitlines()[0])["config"]
    assert config["dataset"] == "synthetic" and "data" not in config
    assert capsys.readouterr().err.count("tui-lab: note: `data` is now called `dataset`.") == 1


def test_the_former_and_the_current_name_together_are_refused(tmp_path):
    with pytest.raises(UsageError, match="data and dataset are one parameter"):
        cmd_run(load_catalog(), "cifar10", None, {"data": "synthetic", "dataset": "cifar10"}, "cpu",
                str(tmp_path), True, io.StringIO())


def test_lessons_use_the_current_names_only():
    for lesson in load_catalog().lessons:
        for step in lesson.steps:
            if step.kind != "run":
                continue
            former = {alias for p in registry.engine(step.engine).params for alias in p.aliases}
            used = set(step.params) | set(step.fields or ()) | set(step.smoke)
            assert not used & former, f"{lesson.id} step {step.index} uses {used & former}"
