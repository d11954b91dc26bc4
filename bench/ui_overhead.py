"""UI overhead on training: steps/s of the same engine headless vs under the UI.

Headless: the engine process (`python -m engines.core.worker`) with its events read and
dropped. Under the UI: the lab in a real pseudo-terminal (120×40) runs the same job
through its engine host, plotting and updating the status bar as a student sees it. Each figure is the engine's own
steps/s from its Finished event; runs alternate, and the median of N is reported.

Two loads: a compute-bound engine (a 256×256 matrix product per step, about the
cost of a small MLP step) and an event-bound one (gradient descent, one event per
trivial step — the worst case for the UI's share of the CPU).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _pty import PtyApp  # noqa: E402

LOADS = {
    "training (MNIST MLP on Fashion-MNIST, 1 epoch)": (
        "mnist", {"dataset": "fashion-mnist", "epochs": 1, "checkpoint": "off", "download": False}),
    "compute-bound (selftest work=256, 6000 steps)": ("selftest", {"steps": 6000, "work": 256}),
    "event-bound (gd.iterate, 200k steps)": ("gd.iterate", {"steps": 200_000, "lr": 0.01}),
}
STEPS = {"mnist": ("mnist", 5), "selftest": ("selftest", 2), "gd.iterate": ("gradient-descent", 7)}


def headless(engine: str, params: dict) -> float:
    worker = subprocess.Popen([sys.executable, "-m", "engines.core.worker", "--device", "cpu"], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    worker.stdin.write(json.dumps({"engine": engine, "params": params}) + "\n")
    worker.stdin.flush()  # stdin stays open: its end would mean "the UI has gone, stop"
    for line in worker.stdout:
        event = json.loads(line)
        if event["type"] == "finished":
            worker.stdin.close()
            worker.wait()
            return event["summary"]["steps_per_s"]
    raise RuntimeError("the engine ended without a finished event")


UI_SHARES: list[float] = []


def under_ui(engine: str, params: dict) -> float:
    lesson, step = STEPS[engine]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "summary.json"
        lab = PtyApp([sys.executable, str(ROOT / "bench/_lab_run.py"), lesson, str(step), json.dumps(params),
                      str(out)], cols=120, rows=40, env={"TUI_LAB_HOME": tmp, "TUI_LAB_BENCH_WARM": "1"})
        try:
            lab.wait_exit()
        finally:
            lab.close()
        summary = json.loads(out.read_text())
    assert summary["state"] == "completed", summary
    UI_SHARES.append(summary["ui_cpu_share"])
    return summary["steps_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        import os

        os.environ["TUI_LAB_HOME"] = home
        for name, (engine, params) in LOADS.items():
            alone, with_ui = [], []
            UI_SHARES.clear()
            for _ in range(args.n):
                alone.append(headless(engine, params))
                with_ui.append(under_ui(engine, params))
            a, u = statistics.median(alone), statistics.median(with_ui)
            print(f"{name}")
            print(f"  headless : {a:,.0f} steps/s   (runs: {', '.join(f'{x:,.0f}' for x in alone)})")
            print(f"  under UI : {u:,.0f} steps/s   (runs: {', '.join(f'{x:,.0f}' for x in with_ui)})")
            print(f"  UI cost  : {100 * (1 - u / a):+.1f} % of steps/s (target ≤ 5 %)")
            print(f"  UI process CPU during the run: {100 * statistics.median(UI_SHARES):.1f} % of one core")


if __name__ == "__main__":
    main()
