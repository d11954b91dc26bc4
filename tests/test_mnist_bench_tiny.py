"""``bench/mnist_gpu.py --device cpu --tiny`` end to end, and a benchmark step's host
synchronisations on CUDA (that test runs only where a CUDA GPU is present)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from mnist_fixtures import synthetic

BENCH = ROOT / "bench" / "mnist_gpu.py"


def test_tiny_bench_runs_on_the_cpu_and_writes_its_report(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--device", "cpu", "--tiny", "--seeds", "2",
                           "--compile", "off", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "mnist.json").read_text())
    assert (report["bench"], report["recipe"], report["mode"], report["target"]) == ("mnist", "fast99", "benchmark", 0.99)
    assert report["seeds"] == [0, 1] and [run["seed"] for run in report["runs"]] == [0, 1]
    assert all(0.0 <= run["accuracy"] <= 1.0 and run["seconds"] > 0 for run in report["runs"])
    assert report["accuracy"]["n"] == 2 and report["seconds"]["cold"]["n"] == 1
    assert report["budget"]["epochs"] == 1 and report["budget"]["batch_size"] == 256
    assert report["compile_seconds"] is None and report["data_seconds"] > 0
    assert "| seeds | 2 |" in (tmp_path / "mnist.md").read_text()


def test_cuda_without_a_gpu_ends_with_one_sentence(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    done = subprocess.run([sys.executable, str(BENCH), "--device", "cuda", "--tiny", "--seeds", "1",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode != 0 and "no usable CUDA GPU" in done.stderr
    assert not (tmp_path / "mnist.json").exists()


@pytest.mark.parametrize("compile_mode", ["off", "reduce-overhead"])
def test_a_benchmark_step_on_cuda_makes_the_host_wait_for_nothing(compile_mode):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    from engines.core.device import configure_torch, detect
    from engines.mnist import data as mnist_data
    from engines.mnist.training import DeviceData, Trainer
    from engines.mnist.engine import TRAIN

    device = detect("cuda")
    configure_torch(device)
    train_images, train_labels = synthetic(2048, 0)
    test_images, test_labels = synthetic(256, 1)
    arrays = mnist_data.Arrays(mnist_data.dataset_info("mnist"), train_images, train_labels,
                               test_images, test_labels, "generated")
    config = {**{p.name: p.default for p in TRAIN.params}, "recipe": "fast99", "mode": "benchmark",
              "compile": compile_mode, "model": "cnn", "epochs": 1, "batch_size": 256, "lr": 0.01,
              "schedule": "onecycle", "betas": "0.7,0.9"}
    data = DeviceData(arrays, device, 0, 0, channels_last=True)
    trainer = Trainer(config, data, device, channels_last=True)
    order = torch.randperm(data.train_size, device=device.name)
    batches = [order[s:s + 256] for s in range(0, data.train_size, 256)]
    for index in batches[:3]:  # warm-up: compile, CUDA graphs recorded, allocator settled
        trainer._step(index)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for index in batches[3:]:
            trainer._step(index)
    finally:
        torch.cuda.set_sync_debug_mode(0)
    torch.cuda.synchronize()
