"""Time from pressing Run to the first point on the plot, MNIST MLP on the CPU.

The lab runs in a real pseudo-terminal. "warm": the engine process was started in the
background while the student read the step (the lab does this at start-up), so torch
is already imported; "cold": Run is pressed as soon as the lab is up. The clock runs
from the run request to the first point drawn in the PLOTS panel. Uses Debian's
Fashion-MNIST files when present, else MNIST in the data root. Target: under 3 s.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _pty import PtyApp  # noqa: E402

DATASET = "fashion-mnist" if Path("/usr/share/datasets/fashion-mnist").is_dir() else "mnist"
PARAMS = {"dataset": DATASET, "model": "mlp-128", "epochs": 1, "subset": 0, "checkpoint": "off",
          "download": False}


def first_point(warm: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "summary.json"
        env = {"TUI_LAB_HOME": tmp, "TUI_LAB_BENCH_TORCH": "1"}
        if warm:
            env["TUI_LAB_BENCH_WARM"] = "1"
        lab = PtyApp([sys.executable, str(ROOT / "bench/_lab_run.py"), "mnist", "5", json.dumps(PARAMS), str(out)],
                     cols=120, rows=40, env=env)
        try:
            lab.wait_exit()
        finally:
            lab.close()
        summary = json.loads(out.read_text())
    if summary["first_point_s"] is None:
        raise SystemExit(f"the run drew no point: {summary.get('message')}")
    return summary["first_point_s"]


def main() -> None:
    print(f"MNIST mlp-128 on {DATASET} (60,000 images), CPU")
    for label, warm in (("warm engine process", True), ("cold (Run pressed at start-up)", False)):
        times = [first_point(warm) for _ in range(3)]
        print(f"{label:32s} median {statistics.median(times):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})")
    print("target: under 3 s")


if __name__ == "__main__":
    main()
