"""The one place where names used by lessons are bound to engine code.

Lessons (TOML) name runs, value tables and cross-checks by these keys; nothing is
imported until a name is resolved, so loading lessons runs no code and the UI can list
engines without importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from engines.core.runtime import EngineSpec

# Runs: name -> "module:EngineSpec attribute".
ENGINES: dict[str, str] = {
    "gd.iterate": "engines.byhand.gradient_descent:ITERATE",
    "gd.batch_vs_sgd": "engines.byhand.gradient_descent:BATCH_VS_SGD",
    "opt.race": "engines.byhand.optimizers:RACE",
    "opt.compare": "engines.byhand.optimizers:COMPARE",
    "opt.zero_grad": "engines.byhand.zero_grad:ENGINE",
    "selftest": "engines.core.selftest:SELFTEST",
    "mnist": "engines.mnist.engine:TRAIN",
    "mnist.infer": "engines.mnist.infer:INFER",
    "cifar10": "engines.cifar.engine:TRAIN",
    "backprop.gradcheck": "engines.byhand.backprop:GRADCHECK",
    "backprop.explore": "engines.byhand.backprop:EXPLORE",
    "gen.overfit": "engines.generalise.overfit:ENGINE",
    "gen.symmetry": "engines.generalise.symmetry:ENGINE",
    "gen.transfer": "engines.generalise.transfer:ENGINE",
    "gen.scale": "engines.generalise.scale:ENGINE",
    "gen.compress": "engines.generalise.compress:ENGINE",
}

# Value tables for placeholders: name -> "module:function(variant=0) -> dict". A variant is
# a learner's set of numbers (0: the articles'); tables that do not vary ignore it.
VALUES: dict[str, str] = {
    "gd.values": "engines.byhand.gradient_descent:values",
    "mnist.values": "engines.mnist.lesson_values:values",
    "cifar10.values": "engines.cifar.lesson_values:values",
    "backprop.values": "engines.byhand.backprop:values",
    "opt.values": "engines.byhand.optimizers:values",
    "gen.values": "engines.generalise.lesson_values:values",
}

# Cross-checks: name -> "module:function(variant=0) -> [(label, value, reference), ...]".
CHECKS: dict[str, str] = {
    "gd.checks": "engines.byhand.gradient_descent:checks",
    "mnist.checks": "engines.mnist.lesson_values:checks",
    "cifar10.checks": "engines.cifar.lesson_values:checks",
    "backprop.checks": "engines.byhand.backprop:checks",
    "opt.checks": "engines.byhand.optimizers:checks",
    "gen.checks": "engines.generalise.lesson_values:checks",
}


# Value tables that vary: values name -> "module:variant_problems", a function giving one
# sentence per lesson condition a variant's inputs break (empty when the variant is fine).
VARIANTS: dict[str, str] = {
    "gd.values": "engines.byhand.gd_problem:variant_problems",
    "opt.values": "engines.byhand.optimizer_variants:variant_problems",
    "backprop.values": "engines.byhand.backprop_variants:variant_problems",
}


class UnknownName(KeyError):
    def __str__(self) -> str:  # KeyError quotes its argument; we want the sentence
        return str(self.args[0])


def _resolve(table: dict[str, str], kind: str, name: str) -> Any:
    target = table.get(name)
    if target is None:
        known = ", ".join(sorted(table)) or "none"
        raise UnknownName(f"No {kind} named {name!r}; known {kind}s: {known}.")
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def engine(name: str) -> EngineSpec:
    return _resolve(ENGINES, "engine", name)


def values(name: str) -> Any:
    return _resolve(VALUES, "value table", name)


def checks(name: str) -> Any:
    return _resolve(CHECKS, "check", name)


def variant_problems(name: str) -> Callable[[int], list[str]] | None:
    """The condition check of a value table that varies; None for a table with one set of numbers."""
    return _resolve(VARIANTS, "variant table", name) if name in VARIANTS else None


def source_location(kind: str, name: str) -> tuple[str, str] | None:
    """(module, attribute) behind a name, without importing it (for the source view)."""
    table = {"engine": ENGINES, "values": VALUES, "checks": CHECKS}[kind]
    target = table.get(name)
    if target is None:
        return None
    module_name, _, attribute = target.partition(":")
    return module_name, attribute
