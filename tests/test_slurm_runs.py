"""Runs through srun on the real single-node cluster: complete, queued, cancelled, refused, failed nodes."""

from __future__ import annotations

import subprocess

import pytest

from engines.core.events import Artifact, Failed, Finished, ProgressBatch, Queued
from tui_lab.engine_host import WorkerReady

from slurm_fixtures import SlurmHost, need_slurm, our_jobs, slurm_runs, wait_until


@pytest.fixture(autouse=True)
def cluster():
    need_slurm()


@pytest.fixture
def hosts():
    made: list[SlurmHost] = []

    def make(**slurm) -> SlurmHost:
        made.append(SlurmHost(slurm_runs(**slurm)))
        return made[-1]

    yield make
    for host in made:
        host.close()


def placements(items) -> list[dict]:
    return [i.payload for i in items if isinstance(i, Artifact) and i.kind == "placement"]


def node_name() -> str:
    return subprocess.run(["sinfo", "-h", "-o", "%N"], capture_output=True, text=True, timeout=10).stdout.split()[0]


def test_a_lesson_run_completes_through_srun_and_says_where_it_ran(hosts):
    host = hosts()
    host.prewarm()  # under Slurm nothing waits ahead of a run: no job appears
    assert host._spare is None
    host.start("gd.iterate", {"lr": 0.1, "steps": 4})
    final = host.final()
    assert isinstance(final, Finished) and final.reason == "completed", final
    steps = [s for batch in host.seen if isinstance(batch, ProgressBatch) for s in batch.step]
    assert steps == [0, 1, 2, 3, 4]
    (placed,) = placements(host.seen)
    assert placed["job_id"].isdigit() and placed["node"] == node_name()
    ready = next(i for i in host.seen if isinstance(i, WorkerReady))
    assert ready.device is not None
    assert not any(isinstance(i, str) and i.startswith("tui-lab-placed") for i in host.seen)
    wait_until(lambda: not our_jobs([placed["job_id"]]), what="the finished job to leave squeue")


def test_a_run_beyond_the_partitions_cpus_waits_with_its_job_id_and_stop_withdraws_it(hosts):
    cpus = subprocess.run(["sinfo", "-h", "-o", "%c"], capture_output=True, text=True, timeout=10).stdout.split()[0]
    holder = hosts(extra=(f"--cpus-per-task={cpus}",))  # every CPU of the partition, held by a paused run
    holder.start("gd.iterate", {"lr": 0.1, "steps": 4}, paused=True)
    held_job = holder.wait_for(lambda items: placements(items))[0] and placements(holder.seen)[0]["job_id"]
    waiting = hosts()
    waiting.start("gd.iterate", {"lr": 0.1, "steps": 4})
    queued = next(i for i in waiting.wait_for(lambda items: any(isinstance(i, Queued) for i in items))
                  if isinstance(i, Queued))
    assert queued.job_id and queued.job_id != held_job and queued.position is None
    assert queued.device == "slurm:" + subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True,
                                                      timeout=10).stdout.split()[0].rstrip("*")
    assert queued.reason  # Slurm's own word for the wait (Resources, Priority, …)
    assert our_jobs([queued.job_id]) == {queued.job_id}
    waiting.stop()
    final = waiting.final()
    assert isinstance(final, Finished) and final.reason == "stopped" and queued.job_id in final.summary["message"]
    wait_until(lambda: not our_jobs([queued.job_id]), what="the cancelled job to leave squeue")
    assert not placements(waiting.seen)  # it never ran
    holder.stop()  # the paused run stops cooperatively; its job ends
    assert isinstance(holder.final(), Finished)
    wait_until(lambda: not our_jobs([held_job]), what="the paused run's job to leave squeue")


@pytest.mark.parametrize("slurm, words", [
    ({"partition": "no-such-partition"}, "partition"),
    ({"gpus_per_run": 1}, "gres"),  # this cluster has no GPU
    ({"extra": ("--no-such-srun-option",)}, "--no-such-srun-option"),
])
def test_settings_slurm_refuses_end_the_run_with_one_sentence(hosts, slurm, words):
    host = hosts(**slurm)
    host.start("gd.iterate", {"lr": 0.1, "steps": 4})
    final = host.final(timeout=60)
    assert isinstance(final, Failed) and final.reason == "slurm_refused", final
    assert final.message.startswith("Slurm refused the run: ") and words in final.message.lower()
    assert final.message.count(". ") == 0 and final.message.endswith(".")
    assert "[runs.slurm]" in final.hint


def test_without_srun_the_run_ends_with_one_sentence(hosts, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    host = hosts()
    host.start("gd.iterate", {"lr": 0.1, "steps": 4})
    final = host.final(timeout=10)
    assert isinstance(final, Failed) and final.reason == "slurm_missing" and "srun" in final.message


def test_a_node_failure_ends_the_run_naming_the_node_and_keeping_the_checkpoint(hosts, tmp_path):
    from cifar_fixtures import write_root

    write_root(tmp_path / "data", per_batch=40, test=40)
    node = node_name()
    host = hosts()
    checkpoint = tmp_path / "run.pt"
    host.start("cifar10", {"model": "small-cnn", "dataset": "cifar10", "resume": "none", "epochs": 50, "batch_size": 40,
                           "subset": 80, "threads": 1, "download": "false", "checkpoint": str(checkpoint),
                           "log_every": 1}, data_dir=str(tmp_path / "data"))
    host.wait_for(lambda items: any(isinstance(i, Artifact) and i.kind == "checkpoint" for i in items), timeout=180)
    down = subprocess.run(["scontrol", "update", f"nodename={node}", "state=down", "reason=tui-lab-test"],
                          capture_output=True, text=True, timeout=10)
    if down.returncode != 0:
        pytest.skip(f"cannot mark the node down here: {down.stderr.strip()}")
    try:
        final = host.final(timeout=120)
    finally:
        subprocess.run(["scontrol", "update", f"nodename={node}", "state=resume"], capture_output=True, timeout=10)
        wait_until(lambda: "idle" in subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                                                   timeout=10).stdout, what="the node to be back")
    assert isinstance(final, Failed) and final.reason == "node_failure", final
    assert node in final.message and str(checkpoint) in final.hint and checkpoint.is_file()
