"""Backpropagation by hand: the numbers the backprop lesson quotes, and its two runs.

The models and their hand-derived passes are in ``backprop_models``; the value table in
``backprop_table``; the proofs that those gradients are right (finite differences,
autograd) in ``gradcheck``; a variant's inputs in ``backprop_variants``. ``values``
stays free of torch: the lab computes it when the lesson opens.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
from typing import Any, Iterator

from engines.byhand.backprop_models import network_graph, network_loss, network_params, network_pass, relu_report
from engines.byhand.backprop_table import explore_inputs, value_table
from engines.byhand.backprop_variants import inputs
from engines.byhand.gradcheck import (
    GRADCHECK_H, MODEL_CHOICES, central_differences, cross_checks, entries, gradient_check, matching_digits,
)
from engines.byhand.variant_draw import VARIANT
from engines.core.events import Artifact, Event, Finished, Progress, Started
from engines.core.params import Param
from engines.core.runtime import Control, EngineSpec
from lab_i18n import N_, _


def values(variant: int = 0) -> dict[str, Any]:
    """Every number the backprop lesson quotes, for a variant (0: the articles' numbers)."""
    return value_table(inputs(variant))


def checks(variant: int = 0) -> list[tuple[str, float, float]]:
    """A variant's hand-derived numbers against autograd and finite differences."""
    return cross_checks(inputs(variant))




# --------------------------------------------------------------------------- engines

def run_gradcheck(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """One Progress row per parameter entry: hand, autograd, numeric, relative error."""
    model, h, dtype = config["model"], config["h"], config["dtype"]
    rows = gradient_check(model, h, dtype, with_autograd=config["autograd"], inp=inputs(config["variant"]))
    yield Started(device="cpu", config=dict(config), total_steps=len(rows))
    for k, row in enumerate(rows, 1):
        if ctl.stop_requested:
            return
        ctl.poll()
        shown = {"hand": row.hand, "numeric": row.numeric, "rel_error": row.rel_error,
                 "digits": matching_digits(row.rel_error)}
        if row.autograd is not None:
            shown["autograd"] = row.autograd
        yield Progress(step=k, loss=row.loss, values=shown)
    worst = max(rows, key=lambda r: r.rel_error)
    yield Artifact("gradcheck", {"dtype": dtype, "h": h, "rows": [asdict(r) for r in rows]})
    verdict = (
        N_("Largest relative error {error} ({model} {label}) over {count} parameters, {dtype}, h = {h}: the "
           "hand-derived gradients are right.") if worst.rel_error < 1e-6 else
        N_("Largest relative error {error} ({model} {label}) over {count} parameters, {dtype}, h = {h}: too large "
           "to prove anything: rounding in the difference quotient swamps it. Use float64, or a step h nearer to "
           "the cube root of the precision.")
    )
    message = _(verdict).format(error=f"{worst.rel_error:.1e}", model=worst.model, label=worst.label,
                                count=len(rows), dtype=dtype, h=f"{h:g}")
    yield Finished("completed", {"message": message, "max_rel_error": worst.rel_error})


GRADCHECK = EngineSpec(
    name="backprop.gradcheck",
    title="Gradient check: hand vs autograd vs finite differences",
    params=(
        Param("model", str, "both", N_("which network to check"), choices=MODEL_CHOICES),
        Param("dtype", str, "float64", N_("precision of the finite differences"), choices=("float64", "float32")),
        Param("h", float, GRADCHECK_H, N_("finite-difference step"), minimum=0.0, exclusive_minimum=True, maximum=0.1),
        Param("autograd", bool, True, N_("also ask torch autograd (float64)")),
        VARIANT,
    ),
    run=run_gradcheck,
    smoke={"autograd": False},
)


CHANGES = (("dx1", N_("added to input x[1]")), ("dx2", N_("added to input x[2]")),
           ("db1_1", N_("added to hidden bias b₁[1]")), ("db1_2", N_("added to hidden bias b₁[2]")),
           ("db1_3", N_("added to hidden bias b₁[3]")), ("db2_3", N_("added to output bias b₂[3]")))
# Changes, not values: a run of any variant starts from that variant's own network.
EXPLORE_PARAMS = (VARIANT,) + tuple(
    Param(name, float, 0.0, what, minimum=-10.0, maximum=10.0) for name, what in CHANGES
)


def run_explore(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Every gradient of the network, recomputed for the student's inputs and biases."""
    inp = explore_inputs(inputs(config["variant"]), **{name: config[name] for name, _what in CHANGES})
    params, p = network_params(inp), network_pass(inp)
    numeric = central_differences(partial(network_loss, inp=inp), params, GRADCHECK_H)
    rows = entries(params)
    yield Started(device="cpu", config=dict(config), total_steps=len(rows))
    for k, (name, index, _label) in enumerate(rows, 1):
        if ctl.stop_requested:
            return
        ctl.poll()
        yield Progress(step=k, loss=p.loss, values={
            "value": float(params[name][index]), "grad": float(p.grads[name][index]),
            "numeric": float(numeric[name][index]),
        })
    yield Artifact("graph", network_graph(inp).to_dict())
    yield Finished("completed", {"message": f"L = {p.loss:.6g}; {relu_report(p)}", "loss": p.loss})


EXPLORE = EngineSpec(
    name="backprop.explore",
    title="Change an input or a bias, see every gradient recomputed",
    params=EXPLORE_PARAMS,
    run=run_explore,
)
