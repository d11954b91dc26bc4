"""A default headless MNIST run against a bare training loop, side by side on the CPU.

The headless run is what ``tui-lab run`` starts: the engine's default parameters (the
MLP, batch 64, Adam), the device detected with no thread count given, so the engine
chooses. The bare loop is the least a PyTorch MLP step can cost: the same network and
batch, the images preloaded as one tensor, fused Adam, nothing else — timed at every
thread count worth trying, the fastest kept. Both train the same images; the figure is
training samples per second (evaluation excluded), and the ratio headless / bare should
be at least 0.9.

Data: Fashion-MNIST or MNIST where the data root (or Debian's package) has it, else a
generated set in MNIST's format. Usage: ``python bench/threads_default.py [--epochs 1]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 0.9


def data_root(cli_value: str | None, generated: int) -> tuple[Path, str]:
    """A root with a dataset the engine finds (generated when none is here) and its key."""
    from engines.core.data_root import resolve_data_root
    from engines.mnist import data as mnist_data

    root = resolve_data_root(cli_value)[0]
    key = mnist_data.default_dataset(root)[0]
    if mnist_data.locate(mnist_data.dataset_info(key), root) is not None and not generated:
        return root, key
    sys.path.insert(0, str(ROOT / "tests"))
    from mnist_fixtures import write_root

    folder = Path(tempfile.mkdtemp(prefix="threads-default-"))
    write_root(folder, "mnist", train=generated or 20_000, test=1000)
    return folder, "mnist"


def headless(root: Path, key: str, epochs: int, threads: int = 0) -> tuple[float, int]:
    """Samples/s of the engine's last epoch, and the thread count it chose."""
    import torch

    from engines.core import registry
    from engines.core.device import detect
    from engines.core.events import Evaluated, Failed
    from engines.core.runtime import Control, run_engine

    ctl = Control(device=detect("cpu"), data_dir=str(root))  # as `tui-lab run` detects it: no thread count
    rate = None
    for event in run_engine(registry.engine("mnist"), {"dataset": key, "epochs": epochs, "checkpoint": "off",
                                                            "threads": threads}, ctl):
        if isinstance(event, Failed):
            raise SystemExit(f"the run failed: {event.message} {event.hint}")
        if isinstance(event, Evaluated):
            rate = event.metrics["samples_per_s"]
    return float(rate), torch.get_num_threads()


class BareLoop:
    """The MLP trained with nothing but the step itself (the engine's network and batch)."""

    def __init__(self, root: Path, key: str, batch: int = 64, lr: float = 0.001) -> None:
        import torch

        from engines.mnist import data as mnist_data
        from engines.mnist import models as mnist_models

        arrays = mnist_data.load(key, root, download=False)
        x = torch.from_numpy(arrays.train_images).unsqueeze(1).float().div_(255)
        self.x = (x - x.mean()) / x.std()
        self.y = torch.from_numpy(arrays.train_labels).long()
        self.batch = batch
        self.model = mnist_models.build("mlp-128")
        try:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, fused=True)
        except (RuntimeError, TypeError):  # no fused Adam on this build's CPU
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)

    def epoch(self, threads: int, limit: int | None = None) -> float:
        """Samples/s of one epoch (or ``limit`` steps) with ``threads`` threads."""
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(threads)
        order = torch.randperm(len(self.x))
        steps = len(order) // self.batch if limit is None else limit
        start = time.perf_counter()
        for i in range(steps):
            index = order[i * self.batch:(i + 1) * self.batch]
            x, y = torch.index_select(self.x, 0, index), torch.index_select(self.y, 0, index)
            self.model.zero_grad(set_to_none=True)
            F.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()
        return steps * self.batch / (time.perf_counter() - start)


def thread_counts(cores: int) -> list[int]:
    """1, 2, 4, … and every core: where a small MLP's best thread count can lie."""
    counts, n = {cores}, 1
    while n < cores:
        counts.add(n)
        n *= 2
    return sorted(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--epochs", type=int, default=1, help="epochs of the headless run (its last one is timed)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of headless and bare runs")
    parser.add_argument("--threads", type=int, default=0, help="give the engine this many threads (0: its choice)")
    parser.add_argument("--generated", type=int, default=0, help="train on this many generated images instead")
    args = parser.parse_args()
    import torch

    from engines.core.device import cpu_cores

    root, key = data_root(args.data_dir, args.generated)
    cores = cpu_cores()
    print(f"data: {key} in {root}; {cores} usable cores; torch {torch.__version__}")
    bare = BareLoop(root, key)
    bare.epoch(1, limit=50)  # first-call costs out of the way
    sweep = {n: bare.epoch(n) for n in thread_counts(cores)}
    print("bare loop by threads: " + ", ".join(f"{n}: {rate / 1000:.1f}k" for n, rate in sweep.items()))
    best = max(sweep, key=sweep.get)
    heads, bares = [], []
    for _ in range(args.rounds):  # alternated, so that a busy moment of the machine hits both
        rate, chosen = headless(root, key, args.epochs, args.threads)
        heads.append(rate)
        bares.append(bare.epoch(best))
    head, base = max(heads), max(bares)
    how = "--threads" if args.threads else "the engine's choice"
    print(f"headless default run: {head / 1000:.1f}k samples/s with {chosen} threads ({how})")
    print(f"bare loop:            {base / 1000:.1f}k samples/s with {best} threads (the fastest)")
    ratio = head / base
    print(f"ratio: {ratio:.2f} (target ≥ {TARGET_RATIO})" + ("" if ratio >= TARGET_RATIO else " — below the target"))


if __name__ == "__main__":
    main()
