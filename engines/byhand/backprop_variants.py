"""A learner's own numbers for the backprop lesson: one ``BackpropInputs`` per variant.

Variant 0 is the articles' numbers. Every other variant draws hand-friendly numbers
(tenths) from small pools, seeded by the variant alone, and keeps drawing until the
numbers meet every condition the lesson's text states: the neuron's label is 1 and its
inputs are positive (so every weight grows in the update); every hidden unit is on and
only the last output is off, all clearly away from ReLU's kink; the first output falls
short of its target and the blocked output has the largest error; each step's slips and
answer can be told apart, and no other number of the lesson comes as close to an answer
unless it does so for the articles' numbers too (the same quantity under another name);
the gradient check and the explore step's suggestions come out as the text says.
"""

from __future__ import annotations

import math
import random
from functools import lru_cache
from typing import Any, Iterator

import numpy as np

from engines.byhand.backprop_models import (
    ARTICLE, BackpropInputs, NetworkPass, network_loss, network_params, network_pass,
)
from engines.byhand.backprop_table import explore_inputs, value_table
from engines.byhand.gradcheck import GRADCHECK_H, central_differences
from engines.byhand.variant_draw import draw

MARGIN = 0.05  # a ReLU input at least this far from 0 is clearly on or off, for a finite difference too
GAP = 2e-4  # twice the lesson's tolerance: no typed number is within the tolerance of two numbers this far apart
TARGET_TRIES = 20  # targets drawn for one network before a new network is drawn
ANSWERS = ("ce", "dCE_dyhat", "dyhat_dz", "dCE_dz", "dCE_dw_4", "w_new_4", "net_loss", "dL_dyhat_1",
           "dL_db2_3", "dL_dh_2", "dL_dW1_21")  # the compute steps' answers, in the lesson's order


def _tenths(low: int, high: int, zero: bool = True) -> tuple[float, ...]:
    return tuple(k / 10 for k in range(low, high + 1) if zero or k)


POOLS = {
    "x": _tenths(1, 9), "w": _tenths(-5, 5, zero=False), "b": _tenths(-5, 5, zero=False),
    "net_x": _tenths(1, 9), "W1": _tenths(-6, 6, zero=False), "b1": _tenths(-2, 5, zero=False),
    "W2": _tenths(-5, 5, zero=False), "b2": _tenths(-2, 2), "net_y": _tenths(0, 10),
}


def inputs(variant: int) -> BackpropInputs:
    """The inputs of a variant: 0 is the articles', any other is drawn (the same every time)."""
    if not isinstance(variant, int) or isinstance(variant, bool) or variant < 0:
        raise ValueError(f"A variant is a whole number from 0 up, not {variant!r}.")
    return ARTICLE if variant == 0 else _drawn(variant)


def variant_problems(variant: int) -> list[str]:
    """One sentence per condition of the lesson that the variant's inputs break."""
    return problems(inputs(variant))


@lru_cache(maxsize=256)
def _drawn(variant: int) -> BackpropInputs:
    return draw("backprop", variant, _draw, problems)


def _draw(rng: random.Random) -> BackpropInputs:
    """A neuron (its pools make its own conditions hold), then a network whose ReLUs are
    on and off as the lesson says, then targets that fit it: each drawn until it fits."""
    pick = lambda pool, n: tuple(rng.choice(POOLS[pool]) for _ in range(n))  # noqa: E731
    # Four different inputs: the gradient of w₄ is then none of the others (nor x₃'s slip).
    neuron = {"x": tuple(rng.sample(POOLS["x"], 4)), "w": pick("w", 4), "b": rng.choice(POOLS["b"]), "y": 1.0}
    while True:
        layers = {"net_x": pick("net_x", 2), "W1": tuple(pick("W1", 2) for _ in range(3)), "b1": pick("b1", 3),
                  "W2": tuple(pick("W2", 3) for _ in range(3)), "b2": pick("b2", 3)}
        if _relu_problems(network_pass(BackpropInputs(**neuron, **layers, net_y=ARTICLE.net_y))):
            continue
        for _ in range(TARGET_TRIES):  # some outputs leave no target that fits: then new layers
            candidate = BackpropInputs(**neuron, **layers, net_y=pick("net_y", 3))
            if not _target_problems(network_pass(candidate)):
                return candidate


# ---------------------------------------------------------------------- the conditions

def problems(inp: BackpropInputs) -> list[str]:
    """Every condition of the lesson the inputs break, one sentence each; the cheap ones
    first, the value table's only once those hold."""
    p = network_pass(inp)
    found = _hand_friendly(inp) + _neuron_problems(inp) + _relu_problems(p) + _target_problems(p)
    return found or _table_problems(inp)


