"""Choosing the device a run uses: CUDA, Apple MPS or the CPU.

``parse_device`` checks the spelling without importing torch (the CLI and the UI call it
before anything starts); ``detect`` imports torch only when the answer depends on it,
honours ``CUDA_VISIBLE_DEVICES`` (torch applies it) and explains a bad choice.

Finding a GPU never initialises CUDA: a worker waiting for the student (or for its turn)
holds no GPU context, which costs hundreds of MiB of the GPU's memory per process. Only
counting (``torch.cuda.device_count``) and NVML are used; the name and memory come from
NVML where the driver offers it, and CUDA starts when a run starts (``configure_torch``).
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from typing import Any
from lab_i18n import _, sentences

_SPELLING = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class DeviceError(ValueError):
    """The requested device cannot be used; ``str(error)`` is the sentence to show."""


@dataclass(frozen=True)
class DeviceInfo:
    name: str  # what torch.device() takes: "cuda:0", "mps", "cpu"
    kind: str  # cuda | mps | cpu
    label: str  # for the status bar: "cuda:0 NVIDIA H100 80GB", "cpu · 2 threads"
    threads: int
    memory_gb: float | None = None
    capability: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DeviceInfo":
        return cls(**data)


def cpu_cores() -> int:
    """Cores this process may use (respects taskset/cgroup affinity, unlike os.cpu_count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def default_threads(keep_core_free: bool = False) -> int:
    """CPU threads for a run that names none: every usable core when nothing else needs
    one (a headless run, a benchmark), one fewer beside the lab's interface, so that its
    event loop answers keys while a run trains (on a 2-core machine: one thread)."""
    return max(1, cpu_cores() - (1 if keep_core_free else 0))


def parse_device(text: str | None) -> str:
    """Normalise a --device value; refuse what no machine could have."""
    value = (text or "auto").strip().lower()
    if value == "gpu":
        value = "cuda"
    if not _SPELLING.match(value):
        raise DeviceError(_("Unknown device {device}; choose auto, cpu, cuda, cuda:N (N = GPU number) or mps.")
                          .format(device=repr(text)))
    return value


def cpu_device(threads: int | None = None, keep_core_free: bool = False) -> DeviceInfo:
    n = threads or default_threads(keep_core_free)
    return DeviceInfo("cpu", "cpu", (_("cpu · {n} thread") if n == 1 else _("cpu · {n} threads")).format(n=n), n)


def _cuda_hidden_note() -> str:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return ""
    if visible.strip() in ("", "-1"):
        return _("CUDA_VISIBLE_DEVICES={visible} hides every GPU from this process.").format(visible=repr(visible))
    return _("Only the GPUs in CUDA_VISIBLE_DEVICES={visible} are visible, numbered from 0.").format(visible=repr(visible))


def detect(requested: str | None = "auto", threads: int | None = None, keep_core_free: bool = False) -> DeviceInfo:
    """The device for a run. ``auto`` prefers CUDA, then MPS, then the CPU. ``threads``
    (CPU threads) wins when given; else ``default_threads(keep_core_free)``."""
    choice = parse_device(requested)
    threads = threads or default_threads(keep_core_free)
    if choice == "cpu":
        return cpu_device(threads)
    import torch  # only here: the answer depends on the machine's GPUs

    if choice == "auto":
        if torch.cuda.is_available():
            return _cuda_info(torch, 0, threads)
        if _mps_available(torch):
            return DeviceInfo("mps", "mps", "mps (Apple GPU)", threads or cpu_cores())
        return cpu_device(threads)
    if choice == "mps":
        if not _mps_available(torch):
            raise DeviceError(_("The MPS device (Apple GPU) is not available on this machine; use --device cpu."))
        return DeviceInfo("mps", "mps", "mps (Apple GPU)", threads or cpu_cores())
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    index = int(choice.partition(":")[2] or 0)
    if count == 0:
        raise DeviceError(sentences(
            _("{device} was requested but this machine has no usable CUDA GPU.").format(device=choice),
            _cuda_hidden_note(), _("Use --device cpu (or auto).")))
    if index >= count:
        visible = "cuda:0" if count == 1 else f"cuda:0…cuda:{count - 1}"
        only = (_("{device} was requested but only {count} GPU is visible ({visible}).") if count == 1 else
                _("{device} was requested but only {count} GPUs are visible ({visible})."))
        raise DeviceError(sentences(only.format(device=choice, count=count, visible=visible), _cuda_hidden_note()))
    return _cuda_info(torch, index, threads)


def _mps_available(torch: Any) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def _cuda_info(torch: Any, index: int, threads: int | None) -> DeviceInfo:
    name, memory = _nvml_details(torch, index)
    return DeviceInfo(
        name=f"cuda:{index}",
        kind="cuda",
        label=f"cuda:{index} {name}" if name else f"cuda:{index}",
        threads=threads or cpu_cores(),
        memory_gb=round(memory / 1024**3, 1) if memory else None,
    )


def _nvml_details(torch: Any, index: int) -> tuple[str | None, int | None]:
    """The GPU's name and memory in bytes from the driver's NVML, without a CUDA context;
    (None, None) where NVML is missing or the visible GPUs are named by UUID."""
    import ctypes

    class Memory(ctypes.Structure):
        _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]

    try:
        visible = torch.cuda._parse_visible_devices()
        if not isinstance(visible[index], int):
            return None, None
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
        handle, name, memory = ctypes.c_void_p(), ctypes.create_string_buffer(96), Memory()
        if nvml.nvmlInit_v2() or nvml.nvmlDeviceGetHandleByIndex_v2(visible[index], ctypes.byref(handle)):
            return None, None
        named = not nvml.nvmlDeviceGetName(handle, name, ctypes.c_uint(len(name)))
        sized = not nvml.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(memory))
        return (name.value.decode() if named else None), (memory.total if sized else None)
    except (OSError, AttributeError, IndexError, UnicodeDecodeError):
        return None, None


def available(include_gpus: bool = True) -> list[DeviceInfo]:
    """Every device a run could use here, CPU last (for the device picker and doctor)."""
    found: list[DeviceInfo] = []
    if include_gpus:
        import torch

        if torch.cuda.is_available():
            found += [_cuda_info(torch, i, None) for i in range(torch.cuda.device_count())]
        if _mps_available(torch):
            found.append(DeviceInfo("mps", "mps", "mps (Apple GPU)", cpu_cores()))
    found.append(cpu_device())
    return found


def configure_torch(device: DeviceInfo, memory_share: float | None = None) -> None:
    """Per-process torch settings for a device, applied once before any work; on a GPU,
    ``memory_share`` caps what this process may allocate (the class's ``runs.memory_share``)."""
    import torch

    if device.kind == "cpu":
        torch.set_num_threads(max(1, device.threads))
    elif device.kind == "cuda":
        torch.cuda.set_device(device.name)
        if memory_share is not None:
            torch.cuda.set_per_process_memory_fraction(memory_share, torch.device(device.name).index or 0)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
