"""GPU: seconds to 94 % CIFAR-10 test accuracy with the lab's fast recipe, and GPU utilisation.

Runs the ``cifar10`` engine in this process with its CUDA defaults (``model=fast``: the
airbench94 recipe) once per seed and prints, per run and as mean ± standard deviation:

* time to 94 %: ``elapsed_seconds + eval_seconds`` of the first epoch whose test accuracy
  reaches 0.94 — whitening set-up, training steps and that evaluation, as airbench
  counts; the torch.compile warm-up and the other per-epoch evaluations are left out;
* the run's ``timed_seconds`` and final test accuracy (six-view test-time augmentation);
* GPU utilisation while it trained: ``nvidia-smi`` sampled every 0.1 s (and
  ``torch.cuda.utilization()`` where pynvml is installed);
* cold vs warm: the first run in a process pays CUDA's lazy start-up and cuDNN's
  autotuning; the runs after it are warm. Use ``--warmup`` to spend one unreported run
  first, as the published records do.

Published anchors on one A100 (the lesson quotes them): airbench94 3.83 s uncompiled
(3.29 s compiled), airbench94_muon 2.59 s, hlb-CIFAR10 6.3 s, DAWNBench ResNet 26
V100-seconds. To compare on the same GPU, run the anchor's own script beside this one.

Without CIFAR-10 in the data root (and no ``--download``), the runs use the engine's
generated stand-in (``dataset=synthetic``): then only images/s mean anything, and only they
are printed.
``--ablation`` adds one run per trick switched off (each seed), as a table. On a machine
without a CUDA GPU it says so and exits with status 2.

    python bench/cifar_gpu.py --seeds 5 --warmup
    python bench/cifar_gpu.py --seeds 3 --ablation
    python bench/cifar_gpu.py --compile
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 0.94
ABLATION = ("flip", "translate", "label_smoothing", "tta", "ema", "whitening", "bf16", "channels_last")


class UtilisationSampler:
    """nvidia-smi's utilization.gpu, every ``period`` seconds, while the run trains."""

    def __init__(self, index: int, period: float = 0.1) -> None:
        self.index, self.period, self.samples = index, period, []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "UtilisationSampler":
        if shutil.which("nvidia-smi"):
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _sample(self) -> None:
        command = ["nvidia-smi", f"--id={self.index}", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]
        while not self._done.wait(self.period):
            try:
                out = subprocess.run(command, capture_output=True, text=True, timeout=5).stdout.strip()
                self.samples.append(float(out.splitlines()[0]))
            except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
                return

    def mean(self) -> float | None:
        return statistics.fmean(self.samples) if self.samples else None


def one_run(root: Path, params: dict, device) -> dict:
    """Run the engine once; the figures this benchmark reports."""
    import torch

    from engines.cifar import engine as cifar
    from engines.core.events import Evaluated, Failed, Finished, Started
    from engines.core.runtime import Control, run_engine

    out: dict = {"reached": None, "rates": []}
    index = int(device.name.partition(":")[2] or 0)
    with UtilisationSampler(index) as sampler:
        for event in run_engine(cifar.TRAIN, params, Control(device=device, data_dir=str(root))):
            if isinstance(event, Failed):
                raise SystemExit(f"run failed: {event.message} {event.hint}")
            if isinstance(event, Started):
                out["config"] = event.config
            if isinstance(event, Evaluated):
                out["rates"].append(event.metrics["samples_per_s"])
                if out["reached"] is None and event.metrics["test_accuracy"] >= TARGET:
                    out["reached"] = event.metrics["elapsed_seconds"] + event.metrics["eval_seconds"]
            if isinstance(event, Finished):
                out.update(event.summary)
    out["utilisation"] = sampler.mean()
    try:
        out["torch_utilisation"] = torch.cuda.utilization(device.name)  # needs pynvml
    except Exception:  # noqa: BLE001 - optional
        out["torch_utilisation"] = None
    return out


