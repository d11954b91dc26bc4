"""``tui-lab check`` (are the lessons right?) and ``tui-lab doctor`` (is this machine set up?)."""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import sys
from importlib import metadata
from pathlib import Path
from typing import IO

from rich.cells import cell_len

from engines.core.data_root import resolve_data_root
from engines.core.class_settings import RunSettings
from engines.core.dataset_status import dataset_statuses
from engines.core.device import DeviceError, available, detect
from lab_i18n import N_, _
from lessons import Catalog
from lessons.check import CheckCase, check_lesson
from lessons.values import lesson_has_variants
from tui_lab import launchers
from tui_lab.contract import EXIT_FAILED, EXIT_OK, find_lesson
from tui_lab.refresh import over_ssh
from tui_lab.junit import write_junit


# Where the data root came from (``resolve_data_root``): option and variable names stay as typed.
ORIGINS = {"per-user cache": N_("per-user cache")}


def cmd_check(catalog: Catalog, lesson_ids: list[str], junit: str | None, device: str, out: IO[str],
              variants: int | None = None) -> int:
    """Every case of every lesson named (default: all), one line each; with ``variants``, the
    variants 0..N−1 of each lesson whose numbers vary, told as one line per lesson and its failures."""
    lessons = [find_lesson(catalog, i) for i in lesson_ids] if lesson_ids else catalog.lessons
    cases: list[CheckCase] = []
    for problem in catalog.problems:
        case = CheckCase(problem.path.parent.name, "load", False, str(problem))
        cases.append(case)
        out.write(f"FAIL {case.lesson}: {case.message}\n")
    for lesson in lessons:
        varies = bool(variants) and lesson_has_variants(lesson)
        lesson_cases = []
        for variant in range(variants if varies else 1):
            for case in check_lesson(lesson, device=device, variant=variant):
                lesson_cases.append(case)
                if variants is None or not case.ok:
                    _write_case(case, out)
        cases += lesson_cases
        if variants:
            failed = sum(not c.ok for c in lesson_cases)
            sets = _("{count} variants").format(count=variants) if varies else _("one set of numbers")
            line = (_("{lesson}: {sets}, {passed} cases passed, {failed} failed") if failed
                    else _("{lesson}: {sets}, {passed} cases passed"))
            out.write(line.format(lesson=lesson.id, sets=sets, passed=len(lesson_cases) - failed, failed=failed)
                      + "\n")
    failed = sum(not c.ok for c in cases)
    out.write(_("{passed} passed, {failed} failed").format(passed=len(cases) - failed, failed=failed) + "\n")
    if junit:
        write_junit(cases, Path(junit))
    return EXIT_FAILED if failed else EXIT_OK


def _write_case(case: CheckCase, out: IO[str]) -> None:
    mark = "ok  " if case.ok else "FAIL"
    out.write(f"{mark} {case.lesson}: {case.name}" + (f" — {case.message}" if case.message else "") + "\n")
    out.flush()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return _("not installed")


def doctor_report(catalog: Catalog, device: str, data_dir: str | None) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("platform", platform.platform()),
    ]
    for package in ("tui-lab", "textual", "textual-plotext", "plotext", "numpy", "torch", "torchvision"):
        rows.append((package, _version(package)))
    try:
        chosen = detect(device)
        rows.append((_("device"), _("{device} (from --device {asked})").format(device=chosen.label, asked=device)))
    except DeviceError as error:
        rows.append((_("device"), _("problem: {error}").format(error=error)))
    except ImportError as error:
        rows.append((_("device"), _("torch cannot be imported: {error}").format(error=error)))
    try:
        rows.append((_("devices"), ", ".join(d.label for d in available())))
    except ImportError:
        pass
    root, origin = resolve_data_root(data_dir)
    if not root.is_dir():
        state = _("does not exist yet")
    else:
        state = _("exists, writable") if os.access(root, os.W_OK) else _("exists, read-only")
    origin = _(ORIGINS.get(origin, origin))
    rows.append((_("data root"), _("{root} ({origin}; {state})").format(root=root, origin=origin, state=state)))
    for dataset in dataset_statuses(root):
        rows.append((dataset.title, _("found in {where}").format(where=dataset.found) if dataset.found
                     else dataset.missing))
    size = shutil.get_terminal_size((0, 0))
    rows.append((_("terminal"), f"TERM={os.environ.get('TERM', '')!s} COLORTERM={os.environ.get('COLORTERM', '')!s} "
                             f"size={size.columns}x{size.lines} tty={sys.stdout.isatty()}"))
    rows.append((_("colour"), _("off (NO_COLOR is set)") if os.environ.get("NO_COLOR") else _("on")))
    rows.append(("ssh", _("yes (animations off)") if over_ssh() else _("no")))
    rows += launcher_rows()
    rows.append((_("lessons"), _("{loaded} loaded, {broken} with problems").format(
        loaded=len(catalog.lessons), broken=len(catalog.problems))))
    for problem in catalog.problems:
        rows.append((_("lesson problem"), str(problem)))
    return rows


def launcher_rows(runs: RunSettings | None = None) -> list[tuple[str, str]]:
    """How runs start (the class settings' launcher) and, under Slurm, the partition's state."""
    if runs is None:
        from tui_lab.config import load_config

        runs = load_config().runs
    if runs.launcher != "slurm":
        return [(_("launcher"), _("local (runs start on this computer)"))]
    rows = [(_("launcher"), "slurm: srun " + shlex.join(launchers.srun_arguments(runs.slurm)))]
    missing = [name for name in ("srun", "sinfo", "squeue", "scancel") if shutil.which(name) is None]
    if missing:
        rows.append((_("partition"), _("Slurm's commands {names} are not on this computer's PATH, so runs cannot "
                                       "start through Slurm.").format(names=", ".join(missing))))
        return rows
    state = launchers.partition_state(runs.slurm.partition)
    if state is None:
        rows.append((_("partition"), _("sinfo did not answer, so Slurm's controller may be down; run sinfo to see "
                                       "why.")))
    elif not state:
        rows.append((_("partition"), _("Slurm has no partition {name}; sinfo lists the ones there are.").format(
            name=runs.slurm.partition)))
    for row in state or []:
        name = row["partition"].rstrip("*") + (_(" (default)") if row["partition"].endswith("*") else "")
        allocated, idle, _other, total = (row["cpus"].split("/") + ["?"] * 4)[:4]
        gpus = row["gres"] if row["gres"] not in ("(null)", "") else _("none")
        used = row["gres_used"] if row["gres_used"] not in ("(null)", "") else ""
        line = (_("{nodes} node {state}; CPUs {idle} idle of {total}; GPUs {gpus}") if row["nodes"] == "1" else
                _("{nodes} nodes {state}; CPUs {idle} idle of {total}; GPUs {gpus}")).format(
            nodes=row["nodes"], state=row["state"], idle=idle, total=total, gpus=gpus)
        rows.append((_("partition"), f"{name}: {line}" + (f" ({used})" if used else "")))
    return rows


def cmd_doctor(catalog: Catalog, device: str, data_dir: str | None, out: IO[str]) -> int:
    rows = doctor_report(catalog, device, data_dir)
    width = max(cell_len(key) for key, _value in rows)  # cells: a Chinese label is two a character
    for key, value in rows:
        out.write(f"{key}{' ' * (width - cell_len(key))}  {value}\n")
    return EXIT_OK
