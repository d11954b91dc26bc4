"""Time from pressing Run to the first progress point: through srun against on this machine.

The engine host starts a run as the lab does on Run (F5) and the clock stops at the first
progress batch. "local, warm": the lab's spare worker was started ahead (torch imported);
"local, cold": no spare; "srun": ``launcher = "slurm"``, where no worker waits ahead, so
the run pays Slurm's allocation and the worker's start (torch import included). Median of
``--repeat`` runs each (default 5), on the single-node cluster of tools/slurm-cluster.sh.

    python bench/slurm_start.py [--repeat 5] [--engine gd|mnist]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines.core.class_settings import RunSettings, SlurmSettings  # noqa: E402
from engines.core.events import Failed, Finished, ProgressBatch  # noqa: E402
from tui_lab.engine_host import EngineHost  # noqa: E402

FASHION = Path("/usr/share/datasets/fashion-mnist")
JOBS = {
    "gd": ("gd.iterate", {"lr": 0.1, "steps": 20}),
    "mnist": ("mnist", {"dataset": "fashion-mnist", "model": "mlp-128", "epochs": 1, "subset": 2000,
                        "checkpoint": "off", "download": False, "log_every": 1}),
}


def first_point(runs: RunSettings, engine: str, params: dict, warm: bool) -> float:
    arrived = threading.Event()
    host = EngineHost(device="cpu", warm_torch=True, on_wake=arrived.set, runs=runs)
    try:
        if warm:
            host.prewarm()
            host._spare.ready.wait(120)  # the student read the step meanwhile
        started = time.perf_counter()
        host.start(engine, params)
        while True:
            assert arrived.wait(120), "no progress within 120 s"
            arrived.clear()
            for item in host.drain():
                if isinstance(item, ProgressBatch):
                    return time.perf_counter() - started
                if isinstance(item, (Finished, Failed)):
                    raise RuntimeError(f"the run ended before a progress point: {item}")
    finally:
        host.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--engine", choices=sorted(JOBS), default="gd")
    args = parser.parse_args()
    engine, params = JOBS[args.engine]
    slurm = RunSettings(launcher="slurm", slurm=SlurmSettings(gpus_per_run=0))
    cases = {"local, warm": (RunSettings(), True), "local, cold": (RunSettings(), False), "srun": (slurm, False)}
    medians = {}
    for name, (runs, warm) in cases.items():
        times = [first_point(runs, engine, params, warm) for _ in range(args.repeat)]
        medians[name] = statistics.median(times)
        print(f"{name:12s} median {medians[name]:.3f} s  ({', '.join(f'{t:.2f}' for t in times)})", flush=True)
    for name in ("local, warm", "local, cold"):
        print(f"srun / {name}: {medians['srun'] / medians[name]:.1f}×")


if __name__ == "__main__":
    main()
