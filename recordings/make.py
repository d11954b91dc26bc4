"""Regenerate the recordings shipped with the lab, each made by the engine itself.

    python recordings/make.py            # all of them
    python recordings/make.py NAME ...   # some, e.g. optimizers-race

Each is a real ``tui-lab run … --record`` on the CPU, so anyone can remake them; only
the times, the date and the device line change from one machine to another. The MNIST
one needs Fashion-MNIST on disk (Debian: ``apt-get install dataset-fashion-mnist``) and
is skipped with a note when it is missing; it never downloads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MAX_BYTES = 1_000_000  # small enough to ship in the package and replay in a classroom

# name -> (arguments of `tui-lab run`, exit status the run must end with)
RECORDINGS: dict[str, tuple[list[str], int]] = {
    # the lesson's "iterate" step: α = 0.1 converges, oscillating
    "gradient-descent-lr0.1": (["gradient-descent", "--step", "5"], 0),
    # just above the critical rate 2/Σx² ≈ 0.1429: the error grows by 1.1× per step
    "gradient-descent-diverging": (["gradient-descent", "--step", "5", "--param", "lr=0.15"], 3),
    # SGD, momentum and Adam on Rosenbrock's valley; 700 steps is enough to see Adam
    # overtake momentum (the lesson runs 1000)
    "optimizers-race": (["optimizers", "--step", "8", "--param", "steps=700"], 0),
    # the articles' MLP, two epochs on 10k Fashion-MNIST images
    "mnist-fashion-mlp": (["mnist", "--step", "5", "--param", "dataset=fashion-mnist", "--param", "epochs=2",
                           "--param", "subset=10000", "--param", "checkpoint=off", "--param", "download=false"], 0),
}


def make(name: str) -> bool:
    args, expected = RECORDINGS[name]
    target = HERE / f"{name}.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "tui_lab", "run", *args, "--device", "cpu", "--record", str(target)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    if result.returncode != expected:
        target.unlink(missing_ok=True)  # never ship a recording of a run that went wrong
        reason = result.stderr.strip().splitlines()[-1:] or ["no message"]
        print(f"{name}: skipped, the run exited {result.returncode} (expected {expected}): {reason[0]}")
        return name == "mnist-fashion-mlp"  # missing data is allowed; the others must work

    from engines.core.recording import read_recording

    recording = read_recording(target)
    size = target.stat().st_size
    print(f"{name}: {len(recording.events)} events, {recording.duration:.2f} s, {size / 1000:.0f} kB")
    if size > MAX_BYTES:
        print(f"{name}: larger than {MAX_BYTES // 1000} kB; lower its steps or subset")
        return False
    return True


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in RECORDINGS]
    if unknown:
        print(f"Unknown recording {unknown[0]!r}; known: {', '.join(RECORDINGS)}.")
        return 2
    sys.path.insert(0, str(ROOT))
    results = [make(name) for name in names or RECORDINGS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