def _numbers(inp: BackpropInputs) -> Iterator[tuple[str, float]]:
    for name, value in vars(inp).items():
        for index, number in np.ndenumerate(np.asarray(value, dtype=np.float64)):
            yield name + "".join(f"[{i + 1}]" for i in index), float(number)


def _hand_friendly(inp: BackpropInputs) -> list[str]:
    return [f"{name} = {v!r} is not a tenth between −1 and 1, a number to compute with by hand."
            for name, v in _numbers(inp) if not (abs(v) <= 1 and math.isclose(v * 10, round(v * 10), abs_tol=1e-9))]


def _neuron_problems(inp: BackpropInputs) -> list[str]:
    found = []
    if inp.y != 1:
        found.append(f"The neuron's label is {inp.y:g}; the lesson's example belongs to the positive class, y = 1.")
    if min(inp.x) <= 0:
        found.append("Not every input x is positive, so not every weight grows in the update, as the lesson says.")
    return found


def _relu_problems(p: NetworkPass) -> list[str]:
    found = [f"Hidden unit {i} is not clearly on (z₁[{i}] = {z:.4g}); the lesson says every hidden unit is."
             for i, z in enumerate(p.z1, 1) if z < MARGIN]
    found += [f"Output {i} is not clearly on (z₂[{i}] = {z:.4g}); the lesson blocks only the last output."
              for i, z in enumerate(p.z2[:2], 1) if z < MARGIN]
    if p.z2[2] > -MARGIN:
        found.append(f"The last output is not clearly blocked (z₂[3] = {p.z2[2]:.4g}); the lesson's ReLU blocks it.")
    return found


def _target_problems(p: NetworkPass) -> list[str]:
    errors = np.abs(p.y - p.yhat)
    found = []
    if p.yhat[0] > p.y[0] - MARGIN:
        found.append("The first output is not below its target; the lesson says descent pushes it up.")
    if p.y[2] < 0.5 or errors[2] < max(errors[:2]) + MARGIN:
        found.append("The blocked output's error is not clearly the largest, far from its target, as the lesson says.")
    return found


@lru_cache(maxsize=1)
def _article_twins() -> dict[str, frozenset[str]]:
    """For each answer, the names of the articles' value table whose numbers equal it: the
    same quantity under another name (∂CE/∂b is ∂CE/∂z), or zeros the lesson lets through."""
    table = value_table(ARTICLE)
    return {answer: frozenset(name for name, v in _flat(table) if abs(v - table[answer]) < GAP)
            for answer in ANSWERS}


def _flat(table: dict[str, Any]) -> Iterator[tuple[str, float]]:
    """(name, number) of every number in the table; list entries go by the list's name."""
    for name, value in table.items():
        if isinstance(value, (int, float, list)) and not isinstance(value, bool):
            for number in np.ravel(np.asarray(value, dtype=np.float64)):
                yield name, float(number)


def _table_problems(inp: BackpropInputs) -> list[str]:
    table = value_table(inp)
    found = []
    for answer in ANSWERS:
        slips = {name: v for name, v in table.items() if name.startswith(f"{answer}_slip_")}
        numbers = [(answer, table[answer]), *slips.items()]
        found += [f"{a} = {va:.6g} and {b} = {vb:.6g} cannot be told apart."
                  for k, (a, va) in enumerate(numbers) for b, vb in numbers[k + 1:] if abs(va - vb) < GAP]
        twins = _article_twins()[answer] | {answer} | set(slips)
        found += [f"{name} = {v:.6g} comes too close to the answer {answer} = {table[answer]:.6g}."
                  for name, v in _flat(table) if name not in twins and abs(v - table[answer]) < GAP]
    if not table["gc_max_f64"] < 1e-6 < table["gc_max_f32"] < table["gc_max_f32_tiny_h"]:
        found.append("The gradient check does not come out as the lesson says: sharp in float64, coarse in "
                     "float32, coarser still with a tiny step.")
    if not _kink_shows(inp, table["explore_kink_db1_1"]):
        found.append("On ReLU's kink the central difference agrees with the slope's convention; "
                     "the lesson says it does not.")
    return list(dict.fromkeys(found))


def _kink_shows(inp: BackpropInputs, db1_1: float) -> bool:
    """With z₁[1] moved onto the kink, the central difference for b₁[1] disagrees with the hand slope."""
    kinked = explore_inputs(inp, db1_1=db1_1)
    numeric = central_differences(lambda params: network_loss(params, kinked), network_params(kinked), GRADCHECK_H)
    return abs(numeric["b1"][0] - network_pass(kinked).grads["b1"][0]) > GAP
