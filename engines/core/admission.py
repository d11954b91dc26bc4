"""Runs take turns on a shared machine: at most ``per_device`` at once per device, first come
first served, across every user's lab on this machine.

The line is made of files in the class's ``queue_dir`` (sticky and writable by all, like
/tmp) and of ``flock`` locks on them, which the kernel drops when a process ends however it
ends, so a killed lab never keeps its place:

* each waiting run holds a lock on its own *ticket*, ``<device>.ticket.<time_ns>.<pid>.<random>``:
  names sort by arrival. A ticket nobody holds belongs to a dead process and is removed;
* a run is admitted when no live ticket is older than its own and it can lock one of the
  ``per_device`` *slot* files ``<device>.slot.<n>``; it holds that lock until the run ends,
  and its ticket goes as soon as it is admitted.

Nothing here imports torch: a waiting run holds no GPU.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any, Callable, Generator, Iterator

from engines.core.class_settings import RunSettings
from engines.core.events import Queued

POLL_S = 0.2  # how often a waiting run looks at the line (a few times a second)


def device_file_key(device: str) -> str:
    """``cuda:0`` → ``cuda0``: a device's name as a file name part."""
    return re.sub(r"[^a-z0-9]", "", device.lower()) or "device"


def prepare_queue_dir(folder: Path) -> None:
    """The class's queue folder, shared by all users: made sticky and world-writable (1777)
    when this process creates it."""
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        return
    os.chmod(folder, 0o1777)  # mkdir's mode is cut by the umask


def _open_shared(path: Path) -> int:
    """A read-only descriptor on ``path``, created readable by all if missing. Opening an
    existing file without O_CREAT also works where the kernel protects other users' files
    in sticky folders (fs.protected_regular)."""
    while True:
        try:
            return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            pass
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            continue  # another run made it just now
        os.fchmod(fd, 0o644)
        return fd


def _held_by_someone(path: Path) -> bool:
    """Whether a live process holds the lock on ``path``; a ticket nobody holds is removed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        with contextlib.suppress(OSError):  # another user's dead ticket stays (sticky folder); it counts for nothing
            path.unlink()
        return False
    finally:
        os.close(fd)


class Turn:
    """One run's place in the line for one device (see the module's docstring)."""

    def __init__(self, settings: RunSettings, device: str) -> None:
        self.device = device
        self.limit = settings.per_device or 1
        self.folder = Path(settings.queue_dir)
        self.key = device_file_key(device)
        self.ticket: Path | None = None
        self._ticket_fd: int | None = None
        self._slot_fd: int | None = None

    def _take_ticket(self) -> None:
        prepare_queue_dir(self.folder)
        name = f"{self.key}.ticket.{time.time_ns():020d}.{os.getpid()}.{secrets.token_hex(4)}"
        draft = self.folder / f".{name}"  # locked before it gets a name others look at
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        os.fchmod(fd, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.ticket, self._ticket_fd = self.folder / name, fd
        os.rename(draft, self.ticket)

    def position(self) -> int:
        """1 + the live tickets older than this run's own."""
        prefix = f"{self.key}.ticket."
        older = sorted(p for p in os.listdir(self.folder) if p.startswith(prefix) and p < self.ticket.name)
        return 1 + sum(_held_by_someone(self.folder / name) for name in older)

    def _try_slot(self) -> bool:
        for n in range(self.limit):
            fd = _open_shared(self.folder / f"{self.key}.slot.{n}")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self._slot_fd = fd
            return True
        return False

    def wait(self, stopped: Callable[[float], bool]) -> Generator[Queued, None, bool]:
        """Wait for this run's turn, yielding ``Queued`` each time its place changes;
        ``stopped(seconds)`` waits up to that long and says whether the run was cancelled.
        Returns True once admitted (holding a slot), False if cancelled. OSError: the
        queue folder cannot be used."""
        self._take_ticket()
        shown = None
        while True:
            place = self.position()
            if place == 1 and self._try_slot():
                self._drop_ticket()
                return True
            if place != shown:
                shown = place
                yield Queued(position=place, device=self.device)
            if stopped(POLL_S):
                self.release()
                return False

    def _drop_ticket(self) -> None:
        if self.ticket is not None:
            with contextlib.suppress(OSError):
                self.ticket.unlink()  # before the lock goes, so no one sees it unheld
            self.ticket = None
        if self._ticket_fd is not None:
            os.close(self._ticket_fd)
            self._ticket_fd = None

    def release(self) -> None:
        """Give the place (or the slot) back; the next run in line goes."""
        self._drop_ticket()
        if self._slot_fd is not None:
            os.close(self._slot_fd)  # closing drops the lock
            self._slot_fd = None


@contextlib.contextmanager
def admitted(settings: RunSettings, device: str, ctl: Any, emit: Callable[[Queued], None]) -> Iterator[bool]:
    """``with admitted(settings, "cuda:0", ctl, emit) as go:`` waits for the turn (``emit``
    gets each change of place) and holds it for the block; ``go`` is False when ``ctl``
    was stopped while waiting. Without a limit (``per_device`` unset) it lets the run go at once."""
    if not settings.per_device:
        yield True
        return
    turn = Turn(settings, device)
    try:
        waiting = turn.wait(ctl.wait_stop)
        try:
            while True:
                emit(next(waiting))
        except StopIteration as done:
            go = done.value
        yield go
    finally:
        turn.release()