def describe(run: dict, real: bool) -> str:
    rate = max(run["rates"]) if run["rates"] else 0
    parts = [f"{rate:,.0f} images/s"]
    if real:
        reached = f"{run['reached']:.2f} s" if run["reached"] is not None else "not reached"
        parts = [f"94 % at {reached}", f"timed {run['timed_seconds']:.2f} s",
                 f"accuracy {run['test_accuracy']:.4f}"] + parts
    if run["utilisation"] is not None:
        parts.append(f"GPU busy {run['utilisation']:.0f} % (nvidia-smi)")
    if run.get("torch_utilisation") is not None:
        parts.append(f"torch.cuda.utilization {run['torch_utilisation']} %")
    return ", ".join(parts)


def summarise(runs: list[dict], real: bool) -> str:
    def spread(values: list[float]) -> str:
        return f"{statistics.fmean(values):.3f} ± {statistics.stdev(values):.3f}" if len(values) > 1 \
            else f"{values[0]:.3f}" if values else "–"

    rates = [max(r["rates"]) for r in runs if r["rates"]]
    text = f"images/s {spread(rates)}"
    if real:
        reached = [r["reached"] for r in runs if r["reached"] is not None]
        text = (f"seconds to 94 % {spread(reached)} ({len(reached)}/{len(runs)} runs reached it), "
                f"accuracy {spread([r['test_accuracy'] for r in runs])}, " + text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--download", action="store_true", help="download CIFAR-10 (170 MB) if it is missing")
    parser.add_argument("--warmup", action="store_true", help="one unreported run first (a warm start)")
    parser.add_argument("--compile", action="store_true", help="torch.compile (warm-up outside the timer)")
    parser.add_argument("--ablation", action="store_true", help="also one run per trick switched off")
    args = parser.parse_args()

    import torch

    if not torch.cuda.is_available():
        print("cifar_gpu: this benchmark needs a CUDA GPU and this machine has none visible to torch; "
              "run it on a GPU machine (the CPU figures are in bench/cifar_cpu.py).", file=sys.stderr)
        return 2
    from engines.cifar import data as cifar_data
    from engines.core.data_root import resolve_data_root
    from engines.core.device import DeviceError, configure_torch, detect

    try:
        device = detect(args.device)
    except DeviceError as error:
        print(f"cifar_gpu: {error}", file=sys.stderr)
        return 2
    configure_torch(device)
    root, _ = resolve_data_root(args.data_dir)
    try:
        cifar_data.load(root, download=args.download)
        real, source = True, f"CIFAR-10 in {cifar_data.folder_of(root)}"
    except cifar_data.DataError as error:
        real, source = False, f"the generated stand-in (dataset=synthetic; {error.message.split(';')[0]}): images/s only"
    print(f"device: {device.label}, torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}; data: {source}")
    base = {"checkpoint": "off", "download": False, "compile": "on" if args.compile else "auto", "log_every": 50,
            "dataset": "cifar10" if real else "synthetic"}
    if args.warmup:
        one_run(root, {**base, "seed": 10_000}, device)
    runs = []
    for seed in range(args.seeds):
        run = one_run(root, {**base, "seed": seed}, device)
        runs.append(run)
        state = "cold" if seed == 0 and not args.warmup else "warm"
        print(f"seed {seed} ({state}): {describe(run, real)}", flush=True)
    print(f"fast recipe, {len(runs)} runs: {summarise(runs, real)}")
    if len(runs) > 1:
        print(f"  warm runs only: {summarise(runs[0 if args.warmup else 1:], real)}")
    if args.ablation:
        print("ablation (each trick switched off, the rest as the recipe):")
        for trick in ABLATION:
            off = [one_run(root, {**base, "seed": seed, trick: "off"}, device) for seed in range(args.seeds)]
            print(f"  {trick:15s} off: {summarise(off, real)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
