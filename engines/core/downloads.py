"""Downloading a dataset file safely, with progress: shared by the MNIST and CIFAR-10 data layers.

``download`` streams a URL into a temp file beside its target, checks its length and
checksum, and only then renames it into place; abandoned half-way (the student pressed
stop: the generator is closed) or failed, it leaves nothing behind. It is a generator
of ``DownloadProgress`` so that whoever drives it can report progress as events.

Nothing here imports torch.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from engines.core.artifacts import Download
from lab_i18n import _

CHUNK = 1 << 16
TIMEOUT_S = 30


class DataError(Exception):
    """Data missing, unreadable or corrupt: ``message`` says what, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


class NetworkError(Exception):
    """One URL failed (unreachable, broken off, damaged); callers try the next mirror.

    ``offline`` is true when the machine reached no server at all (no name lookup, no
    route): then the cause is this computer's connection, not the URL, and is said once."""

    def __init__(self, url: str, problem: str, offline: bool = False) -> None:
        super().__init__(f"{url}: {problem}")
        self.url, self.problem, self.offline = url, problem, offline


@dataclass(frozen=True)
class DownloadProgress:
    file: str
    done_bytes: int
    total_bytes: int | None  # None when the server does not say

    def payload(self) -> Download:
        return Download(file=self.file, done_bytes=self.done_bytes, total_bytes=self.total_bytes)


def urlopen(url: str) -> Any:
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "tui-lab"})
    return urllib.request.urlopen(request, timeout=TIMEOUT_S)


def download(open_url: Callable[[str], Any], url: str, target: Path, *, md5: str | None = None,
             sha256_prefix: str | None = None, chunk: int = CHUNK) -> Iterator[DownloadProgress]:
    """Stream ``url`` into a temp file beside ``target``; rename only once it checks out.

    ``md5`` (the whole digest) or ``sha256_prefix`` (the first hex digits, as torch hub
    names its files) is checked when given. Raises ``NetworkError`` saying what went wrong.
    """
    import http.client

    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    digest = hashlib.md5() if md5 else hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = open_url(url)
            except (OSError, http.client.HTTPException) as error:  # URLError and timeouts are OSErrors
                raise NetworkError(url, reason(error), offline=is_offline(error)) from None
            with response:
                length = response.headers.get("Content-Length") if hasattr(response, "headers") else None
                total = int(length) if length and str(length).isdigit() else None
                done = 0
                yield DownloadProgress(target.name, 0, total)
                while True:
                    try:
                        data = response.read(chunk)
                    except (OSError, http.client.HTTPException) as error:
                        raise NetworkError(url, _("the connection broke ({reason})").format(reason=reason(error))) from None
                    if not data:
                        break
                    out.write(data)  # a full disk raises OSError here and is not a network problem
                    digest.update(data)
                    done += len(data)
                    yield DownloadProgress(target.name, done, total)
        if total is not None and done != total:
            raise NetworkError(url, _("the download stopped after {done} of {total} bytes").format(done=done, total=total))
        found = digest.hexdigest()
        if md5 and found != md5:
            raise NetworkError(url, _("the file arrived damaged (md5 {found}, expected {expected})").format(
                found=found, expected=md5))
        if sha256_prefix and not found.startswith(sha256_prefix):
            raise NetworkError(url, _("the file arrived damaged (sha256 {found}…, expected {expected}…)").format(
                found=found[:16], expected=sha256_prefix))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)  # gone after a rename; removed after any failure or abandonment


# No route out of this computer: the connection is missing, whichever server was asked.
_NO_ROUTE = {errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTUNREACH}


def is_offline(error: BaseException) -> bool:
    """Whether ``error`` (as urlopen raises it) means no server could be reached at all:
    a failed name lookup or no route, rather than one server's refusal or fault."""
    cause = getattr(error, "reason", error)  # URLError wraps the socket's error
    return isinstance(cause, socket.gaierror) or (isinstance(cause, OSError) and cause.errno in _NO_ROUTE)


def reason(error: BaseException) -> str:
    """The useful part of a network error in words, e.g. 'HTTP 404 Not Found', 'timed out'
    or 'no internet connection' (never an errno's repr)."""
    if is_offline(error):
        return _("no internet connection")
    text = getattr(error, "reason", None) or getattr(error, "strerror", None) or str(error)
    text = getattr(text, "strerror", None) or text  # URLError(ConnectionRefusedError(...)) -> its words
    code = getattr(error, "code", None)
    return f"HTTP {code} {text}" if isinstance(code, int) else str(text) or error.__class__.__name__


def why_not_downloaded(errors: list[NetworkError]) -> str:
    """Why a file could not be downloaded from any of its URLs, as the end of a sentence,
    each cause said once: 'there is no internet connection to download it' when no
    server could be reached, else each URL's problem."""
    if errors and all(error.offline for error in errors):
        return _("there is no internet connection to download it")
    return _("it could not be downloaded: {reasons}").format(reasons=_("; ").join(str(error) for error in errors))


def fix_sentence(ways: list[str]) -> str:
    """'To fix it, A, or B, or C.': the ways to get a missing file, each a clause."""
    joined = ways[0]
    for way in ways[1:]:
        joined = _("{ways}, or {way}").format(ways=joined, way=way)
    return _("To fix it, {ways}.").format(ways=joined)


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


REPORT_EVERY_S = 0.1  # download artifacts at most this often (and at each file's start and end)


def reporting(generator, ctl):
    """Drive a download generator, turning its progress into throttled
    ``Artifact("download", …)`` events; returns its result, or None when the run was
    stopped (closing the generator removes the half-written temp file)."""
    import time

    from engines.core.events import Artifact

    last_report, last_file = 0.0, None
    while True:
        try:
            progress = next(generator)
        except StopIteration as done:
            return done.value
        if ctl.stop_requested:
            generator.close()
            return None
        now = time.monotonic()
        finished = progress.total_bytes is not None and progress.done_bytes >= progress.total_bytes
        if finished or progress.file != last_file or now - last_report >= REPORT_EVERY_S:
            last_report, last_file = now, progress.file
            yield Artifact("download", progress.payload())
