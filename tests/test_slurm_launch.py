"""How a worker is started through srun, and what srun's own lines mean (no cluster needed)."""

from __future__ import annotations

from engines.core.class_settings import RunSettings, SlurmSettings
from tui_lab import checkup, slurm_follow
from tui_lab.launchers import Launcher, SlurmState, said_by_slurm, srun_arguments

# Lines srun and slurmstepd wrote on this machine's cluster (Slurm 22.05).
TIME_LIMIT_LINES = [
    "tui-lab-placed 7 vm",
    "srun: Job step aborted: Waiting up to 32 seconds for job step to finish.",
    "slurmstepd-vm: error: *** STEP 7.0 ON vm CANCELLED AT 2026-11-30T01:19:18 DUE TO TIME LIMIT ***",
    "srun: error: vm: task 0: Terminated",
]
NODE_FAIL_LINES = [
    "tui-lab-placed 11 vm",
    "slurmstepd-vm: error: *** STEP 11.0 ON vm CANCELLED AT 2026-11-30T01:19:32 DUE TO NODE FAILURE, SEE SLURMCTLD "
    "LOG FOR DETAILS ***",
    "srun: error: Node failure on vm",
]


def test_local_runs_start_the_worker_itself_and_may_wait_ahead():
    launcher = Launcher(RunSettings())
    assert launcher.command(["python", "-m", "engines.core.worker"]) == ["python", "-m", "engines.core.worker"]
    assert launcher.prewarm


def test_slurm_runs_start_the_same_worker_through_srun_with_the_class_settings():
    settings = SlurmSettings(partition="gpu", gpus_per_run=1, time_limit="00:30:00", extra=("--qos=class",))
    launcher = Launcher(RunSettings(launcher="slurm", slurm=settings))
    command = launcher.command(["python", "-m", "engines.core.worker", "--device", "auto"])
    assert command[0] == "srun" and command[-5:] == ["python", "-m", "engines.core.worker", "--device", "auto"]
    for option in ("--unbuffered", "--ntasks=1", "--partition=gpu", "--gres=gpu:1", "--time=00:30:00", "--qos=class"):
        assert option in command
    assert not launcher.prewarm  # an idle worker would hold the cluster's resources


def test_nproc_asks_for_a_cpu_and_a_gpu_per_process_in_one_task():
    assert {"--ntasks=1", "--cpus-per-task=4", "--gres=gpu:4"} <= set(srun_arguments(SlurmSettings(), nproc=4))
    cpu_only = srun_arguments(SlurmSettings(gpus_per_run=0), nproc=2)
    assert "--cpus-per-task=2" in cpu_only and not any(a.startswith("--gres") for a in cpu_only)


def test_the_class_extra_options_replace_the_labs_own():
    extra = ("-c8", "--gpus=2", "-Jclass")
    args = srun_arguments(SlurmSettings(gpus_per_run=1, extra=extra))
    assert not any(a.startswith(("--cpus-per-task", "--gres", "--job-name")) for a in args)
    assert args[-3:] == list(extra)


def test_a_time_limit_ends_the_run_with_a_sentence_naming_the_checkpoint():
    state = SlurmState()
    for line in TIME_LIMIT_LINES:
        state.read(line)
        assert said_by_slurm(line)
    assert (state.job_id, state.node, state.ended) == ("7", "vm", "time_limit")
    failed = slurm_follow.ended(state, "/home/ada/cifar.pt", stop_requested=False)
    assert failed.reason == "time_limit" and "7" in failed.message and "/home/ada/cifar.pt" in failed.hint
    assert "time_limit" in failed.hint  # the class setting to change


def test_a_node_failure_is_told_as_one():
    state = SlurmState()
    for line in NODE_FAIL_LINES:
        state.read(line)
    failed = slurm_follow.ended(state, None, stop_requested=False)
    assert failed.reason == "node_failure" and "vm" in failed.message
    assert "No checkpoint" in failed.hint


def test_a_queued_job_is_followed_until_it_is_placed():
    state = SlurmState()
    assert state.read("srun: job 14 queued and waiting for resources") == "queued"
    assert state.pending and state.job_id == "14"
    assert state.read("srun: job 14 has been allocated resources") is None and not state.pending
    assert state.read("tui-lab-placed 14 node-3") == "placed" and state.node == "node-3"
    assert not said_by_slurm("epoch 1: loss 0.3")  # the run's own lines are not Slurm's


def test_doctor_names_a_local_launcher():
    rows = dict(checkup.launcher_rows(RunSettings()))
    assert rows["launcher"].startswith("local")


def test_the_lab_hands_the_class_settings_to_its_engine_host(tmp_path, monkeypatch):
    from tui_lab.app import make_app

    (tmp_path / "class.toml").write_text('[runs]\nlauncher = "slurm"\n[runs.slurm]\npartition = "gpu"\n',
                                         encoding="utf-8")
    monkeypatch.setenv("TUI_LAB_CONFIG", str(tmp_path / "class.toml"))
    app = make_app(device="cpu", warm_torch=False)
    assert app.host.runs.launcher == "slurm" and app.host.runs.slurm.partition == "gpu"
    app.host.prewarm()  # what the lab does after its first paint: under Slurm, nothing starts
    assert app.host._spare is None
