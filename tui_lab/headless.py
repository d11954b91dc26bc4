"""The lab without its UI: ``list``, ``run`` and ``replay`` for scripts and CI.

This is a stable command-line contract (see the README's "Headless" section and the exit
statuses in ``tui_lab.contract``). ``check`` and ``doctor`` are in ``tui_lab.checkup``.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import signal
import sys
from pathlib import Path
from typing import IO, Any, Callable

from engines.core import registry
from engines.core.data_root import resolve_data_root
from engines.core.device import DeviceError, cpu_device, detect, parse_device
from engines.core.events import Event, Failed, Finished
from engines.core.params import ParamError, current_names
from engines.core.recording import Recorder, RecordingError, locate, read_recording, replay_events
from engines.core.runtime import Control, EngineSpec, device_key, in_turn, run_validated
from lessons import Catalog, Lesson, Step
from tui_lab import __version__
from tui_lab.contract import (EXIT_DIVERGED, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageError, find_lesson,
                              kind_name)
from tui_lab import slurm_run
from tui_lab.run_output import CsvTable, JsonView, TerminalView, lesson_graphs
from lab_i18n import _, sentences


def cmd_list(catalog: Catalog, out: IO[str]) -> int:
    for lesson in catalog.lessons:
        out.write(f"{lesson.id}\t{lesson.title}\n")
    for problem in catalog.problems:
        print(_("warning: {problem}").format(problem=problem), file=sys.stderr)
    return EXIT_OK


def run_step(lesson: Lesson, step_number: int | None) -> Step:
    runs = [s for s in lesson.steps if s.kind == "run"]
    if not runs:
        raise UsageError(_("Lesson {lesson} has no run step.").format(lesson=repr(lesson.id)))
    if step_number is None:
        return lesson.step(lesson.run_step) if lesson.run_step else runs[0]
    if not 1 <= step_number <= len(lesson.steps):
        raise UsageError(_("Lesson {lesson} has steps 1–{last}, not {step}.").format(
            lesson=repr(lesson.id), last=len(lesson.steps), step=step_number))
    step = lesson.step(step_number)
    if step.kind != "run":
        numbers = ", ".join(str(s.index) for s in runs)
        raise UsageError(_("Step {step} of {lesson} is a {kind} step; its run steps are: {numbers}.").format(
            step=step_number, lesson=repr(lesson.id), kind=kind_name(step.kind), numbers=numbers))
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
    graph: bool = False,
) -> int:
    lesson = find_lesson(catalog, lesson_id)
    if slurm_run.relays(runs := _class_runs()):  # through srun: the same command, inside the job
        return slurm_run.cmd_run(runs, lesson, step_number, overrides, device, data_dir, as_json, out, record=record,
                                 nproc=nproc, csv_path=csv_path, graph=graph)
    step = run_step(lesson, step_number)
    spec = registry.engine(step.engine)
    root = resolve_data_root(data_dir)[0]
    overrides = renamed(spec, overrides)
    params = with_default_dataset(spec, {**step.params, **overrides}, root)
    config = run_config(spec, params)  # refused before anything starts
    try:
        choice = parse_device(device)  # a misspelt device is refused even for NumPy engines
        info = detect(choice) if spec.needs_torch else cpu_device()
    except DeviceError as error:
        raise UsageError(str(error)) from None
    processes = _processes(nproc, step.engine, choice)
    recorder = _recorder(record, lesson, step, config, info.label)
    table = CsvTable(Path(csv_path)) if csv_path else None
    ctl = Control(device=info, data_dir=str(root))
    previous = _stop_on_ctrl_c(ctl)
    rerun = rerun_command(lesson.id, step_number, overrides, device, data_dir)
    graphs = lesson_graphs(lesson, config.get("variant", 0)) if graph else None  # --graph: draw the lesson's graphs
    title = _("{lesson} · step {step}").format(lesson=lesson.id, step=step.index)
    view = JsonView(out) if as_json else TerminalView(out, title, rerun, graphs=graphs)
    try:
        final: Event | None = None
        if processes > 1:  # the same engine under torchrun; rank 0's events come back here
            from engines.training import distributed

            events = in_turn(runs, device_key(info), ctl,
                             lambda: distributed.launch(step.engine, config, processes, choice, str(root), ctl))
        else:  # waits for its turn when the class limits runs at once, then sets the device up
            events = run_validated(spec, config, ctl, runs=runs)
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
                print("tui-lab: " + _("warning: {problem}").format(problem=recorder.error), file=sys.stderr)
        if table is not None:
            table.write()  # also after Ctrl+C: the rows so far
    return _exit_status(final)


def _class_runs():
    """The class settings (``[runs]`` of the settings file); their problems on stderr."""
    from tui_lab.config import load_config

    runs = load_config().runs
    for problem in runs.problems:
        print("tui-lab: " + _("warning: {problem}").format(problem=problem), file=sys.stderr)
    return runs


def renamed(spec: EngineSpec, overrides: dict[str, str]) -> dict[str, str]:
    """``--param`` under today's names; a former name works and gets a note on stderr."""
    try:
        overrides, notes = current_names(spec.params, overrides)
    except ParamError as error:
        raise UsageError(str(error)) from None
    for note in notes:
        print("tui-lab: " + _("note: {note}").format(note=note), file=sys.stderr)
    return overrides


