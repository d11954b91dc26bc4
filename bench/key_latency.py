"""Event-loop responsiveness while training: key press to changed screen, in a real pty.

The lab runs a compute-bound engine job (as in ui_overhead.py) and, while it streams,
the benchmark (a) types letters into an answer field, timing each key until its letter
is echoed on the terminal, and (b) presses F3 (switch between the step and the engine
source tab, a full re-layout) timing each press until the other tab's text arrives.
Prints median and worst latency for each (target: worst under 100 ms), with and
without a run going.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _pty import PtyApp  # noqa: E402

EXTRA_ENV: dict = {}
MARKERS = ("▌ ", "Stop ■ F6")  # the engine tab's line marks; the step tab's stop button


LETTERS = "qxzjkwvy"  # letters the status bar never shows, so an echo is unambiguous


def measure(params: dict | None, presses: int, mode: str) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        job = params or {"steps": 1, "work": 0}
        lab = PtyApp([sys.executable, str(ROOT / "bench/_lab_run.py"), "selftest", "2", json.dumps(job),
                      str(Path(tmp) / "summary.json")], cols=120, rows=40,
                     env={"TUI_LAB_HOME": tmp, "TUI_LAB_BENCH_HOLD": "1", **EXTRA_ENV})
        try:
            lab.wait_for("Running…" if params else "Run completed", timeout=60)
            if params:
                lab.wait_for("steps/s", timeout=30)  # the run is streaming
            if mode == "type":
                offset = lab.press("f8")
                lab.press("f8")
                # the compute step is open (its answer field has focus); only output after the
                # presses counts: the explorer showed the step's title from the start
                lab.wait_for("Answer:", since=offset, timeout=10)
                time.sleep(0.3)
            latencies = []
            for i in range(presses):
                if mode == "type":
                    letter = LETTERS[i % len(LETTERS)]
                    offset = lab.press(letter)
                    latencies.append(lab.wait_for(letter, since=offset, timeout=10))
                    if i % len(LETTERS) == len(LETTERS) - 1:
                        lab.press("\x7f" * len(LETTERS))  # backspace the word away
                else:
                    offset = lab.press("f3")
                    latencies.append(lab.wait_for(MARKERS[i % 2], since=offset, timeout=10))
                time.sleep(0.15)  # a human's pace between presses
            return latencies
        finally:
            lab.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=30, help="key presses per condition")
    args = parser.parse_args()
    training = {"steps": 10_000_000, "work": 256}
    for mode, what in (("type", "typing a letter"), ("tab", "F3 switch editor tab")):
        for label, params in (("idle", None), ("while training", training)):
            ms = [1000 * x for x in measure(params, args.n, mode)]
            print(f"{what:22s} {label:15s} median {statistics.median(ms):5.1f} ms   "
                  f"worst {max(ms):5.1f} ms   (n={len(ms)})")
    print("target: worst under 100 ms")


if __name__ == "__main__":
    main()
