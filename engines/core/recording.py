"""Recordings of engine runs: write them while a run goes, read them back, replay them.

A recording is JSON lines (``.jsonl``). The first line is a header::

    {"format": "tui-lab recording", "version": 1, "lesson": "gradient-descent", "step": 5,
     "engine": "gd.iterate", "params": {...}, "device": "cpu · 2 threads",
     "recorded_at": "2025-01-01T12:00:00+00:00", "lab_version": "0.1.0"}

then one line per event: ``{"t": 0.0123, ...}``, where ``t`` is seconds since the header
was written and the rest is exactly the event's flat JSON (``events.to_json``), so
``t`` is a reserved name for engine values. Progress arrives one event per line:
``ProgressBatch`` is how the worker talks to the UI, not part of a recording.

The recorder writes straight to the final path, header first, one flushed line per
event, rather than to a temporary file renamed at the end: a run stopped with Ctrl+C,
killed, or cut short by a full disk still leaves a recording of everything up to that
moment, and a last line cut off mid-write is skipped by ``read_recording`` with a note.
(Checkpoints are written atomically because a half-written one is useless; a recording
is a log, and its prefix is worth keeping.)

Playing back: ``Player`` says which events are due at the replay's current position
(for a host that polls it from a timer and can pause or change speed); ``replay_events``
is the blocking form for scripts and ``tui-lab replay``.
"""

from __future__ import annotations

import json
import math
import sysconfig
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Mapping, Union

from engines.core.events import (EVENT_TYPES, FINISH_REASONS, Event, Failed, Finished, Progress, ProgressBatch,
                                 Started, from_dict, to_json)
from lab_i18n import _

FORMAT = "tui-lab recording"
VERSION = 1
HEADER_KEYS = ("lesson", "step", "engine", "params", "device", "recorded_at", "lab_version")
SUFFIX = ".jsonl"
# Times are written to 0.1 ms: finer is noise, and it keeps files small.
TIME_DECIMALS = 4
# Clock readings that differ by less than this count as the same instant (float rounding).
_EPSILON = 1e-9

Speed = Union[float, int, str]


class RecordingError(Exception):
    """A recording that cannot be written or read; the message is one sentence."""


class Recorder:
    """Writes one run to ``path`` as it happens; use as a context manager or call close().

    ``write`` never raises for a full disk or a vanished folder: the run matters more
    than its recording. The recording then stops there (still readable) and ``error``
    says why, for the host to report.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        engine: str,
        params: Mapping[str, Any],
        device: str,
        lesson: str | None = None,
        step: int | None = None,
        lab_version: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.error: str | None = None
        self.events_written = 0
        self._clock = clock
        header = {
            "format": FORMAT, "version": VERSION, "lesson": lesson, "step": step, "engine": engine,
            "params": dict(params), "device": device,
            "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "lab_version": lab_version,
        }
        try:
            header_line = json.dumps(header, separators=(",", ":"))
        except (TypeError, ValueError) as error:
            raise RecordingError(_("The parameters of {engine} cannot be recorded: {error}.").format(engine=engine,
                                                                                                    error=error)) from None
        try:
            # Line-buffered: each event reaches the file as soon as it is written.
            self._file: IO[str] | None = open(self.path, "w", encoding="utf-8", buffering=1)
        except OSError as error:
            raise RecordingError(_("Cannot write the recording {path}: {reason}.").format(
                path=self.path, reason=error.strerror or error)) from None
        try:
            self._file.write(header_line + "\n")
        except OSError as error:
            self._file.close()
            raise RecordingError(_("Cannot write the recording {path}: {reason}.").format(
                path=self.path, reason=error.strerror or error)) from None
        self._start = clock()

    def write(self, event: Event | ProgressBatch) -> None:
        if self._file is None:
            return
        t = round(self._clock() - self._start, TIME_DECIMALS)
        events = event.events() if isinstance(event, ProgressBatch) else [event]
        text = "".join(_event_line(t, one) + "\n" for one in events)  # a batch: one write, one flush
        try:
            self._file.write(text)
            self.events_written += len(events)
        except OSError as error:
            self.error = _("The recording {path} stopped after {count} events: {reason}.").format(
                path=self.path, count=self.events_written, reason=error.strerror or error)
            self.close()

    def close(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            try:
                file.close()
            except OSError as error:  # the last buffered bytes could not be written
                self.error = self.error or _("The recording {path} could not be finished: {reason}.").format(
                    path=self.path, reason=error.strerror or error)

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _event_line(t: float, event: Event) -> str:
    for bucket in (getattr(event, "values", None), getattr(event, "metrics", None)):
        if isinstance(bucket, dict) and "t" in bucket:
            raise ValueError(f"a {event.type} event has a value named 't', which recordings reserve for time")
    # to_json's object with "t" put in front: exactly the event's flat JSON plus the time.
    return '{"t":' + json.dumps(t) + "," + to_json(event)[1:]


@dataclass(frozen=True)
class Recording:
    """A recording read back. Unpacks as ``header, events = read_recording(path)``."""

    path: Path
    header: dict[str, Any]
    events: list[tuple[float, Event]]
    note: str | None = None  # set when a cut-off last line was skipped

    def __iter__(self) -> Iterator[Any]:
        return iter((self.header, self.events))

    @property
    def duration(self) -> float:
        return self.events[-1][0] if self.events else 0.0

    @property
    def final(self) -> Finished | Failed | None:
        """The run's ending, or None when the recording stops before it (a killed run)."""
        if self.events and isinstance(self.events[-1][1], (Finished, Failed)):
            return self.events[-1][1]  # type: ignore[return-value]
        return None


