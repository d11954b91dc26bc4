"""The benches' report: the machine it ran on, and the results as JSON and a Markdown table.

Both benches build one dict (fields: bench, recipe, mode, environment, target, budget,
seeds, warmup, data_seconds, compile_seconds, accuracy, reached_fraction, seconds,
test, runs) and hand it to ``write_report``, which writes ``<name>.json`` and ``<name>.md``.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
from pathlib import Path
from typing import Any


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def _driver_version() -> str | None:
    """The NVIDIA driver's version from NVML (no CUDA context needed); None without one."""
    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
        text = ctypes.create_string_buffer(96)
        if nvml.nvmlInit_v2() or nvml.nvmlSystemGetDriverVersion(text, ctypes.c_uint(len(text))):
            return None
        return text.value.decode()
    except (OSError, AttributeError, UnicodeDecodeError):
        return None


def _device_name_and_kind(device: Any) -> tuple[str, str]:
    """Accepts "cpu" / "cuda" / "cuda:N", a torch.device or a DeviceInfo."""
    name = str(getattr(device, "name", None) or device)
    kind = getattr(device, "kind", None) or getattr(device, "type", None) or name.partition(":")[0]
    return name, str(kind)


def environment(device: Any) -> dict:
    """Where the bench ran: the device's name (the GPU's model on CUDA), its kind, the
    NVIDIA driver, torch and CUDA versions, Python and the CPU."""
    import torch

    name, kind = _device_name_and_kind(device)
    if kind == "cuda" and torch.cuda.is_available():
        index = int(name.partition(":")[2] or 0)
        name = torch.cuda.get_device_name(index)
    return {
        "device": name,
        "kind": kind,
        "driver": _driver_version() if kind == "cuda" else None,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "cpu": f"{_cpu_name()} ({_cores()} cores)",
    }


def _number(value: Any, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _spread(summary: dict | None, digits: int, scale: float = 1.0) -> str:
    if not summary or summary.get("mean") is None:
        return "–"
    text = f"{summary['mean'] * scale:.{digits}f}"
    if summary.get("n", 0) > 1:
        text += f" ± {summary['sd'] * scale:.{digits}f}"
    return text + f" (n={summary['n']})"


def markdown(report: dict) -> str:
    """The report as a Markdown table, headed by the environment line."""
    env = report.get("environment") or {}
    target = report.get("target")
    test = report.get("test") or {}
    seconds = report.get("seconds") or {}
    fraction = report.get("reached_fraction")
    verdict = "–" if test.get("p") is None else (
        f"t = {_number(test.get('t'), 3)}, p = {test['p']:.4f}: "
        + ("mean ≥ target (p < 0.05)" if test.get("passes") else "not shown (p ≥ 0.05)"))
    target_text = "–" if target is None else f"{target * 100:g} %"
    rows = [
        ("seeds", str(len(report.get("seeds") or []))),
        ("accuracy, % (mean ± sd)", _spread(report.get("accuracy"), 2, 100.0)),
        (f"fraction reaching {target_text}", "–" if fraction is None else f"{fraction * 100:.0f} %"),
        ("seconds, cold", _spread(seconds.get("cold"), 3)),
        ("seconds, warm (mean ± sd)", _spread(seconds.get("warm"), 3)),
        ("compile seconds", _number(report.get("compile_seconds"), 3)),
        ("data seconds", _number(report.get("data_seconds"), 3)),
        (f"one-sided t test, mean ≥ {target_text}", verdict),
    ]
    budget = ", ".join(f"{k} {v}" for k, v in (report.get("budget") or {}).items())
    lines = [
        f"# {report.get('bench', '?')} · {report.get('recipe', '?')} · {report.get('mode', '?')}",
        "",
        f"{env.get('device', '?')} ({env.get('kind', '?')}), driver {env.get('driver') or '–'}, "
        f"torch {env.get('torch', '?')}, CUDA {env.get('cuda') or '–'}, Python {env.get('python', '?')}, "
        f"CPU {env.get('cpu', '?')}",
        "",
    ]
    if budget:
        lines += [f"Budget: {budget}.", ""]
    lines += ["| quantity | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines) + "\n"


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: those become None (null)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_report(name: str, report: dict, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``<out_dir>/<name>.json`` and ``<out_dir>/<name>.md``; returns both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{name}.json", out / f"{name}.md"
    clean = _finite(report)
    json_path.write_text(json.dumps(clean, indent=2, allow_nan=False) + "\n")
    md_path.write_text(markdown(clean))
    return json_path, md_path
