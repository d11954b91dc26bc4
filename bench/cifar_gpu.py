"""CIFAR-10 at a fixed budget with the fast net's recipes, in benchmark mode, with honest statistics.

Runs the ``cifar10`` engine in this process (``model=fast``, ``mode=benchmark``: no
read-backs, one evaluation at the end, data prepared and the step compiled before the
clock) once as a warm-up — the cold run, which pays CUDA's start-up, cuDNN's autotuning
and torch.compile — then once per seed (warm). It reports, as JSON and a Markdown table
(``bench/_report.py``): the accuracy at the fixed budget per seed, its mean and spread,
the fraction of seeds reaching 94 %, the seconds per run cold and warm (whitening
excepted, training steps and the final evaluation with test-time augmentation included),
the compile and data seconds, and a one-sided t test that the mean accuracy is at least
94 %. Every seed counts: no figure averages only the runs that reached the target.

Published anchors on one A100: airbench94 3.83 s uncompiled (3.29 s compiled),
airbench94_muon 2.59 s (94.01 % over 200 runs). To compare on the same GPU, run the
anchor's own script beside this one.

``--device cpu --tiny`` runs every code path (recipe, benchmark mode, statistics, report)
in well under a minute on two cores: a 256-image subset, batch 128, one epoch, uncompiled
unless ``--compile on``. Without CIFAR-10 in the data root (or with ``--synthetic``) the
runs use the generated stand-in, whose accuracies say nothing about CIFAR-10.

    python bench/cifar_gpu.py                            # airbench94, 25 seeds, on CUDA
    python bench/cifar_gpu.py --recipe airbench94-muon --precision fp16-weights
    python bench/cifar_gpu.py --device cpu --tiny --seeds 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _report, _stats  # noqa: E402

TARGET = 0.94
WARMUP_SEED = 10_000
TINY = {"subset": 256, "batch_size": 128, "epochs": 1}


def one_run(params: dict, device, data_dir: str | None) -> dict:
    """Run the engine once; its summary (Finished's) with the run's wall time."""
    from engines.cifar import engine as cifar
    from engines.core.events import Failed, Finished
    from engines.core.runtime import Control, run_engine

    start, summary = time.perf_counter(), None
    for event in run_engine(cifar.TRAIN, params, Control(device=device, data_dir=data_dir)):
        if isinstance(event, Failed):
            raise SystemExit(f"cifar_gpu: the run failed: {event.message} {event.hint or ''}".strip())
        if isinstance(event, Finished):
            if event.reason != "completed":
                raise SystemExit(f"cifar_gpu: the run ended {event.reason}: {event.summary.get('message', '')}")
            summary = dict(event.summary)
    assert summary is not None
    summary["wall_seconds"] = time.perf_counter() - start
    return summary


def pick_device(requested: str):
    """The device, or an exit with one sentence when CUDA is asked for (or auto) and absent."""
    import torch

    from engines.core.device import DeviceError, configure_torch, detect

    if requested in ("cuda", "auto") and not torch.cuda.is_available():
        if requested == "cuda":
            raise SystemExit("cifar_gpu: no CUDA GPU is visible to torch on this machine; run it on a GPU "
                             "machine, or pass --device cpu (with --tiny for a short check).")
        requested = "cpu"
    try:
        device = detect(requested)
    except DeviceError as error:
        raise SystemExit(f"cifar_gpu: {error}") from None
    configure_torch(device)
    return device


def data_source(args, device) -> tuple[str, str]:
    """("cifar10" | "synthetic", a sentence saying which)."""
    from engines.cifar import data as cifar_data
    from engines.core.data_root import resolve_data_root

    if args.synthetic:
        return "synthetic", "the generated stand-in (--synthetic)"
    root, _ = resolve_data_root(args.data_dir)
    try:
        cifar_data.load(root, download=args.download)
        return "cifar10", f"CIFAR-10 in {cifar_data.folder_of(root)}"
    except cifar_data.DataError as error:
        return "synthetic", f"the generated stand-in ({error.message.split(';')[0]})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="cpu, cuda (default), cuda:N or auto")
    parser.add_argument("--tiny", action="store_true", help="a small subset and a short budget (a CPU check)")
    parser.add_argument("--seeds", type=int, default=25, help="warm runs after the warm-up (default 25)")
    parser.add_argument("--recipe", default="airbench94", choices=("airbench94", "airbench94-muon"))
    parser.add_argument("--precision", default="bf16-autocast", choices=("bf16-autocast", "fp16-weights"))
    parser.add_argument("--compile", default="auto", choices=("auto", "on", "off"),
                        help="torch.compile the step (auto: on with CUDA, off on a CPU)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--synthetic", action="store_true", help="the generated stand-in, not CIFAR-10")
    parser.add_argument("--download", action="store_true", help="download CIFAR-10 (170 MB) if it is missing")
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")

    device = pick_device(args.device)
    dataset, source = data_source(args, device)
    base = {"model": "fast", "recipe": args.recipe, "precision": args.precision, "mode": "benchmark",
            "dataset": dataset, "checkpoint": "off", "download": False, "compile": args.compile}
    if args.tiny:
        base.update(TINY)
    print(f"cifar_gpu: {device.label}; data: {source}; recipe {args.recipe}, {args.precision}", flush=True)

    warmup = one_run({**base, "seed": WARMUP_SEED}, device, args.data_dir)
    print(f"warm-up (cold): {warmup['timed_seconds']:.3f} s timed, compile {warmup['compile_seconds']:.1f} s, "
          f"accuracy {warmup['test_accuracy']:.4f}", flush=True)
    seeds = list(range(args.seeds))
    runs = []
    for seed in seeds:
        summary = one_run({**base, "seed": seed}, device, args.data_dir)
        runs.append({"seed": seed, "accuracy": summary["test_accuracy"], "seconds": summary["timed_seconds"],
                     "images_per_s": summary.get("images_per_s"), "data_seconds": summary["data_seconds"]})
        print(f"seed {seed}: accuracy {summary['test_accuracy']:.4f}, {summary['timed_seconds']:.3f} s", flush=True)

    accuracies = [r["accuracy"] for r in runs]
    config_budget = {"epochs": TINY["epochs"] if args.tiny else None, "batch_size": base.get("batch_size"),
                     "subset": base.get("subset")}
    report = {
        "bench": "cifar10", "recipe": args.recipe, "mode": "benchmark", "precision": args.precision,
        "dataset": dataset, "tiny": args.tiny,
        "environment": _report.environment(device.name),
        "target": TARGET,
        "budget": {k: (v if v is not None else "the recipe's") for k, v in config_budget.items()},
        "seeds": seeds,
        "warmup": {"seconds": warmup["timed_seconds"], "wall_seconds": warmup["wall_seconds"],
                   "accuracy": warmup["test_accuracy"]},
        "data_seconds": _stats.summarize(r["data_seconds"] for r in runs)["mean"],
        "compile_seconds": warmup["compile_seconds"] if warmup["tricks"]["compile"] == "on" else None,
        "accuracy": _stats.summarize(accuracies),
        "reached_fraction": _stats.fraction_at_least(accuracies, TARGET),
        "seconds": {"cold": _stats.summarize([warmup["timed_seconds"]]),
                    "warm": _stats.summarize(r["seconds"] for r in runs)},
        "test": _stats.one_sided_t(accuracies, TARGET),
        "runs": [{"seed": r["seed"], "accuracy": r["accuracy"], "seconds": r["seconds"]} for r in runs],
        "images_per_s": _stats.summarize(r["images_per_s"] for r in runs if r["images_per_s"]),
    }
    name = "cifar10" if args.recipe == "airbench94" else f"cifar10-{args.recipe}"
    json_path, md_path = _report.write_report(name, report, args.out)
    print(Path(md_path).read_text())
    print(f"cifar_gpu: wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
