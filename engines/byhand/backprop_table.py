"""The backprop lesson's value table: every number it quotes, for one set of inputs.

Placeholders use these names. Values named ``article_*`` are what the source articles
print, or what their own numbers give done right: they come from the articles' inputs
(variant 0) whatever the variant, because the find-the-error steps quote the articles.
Free of torch: the lab computes the table when the lesson opens.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from engines.byhand.backprop_models import (
    ARTICLE, SYMBOLS, BackpropInputs, Params, network_graph, network_params, network_pass, neuron_graph,
    neuron_params, neuron_pass, relu_report, relu_slope,
)
from engines.byhand.backprop_slips import ARTICLE_CE, ARTICLE_W_NEW, network_slips, neuron_slips
from engines.byhand.gradcheck import FLOAT32_H, GRADCHECK_H, gradient_check, matching_digits

LR = 0.1  # the learning rate of the neuron's update step (the article's too)


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


def _tenths_up(value: float) -> float:
    """The next multiple of 0.1 at or above ``value`` (rounding noise ignored)."""
    return math.ceil(round(value * 10, 6)) / 10


def value_table(inp: BackpropInputs) -> dict[str, Any]:
    out = _neuron(inp)
    out.update(_article_neuron())
    out.update(_network(inp))
    out.update(_article_network())
    out.update(_gradient_check(inp))
    out.update(_explore(inp))
    return out


def _neuron(inp: BackpropInputs) -> dict[str, Any]:
    n = neuron_pass(inp)
    x, w = np.array(inp.x), np.array(inp.w)
    w_new = w - LR * n.grads["w"]
    out: dict[str, Any] = {
        "x": list(inp.x), "w": list(inp.w), "b": inp.b, "y": inp.y, "lr": LR,
        "wx_terms": (w * x).tolist(), "wx": float(w @ x), "z": n.z, "yhat": n.yhat,
        "one_minus_yhat": 1 - n.yhat, "log_yhat": math.log(n.yhat), "ce": n.ce,
        "dCE_dyhat": n.dce_dyhat, "dyhat_dz": n.dyhat_dz, "dCE_dz": n.dce_dz,
        "yhat_minus_y": n.yhat - inp.y, "dCE_dw": n.grads["w"].tolist(), "dCE_db": float(n.grads["b"]),
        "w_new": w_new.tolist(), "b_new": inp.b - LR * float(n.grads["b"]),
        "neuron_graph": neuron_graph(inp).to_dict(),
    }
    out.update(_spread("dCE_dw", n.grads["w"]))
    out.update(_spread("w_new", w_new))
    out.update(_spread("x", x))
    out.update(neuron_slips(n, x, w, inp.y, LR))
    return out


def _article_neuron() -> dict[str, Any]:
    """Seed 002's worked example, as published, and what its own numbers give done right."""
    n = neuron_pass(ARTICLE)
    x, w = np.array(ARTICLE.x), np.array(ARTICLE.w)
    article_yhat, article_grad = 0.878, np.array([-0.1, -0.2, -0.3, -0.4])
    return {
        "article_x": list(ARTICLE.x), "article_w": list(ARTICLE.w), "article_b": ARTICLE.b,
        "article_y": ARTICLE.y, "article_lr": LR, "article_wx": float(w @ x), "article_z": n.z,
        "article_yhat_right": n.yhat, "article_ce_right": n.ce,
        "article_dCE_dw": n.grads["w"].tolist(), "article_w_new_right": (w - LR * n.grads["w"]).tolist(),
        "article_label": [0, 1], "article_yhat": article_yhat, "article_ce": ARTICLE_CE,
        "article_ce_of_its_yhat": -math.log(article_yhat),
        "article_z_needed": math.log(article_yhat / (1 - article_yhat)),
        "article_grad": article_grad.tolist(), "article_w_new": list(ARTICLE_W_NEW),
        "article_w_by_its_rule": (w - LR * article_grad).tolist(),
        # Its formula −(1/ŷ)(1 − ŷ)·∂ŷ/∂w, with ∂ŷ/∂w = ŷ(1 − ŷ)x, counts (1 − ŷ) twice.
        "article_formula_grad": (-(1 - n.yhat) ** 2 * x).tolist(),
    }


def _network(inp: BackpropInputs) -> dict[str, Any]:
    p, params = network_pass(inp), network_params(inp)
    g = p.grads
    out: dict[str, Any] = {
        "net_x": list(inp.net_x), "W1": [list(r) for r in inp.W1], "b1": list(inp.b1),
        "W2": [list(r) for r in inp.W2], "b2": list(inp.b2), "net_y": list(inp.net_y),
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
        "network_graph": network_graph(inp).to_dict(),
    }
    for prefix, array in (("h", p.h), ("z1", p.z1), ("z2", p.z2), ("net_yhat", p.yhat), ("dL_dyhat", p.dL_dyhat),
                          ("dL_dz2", p.dL_dz2), ("dL_dh", p.dL_dh), ("dL_dz1", p.dL_dz1), ("dL_dW1", g["W1"]),
                          ("dL_db1", g["b1"]), ("dL_dW2", g["W2"]), ("dL_db2", g["b2"]), ("W2", params["W2"])):
        out.update(_spread(prefix, array))
    out.update(network_slips(p, params))
    return out


