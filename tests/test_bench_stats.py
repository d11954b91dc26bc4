"""The benches' statistics and report, on made-up accuracies with known answers."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from _report import environment, markdown, write_report  # noqa: E402
from _stats import fraction_at_least, incomplete_beta, one_sided_t, summarize, t_cdf  # noqa: E402


# Upper-tail critical values from printed t tables: P(T > t) = p with df degrees of freedom.
@pytest.mark.parametrize("t, df, p", [
    (1.711, 24, 0.05), (2.064, 24, 0.025), (2.492, 24, 0.01), (2.797, 24, 0.005),
    (6.314, 1, 0.05), (2.920, 2, 0.05), (3.365, 5, 0.01), (1.833, 9, 0.05), (1.311, 29, 0.10),
])
def test_t_upper_tail_matches_published_tables(t, df, p):
    assert 1.0 - t_cdf(t, df) == pytest.approx(p, abs=6e-4)  # tables print three decimals of t


def test_t_cdf_closed_forms():
    # df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/pi.
    for t in (-3.0, -0.5, 0.7, 4.0):
        assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-12)
    # df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
    for t in (-2.0, 0.3, 1.5):
        assert t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-12)
    assert t_cdf(0.0, 7) == pytest.approx(0.5)
    assert t_cdf(1.2, 11) + t_cdf(-1.2, 11) == pytest.approx(1.0)  # symmetry
    # Many degrees of freedom: the normal distribution, Phi(1.645) = 0.95002.
    assert t_cdf(1.645, 100_000) == pytest.approx(0.95002, abs=1e-4)


def test_incomplete_beta_known_values():
    assert incomplete_beta(1.0, 1.0, 0.3) == pytest.approx(0.3)  # uniform
    assert incomplete_beta(2.0, 1.0, 0.4) == pytest.approx(0.16)  # x^2
    assert incomplete_beta(1.0, 3.0, 0.5) == pytest.approx(1 - 0.5 ** 3)
    assert incomplete_beta(2.5, 2.5, 0.5) == pytest.approx(0.5)  # symmetric
    with pytest.raises(ValueError):
        incomplete_beta(1.0, 1.0, 1.5)


def test_summarize_a_fixed_list():
    s = summarize([0.2, 0.4, 0.6, 0.8])
    assert s["n"] == 4 and s["mean"] == pytest.approx(0.5)
    assert s["sd"] == pytest.approx(math.sqrt(0.2 / 3))  # squares 0.09 + 0.01 + 0.01 + 0.09, over n - 1
    assert (s["min"], s["max"]) == (0.2, 0.8)
    assert summarize([3.0]) == {"mean": 3.0, "sd": 0.0, "min": 3.0, "max": 3.0, "n": 1}
    assert summarize([])["n"] == 0 and summarize([])["mean"] is None


def test_fraction_reaching_the_target_counts_ties():
    assert fraction_at_least([0.98, 0.99, 0.991, 0.985], 0.99) == 0.5
    assert fraction_at_least([0.5], 0.99) == 0.0
    assert fraction_at_least([], 0.99) is None


def test_one_sided_t_on_a_known_sample():
    # 25 seeds with mean 0.9920 and sd 0.0020 against 0.99: t = 0.002 / (0.002 / 5) = 5.
    values = [0.9920 + 0.0020 * z for z in _unit_sample(25)]
    result = one_sided_t(values, 0.99)
    assert result["n"] == 25 and result["mean"] == pytest.approx(0.992)
    assert result["t"] == pytest.approx(5.0)
    assert result["p"] < 1e-4 and result["passes"] is True


def test_one_sided_t_at_the_five_percent_boundary():
    # t = 1.711 with 24 degrees of freedom sits at p = 0.05; a little either side decides it.
    for t, passes in ((1.75, True), (1.68, False)):
        values = [0.99 + t * 0.01 / 5 + 0.01 * z for z in _unit_sample(25)]
        result = one_sided_t(values, 0.99)
        assert result["t"] == pytest.approx(t)
        assert result["passes"] is passes


def test_one_sided_t_below_the_target_fails():
    result = one_sided_t([0.97, 0.98, 0.975, 0.972], 0.99)
    assert result["t"] < 0 and result["p"] > 0.5 and result["passes"] is False


def test_one_sided_t_degenerate_samples():
    one = one_sided_t([0.995], 0.99)
    assert one["t"] is None and one["p"] is None and one["passes"] is False
    assert one_sided_t([0.995, 0.995], 0.99)["passes"] is True  # no spread, above the target
    assert one_sided_t([0.985, 0.985], 0.99)["passes"] is False


def _unit_sample(n):
    """n values with mean exactly 0 and sample sd exactly 1."""
    raw = [float(i) for i in range(n)]
    s = summarize(raw)
    return [(v - s["mean"]) / s["sd"] for v in raw]


def _report():
    accuracies = [0.991, 0.993, 0.989]
    return {
        "bench": "mnist", "recipe": "onecycle-adam", "mode": "benchmark",
        "environment": environment("cpu"), "target": 0.99,
        "budget": {"epochs": 1, "batch_size": 512}, "seeds": [0, 1, 2],
        "warmup": {"seconds": 1.5}, "data_seconds": 0.25, "compile_seconds": 2.0,
        "accuracy": summarize(accuracies), "reached_fraction": fraction_at_least(accuracies, 0.99),
        "seconds": {"cold": summarize([3.5]), "warm": summarize([0.5, 0.6, 0.7])},
        "test": one_sided_t(accuracies, 0.99),
        "runs": [{"seed": i, "accuracy": a, "seconds": 0.5 + i / 10} for i, a in enumerate(accuracies)],
    }


def test_environment_on_the_cpu():
    import platform

    import torch

    env = environment("cpu")
    assert set(env) == {"device", "kind", "driver", "torch", "cuda", "python", "cpu"}
    assert env["kind"] == "cpu" and env["driver"] is None
    assert env["torch"] == torch.__version__ and env["python"] == platform.python_version()


def test_write_report_json_and_markdown(tmp_path):
    report = _report()
    report["compile_seconds"] = float("nan")  # not measured: JSON has no NaN, it becomes null
    json_path, md_path = write_report("mnist", report, tmp_path / "out")
    assert json_path == tmp_path / "out" / "mnist.json" and md_path == tmp_path / "out" / "mnist.md"
    saved = json.loads(json_path.read_text())
    assert saved["compile_seconds"] is None and saved["accuracy"]["n"] == 3
    text = md_path.read_text()
    env = report["environment"]
    assert f"torch {env['torch']}" in text and f"Python {env['python']}" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| quantity")]
    assert len(rows) == 8  # seeds, accuracy, fraction, cold, warm, compile, data, test
    table = dict(line.strip("| ").split(" | ", 1) for line in rows)
    assert table["seeds"] == "3"
    assert table["accuracy, % (mean ± sd)"].startswith("99.10 ± 0.20")
    assert table["fraction reaching 99 %"] == "67 %"
    assert table["seconds, warm (mean ± sd)"].startswith("0.600 ± 0.100")
    assert table["data seconds"] == "0.250" and table["compile seconds"] == "–"
    assert "p = " in table["one-sided t test, mean ≥ 99 %"]


def test_markdown_names_the_gpu_and_driver():
    report = _report()
    report["environment"] = dict(report["environment"], device="NVIDIA H100 80GB HBM3", kind="cuda",
                                 driver="550.54.15", cuda="12.4")
    text = markdown(report)
    assert "NVIDIA H100 80GB HBM3 (cuda), driver 550.54.15" in text and "CUDA 12.4" in text
