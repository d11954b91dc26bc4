"""CPU training throughput: this lab's CIFAR-10 engine vs a plain PyTorch DataLoader loop.

Both train the same small CNN (``engines.cifar.nets.small_cnn``) with the same optimizer
(SGD, Nesterov momentum 0.9), batch size, augmentation (flip + 2-pixel reflect-padded
translate) and label smoothing, on the same images, in the same process, one after the
other:

* plain loop: ``torchvision.datasets.CIFAR10`` with ``RandomCrop(32, padding=2,
  padding_mode="reflect")``, ``RandomHorizontalFlip``, ``ToTensor`` and ``Normalize``, a
  ``DataLoader(shuffle=True)`` with 0 and with 2 workers, the loss read back every 10
  batches — in fp32 NCHW as the tutorials do, and again with bf16 autocast and
  channels_last where the CPU has bf16 instructions (so the ratio is not just bf16);
* ours: ``engines.cifar.engine`` run exactly as the lab runs it (events, evaluation and all),
  its images/s taken from the engine's own per-epoch figure (training time only).

Data: CIFAR-10 from the data root (``--data-dir`` / ``TUI_LAB_DATA``) if it is there,
else a generated 50k/10k set in the exact on-disk format. Prints the figures and the
ratio; it asserts nothing.

    python bench/cifar_cpu.py                      # 10,000 images per epoch, batch 256
    python bench/cifar_cpu.py --limit 5000 --epochs 2
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def prepare_data(work: Path, data_dir: str | None) -> tuple[Path, str]:
    """(a data root holding cifar-10-batches-py, where the images came from)."""
    from engines.cifar import data as cifar_data
    from engines.core.data_root import resolve_data_root

    root, _ = resolve_data_root(data_dir)
    if all((cifar_data.folder_of(root) / name).is_file() for name in cifar_data.ALL_FILES):
        official = not cifar_data.unofficial_files(cifar_data.folder_of(root))
        return root, f"{'CIFAR-10' if official else 'a set that is not the official CIFAR-10'} in " \
                     f"{cifar_data.folder_of(root)}"
    from cifar_fixtures import write_root

    write_root(work, per_batch=10_000, test=10_000)
    return work, "a generated 50k/10k set in the cifar-10-batches-py format (no CIFAR-10 on this machine)"


def plain_loop(root: Path, batch_size: int, limit: int, workers: int, fast_math: bool, lr: float) -> float:
    """Images/s of the tutorial-style loop over at most ``limit`` training images."""
    import torch
    import torch.nn.functional as F
    from torchvision import datasets, transforms

    from engines.cifar import data as cifar_data
    from engines.cifar import nets as cifar_nets

    folder = cifar_data.folder_of(root)
    sums = {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in cifar_data.ALL_FILES}

    class Files(datasets.CIFAR10):  # torchvision checks md5s; a generated set has its own
        train_list = [[name, sums[name]] for name in cifar_data.TRAIN_FILES]
        test_list = [[cifar_data.TEST_FILE, sums[cifar_data.TEST_FILE]]]
        meta = {**datasets.CIFAR10.meta, "md5": sums[cifar_data.META_FILE]}

    transform = transforms.Compose([
        transforms.RandomCrop(32, padding=2, padding_mode="reflect"), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(cifar_data.MEAN, cifar_data.STD)])
    train_set = Files(str(root), train=True, download=False, transform=transform)
    loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers=workers,
                                         drop_last=True)
    torch.manual_seed(0)
    model = cifar_nets.small_cnn()
    if fast_math:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    model.train()
    seen, start = 0, time.perf_counter()
    for batch_idx, (data, target) in enumerate(loader):
        if fast_math:
            data = data.contiguous(memory_format=torch.channels_last)
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast_math):
            output = model(data)
        loss = F.cross_entropy(output.float(), target, label_smoothing=0.2)
        loss.backward()
        optimizer.step()
        seen += len(target)
        if batch_idx % 10 == 0:
            loss.item()  # the tutorials print the loss every few batches
        if seen >= limit:
            break
    return seen / (time.perf_counter() - start)


def ours(root: Path, batch_size: int, limit: int, epochs: int) -> tuple[list[float], dict, float]:
    """Per-epoch images/s of the engine, its resolved config and its final test accuracy."""
    from engines.cifar import engine as cifar
    from engines.core.device import cpu_device
    from engines.core.events import Evaluated, Failed, Started
    from engines.core.runtime import Control, run_engine

    params = {"model": "small-cnn", "batch_size": batch_size, "epochs": epochs, "subset": limit,
              "checkpoint": "off", "download": False, "tta": "off"}
    rates, config, accuracy = [], {}, 0.0
    for event in run_engine(cifar.TRAIN, params, Control(device=cpu_device(), data_dir=str(root))):
        if isinstance(event, Failed):
            raise SystemExit(f"engine failed: {event.message} {event.hint}")
        if isinstance(event, Started):
            config = event.config
        if isinstance(event, Evaluated):
            rates.append(event.metrics["samples_per_s"])
            accuracy = event.metrics["test_accuracy"]
    return rates, config, accuracy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--limit", type=int, default=10_000, help="training images per epoch for both loops")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of our engine (the best one counts)")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    import torch

    from engines.cifar.recipe import cpu_supports_bf16
    from engines.core.device import cpu_cores

    print(f"device: cpu ({cpu_cores()} cores usable, {torch.backends.cpu.get_cpu_capability()}, "
          f"bf16 instructions: {'yes' if cpu_supports_bf16() else 'no'}), torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    with tempfile.TemporaryDirectory() as work:
        root, source = prepare_data(Path(work), args.data_dir)
        lr = 0.1 * args.batch_size / 256
        print(f"data: {source}; small-cnn, batch {args.batch_size}, {args.limit} training images per epoch")
        plain = 0.0
        for fast_math in sorted({False, cpu_supports_bf16()}):
            for workers in (0, 2):
                rate = plain_loop(root, args.batch_size, args.limit, workers, fast_math, lr)
                label = "bf16 + channels_last" if fast_math else "fp32"
                print(f"plain loop (torchvision CIFAR10 + DataLoader, {workers} workers, {label}): {rate:,.0f} images/s",
                      flush=True)
                plain = max(plain, rate)
        rates, config, accuracy = ours(root, args.batch_size, args.limit, args.epochs)
    best = max(rates)
    print(f"this lab's engine (bf16 {config.get('bf16')}, channels_last {config.get('channels_last')}): "
          + ", ".join(f"{r:,.0f}" for r in rates) + f" images/s per epoch (test accuracy {accuracy:.4f})")
    print(f"ratio: {best / plain:.2f}× (best epoch of ours / best plain loop)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