def _article_network() -> dict[str, Any]:
    """Seed 004's worked example, as published; its hidden layer done right and completed
    with the articles' W₂, b₂; and its loss arithmetic done right."""
    p, params = network_pass(ARTICLE), network_params(ARTICLE)
    article_out, targets = np.array([0.77, 0.89, 1.01]), np.array(ARTICLE.net_y)
    residuals = targets - article_out
    return {
        "article_W1": [list(r) for r in ARTICLE.W1], "article_b1": list(ARTICLE.b1),
        "article_net_x": list(ARTICLE.net_x), "article_W1x": (params["W1"] @ p.x).tolist(),
        "article_z1": p.z1.tolist(), "article_h_right": p.h.tolist(), "article_z2": p.z2.tolist(),
        "article_net_yhat": p.yhat.tolist(),
        "article_h": [0.55, 0.65, 0.75], "article_out": article_out.tolist(), "article_targets": targets.tolist(),
        "article_residuals": residuals.tolist(), "article_squares": (residuals ** 2).tolist(),
        "article_square_sum": float(np.sum(residuals ** 2)), "article_loss": 0.0455,
        "article_loss_recomputed": float(0.5 * np.sum(residuals ** 2)),
        "article_loss_unbracketed": float(0.5 * residuals[0] ** 2 + np.sum(residuals[1:] ** 2)),
        "article_dL_dout_fixed": (article_out - targets).tolist(),
    }


def _gradient_check(inp: BackpropInputs) -> dict[str, Any]:
    """The gradient check, as the run step will show it."""
    float64_rows = gradient_check("both", GRADCHECK_H, "float64", inp=inp)
    float32_rows = gradient_check("both", FLOAT32_H, "float32", inp=inp)
    float32_tiny_h = gradient_check("both", GRADCHECK_H, "float32", inp=inp)
    eps64, eps32 = float(np.finfo(np.float64).eps), float(np.finfo(np.float32).eps)
    return {
        "gc_h": GRADCHECK_H, "gc_h32": FLOAT32_H, "gc_count": len(float64_rows),
        "gc_max_f64": max(r.rel_error for r in float64_rows),
        "gc_digits64": matching_digits(max(r.rel_error for r in float64_rows)),
        "gc_max_f32": max(r.rel_error for r in float32_rows),
        "gc_max_f32_tiny_h": max(r.rel_error for r in float32_tiny_h),
        "eps64": eps64, "eps32": eps32, "best_h64": eps64 ** (1 / 3), "best_h32": eps32 ** (1 / 3),
        "floor32": eps32 ** (2 / 3),
        "gc_rows": _rows_text(neuron_params(inp)) + ", then " + _rows_text(network_params(inp), 1 + len(inp.w) + 1),
        "net_rows": _rows_text(network_params(inp)),
    }


def _explore(inp: BackpropInputs) -> dict[str, Any]:
    """What the explore step's suggested changes (added to a bias) do, computed the same way."""
    p = network_pass(inp)
    w1x_1, w2h_3 = float(p.z1[0] - inp.b1[0]), float(p.z2[2] - inp.b2[2])
    # b₁[1] at least 0.3 below −W₁[1]·x switches hidden unit 1 off, clearly.
    db1_1 = round(-(_tenths_up(w1x_1) + 0.3) - inp.b1[0], 1)
    off = network_pass(explore_inputs(inp, db1_1=db1_1))
    # b₂[3] at least 0.05 above −W₂[3]·h switches the last output on, clearly.
    db2_3 = round(_tenths_up(0.05 - w2h_3) - inp.b2[2], 1)
    on = network_pass(explore_inputs(inp, db2_3=db2_3))
    return {
        "explore_db1_1": db1_1, "explore_b1_1": round(inp.b1[0] + db1_1, 1), "explore_z1_1": float(off.z1[0]),
        "explore_off_dW1_row1": off.grads["W1"][0].tolist(),
        "explore_db2_3": db2_3, "explore_b2_3": round(inp.b2[2] + db2_3, 1), "explore_z2_3": float(on.z2[2]),
        "explore_dL_db2_3": float(on.grads["b2"][2]),
        # z₁[1] moved onto ReLU's corner (z₁ is a multiple of 0.01 for inputs in tenths).
        "explore_kink_db1_1": round(-float(p.z1[0]), 2), "explore_kink_b1_1": -w1x_1,
    }


def explore_inputs(inp: BackpropInputs, dx1: float = 0.0, dx2: float = 0.0, db1_1: float = 0.0,
                   db1_2: float = 0.0, db1_3: float = 0.0, db2_3: float = 0.0) -> BackpropInputs:
    """The network's inputs with the explore step's changes added to x and the biases
    (rounded to 12 places, so that 0.1 − 0.6 is the −0.5 a student means)."""
    def plus(values, changes) -> tuple[float, ...]:
        return tuple(np.round(np.add(values, changes), 12).tolist())

    return replace(inp, net_x=plus(inp.net_x, (dx1, dx2)), b1=plus(inp.b1, (db1_1, db1_2, db1_3)),
                   b2=plus(inp.b2, (0.0, 0.0, db2_3)))
