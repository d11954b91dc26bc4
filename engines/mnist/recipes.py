"""The MNIST recipes, as named choices (``recipe``), and the parsing of ``betas``.

* ``custom`` — the run's own parameters, as given.
* ``fast99`` — the fastest published recipe for 99 % test accuracy
  (tuomaso/train_mnist_fast: 99 % in 0.76 s on a GTX 1660 Ti): the small CNN, one epoch
  at batch 256, Adam with betas (0.7, 0.9) under a OneCycle schedule peaking at
  lr 0.01, one evaluation at the end. The length is fixed before the run: nothing
  looks at the test set to decide when to stop.

No torch here: lesson text and the bench quote these numbers.
"""

from __future__ import annotations

import math
from typing import Any

from engines.core.params import ParamError
from lab_i18n import _

RECIPES = ("custom", "fast99")
FAST99: dict[str, Any] = {
    "model": "cnn", "epochs": 1, "batch_size": 256, "lr": 0.01, "optimizer": "adam",
    "schedule": "onecycle", "betas": "0.7,0.9", "double_softmax": False,
}


def resolve(config: dict[str, Any]) -> dict[str, Any]:
    """The run's parameters with the recipe's values in place (``custom``: unchanged);
    ``betas`` is checked either way."""
    out = dict(config)
    if out.get("recipe", "custom") == "fast99":
        out.update(FAST99)
    parse_betas(out.get("betas", "0.9,0.999"))
    return out


def parse_betas(text: Any) -> tuple[float, float]:
    """'0.9,0.999' -> (0.9, 0.999): Adam's two decay rates, each at least 0 and below 1."""
    parts = str(text).replace(" ", "").split(",")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 2 or not all(math.isfinite(v) and 0.0 <= v < 1.0 for v in values):
        raise ParamError(_("betas must be two numbers at least 0 and below 1, separated by a comma "
                           "(like 0.9,0.999), not {given}.").format(given=repr(text)))
    return values[0], values[1]
