"""``tui-lab run`` through Slurm: with ``launcher = "slurm"`` in the class settings the
headless run is the same command inside ``srun`` (sized for its ``--nproc`` processes, the
launcher forced to local there), its output relayed line by line. While Slurm holds the job
the run says so: a ``queued`` event with ``--json``, else a line on stderr. The exit status
is the run's own; a job Slurm ended (time limit, node failure) or refused ends with one
sentence and status 1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from engines.core.class_settings import RunSettings
from engines.core.events import Event, Failed, to_json
from lab_i18n import _, language, sentences
from lessons import Lesson
from tui_lab import launchers, slurm_follow
from tui_lab.contract import EXIT_FAILED, EXIT_INTERRUPTED
from tui_lab.launchers import Launcher, SlurmState, said_by_slurm

INSIDE = "TUI_LAB_LAUNCHER"  # "local" inside the job: the run there starts no other srun
ROOT = Path(__file__).resolve().parent.parent


def relays(runs: RunSettings) -> bool:
    """Whether ``tui-lab run`` should go through Slurm from here."""
    return runs.launcher == "slurm" and os.environ.get(INSIDE) != "local"


def inner_command(lesson: Lesson, step_number: int | None, overrides: dict[str, str], device: str,
                  data_dir: str | None, as_json: bool, record: str | None = None, nproc: str | None = None,
                  csv_path: str | None = None, graph: bool = False) -> list[str]:
    """The ``tui-lab run`` that runs inside the job: the same run, the lesson's folder named."""
    folder = lesson.path if lesson.path.is_dir() else lesson.path.parent
    words = [sys.executable, "-m", "tui_lab", "--lang", language(), "--lessons", str(folder), "--device", device]
    if data_dir:
        words += ["--data-dir", data_dir]
    words += ["run", lesson.id]
    if step_number is not None:
        words += ["--step", str(step_number)]
    for name, value in overrides.items():
        words += ["--param", f"{name}={value}"]
    for flag, value in (("--record", record), ("--nproc", nproc), ("--csv", csv_path)):
        if value is not None:
            words += [flag, str(value)]
    return words + ["--json"] * as_json + ["--graph"] * graph


def cmd_run(runs: RunSettings, lesson: Lesson, step_number: int | None, overrides: dict[str, str], device: str,
            data_dir: str | None, as_json: bool, out: IO[str], record: str | None = None, nproc: str | None = None,
            csv_path: str | None = None, graph: bool = False) -> int:
    """Run ``tui-lab run`` inside ``srun``; returns its exit status."""
    if not slurm_follow.srun_found():
        return _fail(slurm_follow.srun_missing(), as_json, out)
    launcher = Launcher(runs)
    try:
        processes = max(1, int(str(nproc).strip())) if nproc is not None else 1
    except ValueError:
        processes = 1  # the run inside refuses it, in its own words
    command = launcher.command(inner_command(lesson, step_number, overrides, device, data_dir, as_json, record,
                                             nproc, csv_path, graph), processes)
    env = {**os.environ, INSIDE: "local", "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, encoding="utf-8", bufsize=1, env=env,
                               start_new_session=True)  # Ctrl+C is ours to pass on, not srun's
    state, lock = SlurmState(), threading.Lock()
    reader = threading.Thread(target=_follow, args=(process, state, launcher, as_json, out, lock), daemon=True)
    reader.start()
    presses: list[int] = []
    previous = signal.signal(signal.SIGINT, _interrupt(state, process, presses))
    try:
        for line in process.stdout:  # type: ignore[union-attr]
            with lock:
                out.write(line)
                out.flush()
        code = process.wait()
        reader.join(timeout=slurm_follow.EXIT_WAIT_S)
    finally:
        signal.signal(signal.SIGINT, previous)
        if process.poll() is None:
            slurm_follow.cancel(state, process)
    final = slurm_follow.ended(state, None, stop_requested=bool(presses)) or (
        slurm_follow.explain_exit(state, stop_requested=bool(presses)) if state.node is None else None)
    if isinstance(final, Failed):
        return _fail(final, as_json, out)
    if final is not None:  # withdrawn from the queue by Ctrl+C
        _tell(final, as_json, out)
        return EXIT_INTERRUPTED
    return code


def _follow(process: subprocess.Popen, state: SlurmState, launcher: Launcher, as_json: bool, out: IO[str],
            lock: threading.Lock) -> None:
    """srun's standard error: Slurm's lines become the queued state; the run's own pass on."""
    for line in process.stderr:  # type: ignore[union-attr]
        if state.read(line) == "queued":
            threading.Thread(target=_tell_queue, args=(process, state, launcher, as_json, out, lock),
                             daemon=True).start()
        if not said_by_slurm(line):
            sys.stderr.write(line)


def _tell_queue(process: subprocess.Popen, state: SlurmState, launcher: Launcher, as_json: bool, out: IO[str],
                lock: threading.Lock) -> None:
    for event in slurm_follow.queue_events(state, launcher.device, lambda: process.poll() is None):
        with lock:
            if as_json:
                out.write(to_json(event) + "\n")
                out.flush()
            else:
                waiting = (_("Waiting in Slurm's queue: job {job} ({reason}).") if event.reason else
                           _("Waiting in Slurm's queue: job {job}."))
                print("tui-lab: " + waiting.format(job=event.job_id, reason=event.reason), file=sys.stderr)


def _interrupt(state: SlurmState, process: subprocess.Popen, presses: list[int]):
    """Ctrl+C: the run inside stops cleanly (its checkpoint kept); a queued job is withdrawn;
    a second Ctrl+C cancels the job at once."""
    def handler(signum, frame):
        presses.append(signum)
        if state.job_id and state.node and len(presses) == 1:
            launchers.signal_job(state.job_id, "INT")
        else:
            slurm_follow.cancel(state, process)

    return handler


def _fail(event: Failed, as_json: bool, out: IO[str]) -> int:
    _tell(event, as_json, out)
    return EXIT_FAILED


def _tell(event: Event, as_json: bool, out: IO[str]) -> None:
    if as_json:
        out.write(to_json(event) + "\n")
    elif isinstance(event, Failed):
        print("tui-lab: " + sentences(event.message, event.hint), file=sys.stderr)
    else:
        print("tui-lab: " + str(event.summary.get("message", "")), file=sys.stderr)
