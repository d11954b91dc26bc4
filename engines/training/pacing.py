"""Slow motion: a pause after each training step that a stop cuts short."""

from __future__ import annotations

import time

from engines.core.runtime import Control


def sleep_unless_stopped(seconds: float, ctl: Control) -> None:
    """Wait ``seconds``, waking every 50 ms to notice a stop."""
    deadline = time.monotonic() + seconds
    while not ctl.stop_requested:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))
