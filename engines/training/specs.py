"""The parameter specs both training engines (``mnist``, ``cifar10``) share.

``LR`` is the live learning-rate control: each engine declares it as its
``EngineSpec.controls`` and checks an incoming ``set_lr`` with it, and the UI takes the
control's bounds from the same spec. ``STEP_SECONDS`` is what ``slow`` accepts.
"""

from __future__ import annotations

from typing import Any

from engines.core.params import Param
from lab_i18n import N_

LR = Param("lr", float, 0.001, N_("learning rate"), minimum=0.0, exclusive_minimum=True, maximum=10.0)
STEP_SECONDS = Param("step_seconds", float, 0.0, N_("seconds to wait after each step, to watch the run (0: full speed)"),
                     minimum=0.0, maximum=10.0)


def as_typed(value: Any) -> str:
    """A parameter value as the student types it (true/false, not True/False)."""
    return str(value).lower() if isinstance(value, bool) else str(value)
