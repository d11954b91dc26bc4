"""Several processes through the real command line: `tui-lab run cifar10 --nproc 2` (gloo, CPU)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engines.cifar import engine as cifar
from engines.core.device import cpu_device
from engines.core.events import Evaluated, Progress, to_json
from engines.core.runtime import Control, run_engine

from conftest import ROOT, run_cli
from cifar_fixtures import write_root

LESSON = """\
id = "cifar10"
title = "CIFAR-10 (test fixture)"
group = "Tests"
order = 990

[[steps]]
title = "Train"
kind = "run"
text = "run.md"
engine = "cifar10"
plots = ["loss"]
"""
# Every parameter that matters is given, so the run is the same whatever the lesson's defaults.
PARAMS = {"model": "small-cnn", "dataset": "cifar10", "resume": "none", "epochs": 20, "batch_size": 40, "lr": 0.02, "subset": 200, "seed": 2,
          "flip": "on", "translate": "on", "label_smoothing": "on", "tta": "off", "ema": "off", "whitening": "off",
          "bf16": "off", "channels_last": "off", "compile": "off", "schedule": "onecycle", "log_every": 1,
          "download": "false", "threads": 1}


@pytest.fixture
def lab(tmp_path):
    """A fixture lesson whose run step is the cifar10 engine, and a 200/40-image data root."""
    (tmp_path / "lessons" / "cifar10").mkdir(parents=True)
    (tmp_path / "lessons" / "cifar10" / "lesson.toml").write_text(LESSON, encoding="utf-8")
    (tmp_path / "lessons" / "cifar10" / "run.md").write_text("Press F5.", encoding="utf-8")
    write_root(tmp_path / "data", per_batch=40, test=40)
    return tmp_path


def kinds(events: list[dict]) -> list[str]:
    return [f"{e['type']}:{e.get('kind', '')}" for e in events]


def test_two_processes_train_what_one_does_and_only_rank_0_reports(lab):
    checkpoint = lab / "ddp.pt"
    args = [sys.executable, "-m", "tui_lab", "run", "cifar10", "--lessons", str(lab / "lessons"), "--device", "cpu",
            "--data-dir", str(lab / "data"), "--json", "--nproc", "2"]
    for name, value in {**PARAMS, "checkpoint": str(checkpoint)}.items():
        args += ["--param", f"{name}={value}"]
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TUI_LAB_HOME": str(lab / "home")})
    lines: list[str] = []
    try:
        for line in process.stdout:
            lines.append(line)
            if json.loads(line)["type"] == "evaluated" and json.loads(line)["epoch"] == 1:
                process.send_signal(signal.SIGINT)  # Ctrl+C after the first epoch: a clean stop of both
        stderr = process.stderr.read()
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    events = [json.loads(line) for line in lines]
    assert process.returncode == 130, stderr
    assert [e["type"] for e in events].count("started") == 1  # one report, from rank 0
    started, final = events[0], events[-1]
    assert "2 processes" in started["device"] and "gloo" in started["device"]
    assert final["type"] == "finished" and final["reason"] == "stopped" and final["summary"]["processes"] == 2
    dataset = next(e["payload"] for e in events if e.get("kind") == "dataset")
    assert dataset["processes"] == 2 and dataset["batch_per_process"] == 20
    saved = [e["payload"] for e in events if e.get("kind") == "checkpoint"]
    assert saved and checkpoint.is_file() and saved[-1]["step"] == final["summary"]["total_steps"]
    ddp_losses = [(e["step"], e["loss"]) for e in events if e["type"] == "progress"]
    last_step = ddp_losses[-1][0]
    assert 5 <= last_step < 100  # stopped mid-run, after the first epoch

    # The same run in one process with the same global batch, stopped at the same step.
    ctl = Control(device=cpu_device(1), data_dir=str(lab / "data"))
    reference = []
    for event in run_engine(cifar.TRAIN, {**PARAMS, "checkpoint": "off"}, ctl):
        reference.append(event)
        if isinstance(event, Progress) and event.step == last_step:
            ctl.stop()
    one = [(e.step, e.loss) for e in reference if isinstance(e, Progress)]
    assert [s for s, _ in one] == [s for s, _ in ddp_losses]
    assert [l for _, l in ddp_losses] == pytest.approx([l for _, l in one], abs=1e-4)
    assert [e["test_accuracy"] for e in events if e["type"] == "evaluated"] == \
        [e.metrics["test_accuracy"] for e in reference if isinstance(e, Evaluated)]
    # The JSON stream has the shape of a one-process run's (a checkpoint line less: that run wrote none).
    single = [json.loads(to_json(e)) for e in reference]
    assert [k for k in kinds(events) if k != "artifact:checkpoint"] == kinds(single)


# One process of a distributed run, as torchrun starts it; then it names the gloo threads still running.
ONE_PROCESS = """\
import os, sys
from engines.training import distributed

