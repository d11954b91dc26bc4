"""The real single-node Slurm cluster the Slurm tests run against (``tools/slurm-cluster.sh``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time

import pytest

from engines.core.class_settings import RunSettings, SlurmSettings
from engines.core.events import Failed, Finished
from tui_lab.engine_host import EngineHost


def slurm_answers() -> str | None:
    """Why the cluster cannot be used here, or None when ``sinfo`` answers."""
    if shutil.which("sinfo") is None or shutil.which("srun") is None:
        return "Slurm's commands are not installed (tools/slurm-cluster.sh starts a single-node cluster)"
    try:
        done = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"sinfo did not answer: {error}"
    if done.returncode != 0 or not done.stdout.strip():
        return f"sinfo failed: {done.stderr.strip()}"
    return None


def need_slurm() -> None:
    why = slurm_answers()
    if why is None:
        return
    if os.environ.get("TUI_LAB_REQUIRE_SLURM") == "1":
        pytest.fail(f"TUI_LAB_REQUIRE_SLURM=1 but {why}")
    pytest.skip(why)


def slurm_runs(**slurm) -> RunSettings:
    """Runs through srun on a cluster without GPUs."""
    return RunSettings(launcher="slurm", slurm=SlurmSettings(**{"gpus_per_run": 0, **slurm}))


def our_jobs(job_ids) -> set[str]:
    """Which of these jobs Slurm still lists."""
    listed = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True, timeout=10).stdout.split()
    return set(job_ids) & set(listed)


def wait_until(condition, timeout: float = 60.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)  # polling Slurm, which has no way to notify us


class SlurmHost(EngineHost):
    """An engine host through srun whose relay thread wakes the test when something arrives."""

    def __init__(self, runs: RunSettings, device: str = "cpu") -> None:
        self.arrived = threading.Event()
        self.seen: list = []
        super().__init__(device=device, warm_torch=False, on_wake=self.arrived.set, runs=runs)

    def wait_for(self, predicate, timeout: float = 120.0) -> list:
        while not predicate(self.seen):
            assert self.arrived.wait(timeout), f"nothing arrived; got {self.seen[-5:]}; {self._describe()}"
            self.arrived.clear()
            self.seen += self.drain()
        return self.seen

    def final(self, timeout: float = 120.0) -> Finished | Failed:
        items = self.wait_for(lambda items: any(isinstance(i, (Finished, Failed)) for i in items), timeout)
        return next(i for i in items if isinstance(i, (Finished, Failed)))

    def _describe(self) -> str:
        worker = self._active
        if worker is None:
            return "no worker"
        return (f"process {worker.process.args} exit {worker.process.poll()}, Slurm {worker.slurm}, "
                f"stderr {list(worker.stderr_tail)[-5:]}")
