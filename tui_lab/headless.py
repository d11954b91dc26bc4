"""The lab without its UI: ``list``, ``run``, ``replay``, ``check`` and ``doctor`` for scripts and CI.

This is a stable command-line contract; see the README's "Headless" section. Exit
statuses: 0 success, 1 a failed run or check, 2 a usage error (unknown lesson, bad
parameter or device), 3 a run that diverged, 130 stopped with Ctrl+C.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import sys
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from engines.core import registry
from engines.core.data_root import resolve_data_root
from engines.core.device import DeviceError, available, configure_torch, cpu_device, detect, parse_device
from engines.core.events import Artifact, Evaluated, Event, Failed, Finished, Progress, Started, to_json
from engines.core.params import ParamError
from engines.core.recording import Recorder, RecordingError, locate, read_recording, replay_events
from engines.core.runtime import Control, run_engine
from lessons import Catalog, Lesson
from lessons.check import CheckCase, check_lesson
from tui_lab.artifact_views import NOTES
from tui_lab.junit import write_junit

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """A mistake in the command line; the message is printed as is, exit status 2."""


def find_lesson(catalog: Catalog, lesson_id: str) -> Lesson:
    lesson = catalog.get(lesson_id)
    if lesson is None:
        raise UsageError(f"No lesson {lesson_id!r}; lessons: {', '.join(catalog.ids()) or 'none'}.")
    return lesson


def cmd_list(catalog: Catalog, out: IO[str]) -> int:
    for lesson in catalog.lessons:
        out.write(f"{lesson.id}\t{lesson.title}\n")
    for problem in catalog.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return EXIT_OK


def run_step(lesson: Lesson, step_number: int | None):
    runs = [s for s in lesson.steps if s.kind == "run"]
    if not runs:
        raise UsageError(f"Lesson {lesson.id!r} has no run step.")
    if step_number is None:
        return lesson.step(lesson.run_step) if lesson.run_step else runs[0]
    if not 1 <= step_number <= len(lesson.steps):
        raise UsageError(f"Lesson {lesson.id!r} has steps 1–{len(lesson.steps)}, not {step_number}.")
    step = lesson.step(step_number)
    if step.kind != "run":
        numbers = ", ".join(str(s.index) for s in runs)
        raise UsageError(
            f"Step {step_number} of {lesson.id!r} is a {step.kind} step; its run steps are: {numbers}."
        )
    return step


def cmd_run(
    catalog: Catalog,
    lesson_id: str,
    step_number: int | None,
    overrides: dict[str, str],
    device: str,
    data_dir: str | None,
    as_json: bool,
    out: IO[str],
    record: str | None = None,
    nproc: str | None = None,
    csv_path: str | None = None,
) -> int:
    lesson = find_lesson(catalog, lesson_id)
    step = run_step(lesson, step_number)
    spec = registry.engine(step.engine)
    try:
        spec.config({**step.params, **overrides})  # refuse bad values before anything starts
    except ParamError as error:
        text = str(error)
        if "valid parameters" not in text:
            text += f" Valid parameters: {', '.join(p.name for p in spec.params)}."
        raise UsageError(text) from None
    try:
        choice = parse_device(device)  # a misspelt device is refused even for NumPy engines
        info = detect(choice) if spec.needs_torch else cpu_device()
    except DeviceError as error:
        raise UsageError(str(error)) from None
    processes = _processes(nproc, step.engine, choice)
    if spec.needs_torch:
        configure_torch(info)
    root, _ = resolve_data_root(data_dir)
    recorder = _recorder(record, lesson, step, spec, {**step.params, **overrides}, info.label)
    table = CsvTable(Path(csv_path)) if csv_path else None
    ctl = Control(device=info, data_dir=str(root))
    previous = _stop_on_ctrl_c(ctl)
    view = _JsonView(out) if as_json else _TerminalView(out, f"{lesson.id} · step {step.index}")
    try:
        final: Event | None = None
        params = {**step.params, **overrides}
        if processes > 1:  # the same engine under torchrun; rank 0's events come back here
            from engines.training import distributed

            events = distributed.launch(step.engine, params, processes, choice, str(root), ctl)
        else:
            events = run_engine(spec, params, ctl)
        for event in events:
            if recorder is not None:
                recorder.write(event)  # before showing it: a killed run keeps what it showed
            if table is not None:
                table.add(event)
            view.show(event)
            final = event
    finally:
        signal.signal(signal.SIGINT, previous)
        view.close()
        if recorder is not None:
            recorder.close()
            if recorder.error:
                print(f"tui-lab: warning: {recorder.error}", file=sys.stderr)
        if table is not None:
            table.write()  # also after Ctrl+C: the rows so far
    return _exit_status(final)


class CsvTable:
    """The data behind a run's plots: one row per progress or evaluation event.

    Columns: type, step, epoch, loss, lr, samples_per_s, then every engine value and
    metric that appeared (blank where an event has none). Written once at the end,
    atomically, so the file is never half a table.
    """

    FIXED = ["type", "step", "epoch", "loss", "lr", "samples_per_s"]

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []
        self.extra: dict[str, None] = {}
        self.step = 0

    def add(self, event: Event) -> None:
        if isinstance(event, Progress):
            self.step = event.step
            row = {"type": "progress", "step": event.step, "epoch": event.epoch, "loss": event.loss,
                   "lr": event.lr, "samples_per_s": event.samples_per_s, **event.values}
        elif isinstance(event, Evaluated):
            row = {"type": "evaluated", "step": self.step, "epoch": event.epoch,
                   **{k: v for k, v in event.metrics.items() if isinstance(v, (int, float, str))}}
        else:
            return
        self.extra.update(dict.fromkeys(k for k in row if k not in self.FIXED))
        self.rows.append(row)

    def write(self) -> None:
        import csv
        import io

        from tui_lab.progress import atomic_write_text

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, self.FIXED + list(self.extra), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(self.rows)
        try:
            atomic_write_text(self.path, buffer.getvalue())
        except OSError as error:
            print(f"tui-lab: warning: {self.path} could not be written: {error.strerror or error}.", file=sys.stderr)


def _exit_status(final: Event | None) -> int:
    if isinstance(final, Failed):
        return EXIT_FAILED
    if isinstance(final, Finished) and final.reason == "diverged":
        return EXIT_DIVERGED
    if isinstance(final, Finished) and final.reason == "stopped":
        return EXIT_INTERRUPTED
    return EXIT_OK


def _recorder(path: str | None, lesson: Lesson, step, spec, params: dict[str, Any], device: str) -> Recorder | None:
    if path is None:
        return None
    from tui_lab import __version__

    try:
        return Recorder(path, lesson=lesson.id, step=step.index, engine=step.engine, params=spec.config(params),
                        device=device, lab_version=__version__)
    except RecordingError as error:
        raise UsageError(str(error)) from None


def cmd_replay(source: str, speed: float, as_json: bool, out: IO[str]) -> int:
    """Play a recording back: ``--json`` prints the lines ``run --json`` printed, else
    the same progress view as ``run``. Exit statuses as for the run it recorded."""
    try:
        recording = read_recording(locate(source))
    except RecordingError as error:
        raise UsageError(str(error)) from None
    if recording.note:
        print(f"tui-lab: note: {recording.note}", file=sys.stderr)
    header = recording.header
    if as_json:
        view: _JsonView | _TerminalView = _JsonView(out)
    else:
        pace = "as fast as possible" if not speed else ("at the recorded pace" if speed == 1 else f"at {speed:g}× speed")
        out.write(f"Replay of {recording.path.name}, recorded {header['recorded_at']} on {header['device']}, {pace}.\n")
        step = f" · step {header['step']}" if header["step"] is not None else ""
        view = _TerminalView(out, f"{header['lesson'] or header['engine']}{step} (replay)")
    try:
        for event in replay_events(recording, speed):
            view.show(event)
    except KeyboardInterrupt:
        view.close()
        print("\nReplay stopped.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        view.close()
    if recording.final is None:
        print(f"tui-lab: note: {recording.path} ends before the run did (it was stopped or killed while recording).",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return _exit_status(recording.final)


def _processes(nproc: str | None, engine: str, device: str) -> int:
    """``--nproc``: how many processes to train in (1 when not given), or a UsageError."""
    if nproc is None:
        return 1
    from engines.training.distributed import LaunchError, check_nproc

    try:
        return check_nproc(nproc, engine, device)
    except LaunchError as error:
        raise UsageError(str(error)) from None


def _stop_on_ctrl_c(ctl: Control):
    """First Ctrl+C stops the run cleanly (partial results kept); a second one aborts."""

    def handler(signum, frame):
        if ctl.stop_requested:
            raise KeyboardInterrupt
        ctl.stop()
        print("\nStopping… (Ctrl+C again to abort at once)", file=sys.stderr)

    return signal.signal(signal.SIGINT, handler)


class _JsonView:
    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def show(self, event: Event) -> None:
        self.out.write(to_json(event) + "\n")
        self.out.flush()

    def close(self) -> None:
        pass


class _TerminalView:
    """A progress bar on a terminal; plain lines when output is piped."""

    def __init__(self, out: IO[str], title: str) -> None:
        from rich.console import Console

        self.console = Console(file=out, highlight=False)
        self.title = title
        self.progress = None
        self.task = None
        self.download_bar = None
        self.download_tasks: dict[str, int] = {}

    def show(self, event: Event) -> None:
        if isinstance(event, Artifact):
            self._artifact(event)
            return
        if isinstance(event, Started):
            self._end_download()
            self.console.print(f"{self.title}: {_config_text(event.config)} on {event.device}")
            if self.console.is_terminal:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn

                self.progress = Bar(
                    TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[status]}"), TimeRemainingColumn(), console=self.console,
                )
                self.progress.start()
                self.task = self.progress.add_task("run", total=event.total_steps or None, status="")
        elif isinstance(event, Progress) and self.progress is not None:
            status = f"loss {event.loss:.6g}" + (
                f" · {event.samples_per_s:,.0f}/s" if event.samples_per_s else ""
            )
            self.progress.update(self.task, completed=event.step, status=status)
        elif isinstance(event, Evaluated):
            self.console.print(f"epoch {event.epoch}: " + _config_text(event.metrics))
        elif isinstance(event, Finished):
            self.close()
            summary = event.summary
            message = summary.get("message") or f"Run {event.reason}: {summary.get('steps', 0)} steps in {summary.get('seconds', 0):.2f} s."
            self.console.print(message)
        elif isinstance(event, Failed):
            self.close()
            self.console.print(f"Error: {event.message}")
            if event.hint:
                self.console.print(event.hint)

    def _artifact(self, event: Artifact) -> None:
        if event.kind == "download":
            self._download(event.payload)
        elif event.kind == "note":
            self._print(str(event.payload))
        elif event.kind in NOTES:
            self._print(NOTES[event.kind](event.payload))

    def _print(self, text: str) -> None:
        (self.progress.console if self.progress is not None else self.console).print(text)

    def _download(self, payload: dict) -> None:
        """A terminal bar per downloading file (only on a terminal; piped output stays quiet)."""
        if not self.console.is_terminal:
            return
        from rich.progress import BarColumn, DownloadColumn, Progress as Bar, TextColumn, TransferSpeedColumn

        if self.download_bar is None:
            self.download_bar = Bar(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                    TransferSpeedColumn(), console=self.console)
            self.download_bar.start()
            self.download_tasks = {}
        name = payload.get("file", "data")
        if name not in self.download_tasks:
            self.download_tasks[name] = self.download_bar.add_task(f"downloading {name}", total=payload.get("total_bytes"))
        self.download_bar.update(self.download_tasks[name], completed=payload.get("done_bytes", 0),
                                 total=payload.get("total_bytes"))

    def _end_download(self) -> None:
        if self.download_bar is not None:
            self.download_bar.stop()
            self.download_bar = None

    def close(self) -> None:
        self._end_download()
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _config_text(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        if isinstance(value, float):
            value = f"{value:.6g}"
        elif isinstance(value, (list, dict)):
            continue
        parts.append(f"{key}={value}")
    return " ".join(parts)


def cmd_check(catalog: Catalog, lesson_ids: list[str], junit: str | None, device: str, out: IO[str]) -> int:
    lessons = [find_lesson(catalog, i) for i in lesson_ids] if lesson_ids else catalog.lessons
    cases: list[CheckCase] = []
    for problem in catalog.problems:
        case = CheckCase(problem.path.parent.name, "load", False, str(problem))
        cases.append(case)
        out.write(f"FAIL {case.lesson}: {case.message}\n")
    for lesson in lessons:
        for case in check_lesson(lesson, device=device):
            cases.append(case)
            mark = "ok  " if case.ok else "FAIL"
            out.write(f"{mark} {case.lesson}: {case.name}" + (f" — {case.message}" if case.message else "") + "\n")
            out.flush()
    failed = sum(not c.ok for c in cases)
    out.write(f"{len(cases) - failed} passed, {failed} failed\n")
    if junit:
        write_junit(cases, Path(junit))
    return EXIT_FAILED if failed else EXIT_OK


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def doctor_report(catalog: Catalog, device: str, data_dir: str | None) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("platform", platform.platform()),
    ]
    for package in ("tui-lab", "textual", "textual-plotext", "plotext", "numpy", "torch", "torchvision"):
        rows.append((package, _version(package)))
    try:
        chosen = detect(device)
        rows.append(("device", f"{chosen.label} (from --device {device})"))
    except DeviceError as error:
        rows.append(("device", f"problem: {error}"))
    except ImportError as error:
        rows.append(("device", f"torch cannot be imported: {error}"))
    try:
        rows.append(("devices", ", ".join(d.label for d in available())))
    except ImportError:
        pass
    root, origin = resolve_data_root(data_dir)
    state = "exists" if root.is_dir() else "does not exist yet"
    if root.is_dir():
        state += ", writable" if os.access(root, os.W_OK) else ", read-only"
    rows.append(("data root", f"{root} ({origin}; {state})"))
    size = shutil.get_terminal_size((0, 0))
    rows.append(("terminal", f"TERM={os.environ.get('TERM', '')!s} COLORTERM={os.environ.get('COLORTERM', '')!s} "
                             f"size={size.columns}x{size.lines} tty={sys.stdout.isatty()}"))
    rows.append(("colour", "off (NO_COLOR is set)" if os.environ.get("NO_COLOR") else "on"))
    rows.append(("ssh", "yes (animations off)" if _over_ssh() else "no"))
    rows.append(("lessons", f"{len(catalog.lessons)} loaded, {len(catalog.problems)} with problems"))
    for problem in catalog.problems:
        rows.append(("lesson problem", str(problem)))
    return rows


def _over_ssh() -> bool:
    return bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))


def cmd_doctor(catalog: Catalog, device: str, data_dir: str | None, out: IO[str]) -> int:
    rows = doctor_report(catalog, device, data_dir)
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        out.write(f"{key:<{width}}  {value}\n")
    return EXIT_OK
