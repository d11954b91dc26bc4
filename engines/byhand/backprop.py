"""Backpropagation by hand: the numbers the backprop lesson quotes, and its two runs.

The models and their hand-derived passes are in ``backprop_models``; the proofs that
those gradients are right (finite differences, autograd) in ``gradcheck``. ``values``
stays free of torch: the lab computes it when the lesson opens.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from functools import partial
from typing import Any, Iterator

import numpy as np

from engines.byhand.backprop_models import (
    NET_B1, NET_B2, NET_W1, NET_W2, NET_X, NET_Y, NEURON_B, NEURON_W, NEURON_X, NEURON_Y, SYMBOLS, Params,
    network_graph, network_loss, network_pass, network_params, neuron_graph, neuron_params, neuron_pass,
    relu_report, relu_slope,
)
from engines.byhand.backprop_slips import ARTICLE_CE, ARTICLE_W_NEW, network_slips, neuron_slips
from engines.byhand.gradcheck import (
    FLOAT32_H, GRADCHECK_H, MODEL_CHOICES, central_differences, entries, gradient_check, matching_digits,
)
from engines.core.events import Artifact, Event, Finished, Progress, Started
from engines.core.params import Param
from engines.core.runtime import Control, EngineSpec

LR = 0.1  # the neuron's learning rate in the lesson's update step


# --------------------------------------------------------------------- values table

def _spread(prefix: str, array) -> dict[str, float]:
    """Scalar names for the entries: dCE_dw_1 … for a vector, dL_dW1_21 for a matrix entry."""
    array = np.asarray(array, dtype=np.float64)
    if array.ndim == 1:
        return {f"{prefix}_{i + 1}": float(v) for i, v in enumerate(array)}
    return {f"{prefix}_{i + 1}{j + 1}": float(array[i, j]) for i, j in np.ndindex(array.shape)}


def _rows_text(params: Params, start: int = 1) -> str:
    """'1–4 w, 5 b' — which table rows hold which parameter, for the run steps' text."""
    parts, k = [], start
    for name, array in params.items():
        n = max(1, array.size)
        parts.append(f"{k}–{k + n - 1} {SYMBOLS[name]}" if n > 1 else f"{k} {SYMBOLS[name]}")
        k += n
    return ", ".join(parts)


def _shape(array) -> str:
    return "×".join(str(n) for n in np.shape(array))


