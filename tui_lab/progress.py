"""A student's progress: each step's state and attempts, and where they left off.

A step is ``new``, ``seen``, ``revealed`` (the solution was shown) or ``solved``
(answered by the student); it only moves forward in that order, so a revealed step can
still be solved and a solved one stays solved. Attempts: ``tries`` (wrong or invalid
answers), ``slips`` (slip id → count), ``hints`` (hint tiers opened) and ``hinted``
(solved after a hint or a reveal), ``last_slip`` (the latest slip: id and time) and
``seconds`` (time spent on the step). Files from before these states say ``done`` (+ ``revealed``): they are
read as ``solved`` / ``revealed``. The learner's ``variant`` (which set of numbers the by-hand
lessons give them) is drawn once at random and kept at the top of the file.

Stored as JSON in the user's data dir (``TUI_LAB_HOME`` overrides it). Every change is
applied to a fresh read of the file under a lock and written atomically (temp file +
rename), so two lab windows never lose each other's progress and a crash never leaves
half a file. If the file cannot be written the lab keeps working and says so once.

A file that is there but cannot be read (half copied, not JSON) is never written over: it
is renamed beside itself to ``progress.json.unreadable-YYYYmmdd-HHMMSS`` and the store
starts afresh, saying so in ``notice``; where it cannot be renamed, the store keeps the
progress in memory only and leaves the file as it is.

A step's edited run settings (``params``) and a lesson's lab-wide choices are kept here
too; they are settings, not progress, so exports and the class share leave them out.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator
from lab_i18n import _

try:
    import fcntl
except ImportError:  # Windows: atomic rename still protects the file itself
    fcntl = None

ENV_HOME = "TUI_LAB_HOME"
STATES = ("new", "seen", "revealed", "solved")  # the order a step moves in
ANSWERED = ("revealed", "solved")  # the states in which a step's solution and after-text show
HISTORY = 20  # results kept per step, e.g. for an ablation table
VARIANTS = range(1, 1000)  # a learner's own variant; 0 is the articles' numbers, never drawn


def lab_home() -> Path:
    if os.environ.get(ENV_HOME):
        return Path(os.environ[ENV_HOME]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("tui-lab"))


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> None:
    """Write to a temp file beside ``path``, fsync, then rename over it; ``mode``: the file's
    permissions (else the temp file's owner-only ones)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class ProgressStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or lab_home() / "progress.json"
        self.error: str | None = None  # why progress is not being saved, as a sentence
        self.notice: str | None = None  # what was done with a file that could not be read, as a sentence
        self._memory_only = False  # the file could not be read nor moved aside, so it is never written
        self._data = self._open()

    # -- reading -------------------------------------------------------------------

    def _open(self) -> dict[str, Any]:
        try:
            return read_progress(self.path)
        except (OSError, Unreadable):
            pass
        try:  # look again under the lock: another window may have moved it aside already
            with self._locked():
                data = self._read_or_set_aside()
        except OSError:  # no lock in a folder we may not write: look without one
            data = self._read_or_set_aside()
        return {} if data is None else data

    def _read_or_set_aside(self) -> dict[str, Any] | None:
        """The file's progress; None if it could not be read (then ``notice`` says what was done)."""
        try:
            return read_progress(self.path)
        except OSError as error:  # e.g. no permission: nothing is wrong with it, so it stays
            self._keep_in_memory(_("Your progress file {path} could not be read ({reason}); it is left as it is and "
                                   "progress is kept for this session only.").format(path=self.path,
                                                                                     reason=_reason(error)))
            return None
        except Unreadable as damage:
            try:
                kept = set_aside(self.path)
            except OSError as error:
                self._keep_in_memory(_("Your progress file {path} could not be read ({damage}) nor moved aside "
                                       "({reason}); it is left as it is and progress is kept for this session only.")
                                     .format(path=self.path, damage=damage, reason=_reason(error)))
                return None
            self.notice = _("Your progress file could not be read ({damage}), so it is kept as {kept} and the lab "
                            "starts afresh.").format(damage=damage, kept=kept)
            return None

    def _keep_in_memory(self, sentence: str) -> None:
        self._memory_only = True
        self.notice = self.error = sentence

    def _lesson(self, lesson_id: str) -> dict[str, Any]:
        return self._data.get("lessons", {}).get(lesson_id, {})

    def step(self, lesson_id: str, index: int) -> dict[str, Any]:
        return current_entry(self._lesson(lesson_id).get("steps", {}).get(str(index), {}))

    def state(self, lesson_id: str, index: int) -> str:
        return self.step(lesson_id, index).get("state", "new")

    def solved_count(self, lesson_id: str, total: int) -> int:
        return sum(1 for i in range(1, total + 1) if self.state(lesson_id, i) == "solved")

    def variant(self) -> int:
        """The learner's variant, drawn at random on the first call and kept from then on
        (another window that drew one first wins, so both windows agree)."""
        if _is_variant(self._data.get("variant")):
            return self._data["variant"]
        drawn = random.SystemRandom().choice(VARIANTS)

        def change(data: dict[str, Any]) -> None:
            if not _is_variant(data.get("variant")):
                data["variant"] = drawn

        self._update(change)
        return self._data["variant"]

    def step_params(self, lesson_id: str, index: int) -> dict[str, Any]:
        """The run settings the learner edited on a step (only those that differ from its defaults)."""
        return dict(self.step(lesson_id, index).get("params") or {})

    def lesson_params(self, lesson_id: str) -> dict[str, Any]:
        """Lab-wide choices the learner made for a lesson (e.g. the MNIST lesson's ``dataset``)."""
        return dict(self._lesson(lesson_id).get("params") or {})

    def last_position(self) -> tuple[str, int] | None:
        last = self._data.get("last")
        if isinstance(last, dict) and isinstance(last.get("lesson"), str):
            return last["lesson"], int(last.get("step", 1))
        return None

    # -- writing -------------------------------------------------------------------

    def mark(self, lesson_id: str, index: int, state: str, **extra: Any) -> None:
        """Record a step's state; it only moves forward (a solved step is never downgraded)."""
        assert state in STATES

        def change(data: dict[str, Any]) -> None:
            entry = _entry(data, lesson_id, index)
            before = entry.get("state", "new")
            if STATES.index(state) > STATES.index(before):
                entry["state"] = state
                if state == "solved":
                    entry["hinted"] = entry.get("hints", 0) > 0 or before == "revealed"
            entry.update(extra)
            entry["at"] = time.time()

        self._update(change)

    def record_try(self, lesson_id: str, index: int, slip: str | None = None) -> None:
        """A wrong or invalid answer; ``slip``: the known slip it matched, if any."""

        def change(data: dict[str, Any]) -> None:
            entry = _entry(data, lesson_id, index)
            entry["tries"] = entry.get("tries", 0) + 1
            if slip is not None:
                slips = entry.setdefault("slips", {})
                slips[slip] = slips.get(slip, 0) + 1
                entry["last_slip"] = {"id": slip, "at": time.time()}

        self._update(change)

    def record_hints(self, lesson_id: str, index: int, opened: int) -> None:
        """``opened`` hint tiers are open on the step (the most ever opened is kept)."""

        def change(data: dict[str, Any]) -> None:
            entry = _entry(data, lesson_id, index)
            entry["hints"] = max(entry.get("hints", 0), opened)

        self._update(change)

    def add_time(self, lesson_id: str, index: int, seconds: float) -> None:
        """``seconds`` more spent on the step."""
        if seconds <= 0:
            return

        def change(data: dict[str, Any]) -> None:
            entry = _entry(data, lesson_id, index)
            entry["seconds"] = entry.get("seconds", 0) + seconds

        self._update(change)

    def set_last(self, lesson_id: str, index: int) -> None:
        self._update(lambda data: data.__setitem__("last", {"lesson": lesson_id, "step": index}))

    def record_run(self, lesson_id: str, index: int, result: dict[str, Any]) -> None:
        """Keep what a run achieved: its last result, the best test accuracy, the checkpoint."""

        def change(data: dict[str, Any]) -> None:
            entry = _entry(data, lesson_id, index)
            entry.setdefault("state", "seen")
            entry["runs"] = entry.get("runs", 0) + 1
            entry["last_run"] = {**result, "at": time.time()}
            entry["history"] = (entry.get("history", []) + [entry["last_run"]])[-HISTORY:]
            accuracy = result.get("test_accuracy")
            if isinstance(accuracy, (int, float)) and accuracy > entry.get("best_test_accuracy", -1):
                entry["best_test_accuracy"] = accuracy
            if result.get("checkpoint"):
                entry["checkpoint"] = result["checkpoint"]

        self._update(change)

    def set_step_params(self, lesson_id: str, index: int, params: dict[str, Any]) -> None:
        """Remember a step's edited run settings; an empty dict forgets them."""
        _check_params(params)

        def change(data: dict[str, Any]) -> None:
            entry = _entry(data, lesson_id, index)
            if params:
                entry["params"] = dict(params)
            else:
                entry.pop("params", None)

        self._update(change)

    def set_lesson_params(self, lesson_id: str, params: dict[str, Any]) -> None:
        """Merge ``params`` into a lesson's lab-wide choices; a value None forgets that choice."""
        _check_params({key: value for key, value in params.items() if value is not None})

        def change(data: dict[str, Any]) -> None:
            lesson = data.setdefault("lessons", {}).setdefault(lesson_id, {})
            chosen = {**lesson.get("params", {}), **params}
            lesson["params"] = {key: value for key, value in chosen.items() if value is not None}
            if not lesson["params"]:
                del lesson["params"]

        self._update(change)

    def reset_step(self, lesson_id: str, index: int) -> None:
        self._update(lambda data: data.get("lessons", {}).get(lesson_id, {}).get("steps", {}).pop(str(index), None))

    def reset(self, lesson_id: str | None = None) -> None:
        """Forget one lesson's progress, or all of it; the variant stays (the learner keeps their numbers)."""

        def change(data: dict[str, Any]) -> None:
            if lesson_id is None:
                variant = data.get("variant")
                data.clear()
                if variant is not None:
                    data["variant"] = variant
            else:
                data.get("lessons", {}).pop(lesson_id, None)

        self._update(change)

    def _update(self, change: Callable[[dict[str, Any]], None]) -> None:
        change(self._data)  # memory first: the lab keeps working even if the disk won't
        if self._memory_only:
            return
        try:
            with self._locked():
                fresh = self._read_or_set_aside()
                if self._memory_only:
                    return
                if fresh is None:  # damaged since it was read: memory holds the latest progress
                    fresh = self._data
                else:
                    change(fresh)
                atomic_write_text(self.path, json.dumps(fresh, indent=1, sort_keys=True))
                self._data = fresh
                self.error = None
        except OSError as error:
            self.error = _("Progress could not be saved to {path}: {reason}. It is kept for this session only.").format(
                path=self.path, reason=_reason(error))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            yield
            return
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class Unreadable(Exception):
    """A progress file is there but holds nothing readable; the message says why (a phrase)."""


def read_progress(path: Path) -> dict[str, Any]:
    """The progress in ``path`` ({} if there is no file); raises Unreadable for a damaged one,
    OSError for one that cannot be opened."""
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Unreadable(_("it is not text")) from None
    except ValueError:
        raise Unreadable(_("it is empty") if not raw.strip() else _("it is not valid JSON")) from None
    if not isinstance(data, dict):
        raise Unreadable(_("it holds no progress"))
    return data


def set_aside(path: Path) -> Path:
    """Rename a damaged file beside itself to ``<name>.unreadable-YYYYmmdd-HHMMSS`` (``-2``,
    ``-3``, … when that name is taken), so nothing ever writes over it."""
    stem = f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
    kept, number = path.with_name(stem), 2
    while os.path.lexists(kept):
        kept, number = path.with_name(f"{stem}-{number}"), number + 1
    os.rename(path, kept)
    return kept


def _reason(error: OSError) -> str:
    return _("the disk is full") if error.errno == 28 else error.strerror.lower() if error.strerror else str(error)


def current_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A copy of a step's entry in today's terms (an old ``done`` is ``solved`` or ``revealed``)."""
    entry = dict(entry)
    if entry.get("state") == "done":
        entry["state"] = "revealed" if entry.get("revealed") else "solved"
    entry.pop("revealed", None)
    return entry


def _is_variant(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_params(params: dict[str, Any]) -> None:
    """Run settings are kept as JSON: names are strings, values are scalars."""
    for key, value in params.items():
        if not isinstance(key, str) or not isinstance(value, (str, int, float, bool)):
            raise TypeError(f"a run setting is a name and a str, int, float or bool, not {key!r}={value!r}")


def _entry(data: dict[str, Any], lesson_id: str, index: int) -> dict[str, Any]:
    """The step's entry in ``data``, created if missing, rewritten in today's terms."""
    steps = data.setdefault("lessons", {}).setdefault(lesson_id, {}).setdefault("steps", {})
    steps[str(index)] = entry = current_entry(steps.get(str(index), {}))
    return entry
