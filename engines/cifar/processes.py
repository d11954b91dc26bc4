"""How many processes train a ``cifar10`` run (torchrun, ``engines.training.distributed``)
and how the run names its device for them."""

from __future__ import annotations

from typing import Any

import torch

from engines.core.device import cpu_device


def process_group() -> tuple[int, int]:
    """(processes, this one's rank): (1, 0) unless started by ``engines.training.distributed`` under torchrun."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def device_label(device: Any, world: int) -> str:
    """The device as ``Started`` names it, with the process count when there are several."""
    label = cpu_device(torch.get_num_threads()).label if device.kind == "cpu" else device.label
    if world > 1:
        backend = torch.distributed.get_backend()
        label = f"{world} processes × {label} ({backend})"
    return label
