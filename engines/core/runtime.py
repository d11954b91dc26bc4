"""How an engine is described, controlled and run, whatever hosts it.

An engine is an ``EngineSpec``: its editable parameters and a generator function
``run(config, ctl)`` that yields events and looks at ``ctl`` once per step. The same
``run_engine`` drives it in-process (tests, ``tui-lab run``), in the UI's worker process
and under torchrun; it turns exceptions into ``Failed`` events with a human sentence and
guarantees every run ends with exactly one terminal event. ``run_validated`` is the same
for a host that validated the configuration itself, to refuse bad values up front.

A host that hands them the class settings (``runs``) gets a run that first waits for its
turn on its device (``Queued`` events, see ``engines.core.admission``), then sets the device
up (threads, the GPU and its memory share) — after the wait, so a waiting run holds no GPU.
"""

from __future__ import annotations

import math
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from engines.core.class_settings import RunSettings
from engines.core.events import Artifact, Event, Failed, Finished, Progress, Started
from engines.core.params import Param, ParamError, validate
from lab_i18n import _, sentences

RunFunction = Callable[[dict[str, Any], "Control"], Iterator[Event]]


@dataclass(frozen=True)
class EngineSpec:
    name: str
    title: str
    params: tuple[Param, ...]
    run: RunFunction
    needs_torch: bool = False
    # Small overrides that make a quick but real run, used by ``tui-lab check``.
    smoke: Mapping[str, Any] = field(default_factory=dict)
    # Values a live command may change while the engine runs (e.g. ``lr`` for ``set_lr``): the
    # one spec both the engine and the UI's live controls validate with.
    controls: tuple[Param, ...] = ()
    # For by-hand engines with a ``variant`` param: variant → the values of other params that
    # the lesson uses for that variant (its α, θ₀, …), taken where the run does not set them.
    variant_defaults: Callable[[int], Mapping[str, Any]] | None = None
    # Whether its runs wait for their turn on a shared machine (``runs.per_device``). An engine
    # that serves a step for as long as it is open (the drawing pad) would hold a place all along.
    takes_turn: bool = True

    def control(self, name: str) -> Param | None:
        return next((p for p in self.controls if p.name == name), None)

    def config(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        config = validate(self.params, overrides, owner=self.name)
        if self.variant_defaults is not None and "variant" in config:
            lesson = self.variant_defaults(config["variant"])
            config.update({name: value for name, value in lesson.items() if name not in overrides})
        return config


class Control:
    """The host's side of a running engine: stop, pause and live commands.

    Thread-safe: the host calls ``stop``/``send`` from another thread (the worker's
    stdin reader, a signal handler, the UI), the engine calls ``poll`` between steps.
    """

    def __init__(self, device: Any = None, data_dir: str | None = None, paused: bool = False) -> None:
        self.device = device  # a DeviceInfo, or None for engines that don't care
        self.data_dir = data_dir
        self._stop = threading.Event()
        self._gate = threading.Condition()
        self._paused = paused
        self._single_steps = 0  # steps allowed through while paused ("step" commands)
        self._commands: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def wait_stop(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a stop; whether one came."""
        return self._stop.wait(seconds)

    def stop(self) -> None:
        self._stop.set()
        with self._gate:
            self._gate.notify_all()  # a paused engine must wake up to notice the stop

    def send(self, command: Mapping[str, Any]) -> None:
        name = command.get("cmd")
        if name == "stop":
            self.stop()
            return
        with self._gate:
            if name == "pause":
                self._paused = True
            elif name == "resume":
                self._paused, self._single_steps = False, 0
            elif name == "step":  # one step, then paused again (watching a run step by step)
                if self._paused:
                    self._single_steps += 1
            else:
                self._commands.put(dict(command))
                return
            self._gate.notify_all()

    def data_root(self) -> Path:
        """Where this run's datasets are: the host's ``--data-dir``, else $TUI_LAB_DATA, else a cache."""
        from engines.core.data_root import resolve_data_root

        return resolve_data_root(self.data_dir)[0]

    @property
    def paused(self) -> bool:
        return self._paused

    def poll(self) -> list[dict[str, Any]]:
        """Wait while paused (letting "step" commands through one by one), then return
        the live commands sent since the last poll."""
        with self._gate:
            while self._paused and not self._single_steps and not self.stop_requested:
                self._gate.wait(timeout=0.5)
            if self._paused and self._single_steps:
                self._single_steps -= 1
        out = []
        while True:
            try:
                out.append(self._commands.get_nowait())
            except queue.Empty:
                return out


OUT_OF_MEMORY = "out_of_memory"  # ``Failed.reason`` when the GPU's or the computer's memory ran out


def _out_of_gpu_memory(exc: BaseException) -> bool:
    text = str(exc).lower()
    return type(exc).__name__ == "OutOfMemoryError" or ("out of memory" in text and ("cuda" in text or "mps" in text))


def explain_exception(exc: BaseException, runs: RunSettings | None = None,
                      checkpoint: str | None = None, saves: bool = False) -> Failed:
    """One sentence for the student and one hint, for the failures we can name. Running out
    of memory (the GPU's or the computer's: ``reason`` "out_of_memory" for both) also names
    the class settings in force (``runs``) and the run's last ``checkpoint``, or says there
    is none yet when the run writes checkpoints (``saves``)."""
    text = str(exc) or exc.__class__.__name__
    if _out_of_gpu_memory(exc) or isinstance(exc, MemoryError):
        gpu = not isinstance(exc, MemoryError)
        message = _("The GPU ran out of memory.") if gpu else _("The computer ran out of memory.")
        fix = _("Lower batch_size (halve it) or choose a smaller model, then run again.") if gpu else \
            _("Lower batch_size or use a smaller model.")
        kept = _("Your last checkpoint is kept: {path}.").format(path=checkpoint) if checkpoint else \
            _("This run had written no checkpoint yet.") if saves else ""
        return Failed(message, sentences(fix, _class_hint(runs) if gpu else "", kept), reason=OUT_OF_MEMORY)
    if isinstance(exc, OSError) and getattr(exc, "errno", None) == 28:
        return Failed(
            _("The disk is full: {file} could not be written.").format(file=getattr(exc, "filename", "") or _("a file")),
            _("Free some disk space or point --data-dir somewhere with room, then run again."),
        )
    if isinstance(exc, PermissionError):
        return Failed(
            _("Permission denied: {file}.").format(file=exc.filename or text),
            _("Choose a folder you can write to (for example with --data-dir)."),
        )
    return Failed(_("The engine stopped with an error: {error}: {text}").format(error=exc.__class__.__name__, text=text), "")


def _class_hint(runs: RunSettings | None) -> str:
    """The class settings that share the GPU, for a teacher to change."""
    if runs is None or (not runs.per_device and runs.memory_share is None):
        return ""
    share = f"{runs.memory_share:.0%}" if runs.memory_share is not None else ""
    if runs.per_device and runs.memory_share is not None:
        return _("This class shares each GPU among {count} runs at once (runs.per_device), each with {share} of its "
                 "memory (runs.memory_share): fewer runs at once or a larger share leaves each run more.").format(
            count=runs.per_device, share=share)
    if runs.per_device:
        return _("This class shares each GPU among {count} runs at once (runs.per_device): fewer runs at once "
                 "leaves each run more memory.").format(count=runs.per_device)
    return _("This class gives each run {share} of the GPU's memory (runs.memory_share): a larger share leaves "
             "the run more.").format(share=share)


def run_engine(
    spec: EngineSpec,
    overrides: Mapping[str, Any],
    ctl: Control | None = None,
    log_traceback: bool = False,
    runs: RunSettings | None = None,
) -> Iterator[Event]:
    """Validate, run and police one engine run; always ends with Finished or Failed."""
    try:
        config = spec.config(overrides)
    except ParamError as error:
        yield Failed(str(error), _valid_params_hint(spec))
        return
    yield from run_validated(spec, config, ctl, log_traceback, runs)


def run_validated(
    spec: EngineSpec,
    config: dict[str, Any],
    ctl: Control | None = None,
    log_traceback: bool = False,
    runs: RunSettings | None = None,
) -> Iterator[Event]:
    """Run and police one engine run of a configuration ``spec.config`` returned (a host
    that validated it already, to refuse bad values up front); ends as ``run_engine`` does.
    ``runs``: the class settings (see the module's docstring)."""
    ctl = ctl or Control()
    if runs is None:
        yield from _policed(spec, config, ctl, log_traceback, None)
        return

    def start() -> Iterator[Event]:
        if spec.needs_torch and ctl.device is not None:
            from engines.core.device import configure_torch

            configure_torch(ctl.device, runs.memory_share)
        return _policed(spec, config, ctl, log_traceback, runs)

    yield from in_turn(runs if spec.takes_turn else RunSettings(memory_share=runs.memory_share),
                       device_key(ctl.device), ctl, start)


def device_key(device: Any) -> str:
    """The device a run queues for: ``cuda:0``, ``mps`` or ``cpu``."""
    return getattr(device, "name", None) or "cpu"


def in_turn(runs: RunSettings, device: str, ctl: Control, start: Callable[[], Iterator[Event]]) -> Iterator[Event]:
    """``start()``'s events once it is this run's turn on ``device`` (``Queued`` events while it
    waits; none without a limit). Stopped while waiting: it ends as stopped, never started."""
    from engines.core.admission import Turn

    if not runs.per_device:
        yield from start()
        return
    turn = Turn(runs, device)
    try:
        try:
            admitted = yield from turn.wait(ctl.wait_stop)
        except OSError as error:  # a wrong queue folder never stops a run: it goes without waiting
            turn.release()
            admitted = True
            yield Artifact("note", _("This run did not wait for its turn: the queue folder {folder} cannot be used "
                                     "({reason}).").format(folder=runs.queue_dir, reason=error.strerror or error))
        if not admitted:
            yield Finished("stopped", {"steps": 0, "seconds": 0,
                                       "message": _("Cancelled while waiting for its turn; the run did not start.")})
            return
        yield from start()
    finally:
        turn.release()


def _policed(spec: EngineSpec, config: dict[str, Any], ctl: Control, log_traceback: bool,
             runs: RunSettings | None) -> Iterator[Event]:
    generator = spec.run(config, ctl)
    clock = _RunClock()
    checkpoint: str | None = None  # the last one the run wrote: named if it fails for want of memory
    try:
        for event in generator:
            clock.see(event)
            if isinstance(event, Artifact) and event.kind in ("checkpoint", "resumed") and isinstance(event.payload, dict):
                checkpoint = event.payload.get("path") or checkpoint
            diverged = _divergence(event, config)
            if diverged is not None:
                yield event
                yield clock.stamp(diverged)
                return
            if isinstance(event, Finished):
                yield clock.stamp(event)
                return
            yield event
            if isinstance(event, Failed):
                return
        yield clock.stamp(Finished("stopped" if ctl.stop_requested else "completed", {}))
    except ParamError as error:  # engines may refuse combinations of values late
        yield Failed(str(error), _valid_params_hint(spec))
    except Exception as exc:  # noqa: BLE001 - every failure becomes an event
        if log_traceback:  # the worker's stderr feeds the Output panel, for the curious
            traceback.print_exc()
        yield explain_exception(exc, runs, checkpoint, saves=_saves(config))
    finally:
        generator.close()


def _saves(config: Mapping[str, Any]) -> bool:
    """Whether the run writes checkpoints (the training engines' ``checkpoint`` setting: auto, off or a path)."""
    return config.get("checkpoint") not in (None, "", "off")


class _RunClock:
    """Counts steps and time from Started, so every Finished says how fast the run went."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.steps = 0

    def see(self, event: Event) -> None:
        if isinstance(event, Started):
            self.start = time.perf_counter()
        elif isinstance(event, Progress):  # the step number, not the number of points (step 0 is the start)
            self.steps = max(self.steps, event.step)

    def stamp(self, finished: Finished) -> Finished:
        seconds = time.perf_counter() - self.start
        timing = {"steps": self.steps, "seconds": round(seconds, 4)}
        if seconds > 0 and self.steps:
            timing["steps_per_s"] = round(self.steps / seconds, 1)
        return Finished(finished.reason, {**timing, **finished.summary})


def _valid_params_hint(spec: EngineSpec) -> str:
    listed = _("; ").join(f"{p.name} ({p.describe()})" for p in spec.params)
    return _("Valid parameters: {parameters}.").format(parameters=listed)


def _divergence(event: Event, config: Mapping[str, Any]) -> Finished | None:
    """A non-finite loss or value ends the run: it can only get worse from there."""
    if not isinstance(event, Progress):
        return None
    bad = [("loss", event.loss)] + list(event.values.items())
    for name, value in bad:
        if isinstance(value, float) and not math.isfinite(value):
            lr = config.get("lr")
            message = _("Stopped at step {step}: {name} became {value} — the updates grew without bound "
                        "(the run diverged).").format(step=event.step, name=name, value=value)
            if isinstance(lr, (int, float)):
                message = _("{sentence} Try a smaller learning rate than lr={lr}.").format(sentence=message,
                                                                                           lr=f"{lr:g}")
            return Finished("diverged", {"step": event.step, "message": message})
    return None
