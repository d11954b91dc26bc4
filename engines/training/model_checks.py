"""For ``tui-lab check``: each model's parameter count worked out from its layer shapes
(torch-free, as lesson text quotes it) against the torch module actually built."""

from __future__ import annotations

from typing import Any, Callable, Iterable


def parameter_checks(names: Iterable[str], counted: Callable[[str], int],
                     build: Callable[[str], Any]) -> list[tuple[str, float, float]]:
    return [(f"parameters of {name}", float(counted(name)), float(sum(p.numel() for p in build(name).parameters())))
            for name in names]
