"""Both GPU benches run on the CPU with ``--tiny`` and write every field of their report.

This is how CI keeps the GPU benches' code paths (recipes, benchmark mode, compile,
statistics, report) running where no GPU is: as subprocesses, on generated data.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from cifar_fixtures import write_root as write_cifar
from mnist_fixtures import write_root as write_mnist

SEEDS = 2
SUMMARY = {"mean", "sd", "min", "max", "n"}
TEST = {"n", "mean", "target", "t", "p", "passes"}
ENVIRONMENT = {"device", "kind", "driver", "torch", "cuda", "python", "cpu"}
FIELDS = {"bench", "recipe", "mode", "environment", "target", "budget", "seeds", "warmup", "data_seconds",
          "compile_seconds", "accuracy", "reached_fraction", "seconds", "test", "runs"}


def number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def run_bench(script: str, data_dir, out_dir, *extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "bench" / script), "--device", "cpu", "--tiny", "--seeds", str(SEEDS),
               "--out", str(out_dir), "--data-dir", str(data_dir), *extra]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{script} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    reports = sorted(out_dir.glob("*.json"))
    assert len(reports) == 1, f"expected one JSON report in {out_dir}, found {reports}"
    assert reports[0].with_suffix(".md").is_file()
    return json.loads(reports[0].read_text())


def check_summary(summary: dict, n: int) -> None:
    assert set(summary) >= SUMMARY and summary["n"] == n
    assert all(number(summary[k]) for k in ("mean", "sd", "min", "max"))
    assert summary["min"] <= summary["mean"] <= summary["max"] and summary["sd"] >= 0


def check_report(report: dict, bench: str, target: float) -> None:
    assert FIELDS <= set(report), f"missing fields: {sorted(FIELDS - set(report))}"
    assert report["bench"] == bench and report["mode"] == "benchmark" and report["target"] == target
    assert isinstance(report["recipe"], str) and report["recipe"]
    env = report["environment"]
    assert ENVIRONMENT <= set(env) and env["kind"] == "cpu" and isinstance(env["torch"], str)
    assert isinstance(report["budget"], dict) and report["budget"]
    assert isinstance(report["seeds"], list) and len(report["seeds"]) == SEEDS
    assert len(set(report["seeds"])) == SEEDS and all(isinstance(s, int) for s in report["seeds"])
    assert number(report["warmup"]["seconds"]) and report["warmup"]["seconds"] > 0
    assert number(report["data_seconds"]) and report["data_seconds"] >= 0
    assert report["compile_seconds"] is None or (number(report["compile_seconds"]) and report["compile_seconds"] >= 0)
    check_summary(report["accuracy"], SEEDS)
    assert 0 <= report["accuracy"]["min"] and report["accuracy"]["max"] <= 1
    assert number(report["reached_fraction"]) and 0 <= report["reached_fraction"] <= 1
    check_summary(report["seconds"]["cold"], 1)
    check_summary(report["seconds"]["warm"], SEEDS)
    assert report["seconds"]["warm"]["min"] > 0
    test = report["test"]
    assert TEST <= set(test) and test["n"] == SEEDS and test["target"] == target
    assert isinstance(test["passes"], bool)
    assert test["p"] is None or 0 <= test["p"] <= 1
    runs = report["runs"]
    assert [r["seed"] for r in runs] == report["seeds"]
    assert all(0 <= r["accuracy"] <= 1 and number(r["seconds"]) and r["seconds"] > 0 for r in runs)
    # the summaries are those of the runs
    assert report["accuracy"]["mean"] == pytest.approx(sum(r["accuracy"] for r in runs) / SEEDS)
    assert report["reached_fraction"] == sum(r["accuracy"] >= target for r in runs) / SEEDS


def test_the_mnist_bench_runs_tiny_on_the_cpu(tmp_path):
    write_mnist(tmp_path / "data", "mnist", train=2000, test=500)
    check_report(run_bench("mnist_gpu.py", tmp_path / "data", tmp_path / "out"), "mnist", 0.99)


def test_the_cifar_bench_runs_tiny_on_the_cpu(tmp_path):
    write_cifar(tmp_path / "data", per_batch=200, test=200)
    check_report(run_bench("cifar_gpu.py", tmp_path / "data", tmp_path / "out"), "cifar10", 0.94)


def test_without_cuda_a_gpu_bench_says_so_in_one_sentence(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}
    for script in ("mnist_gpu.py", "cifar_gpu.py"):
        result = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--out", str(tmp_path), "--tiny"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert "cuda" in (result.stdout + result.stderr).lower()
        assert not list(tmp_path.glob("*.json"))