def read_recording(path: str | Path) -> Recording:
    """Read and check a recording; RecordingError names the file and line of a problem."""
    path = Path(path)
    if not path.exists():
        raise RecordingError(_("No recording at {path}.").format(path=path))
    if path.is_dir():
        raise RecordingError(_("{path} is a folder, not a recording.").format(path=path))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RecordingError(_("Cannot read the recording {path}: {reason}.").format(
            path=path, reason=error.strerror or error)) from None
    if not data.strip():
        raise RecordingError(_("{path} is empty; a recording starts with a header line.").format(path=path))
    lines = data.split(b"\n")
    # A file that ends with a newline splits into a last, empty piece; one that does not
    # ends with a line the writer did not finish (if it does not parse).
    unfinished = lines.pop()
    numbered = [(number, line, True) for number, line in enumerate(lines, 1)]
    if unfinished.strip():
        numbered.append((len(lines) + 1, unfinished, False))

    header = _read_header(path, numbered[0])
    events: list[tuple[float, Event]] = []
    note = None
    last_t = 0.0
    for number, raw, complete in numbered[1:]:
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            if not complete:
                note = _("{path}: the last line (line {line}) was cut off mid-write and is skipped.").format(
                    path=path, line=number)
                break
            raise RecordingError(f"{path}, line {number}: not valid JSON ({_reason(error)}).") from None
        t, event = _parse_event(path, number, obj)
        if t < last_t:
            raise RecordingError(f"{path}, line {number}: time goes backwards (t={t:g} after t={last_t:g}).")
        last_t = t
        events.append((t, event))
    return Recording(path, header, events, note)


def _read_header(path: Path, first: tuple[int, bytes, bool]) -> dict[str, Any]:
    raw, complete = first[1:]
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RecordingError((_("{path}, line 1: not a TUI Lab recording; its first line must be the header.")
                              if complete else
                              _("{path}, line 1: not a TUI Lab recording (it was cut off before the header was "
                                "complete); its first line must be the header.")).format(path=path))
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RecordingError(f"{path}, line 1: the header's version must be a whole number, not {version!r}.")
    if version > VERSION:
        raise RecordingError(_("{path}, line 1: this recording has format version {version}, newer than this TUI Lab "
                               "reads ({newest}); update TUI Lab to replay it.").format(path=path, version=version,
                                                                                       newest=VERSION))
    missing = [key for key in HEADER_KEYS if key not in header]
    if missing:
        raise RecordingError(f"{path}, line 1: the header lacks {', '.join(map(repr, missing))}.")
    if not isinstance(header["engine"], str) or not isinstance(header["params"], dict):
        raise RecordingError(f"{path}, line 1: the header's engine must be a name and its params an object.")
    return header


def _parse_event(path: Path, number: int, obj: Any) -> tuple[float, Event]:
    where = f"{path}, line {number}"
    if not isinstance(obj, dict):
        raise RecordingError(f"{where}: an event must be a JSON object, not {type(obj).__name__}.")
    t = obj.pop("t", None)
    if not _is_number(t) or not math.isfinite(t) or t < 0:
        raise RecordingError(f"{where}: 't' (seconds since the start) must be a number of at least 0, not {t!r}.")
    kind = obj.get("type")
    if kind == ProgressBatch.type:
        raise RecordingError(f"{where}: progress_batch lines are the worker's transport, not recording events.")
    if kind not in EVENT_TYPES:
        raise RecordingError(f"{where}: unknown event type {kind!r}.")
    try:
        event = from_dict(obj)
    except (TypeError, ValueError) as error:  # missing fields, or a loss that is no number
        raise RecordingError(f"{where}: not a valid {kind} event ({error}).") from None
    problem = _field_problem(event)
    if problem:
        raise RecordingError(f"{where}: {problem}.")
    return float(t), event


