"""CPU threads a run gets when it names none: every core headless, one fewer beside the
lab's interface, and an explicit count always wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from engines.core.device import cpu_device, default_threads, detect
from engines.core.events import Artifact
from engines.core.runtime import Control, run_engine

from conftest import ROOT
from mnist_fixtures import write_root

FOUR_CORES = {0, 1, 2, 3}


@pytest.fixture
def four_cores(monkeypatch):
    """This process may use four cores, whatever the machine has."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: FOUR_CORES, raising=False)


@pytest.fixture
def torch_threads():
    """Engines set torch's process-wide thread count: put it back for the next test."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_headless_takes_every_core_and_the_lab_leaves_one(four_cores):
    assert default_threads() == 4 and detect("cpu").threads == 4 and cpu_device().threads == 4
    assert default_threads(keep_core_free=True) == 3
    assert detect("cpu", keep_core_free=True).threads == 3
    assert detect("auto", keep_core_free=True).threads == 3  # no GPU here, or its host threads
    assert detect("cpu", keep_core_free=True).label == "cpu · 3 threads"


def test_an_explicit_thread_count_wins(four_cores):
    assert detect("cpu", threads=6).threads == 6
    assert detect("cpu", threads=2, keep_core_free=True).threads == 2
    assert cpu_device(1, keep_core_free=True).threads == 1


def test_one_core_is_never_left_without_a_thread(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert default_threads(keep_core_free=True) == 1 and default_threads() == 1


# The lab's engine process, told it may use four cores; it reports its device when ready.
FOUR_CORE_WORKER = textwrap.dedent("""
    import os, sys
    os.sched_getaffinity = lambda pid: {0, 1, 2, 3}
    from engines.core import worker
    sys.exit(worker.main(sys.argv[1:]))
""")


@pytest.mark.parametrize("args, threads", [([], 3), (["--threads", "4"], 4), (["--threads", "1"], 1)])
def test_the_labs_engine_process_leaves_a_core_to_the_interface(args, threads):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", FOUR_CORE_WORKER, "--device", "cpu", *args], cwd=ROOT, env=env,
                            input="", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    ready = json.loads(result.stdout.splitlines()[0])
    assert ready["type"] == "ready" and ready["device"]["threads"] == threads


@pytest.mark.parametrize("params, threads, measured", [
    ({"model": "cnn"}, 4, False),  # a step big enough to share: every core, nothing measured
    ({}, 2, True),  # the default MLP at batch 64: the count measured fastest (here: made to be 2)
    ({"threads": 3}, 3, False),  # named: taken as it is
])
def test_a_headless_mnist_run_trains_on_every_core(tmp_path, monkeypatch, four_cores, torch_threads, params, threads,
                                                   measured):
    # The device as `tui-lab run` detects it: every core, where the step is big enough to share.
    import torch

    from engines.training import thread_choice

    asked = []

    def choose(step, most):  # the measurement itself is tested in test_thread_choice.py
        step()  # a real step of the throwaway model runs
        asked.append(most)
        torch.set_num_threads(2)
        return 2

    monkeypatch.setattr(thread_choice, "fastest_threads", choose)
    write_root(tmp_path / "data", "mnist", train=200, test=100)
    ctl = Control(device=detect("cpu"), data_dir=str(tmp_path / "data"))
    events = list(run_engine(registry_engine("mnist"), {"dataset": "mnist", "epochs": 1, "checkpoint": "off",
                                                        **params}, ctl))
    (dataset,) = [e.payload for e in events if isinstance(e, Artifact) and e.kind == "dataset"]
    assert dataset["threads"] == threads
    assert asked == ([4] if measured else [])  # up to every core the run may use


def registry_engine(name):
    from engines.core import registry

    return registry.engine(name)
