"""The engine worker on a shared GPU server: waiting for the student it holds no GPU (CUDA is
never initialised before a run starts on a GPU), it says which machine it is on, it waits
for its turn when the job carries the class settings, and SIGTERM (Slurm's time limit) stops
the run cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

# Runs the worker in a torch where CUDA looks present (one GPU) but initialising it raises
# and says so on stderr: the idle worker must get to its ready line and wait without it.
NO_CUDA_INIT = textwrap.dedent("""
    import sys, torch

    def refuse(*args, **kwargs):
        print("CUDA-INITIALISED", file=sys.stderr, flush=True)
        raise RuntimeError("CUDA must not be initialised by an idle worker")

    torch.cuda.is_available = lambda: True
    torch.cuda.device_count = lambda: 1
    torch.cuda._lazy_init = refuse
    torch.cuda.init = refuse
    from engines.core import worker
    sys.exit(worker.main(sys.argv[1:]))
""")


def start_worker(*args: str, code: str | None = None) -> subprocess.Popen:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "engines.core.worker"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": "0"}
    return subprocess.Popen([*command, *args], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1)


def read_until(worker: subprocess.Popen, kinds: set[str]) -> list[dict]:
    """The worker's lines up to the first of one of these types (a progress batch counts as progress)."""
    lines = []
    for line in worker.stdout:
        data = json.loads(line)
        lines.append(data)
        if data["type"] in kinds or (data["type"] == "progress_batch" and "progress" in kinds):
            return lines
    pytest.fail(f"the worker ended early: {worker.stderr.read()}")


@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_the_idle_worker_never_initialises_cuda(device):
    worker = start_worker("--device", device, "--warm", code=NO_CUDA_INIT)
    try:
        (ready,) = read_until(worker, {"ready"})
        assert ready.get("error") is None and ready["device"]["name"] == "cuda:0"
        assert ready["node"] == os.uname().nodename
        assert "cuda:0" in [d["name"] for d in ready["devices"]]
        assert worker.poll() is None  # waiting for its job
    finally:
        worker.stdin.close()  # the lab quits without a job
        code = worker.wait(timeout=60)
    stderr = worker.stderr.read()
    assert code == 0 and "CUDA-INITIALISED" not in stderr and "Traceback" not in stderr


def test_sigterm_stops_the_run_at_its_next_step(tmp_path):
    worker = start_worker("--device", "cpu")
    try:
        read_until(worker, {"ready"})
        saved = tmp_path / "selftest.ckpt"
        job = {"engine": "selftest", "params": {"steps": 100000, "step_seconds": 0.01, "checkpoint": str(saved)}}
        worker.stdin.write(json.dumps(job) + "\n")
        read_until(worker, {"progress"})
        worker.send_signal(signal.SIGTERM)
        ended = read_until(worker, {"finished", "failed"})[-1]
        assert ended["type"] == "finished" and ended["reason"] == "stopped"
        assert ended["summary"]["steps"] < 100000 and saved.exists()
    finally:
        worker.stdin.close()
        assert worker.wait(timeout=60) == 0


def test_a_job_with_the_class_settings_waits_for_its_turn(tmp_path):
    """The slot is held by this test (as another lab's run would hold it); the job waits in
    line, and a stop while it waits ends it without starting it."""
    from engines.core.admission import Turn
    from engines.core.class_settings import RunSettings

    settings = RunSettings(per_device=1, queue_dir=tmp_path / "queue")
    holder = Turn(settings, "cpu")
    assert list(holder.wait(lambda seconds: False)) == []  # the line is empty: admitted at once
    worker = start_worker("--device", "cpu")
    try:
        read_until(worker, {"ready"})
        job = {"engine": "selftest", "params": {"steps": 3}, "runs": settings.to_json()}
        worker.stdin.write(json.dumps(job) + "\n")
        (queued,) = read_until(worker, {"queued"})
        assert (queued["position"], queued["device"]) == (1, "cpu")
        worker.stdin.write(json.dumps({"cmd": "stop"}) + "\n")
        ended = read_until(worker, {"started", "finished", "failed"})[-1]
        assert ended["type"] == "finished" and ended["reason"] == "stopped"
    finally:
        holder.release()
        worker.stdin.close()
        worker.wait(timeout=60)


def test_a_run_on_a_gpu_is_capped_to_the_class_memory_share(monkeypatch, tmp_path):
    """The share is set when the run starts on its GPU, after its wait (recorded here: no GPU needed)."""
    import torch

    from engines.core import registry
    from engines.core.class_settings import RunSettings
    from engines.core.device import DeviceInfo
    from engines.core.runtime import Control, EngineSpec, run_engine

    calls = []
    for module, flag in ((torch.backends.cuda.matmul, "allow_tf32"), (torch.backends.cudnn, "allow_tf32"),
                         (torch.backends.cudnn, "benchmark")):
        monkeypatch.setattr(module, flag, getattr(module, flag))  # set by the run; put back after the test
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: calls.append(("set_device", device)))
    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction",
                        lambda share, index: calls.append(("share", share, index)))
    selftest = registry.engine("selftest")
    spec = EngineSpec(selftest.name, selftest.title, selftest.params, selftest.run, needs_torch=True)
    gpu = DeviceInfo("cuda:1", "cuda", "cuda:1", 1)
    runs = RunSettings(per_device=2, memory_share=0.3, queue_dir=tmp_path / "queue")
    events = list(run_engine(spec, {"steps": 2}, Control(device=gpu), runs=runs))
    assert events[-1].reason == "completed"
    assert calls == [("set_device", "cuda:1"), ("share", 0.3, 1)]
    assert list((tmp_path / "queue").glob("cuda1.slot.*"))  # it took its place on cuda:1


def test_admitted_reports_the_wait_and_lets_a_stop_end_it(tmp_path):
    import threading

    from engines.core.admission import Turn, admitted
    from engines.core.class_settings import RunSettings
    from engines.core.runtime import Control

    settings = RunSettings(per_device=1, queue_dir=tmp_path / "queue")
    holder = Turn(settings, "cuda:0")
    assert list(holder.wait(lambda seconds: False)) == []
    ctl, places, outcome = Control(), [], []
    waiting = threading.Event()

    def emit(event):
        places.append(event.position)
        waiting.set()

    def wait_in_line():
        with admitted(settings, "cuda:0", ctl, emit) as go:
            outcome.append(go)

    waiter = threading.Thread(target=wait_in_line)
    waiter.start()
    assert waiting.wait(30)
    ctl.stop()
    waiter.join(30)
    holder.release()
    assert places == [1] and outcome == [False]
    with admitted(settings, "cuda:0", Control(), places.append) as go:  # free now: in at once, no wait reported
        assert go and places == [1]