def _field_problem(event: Event) -> str | None:
    """The few field types the views rely on; the rest is the engine's business."""
    if isinstance(event, Progress):
        if not isinstance(event.step, int) or not _is_number(event.loss):
            return f"a progress event needs a whole-number step and a numeric loss, not {event.step!r} and {event.loss!r}"
    elif isinstance(event, Started):
        if not isinstance(event.config, dict) or not isinstance(event.total_steps, int):
            return "a started event needs a config object and a whole-number total_steps"
    elif isinstance(event, Finished):
        if event.reason not in FINISH_REASONS or not isinstance(event.summary, dict):
            return f"a finished event's reason must be one of {', '.join(FINISH_REASONS)}, not {event.reason!r}"
    elif isinstance(event, Failed) and not isinstance(event.message, str):
        return "a failed event's message must be text"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at column {error.colno}"
    return "it is not UTF-8 text"


def parse_speed(value: Speed) -> float:
    """1 = the recorded timing, 10 = ten times faster, 0 or "max" = as fast as possible."""
    text = str(value).strip().lower()
    if text == "max":
        return 0.0
    try:
        speed = float(text.removesuffix("x"))
    except ValueError:
        speed = -1.0
    if math.isnan(speed) or speed < 0:
        raise ValueError(_("the speed must be a number of at least 0 (1 = as recorded, 10 = ten times faster) or max, "
                           "not {given}").format(given=repr(str(value))))
    return 0.0 if math.isinf(speed) else speed


class Player:
    """Where a replay stands, in recording time; poll ``due()`` from a timer.

    Position advances with ``clock`` times the speed, stands still while paused, and a
    speed change takes effect from the current position. Speed 0 means as fast as
    possible: every remaining event is due at once.
    """

    def __init__(self, recording: Recording | Iterable[tuple[float, Event]], speed: Speed = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.events: list[tuple[float, Event]] = list(
            recording.events if isinstance(recording, Recording) else recording)
        self._clock = clock
        self._speed = parse_speed(speed)
        self._next = 0
        self._paused = False
        self._anchor_position = 0.0
        self._anchor_clock = clock()

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: Speed) -> None:
        new = parse_speed(value)
        self._rebase()
        self._speed = new

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def done(self) -> bool:
        return self._next >= len(self.events)

    @property
    def duration(self) -> float:
        return self.events[-1][0] if self.events else 0.0

    @property
    def position(self) -> float:
        """Seconds into the recording (at max speed: the time of the last event given out)."""
        if not self._speed:
            return self.events[self._next - 1][0] if self._next else 0.0
        if self._paused:
            return self._anchor_position
        return self._anchor_position + (self._clock() - self._anchor_clock) * self._speed

    def pause(self) -> None:
        if not self._paused:
            self._rebase()
            self._paused = True

    def resume(self) -> None:
        if self._paused:
            self._anchor_clock = self._clock()
            self._paused = False

    def due(self) -> list[Event]:
        """The events whose time has come since the last call (none while paused)."""
        if self._paused:
            return []
        limit = math.inf if not self._speed else self.position + _EPSILON
        start = self._next
        while self._next < len(self.events) and self.events[self._next][0] <= limit:
            self._next += 1
        return [event for _t, event in self.events[start:self._next]]

    def wait(self) -> float | None:
        """Real seconds until the next event is due: 0 if one is due now, None if none
        will come (finished, or paused)."""
        if self.done or self._paused:
            return None
        if not self._speed:
            return 0.0
        ahead = self.events[self._next][0] - self.position
        return ahead / self._speed if ahead > _EPSILON else 0.0

    def _rebase(self) -> None:
        self._anchor_position = self.position
        self._anchor_clock = self._clock()


def replay_events(
    recording: Recording | Iterable[tuple[float, Event]],
    speed: Speed = 1.0,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Any] = time.sleep,
) -> Iterator[Event]:
    """Yield the recorded events at their times divided by ``speed`` (0 or "max": no waiting).

    Waits are measured against ``clock``, so time spent by the consumer is not added to
    them. If ``sleep`` returns something true the replay ends there: pass a
    ``threading.Event``'s ``wait`` to make it stoppable from another thread.
    """
    player = Player(recording, speed, clock=clock)
    while not player.done:
        wait = player.wait()
        if wait and sleep(wait):
            return
        yield from player.due()


def shipped_recordings() -> list[Path]:
    """The recordings that come with the lab, by name: ``recordings/`` of a source
    checkout, else where an installed package put them (share/tui-lab/recordings)."""
    for folder in (Path(__file__).resolve().parents[2] / "recordings",
                   Path(sysconfig.get_path("data")) / "share" / "tui-lab" / "recordings"):
        if folder.is_dir():
            found = sorted(folder.glob("*" + SUFFIX))
            if found:
                return found
    return []


def locate(name_or_path: str | Path) -> Path:
    """A path as given if it exists, else the shipped recording of that name (with or
    without ``.jsonl``); RecordingError lists the shipped ones when neither exists."""
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = shipped_recordings()
    for candidate in shipped:
        if str(name_or_path) in (candidate.name, candidate.stem):
            return candidate
    names = ", ".join(p.stem for p in shipped) or _("none")
    raise RecordingError(_("No recording at {path} (shipped recordings: {names}).").format(path=path, names=names))