code = distributed.main(sys.argv[1:])
names = [open(f"/proc/self/task/{task}/comm").read().strip() for task in os.listdir("/proc/self/task")]
left = sorted(name for name in names if "gloo" in name)
print(f"rank {os.environ['RANK']} ended with {code}; gloo threads left: {left}", file=sys.stderr, flush=True)
sys.exit(code)
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads thread names from /proc (Linux)")
def test_every_process_ends_gloos_threads_before_it_exits(tmp_path):
    """A gloo worker thread still running when the interpreter shuts down aborts its process
    (SIGABRT) if it lags behind, as on a loaded machine; so every process, rank 1 included,
    which finishes first (it does not evaluate), must have ended them when ``main`` returns."""
    script = tmp_path / "one_process.py"
    script.write_text(ONE_PROCESS, encoding="utf-8")
    params = {**cifar.TRAIN.smoke, "subset": 200, "threads": 1}
    args = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script),
            "--engine", "cifar10", "--params", json.dumps(params), "--device", "cpu"]
    with open(tmp_path / "stderr", "w+", encoding="utf-8") as stderr:
        # Standard input stays open, as the launcher holds it: the run completes instead of stopping.
        process = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
                                   env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
        try:
            process.wait(timeout=300)
        finally:
            process.stdin.close()
            if process.poll() is None:
                process.kill()
                process.wait()
        stderr.seek(0)
        output = stderr.read()
    assert process.returncode == 0, output
    ends = sorted(line for line in output.splitlines() if " ended with " in line)
    assert ends == ["rank 0 ended with 0; gloo threads left: []", "rank 1 ended with 0; gloo threads left: []"], output


def test_bad_process_counts_are_refused_with_a_sentence(lab):
    common = ("--lessons", str(lab / "lessons"), "--device", "cpu", "--data-dir", str(lab / "data"))
    zero = run_cli("run", "cifar10", "--nproc", "0", *common)
    assert zero.returncode == 2 and zero.stdout == ""
    assert zero.stderr.strip() == "tui-lab: --nproc must be a whole number of processes, at least 1, not 0."
    word = run_cli("run", "cifar10", "--nproc", "two", *common)
    assert word.returncode == 2 and "--nproc must be a whole number of processes, at least 1, not 'two'." in word.stderr
    other = run_cli("run", "gradient-descent", "--nproc", "2", *common)
    assert other.returncode == 2 and "this step's engine gd.iterate runs in one process" in other.stderr
    assert "Traceback" not in zero.stderr + word.stderr + other.stderr


def test_more_processes_than_gpus_is_refused_before_starting():
    from engines.training.distributed import LaunchError, check_nproc

    import torch

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    too_many = max(2, gpus + 1)
    with pytest.raises(LaunchError) as caught:
        check_nproc(too_many, "cifar10", "cuda")
    assert f"--nproc {too_many} asks for one GPU per process" in str(caught.value)
    assert "--device cpu" in str(caught.value)
    with pytest.raises(LaunchError, match="CUDA_VISIBLE_DEVICES"):
        check_nproc(2, "cifar10", "cuda:1")
    assert check_nproc("3", "cifar10", "cpu") == 3
