"""What the by-hand lessons' variants share: the run parameter that picks one, and the way
a variant's inputs are drawn (seeded by the lesson and the variant, drawn again until the
lesson's conditions hold, so every variant is a valid one and the same every time)."""

from __future__ import annotations

import random
from typing import Callable, TypeVar

from engines.core.params import Param
from lab_i18n import N_

Inputs = TypeVar("Inputs")

VARIANT = Param("variant", int, 0, N_("which set of numbers (0 = the article's)"), minimum=0)
MAX_DRAWS = 10_000  # far more than any lesson needs: a lesson whose conditions cannot hold says so


def draw(lesson: str, variant: int, candidate: Callable[[random.Random], Inputs],
         problems: Callable[[Inputs], list[str]]) -> Inputs:
    """The first ``candidate`` drawn for ``variant`` of ``lesson`` that breaks none of its conditions."""
    rng = random.Random(f"{lesson}:{variant}")
    for _ in range(MAX_DRAWS):
        inputs = candidate(rng)
        if not problems(inputs):
            return inputs
    raise RuntimeError(f"no {lesson} problem for variant {variant} after {MAX_DRAWS} draws.")