def with_default_dataset(spec: EngineSpec, params: dict[str, Any], root: Path) -> dict[str, Any]:
    """An MNIST run without ``dataset`` trains on what is on this computer, as the lab's
    form does; the choice is said once on stderr (stdout stays the run's, for --json)."""
    if spec.name != "mnist" or "dataset" in params:
        return params
    from engines.mnist.data import default_dataset

    name, sentence = default_dataset(root)
    print("tui-lab: " + _("note: {note}").format(note=sentences(f"dataset={name}.", sentence)), file=sys.stderr)
    return {**params, "dataset": name}


def rerun_command(lesson_id: str, step_number: int | None, overrides: dict[str, str], device: str,
                  data_dir: str | None) -> Callable[[dict[str, Any]], str]:
    """The command line that reruns this run with some parameters changed (a failure's
    alternative), as one copyable line."""

    def command(changes: dict[str, Any]) -> str:
        words = ["tui-lab", "run", lesson_id]
        if step_number is not None:
            words += ["--step", str(step_number)]
        for name, value in {**overrides, **changes}.items():
            words += ["--param", f"{name}={value}"]
        if device != "auto":
            words += ["--device", device]
        if data_dir:
            words += ["--data-dir", data_dir]
        return shlex.join(words)

    return command


def run_config(spec: EngineSpec, params: dict[str, Any]) -> dict[str, Any]:
    """The run's one validated configuration, for the recorder, the launcher and the engine;
    a refused value is a UsageError that lists the valid parameter names."""
    try:
        return spec.config(params)
    except ParamError as error:
        text = str(error)
        if not all(p.name in text for p in spec.params):  # a refused value: say which names there are
            text = sentences(text, _("Valid parameters: {parameters}.").format(
                parameters=", ".join(p.name for p in spec.params)))
        raise UsageError(text) from None


def _exit_status(final: Event | None) -> int:
    if isinstance(final, Failed):
        return EXIT_FAILED
    if isinstance(final, Finished) and final.reason == "diverged":
        return EXIT_DIVERGED
    if isinstance(final, Finished) and final.reason == "stopped":
        return EXIT_INTERRUPTED
    return EXIT_OK


def _recorder(path: str | None, lesson: Lesson, step: Step, config: dict[str, Any], device: str) -> Recorder | None:
    if path is None:
        return None
    try:
        return Recorder(path, lesson=lesson.id, step=step.index, engine=step.engine, params=config,
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
        print("tui-lab: " + _("note: {note}").format(note=recording.note), file=sys.stderr)
    header = recording.header
    if as_json:
        view: JsonView | TerminalView = JsonView(out)
    else:
        replay = (_("Replay of {file}, recorded {when} on {device}, as fast as possible.") if not speed else
                  _("Replay of {file}, recorded {when} on {device}, at the recorded pace.") if speed == 1 else
                  _("Replay of {file}, recorded {when} on {device}, at {speed}× speed."))
        out.write(replay.format(file=recording.path.name, when=header["recorded_at"], device=header["device"],
                                speed=f"{speed:g}") + "\n")
        what = header["lesson"] or header["engine"]
        title = (_("{lesson} · step {step} (replay)") if header["step"] is not None else _("{lesson} (replay)"))
        view = TerminalView(out, title.format(lesson=what, step=header["step"]))
    try:
        with signal_aware_sleep() as sleep:
            for event in replay_events(recording, speed, sleep=sleep):
                view.show(event)
    except KeyboardInterrupt:
        view.close()
        print("\n" + _("Replay stopped."), file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        view.close()
    if recording.final is None:
        print("tui-lab: " + _("note: {file} ends before the run did (it was stopped or killed while recording).")
              .format(file=recording.path), file=sys.stderr)
        return EXIT_INTERRUPTED
    return _exit_status(recording.final)


@contextlib.contextmanager
def signal_aware_sleep():
    """A sleep that Ctrl+C always cuts short. ``time.sleep`` misses a signal that lands just
    before it starts (the handler then waits for the sleep to end: an hour-long gap in a
    recording ignored Ctrl+C for an hour); here every signal also writes to a pipe that the
    sleep watches, so a signal that came early ends the next wait at once."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)

    def sleep(seconds: float) -> None:
        ready = select.select([read_end], [], [], seconds)[0]
        if ready:
            os.read(read_end, 512)  # a signal came: its handler runs as this returns

    previous = signal.set_wakeup_fd(write_end)
    try:
        yield sleep
    finally:
        signal.set_wakeup_fd(previous)
        os.close(read_end)
        os.close(write_end)


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
        print("\n" + _("Stopping… (Ctrl+C again to abort at once)"), file=sys.stderr)

    return signal.signal(signal.SIGINT, handler)
