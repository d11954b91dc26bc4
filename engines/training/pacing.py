"""Pacing: a wait after each training step that a stop cuts short.

A paced run (``step_seconds`` > 0) can be watched and steered on any device: on a CPU the
articles' MLP otherwise trains an epoch in a second or two, over before Pause, Apply lr
now or +1 epoch can be pressed. Slow motion is the same wait, made longer while the run goes.
"""

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