def values() -> dict[str, Any]:
    """Every number the backprop lesson quotes, computed; placeholders use these names."""
    n = neuron_pass()
    x, w = np.array(NEURON_X), np.array(NEURON_W)
    w_new = w - LR * n.grads["w"]
    out: dict[str, Any] = {
        "x": list(NEURON_X), "w": list(NEURON_W), "b": NEURON_B, "y": NEURON_Y, "lr": LR,
        "wx_terms": (w * x).tolist(), "wx": float(w @ x), "z": n.z, "yhat": n.yhat,
        "one_minus_yhat": 1 - n.yhat, "log_yhat": math.log(n.yhat), "ce": n.ce,
        "dCE_dyhat": n.dce_dyhat, "dyhat_dz": n.dyhat_dz, "dCE_dz": n.dce_dz,
        "yhat_minus_y": n.yhat - NEURON_Y, "dCE_dw": n.grads["w"].tolist(), "dCE_db": float(n.grads["b"]),
        "w_new": w_new.tolist(), "b_new": NEURON_B - LR * float(n.grads["b"]),
        "neuron_graph": neuron_graph().to_dict(),
    }
    out.update(_spread("dCE_dw", n.grads["w"]))
    out.update(_spread("w_new", w_new))
    out.update(_spread("x", x))
    out.update(neuron_slips(n, x, w, NEURON_Y, LR))

    # Seed 002's worked example, as published, and what its own numbers imply.
    article_yhat, article_grad = 0.878, np.array([-0.1, -0.2, -0.3, -0.4])
    out.update({
        "article_label": [0, 1], "article_yhat": article_yhat, "article_ce": ARTICLE_CE,
        "article_ce_of_its_yhat": -math.log(article_yhat),
        "article_z_needed": math.log(article_yhat / (1 - article_yhat)),
        "article_grad": article_grad.tolist(), "article_w_new": list(ARTICLE_W_NEW),
        "article_w_by_its_rule": (w - LR * article_grad).tolist(),
        # Its formula −(1/ŷ)(1 − ŷ)·∂ŷ/∂w, with ∂ŷ/∂w = ŷ(1 − ŷ)x, counts (1 − ŷ) twice.
        "article_formula_grad": (-(1 - n.yhat) ** 2 * x).tolist(),
    })

    p, params = network_pass(), network_params()
    g = p.grads
    out.update({
        "net_x": list(NET_X), "W1": [list(r) for r in NET_W1], "b1": list(NET_B1),
        "W2": [list(r) for r in NET_W2], "b2": list(NET_B2), "net_y": list(NET_Y),
        "W1_shape": _shape(params["W1"]), "W2_shape": _shape(params["W2"]),
        "W1x": (params["W1"] @ p.x).tolist(), "z1": p.z1.tolist(), "h": p.h.tolist(),
        "W2h": (params["W2"] @ p.h).tolist(), "z2": p.z2.tolist(), "net_yhat": p.yhat.tolist(),
        "net_loss": p.loss, "net_errors": (p.y - p.yhat).tolist(),
        "dL_dyhat": p.dL_dyhat.tolist(), "relu2_slope": relu_slope(p.z2).tolist(),
        "dL_dz2": p.dL_dz2.tolist(), "dL_dh": p.dL_dh.tolist(), "relu1_slope": relu_slope(p.z1).tolist(),
        "dL_dz1": p.dL_dz1.tolist(), "dL_dW1": g["W1"].tolist(), "dL_db1": g["b1"].tolist(),
        "dL_dW2": g["W2"].tolist(), "dL_db2": g["b2"].tolist(),
        "net_relu_report": relu_report(p), "net_count": sum(a.size for a in params.values()),
        "blocked_loss_share": float(0.5 * (p.y[2] - p.yhat[2]) ** 2),
        "network_graph": network_graph().to_dict(),
    })
    for prefix, array in (("h", p.h), ("z1", p.z1), ("z2", p.z2), ("net_yhat", p.yhat), ("dL_dyhat", p.dL_dyhat),
                          ("dL_dz2", p.dL_dz2), ("dL_dh", p.dL_dh), ("dL_dz1", p.dL_dz1), ("dL_dW1", g["W1"]),
                          ("dL_db1", g["b1"]), ("dL_dW2", g["W2"]), ("dL_db2", g["b2"]), ("W2", params["W2"])):
        out.update(_spread(prefix, array))
    out.update(network_slips(p, params))

    # Seed 004's worked example, as published, and its own arithmetic done right.
    article_out, targets = np.array([0.77, 0.89, 1.01]), np.array(NET_Y)
    residuals = targets - article_out
    out.update({
        "article_h": [0.55, 0.65, 0.75], "article_out": article_out.tolist(), "article_targets": targets.tolist(),
        "article_residuals": residuals.tolist(), "article_squares": (residuals ** 2).tolist(),
        "article_square_sum": float(np.sum(residuals ** 2)), "article_loss": 0.0455,
        "article_loss_recomputed": float(0.5 * np.sum(residuals ** 2)),
        "article_loss_unbracketed": float(0.5 * residuals[0] ** 2 + np.sum(residuals[1:] ** 2)),
        "article_dL_dout_fixed": (article_out - targets).tolist(),
    })

    # The gradient check, as the run step will show it.
    float64_rows = gradient_check("both", GRADCHECK_H, "float64")
    float32_rows = gradient_check("both", FLOAT32_H, "float32")
    float32_tiny_h = gradient_check("both", GRADCHECK_H, "float32")
    eps64, eps32 = float(np.finfo(np.float64).eps), float(np.finfo(np.float32).eps)
    out.update({
        "gc_h": GRADCHECK_H, "gc_h32": FLOAT32_H, "gc_count": len(float64_rows),
        "gc_max_f64": max(r.rel_error for r in float64_rows),
        "gc_digits64": matching_digits(max(r.rel_error for r in float64_rows)),
        "gc_max_f32": max(r.rel_error for r in float32_rows),
        "gc_max_f32_tiny_h": max(r.rel_error for r in float32_tiny_h),
        "eps64": eps64, "eps32": eps32, "best_h64": eps64 ** (1 / 3), "best_h32": eps32 ** (1 / 3),
        "floor32": eps32 ** (2 / 3),
        "gc_rows": _rows_text(neuron_params()) + ", then " + _rows_text(network_params(), 1 + w.size + 1),
        "net_rows": _rows_text(network_params()),
    })

    # What the explore step's suggested changes do, computed the same way.
    off = network_params()
    off["b1"][0] = -0.5
    off_pass = network_pass(off)
    revived = network_params()
    revived["b2"][2] = 0.5
    revived_pass = network_pass(revived)
    out.update({
        "explore_b1_1": float(off["b1"][0]), "explore_z1_1": float(off_pass.z1[0]),
        "explore_off_dW1_row1": off_pass.grads["W1"][0].tolist(),
        "explore_b2_3": float(revived["b2"][2]), "explore_z2_3": float(revived_pass.z2[2]),
        "explore_dL_db2_3": float(revived_pass.grads["b2"][2]),
        "explore_kink_b1_1": -float(params["W1"][0] @ p.x),  # puts z₁[1] on ReLU's corner
    })
    return out


