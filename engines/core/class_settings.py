"""How a class's runs share the machines: the ``[runs]`` table of the settings file.

A teacher points every student's ``TUI_LAB_CONFIG`` at one file::

    [runs]
    launcher = "local"        # "local" (the default): runs start on this machine; "slurm": through srun
    per_device = 2            # runs at once per device on this machine; the next ones wait in line
    memory_share = 0.45       # the share of a GPU's memory one run may use (0 < share ≤ 1)
    queue_dir = "/tmp/tui-lab-queue"  # where the labs on this machine queue (default: this one)

    [runs.slurm]
    partition = "gpu"         # default: the cluster's default partition
    gpus_per_run = 1          # GPUs each run asks for (0: none, for CPU partitions)
    time_limit = "00:30:00"   # Slurm's --time
    extra = ["--qos=class"]   # any other srun arguments

Each mistake is one sentence in ``problems`` and the setting falls back to its default:
a wrong setting never stops a lab. This module reads a parsed table, not the file (the
lab's settings module reads the file), so the engines and their worker can use it.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab_i18n import _

LAUNCHERS = ("local", "slurm")
DEFAULT_QUEUE_DIR = Path(tempfile.gettempdir()) / "tui-lab-queue"
TIME_LIMIT = re.compile(r"^(\d+-)?\d+(:\d{1,2}){0,2}$")  # Slurm's forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S
RUN_KEYS = {"launcher", "per_device", "memory_share", "queue_dir", "slurm"}
SLURM_KEYS = {"partition", "gpus_per_run", "time_limit", "extra"}


@dataclass(frozen=True)
class SlurmSettings:
    partition: str | None = None
    gpus_per_run: int = 1
    time_limit: str | None = None
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunSettings:
    launcher: str = "local"
    per_device: int | None = None  # None: no limit
    memory_share: float | None = None  # None: a run may use the whole GPU
    queue_dir: Path = DEFAULT_QUEUE_DIR
    slurm: SlurmSettings = field(default_factory=SlurmSettings)
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """What the worker needs, in its job (it reads no settings file itself)."""
        return {"per_device": self.per_device, "memory_share": self.memory_share, "queue_dir": str(self.queue_dir)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "RunSettings":
        data = data or {}
        return cls(per_device=data.get("per_device"), memory_share=data.get("memory_share"),
                   queue_dir=Path(data.get("queue_dir") or DEFAULT_QUEUE_DIR))


def parse_run_settings(table: Any, where: str, base: Path | None = None) -> RunSettings:
    """The ``[runs]`` table of the settings file ``where`` (its folder ``base`` anchors a
    relative ``queue_dir``); each mistake is a sentence in ``problems``."""
    problems: list[str] = []

    def wrong(key: str, must: str) -> None:
        problems.append(_("The setting {key} in {path} was ignored: {must}.").format(key=key, path=where, must=must))

    if table is None:
        return RunSettings()
    if not isinstance(table, dict):
        wrong("runs", _("it must be a table, [runs]"))
        return RunSettings(problems=tuple(problems))
    for key in sorted(set(table) - RUN_KEYS):
        problems.append(_("The setting runs.{key} in {path} is not one the lab knows; it knows {known}.").format(
            key=key, path=where, known=", ".join(sorted(RUN_KEYS))))
    launcher = table.get("launcher", "local")
    if launcher not in LAUNCHERS:
        wrong("runs.launcher", _("it must be \"local\" or \"slurm\", not {given}").format(given=repr(launcher)))
        launcher = "local"
    per_device = table.get("per_device")
    if per_device is not None and (isinstance(per_device, bool) or not isinstance(per_device, int) or per_device < 1):
        wrong("runs.per_device", _("it must be a whole number of runs, 1 or more, not {given}").format(given=repr(per_device)))
        per_device = None
    share = table.get("memory_share")
    if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1):
        wrong("runs.memory_share", _("it must be a share of the GPU's memory above 0 and at most 1, such as 0.45, not {given}").format(
            given=repr(share)))
        share = None
    queue_dir = DEFAULT_QUEUE_DIR
    if "queue_dir" in table:
        value = table["queue_dir"]
        if isinstance(value, str) and value.strip():
            queue_dir = (base or Path.cwd()) / Path(value.strip()).expanduser()
        else:
            wrong("runs.queue_dir", _("it must be the path of a folder"))
    slurm = _slurm(table.get("slurm"), wrong, problems, where)
    return RunSettings(launcher=launcher, per_device=per_device, memory_share=float(share) if share is not None else None,
                       queue_dir=queue_dir, slurm=slurm, problems=tuple(problems))


def _slurm(table: Any, wrong, problems: list[str], where: str) -> SlurmSettings:
    if table is None:
        return SlurmSettings()
    if not isinstance(table, dict):
        wrong("runs.slurm", _("it must be a table, [runs.slurm]"))
        return SlurmSettings()
    for key in sorted(set(table) - SLURM_KEYS):
        problems.append(_("The setting runs.slurm.{key} in {path} is not one the lab knows; it knows {known}.").format(
            key=key, path=where, known=", ".join(sorted(SLURM_KEYS))))
    partition = table.get("partition")
    if partition is not None and (not isinstance(partition, str) or not re.fullmatch(r"[\w.,-]+", partition)):
        wrong("runs.slurm.partition", _("it must be the name of a Slurm partition, such as \"gpu\""))
        partition = None
    gpus = table.get("gpus_per_run", 1)
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 0:
        wrong("runs.slurm.gpus_per_run", _("it must be a whole number of GPUs, 0 or more, not {given}").format(given=repr(gpus)))
        gpus = 1
    limit = table.get("time_limit")
    if limit is not None and (not isinstance(limit, str) or not TIME_LIMIT.match(limit.strip())):
        wrong("runs.slurm.time_limit", _("it must be a Slurm time such as \"30\" (minutes) or \"01:30:00\", not {given}").format(
            given=repr(limit)))
        limit = None
    extra = table.get("extra", [])
    if not isinstance(extra, list) or not all(isinstance(a, str) and a.startswith("-") for a in extra):
        wrong("runs.slurm.extra", _("it must be a list of srun options, such as [\"--qos=class\"]"))
        extra = []
    return SlurmSettings(partition=partition, gpus_per_run=gpus, time_limit=limit.strip() if limit else None,
                         extra=tuple(extra))
