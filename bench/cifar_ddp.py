"""Distributed training throughput: the CIFAR-10 engine in 1 process and in N, under torchrun.

Both go through the same launcher as ``tui-lab run --nproc N`` (``engines.training.distributed``):
gloo on the CPU (the cores shared out among the processes), NCCL with one GPU per
process when GPUs are present (``--device auto``). The figure is the engine's own
per-epoch images/s of all processes together (training time only), best epoch of each.
On a 2-core machine, expect N processes to be slower than one: they split the same
cores and add an all_reduce per step; the point there is correctness, not speed.

    python bench/cifar_ddp.py                       # small-cnn, 1 vs 2 processes, CPU
    python bench/cifar_ddp.py --device auto --model fast --nproc 8 --epochs 3
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def one_run(nproc: int, device: str, root: Path, params: dict) -> tuple[float, float, float, str]:
    """(best images/s, final test accuracy, wall seconds including start-up, device label)."""
    from engines.training.distributed import launch
    from engines.core.events import Evaluated, Failed, Started
    from engines.core.runtime import Control

    rates, accuracy, label = [], 0.0, ""
    start = time.perf_counter()
    for event in launch("cifar10", params, nproc, device, str(root), Control()):
        if isinstance(event, Failed):
            raise SystemExit(f"run failed: {event.message}\n{event.hint}")
        if isinstance(event, Started):
            label = event.device
        if isinstance(event, Evaluated):
            rates.append(event.metrics["samples_per_s"])
            accuracy = event.metrics["test_accuracy"]
    return max(rates), accuracy, time.perf_counter() - start, label


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu (gloo) or auto/cuda (NCCL, one GPU per process)")
    parser.add_argument("--model", default="small-cnn")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--subset", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    from engines.cifar import data as cifar_data
    from engines.core.data_root import resolve_data_root
    from engines.training.distributed import LaunchError, check_nproc

    try:
        check_nproc(args.nproc, "cifar10", args.device)
    except LaunchError as error:
        print(f"cifar_ddp: {error}", file=sys.stderr)
        return 2
    params = {"model": args.model, "batch_size": args.batch_size, "subset": args.subset, "epochs": args.epochs,
              "checkpoint": "off", "download": False, "tta": "off", "log_every": 20}
    with tempfile.TemporaryDirectory() as work:
        root, _ = resolve_data_root(args.data_dir)
        source = f"the files in {cifar_data.folder_of(root)}"
        if not all((cifar_data.folder_of(root) / name).is_file() for name in cifar_data.ALL_FILES):
            from cifar_fixtures import write_root

            root = Path(work)
            write_root(root, per_batch=max(1, args.subset // 5), test=2000)
            source = "a generated set in the cifar-10-batches-py format (no CIFAR-10 on this machine)"
        print(f"data: {source}; {args.model}, global batch {args.batch_size}, {args.subset} images per epoch, "
              f"{args.epochs} epochs")
        results = {}
        for nproc in (1, args.nproc):
            rate, accuracy, wall, label = one_run(nproc, args.device, root, params)
            results[nproc] = rate
            print(f"{nproc} process{'es' if nproc > 1 else ''} ({label}): {rate:,.0f} images/s "
                  f"(best epoch), test accuracy {accuracy:.4f}, {wall:.1f} s wall including start-up", flush=True)
    print(f"ratio: {results[args.nproc] / results[1]:.2f}× ({args.nproc} processes / 1 process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
