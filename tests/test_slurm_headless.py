"""``tui-lab run`` through srun (``launcher = "slurm"``): relayed output, Slurm's queue, --nproc 2."""

from __future__ import annotations

import io
import json

import pytest

from engines.core.events import Artifact
from lessons import load_catalog
from tui_lab import slurm_run

from test_cifar_ddp import LESSON as CIFAR_LESSON
from slurm_fixtures import SlurmHost, need_slurm, our_jobs, slurm_runs, wait_until

CIFAR_PARAMS = {"model": "small-cnn", "dataset": "cifar10", "resume": "none", "epochs": 2, "batch_size": 40,
                "lr": 0.02, "subset": 80, "seed": 2, "tta": "off", "ema": "off", "whitening": "off", "bf16": "off",
                "channels_last": "off", "compile": "off", "log_every": 1, "download": "false", "threads": 1,
                "checkpoint": "off"}


@pytest.fixture(autouse=True)
def cluster():
    need_slurm()


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_the_headless_run_goes_through_srun_and_prints_what_a_local_one_does(monkeypatch):
    monkeypatch.delenv(slurm_run.INSIDE, raising=False)
    assert slurm_run.relays(slurm_runs()) and not slurm_run.relays(slurm_runs().__class__())
    lesson = load_catalog().get("gradient-descent")
    out = io.StringIO()
    code = slurm_run.cmd_run(slurm_runs(), lesson, None, {"steps": "3"}, "cpu", None, True, out)
    events = json_lines(out.getvalue())
    assert code == 0, out.getvalue()
    assert [e["type"] for e in events] == ["started", "artifact", "progress", "progress", "progress", "progress",
                                           "finished"]
    assert events[-1]["reason"] == "completed"
    monkeypatch.setenv(slurm_run.INSIDE, "local")  # inside the job: no srun within srun
    assert not slurm_run.relays(slurm_runs())


class Watching(io.StringIO):
    """The run's standard output; on its ``queued`` line the run holding the CPUs is stopped."""

    def __init__(self, holder: SlurmHost) -> None:
        super().__init__()
        self.holder = holder

    def write(self, text: str) -> int:
        if '"type":"queued"' in text:
            self.holder.stop()
        return super().write(text)


def test_a_headless_run_waiting_for_slurm_prints_queued_then_runs(monkeypatch):
    monkeypatch.delenv(slurm_run.INSIDE, raising=False)
    holder = SlurmHost(slurm_runs(extra=("--cpus-per-task=2",)))
    try:
        holder.start("gd.iterate", {"lr": 0.1, "steps": 4}, paused=True)
        held = holder.wait_for(lambda items: any(isinstance(i, Artifact) and i.kind == "placement" for i in items))
        out = Watching(holder)
        lesson = load_catalog().get("gradient-descent")
        code = slurm_run.cmd_run(slurm_runs(), lesson, None, {"steps": "3"}, "cpu", None, True, out)
    finally:
        holder.close()
    events = json_lines(out.getvalue())
    assert code == 0
    queued = events[0]
    assert queued["type"] == "queued" and queued["job_id"] and queued["position"] is None
    assert queued["device"].startswith("slurm:")
    assert [e["type"] for e in events][1] == "started" and events[-1]["type"] == "finished"
    job = next(i.payload["job_id"] for i in held if isinstance(i, Artifact) and i.kind == "placement")
    wait_until(lambda: not our_jobs([job, queued["job_id"]]), what="both jobs to leave squeue")


def test_nproc_2_trains_in_two_processes_inside_one_slurm_job(tmp_path, monkeypatch):
    from cifar_fixtures import write_root

    monkeypatch.delenv(slurm_run.INSIDE, raising=False)
    (tmp_path / "lessons" / "cifar10").mkdir(parents=True)
    (tmp_path / "lessons" / "cifar10" / "lesson.toml").write_text(CIFAR_LESSON, encoding="utf-8")
    (tmp_path / "lessons" / "cifar10" / "run.md").write_text("Press F5.", encoding="utf-8")
    write_root(tmp_path / "data", per_batch=40, test=40)
    lesson = load_catalog([tmp_path / "lessons"]).get("cifar10")
    assert lesson is not None
    out = io.StringIO()
    overrides = {name: str(value) for name, value in CIFAR_PARAMS.items()}
    command = slurm_run.inner_command(lesson, None, overrides, "cpu", str(tmp_path / "data"), True, nproc="2")
    assert command[command.index("--nproc") + 1] == "2"
    code = slurm_run.cmd_run(slurm_runs(), lesson, None, overrides, "cpu", str(tmp_path / "data"), True, out,
                             nproc="2")
    events = json_lines(out.getvalue())
    assert code == 0, out.getvalue()
    assert [e["type"] for e in events].count("started") == 1  # one report, from rank 0
    assert "2 processes" in events[0]["device"]
    assert events[-1]["type"] == "finished" and events[-1]["reason"] == "completed"
    assert events[-1]["summary"]["processes"] == 2


def test_a_refused_headless_run_ends_with_one_sentence(monkeypatch):
    monkeypatch.delenv(slurm_run.INSIDE, raising=False)
    lesson = load_catalog().get("gradient-descent")
    out = io.StringIO()
    code = slurm_run.cmd_run(slurm_runs(partition="no-such-partition"), lesson, None, {}, "cpu", None, True, out)
    (event,) = json_lines(out.getvalue())
    assert code == 1 and event["type"] == "failed" and event["reason"] == "slurm_refused"
    assert "partition" in event["message"].lower()
