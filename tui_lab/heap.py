"""Keep full garbage collections out of the lab's frames.

After start-up the UI process holds a few hundred thousand long-lived objects (imported
modules, CSS rules, the widget tree). A full collection walks all of them: ~60 ms on a
2-core machine, once every few key presses, and it landed inside a frame — the worst
key-to-screen times came from it. ``settle`` collects what is already garbage, then
moves everything left out of the collector's sight (``gc.freeze``); objects made later
are collected as usual, so later full collections walk only those. Frozen objects are
never collected: fine for start-up's, which live as long as the lab does.
"""

from __future__ import annotations

import gc


def settle() -> None:
    gc.collect()
    gc.freeze()
