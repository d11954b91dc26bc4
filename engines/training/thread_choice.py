"""The CPU thread count a small model trains fastest with, measured on this machine now.

Whether a small MLP step is faster on one thread or on several depends on the machine and
on what else runs on it: on an idle 2-core machine two threads made 106k samples/s against
91k for one, and with another busy process two were up to 5× slower, because each tiny
matrix product waits for both threads. So a run that names no thread count tries each
candidate on a few real steps of a throwaway copy of its model — a fraction of a second —
and keeps the fastest.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import torch

SMALL_BATCH = 256  # below this a small MLP's step may or may not gain from more threads
ROUNDS = 3  # candidates take turns, so a burst of other work does not decide alone
STEPS = 12  # timed steps per candidate and round, after two untimed ones


def candidates(most: int) -> list[int]:
    """1, 2, 4, … and ``most``: where a small model's best thread count can lie."""
    counts, n = {max(1, most)}, 1
    while n < most:
        counts.add(n)
        n *= 2
    return sorted(counts)


def unmeasured_threads(batch_size: int, most: int) -> int:
    """Without measuring (short runs, where a measurement would cost a noticeable share): one
    thread for a small model's small batches, the safe choice on a busy machine; else ``most``."""
    return 1 if batch_size < SMALL_BATCH else max(1, most)


def fastest_threads(step: Callable[[], None], most: int) -> int:
    """The candidate thread count (up to ``most``) whose ``step`` calls ran fastest; the
    fastest of ``ROUNDS`` timings of each. Leaves torch set to the winner."""
    counts = candidates(most)
    if len(counts) == 1:
        torch.set_num_threads(counts[0])
        return counts[0]
    best = {n: math.inf for n in counts}
    for _round in range(ROUNDS):
        for n in counts:
            torch.set_num_threads(n)
            step()
            step()
            start = time.perf_counter()
            for _ in range(STEPS):
                step()
            best[n] = min(best[n], time.perf_counter() - start)
    winner = min(counts, key=lambda n: best[n])
    torch.set_num_threads(winner)
    return winner