# --------------------------------------------------------------------------- engines

def run_gradcheck(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """One Progress row per parameter entry: hand, autograd, numeric, relative error."""
    model, h, dtype = config["model"], config["h"], config["dtype"]
    rows = gradient_check(model, h, dtype, with_autograd=config["autograd"])
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
        "the hand-derived gradients are right." if worst.rel_error < 1e-6 else
        "too large to prove anything: rounding in the difference quotient swamps it. "
        "Use float64, or a step h nearer to the cube root of the precision."
    )
    message = (f"Largest relative error {worst.rel_error:.1e} ({worst.model} {worst.label}) over {len(rows)} "
               f"parameters, {dtype}, h = {h:g}: {verdict}")
    yield Finished("completed", {"message": message, "max_rel_error": worst.rel_error})


GRADCHECK = EngineSpec(
    name="backprop.gradcheck",
    title="Gradient check: hand vs autograd vs finite differences",
    params=(
        Param("model", str, "both", "which network to check", choices=MODEL_CHOICES),
        Param("dtype", str, "float64", "precision of the finite differences", choices=("float64", "float32")),
        Param("h", float, GRADCHECK_H, "finite-difference step", minimum=0.0, exclusive_minimum=True, maximum=0.1),
        Param("autograd", bool, True, "also ask torch autograd (float64)"),
    ),
    run=run_gradcheck,
    smoke={"autograd": False},
)


EXPLORE_PARAMS = (
    Param("x1", float, NET_X[0], "input x[1]", minimum=-10.0, maximum=10.0),
    Param("x2", float, NET_X[1], "input x[2]", minimum=-10.0, maximum=10.0),
    Param("b1_1", float, NET_B1[0], "hidden bias b₁[1]", minimum=-10.0, maximum=10.0),
    Param("b1_2", float, NET_B1[1], "hidden bias b₁[2]", minimum=-10.0, maximum=10.0),
    Param("b1_3", float, NET_B1[2], "hidden bias b₁[3]", minimum=-10.0, maximum=10.0),
    Param("b2_3", float, NET_B2[2], "output bias b₂[3]", minimum=-10.0, maximum=10.0),
)


def explore_setup(config: dict[str, Any]) -> tuple[Params, tuple[float, float]]:
    params = network_params()
    params["b1"][:] = (config["b1_1"], config["b1_2"], config["b1_3"])
    params["b2"][2] = config["b2_3"]
    return params, (config["x1"], config["x2"])


def run_explore(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Every gradient of the network, recomputed for the student's inputs and biases."""
    params, x = explore_setup(config)
    p = network_pass(params, x)
    numeric = central_differences(partial(network_loss, x=x), params, GRADCHECK_H)
    rows = entries(params)
    yield Started(device="cpu", config=dict(config), total_steps=len(rows))
    for k, (name, index, _) in enumerate(rows, 1):
        if ctl.stop_requested:
            return
        ctl.poll()
        yield Progress(step=k, loss=p.loss, values={
            "value": float(params[name][index]), "grad": float(p.grads[name][index]),
            "numeric": float(numeric[name][index]),
        })
    yield Artifact("graph", network_graph(params, x).to_dict())
    yield Finished("completed", {"message": f"L = {p.loss:.6g}; {relu_report(p)}", "loss": p.loss})


EXPLORE = EngineSpec(
    name="backprop.explore",
    title="Change an input or a bias, see every gradient recomputed",
    params=EXPLORE_PARAMS,
    run=run_explore,
)
