"""How often the interface takes in engine events and redraws plots.

Passed to the app as a setting (a served lab runs with lower rates than a terminal one),
never changed in module globals at run time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Refresh:
    drain_hz: float = 5.0  # engine events taken into the UI a second (status bar, table, plot buffers)
    plot_fps: float = 4.0  # most plot redraws a second: one costs ~20 ms of the event loop at 120×40


TERMINAL = Refresh()
SERVED = Refresh(drain_hz=4.0, plot_fps=2.0)  # a browser tab: keep the websocket stream light


def over_ssh(environ: Mapping[str, str] = os.environ) -> bool:
    """A student on a remote terminal: no animations, a modest screen rate."""
    return bool(environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"))


# textual-serve starts every app with this driver; `textual serve` (textual-dev) does too.
WEB_DRIVER = "textual.drivers.web_driver:WebDriver"


def served(environ: Mapping[str, str] = os.environ) -> bool:
    """True in a lab process that textual-serve started for a browser tab."""
    return environ.get("TEXTUAL_DRIVER") == WEB_DRIVER
