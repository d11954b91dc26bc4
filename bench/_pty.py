"""Drive a terminal program through a pseudo-terminal and time what appears on screen."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time

KEYS = {"f1": "\x1bOP", "f2": "\x1bOQ", "f3": "\x1bOR", "f4": "\x1bOS", "f5": "\x1b[15~",
        "f6": "\x1b[17~", "f7": "\x1b[18~", "f8": "\x1b[19~", "enter": "\r", "ctrl+q": "\x11"}


class PtyApp:
    def __init__(self, argv: list[str], cols: int = 120, rows: int = 40, env: dict | None = None) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows), **(env or {})}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=full_env,
                                        start_new_session=True, close_fds=True)
        os.close(slave)
        self.output = b""

    def wait_for(self, marker: str, timeout: float = 60.0, since: int = 0) -> float:
        """Seconds from now until ``marker`` shows in the output written after offset ``since``."""
        start = time.perf_counter()
        wanted = marker.encode()
        while wanted not in self.output[since:]:
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise TimeoutError(f"{marker!r} did not appear within {timeout} s")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    raise TimeoutError(f"the program exited before {marker!r} appeared") from None
                self.output += chunk
        return time.perf_counter() - start

    def press(self, key: str) -> int:
        """Send a key; returns the output offset, to look only at what comes after it."""
        self.drain()
        offset = len(self.output)
        os.write(self.master, KEYS.get(key, key).encode())
        return offset

    def wait_exit(self, timeout: float = 300.0) -> int:
        """Keep reading the screen (a full pty would block the program) until it exits."""
        start = time.perf_counter()
        while self.process.poll() is None:
            if time.perf_counter() - start > timeout:
                raise TimeoutError("the program did not exit")
            if select.select([self.master], [], [], 0.1)[0]:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    break
        return self.process.wait()

    def drain(self) -> None:
        while select.select([self.master], [], [], 0)[0]:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:
                return

    def close(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        os.close(self.master)
