"""Backpropagation by hand, node by node, for a logistic neuron and a small ReLU network.

Everything the lesson quotes is computed here with NumPy in float64, from the chain
rule written out one node at a time. ``checks`` proves each gradient two more ways:
torch autograd and a central finite difference. torch is imported only inside the
functions that need it.

The logistic neuron (one example, label y = 1):
    z = w·x + b,  ŷ = σ(z),  CE = −y·log ŷ − (1 − y)·log(1 − ŷ)
    ∂CE/∂z = ∂CE/∂ŷ · ∂ŷ/∂z = (−y/ŷ + (1 − y)/(1 − ŷ)) · ŷ(1 − ŷ) = ŷ − y

The ReLU network (2 inputs → 3 hidden → 3 outputs, ReLU on both layers):
    z₁ = W₁x + b₁,  h = ReLU(z₁),  z₂ = W₂h + b₂,  ŷ = ReLU(z₂),  L = ½ Σ (y − ŷ)²
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any, Callable, Iterator

import numpy as np

from engines.core.events import Artifact, Event, Finished, Progress, Started
from engines.byhand.graph import Edge, Graph, Node, plain
from engines.core.params import Param
from engines.core.runtime import Control, EngineSpec

Params = dict[str, np.ndarray]

# The logistic neuron of a published worked example (its numbers, corrected maths).
NEURON_X = (0.1, 0.2, 0.3, 0.4)
NEURON_W = (0.1, 0.2, 0.3, 0.4)
NEURON_B = 0.5
NEURON_Y = 1.0
LR = 0.1

# The hidden layer of a published ReLU example: W₁x + b₁ = [0.25, 0.55, 0.85].
NET_X = (0.5, 0.5)
NET_W1 = ((0.1, 0.2), (0.3, 0.4), (0.5, 0.6))
NET_B1 = (0.1, 0.2, 0.3)
# Our completion of it. Its targets have three entries, so three outputs, and W₂ must be
# 3×3; its formula puts ReLU on the output too. The third output's pre-activation is
# negative, so ReLU blocks that output's gradient although its error is a whole 1.
NET_W2 = ((0.2, 0.3, 0.4), (0.1, -0.2, 0.3), (-0.3, 0.1, -0.5))
NET_B2 = (0.1, 0.0, 0.2)
NET_Y = (1.0, 0.0, 1.0)

SYMBOLS = {"w": "w", "b": "b", "W1": "W₁", "b1": "b₁", "W2": "W₂", "b2": "b₂"}
GRADCHECK_H = 1e-6  # central-difference step in float64 (see gradient_check)
FLOAT32_H = 1e-3  # a reasonable step for float32; smaller ones drown in rounding
KINK = 1e-4  # a pre-activation this close to 0 is "on the kink" for a finite difference


# ----------------------------------------------------------------------------- neuron

def neuron_params() -> Params:
    return {"w": np.array(NEURON_W, dtype=np.float64), "b": np.array(NEURON_B, dtype=np.float64)}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def neuron_loss(params: Params, x=NEURON_X, y=NEURON_Y):
    """CE in the parameters' own dtype (float32 stays float32, for the rounding lesson)."""
    dtype = params["w"].dtype
    x, y = np.asarray(x, dtype=dtype), dtype.type(y)
    yhat = sigmoid(params["w"] @ x + params["b"])
    return -(y * np.log(yhat) + (1 - y) * np.log(1 - yhat))


@dataclass(frozen=True)
class NeuronPass:
    """Forward values and every local derivative of the neuron, by hand."""

    z: float
    yhat: float
    ce: float
    dce_dyhat: float  # −y/ŷ + (1 − y)/(1 − ŷ)
    dyhat_dz: float  # σ'(z) = ŷ(1 − ŷ)
    dce_dz: float  # their product, which simplifies to ŷ − y
    dce_dy: float  # not needed for learning; shown on the target's edge
    grads: dict[str, np.ndarray]  # ∂CE/∂w, ∂CE/∂b


def neuron_pass(params: Params | None = None, x=NEURON_X, y=NEURON_Y) -> NeuronPass:
    params = params or neuron_params()
    x = np.asarray(x, dtype=np.float64)
    z = float(params["w"] @ x + params["b"])
    yhat = float(sigmoid(z))
    ce = -(y * math.log(yhat) + (1 - y) * math.log(1 - yhat))
    dce_dyhat = -y / yhat + (1 - y) / (1 - yhat)
    dyhat_dz = yhat * (1 - yhat)
    dce_dz = dce_dyhat * dyhat_dz
    grads = {"w": dce_dz * x, "b": np.array(dce_dz)}
    return NeuronPass(z, yhat, ce, dce_dyhat, dyhat_dz, dce_dz, math.log(1 - yhat) - math.log(yhat), grads)


def neuron_graph(params: Params | None = None, x=NEURON_X, y=NEURON_Y) -> Graph:
    params = params or neuron_params()
    p = neuron_pass(params, x, y)
    w, b, dw, db = params["w"], params["b"], p.grads["w"], p.grads["b"]
    nodes = (
        Node("x", "x", "x", "input", plain(np.asarray(x))),
        Node("w", "w", "w", "parameter", plain(w), plain(dw), "∂CE/∂z · x = (ŷ − y)·x"),
        Node("b", "b", "b", "parameter", plain(b), plain(db), "∂CE/∂z · 1 = ŷ − y"),
        Node("y", "y", "y", "target", float(y)),
        Node("z", "z", "z = w·x + b", "linear", p.z, p.dce_dz, "∂CE/∂ŷ · ∂ŷ/∂z = ŷ − y"),
        Node("yhat", "ŷ", "ŷ = σ(z)", "sigmoid", p.yhat, p.dce_dyhat, "∂CE/∂CE · ∂CE/∂ŷ"),
        Node("ce", "CE", "CE = −y·log ŷ − (1 − y)·log(1 − ŷ)", "binary cross-entropy", p.ce, 1.0,
             "1: the backward pass starts here"),
    )
    edges = (
        Edge("x", "z", "∂z/∂x = w", plain(w)),
        Edge("w", "z", "∂z/∂w = x", plain(np.asarray(x)), plain(dw)),
        Edge("b", "z", "∂z/∂b = 1", None, plain(db)),
        Edge("z", "yhat", "∂ŷ/∂z = ŷ(1 − ŷ)", p.dyhat_dz, p.dce_dz),
        Edge("yhat", "ce", "∂CE/∂ŷ = −y/ŷ + (1 − y)/(1 − ŷ)", p.dce_dyhat, p.dce_dyhat),
        Edge("y", "ce", "∂CE/∂y = log(1 − ŷ) − log ŷ", p.dce_dy),
    )
    return Graph("neuron", "Logistic neuron", nodes, edges, loss="ce")


# ---------------------------------------------------------------------------- network

def network_params() -> Params:
    return {
        "W1": np.array(NET_W1, dtype=np.float64), "b1": np.array(NET_B1, dtype=np.float64),
        "W2": np.array(NET_W2, dtype=np.float64), "b2": np.array(NET_B2, dtype=np.float64),
    }


def relu(z):
    return np.maximum(z, 0)


def relu_slope(z) -> np.ndarray:
    """ReLU's derivative: 1 where z > 0, else 0 (at exactly 0 too, as PyTorch has it)."""
    return (np.asarray(z) > 0).astype(np.float64)


def network_loss(params: Params, x=NET_X, y=NET_Y):
    dtype = params["W1"].dtype
    x, y = np.asarray(x, dtype=dtype), np.asarray(y, dtype=dtype)
    yhat = relu(params["W2"] @ relu(params["W1"] @ x + params["b1"]) + params["b2"])
    return 0.5 * np.sum((y - yhat) ** 2)


@dataclass(frozen=True)
class NetworkPass:
    """Forward values and the backward pass of the ReLU network, one node at a time."""

    x: np.ndarray
    y: np.ndarray
    z1: np.ndarray
    h: np.ndarray
    z2: np.ndarray
    yhat: np.ndarray
    loss: float
    dL_dyhat: np.ndarray  # ŷ − y
    dL_dz2: np.ndarray  # ∂L/∂ŷ ⊙ 1[z₂ > 0]
    dL_dh: np.ndarray  # W₂ᵀ ∂L/∂z₂
    dL_dz1: np.ndarray  # ∂L/∂h ⊙ 1[z₁ > 0]
    grads: dict[str, np.ndarray]  # ∂L/∂W₁, ∂L/∂b₁, ∂L/∂W₂, ∂L/∂b₂


def network_pass(params: Params | None = None, x=NET_X, y=NET_Y) -> NetworkPass:
    params = params or network_params()
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    z1 = params["W1"] @ x + params["b1"]
    h = relu(z1)
    z2 = params["W2"] @ h + params["b2"]
    yhat = relu(z2)
    loss = float(0.5 * np.sum((y - yhat) ** 2))
    dL_dyhat = yhat - y
    dL_dz2 = dL_dyhat * relu_slope(z2) + 0.0  # + 0.0: a blocked −1·0 shows as 0, not −0
    dL_dh = params["W2"].T @ dL_dz2
    dL_dz1 = dL_dh * relu_slope(z1) + 0.0
    grads = {"W1": np.outer(dL_dz1, x), "b1": dL_dz1, "W2": np.outer(dL_dz2, h), "b2": dL_dz2}
    return NetworkPass(x, y, z1, h, z2, yhat, loss, dL_dyhat, dL_dz2, dL_dh, dL_dz1, grads)


def network_graph(params: Params | None = None, x=NET_X, y=NET_Y) -> Graph:
    params = params or network_params()
    p = network_pass(params, x, y)
    g = p.grads
    nodes = (
        Node("x", "x", "x", "input", plain(p.x)),
        Node("W1", "W₁", "W₁", "parameter", plain(params["W1"]), plain(g["W1"]), "∂L/∂z₁ · xᵀ"),
        Node("b1", "b₁", "b₁", "parameter", plain(params["b1"]), plain(g["b1"]), "∂L/∂z₁"),
        Node("z1", "z₁", "z₁ = W₁x + b₁", "linear", plain(p.z1), plain(p.dL_dz1), "∂L/∂h ⊙ 1[z₁ > 0]"),
        Node("h", "h", "h = ReLU(z₁)", "relu", plain(p.h), plain(p.dL_dh), "W₂ᵀ · ∂L/∂z₂"),
        Node("W2", "W₂", "W₂", "parameter", plain(params["W2"]), plain(g["W2"]), "∂L/∂z₂ · hᵀ"),
        Node("b2", "b₂", "b₂", "parameter", plain(params["b2"]), plain(g["b2"]), "∂L/∂z₂"),
        Node("z2", "z₂", "z₂ = W₂h + b₂", "linear", plain(p.z2), plain(p.dL_dz2), "∂L/∂ŷ ⊙ 1[z₂ > 0]"),
        Node("yhat", "ŷ", "ŷ = ReLU(z₂)", "relu", plain(p.yhat), plain(p.dL_dyhat), "ŷ − y"),
        Node("y", "y", "y", "target", plain(p.y)),
        Node("L", "L", "L = ½ Σ (y − ŷ)²", "half squared error", p.loss, 1.0, "1: the backward pass starts here"),
    )
    edges = (
        Edge("x", "z1", "∂z₁/∂x = W₁", plain(params["W1"])),
        Edge("W1", "z1", "∂z₁ᵢ/∂W₁ᵢⱼ = xⱼ, with x", plain(p.x), plain(g["W1"])),
        Edge("b1", "z1", "∂z₁/∂b₁ = 1, entry by entry", None, plain(g["b1"])),
        Edge("z1", "h", "∂h/∂z₁ = 1[z₁ > 0]", plain(relu_slope(p.z1)), plain(p.dL_dz1)),
        Edge("h", "z2", "∂z₂/∂h = W₂", plain(params["W2"]), plain(p.dL_dh)),
        Edge("W2", "z2", "∂z₂ᵢ/∂W₂ᵢⱼ = hⱼ, with h", plain(p.h), plain(g["W2"])),
        Edge("b2", "z2", "∂z₂/∂b₂ = 1, entry by entry", None, plain(g["b2"])),
        Edge("z2", "yhat", "∂ŷ/∂z₂ = 1[z₂ > 0]", plain(relu_slope(p.z2)), plain(p.dL_dz2)),
        Edge("yhat", "L", "∂L/∂ŷ = ŷ − y", plain(p.dL_dyhat), plain(p.dL_dyhat)),
        Edge("y", "L", "∂L/∂y = y − ŷ", plain(p.y - p.yhat)),
    )
    return Graph("network", "ReLU network", nodes, edges, loss="L")


def relu_report(p: NetworkPass) -> str:
    """Which units ReLU switches off, and what that does to the gradients, in sentences."""
    parts = []
    for layer, z, what in (("hidden", p.z1, "z₁"), ("output", p.z2, "z₂")):
        for i, value in enumerate(z, 1):
            if abs(value) < KINK:
                parts.append(f"{layer} unit {i} sits on ReLU's kink ({what}[{i}] = {value:.2g}): its slope there "
                             "is a convention (1 above 0, else 0) and a finite difference straddles the corner")
            elif value < 0:
                parts.append(f"{layer} unit {i} is off ({what}[{i}] = {value:.4g}), so ReLU blocks its gradient")
    return "; ".join(parts) + "." if parts else "every unit is on: ReLU blocks no gradient."


# ------------------------------------------------------------------ gradient checking

@dataclass(frozen=True)
class Model:
    name: str
    params: Callable[[], Params]
    loss: Callable[..., Any]  # loss(params) in the params' dtype
    hand: Callable[[Params], dict[str, np.ndarray]]  # float64 gradients by the chain rule


MODELS = {
    "neuron": Model("neuron", neuron_params, neuron_loss, lambda p: neuron_pass(p).grads),
    "network": Model("network", network_params, network_loss, lambda p: network_pass(p).grads),
}
MODEL_CHOICES = ("both", "neuron", "network")


def entry_label(name: str, index: tuple[int, ...]) -> str:
    """W₁[2,1] for a matrix entry (1-based, as the maths writes it), b for a scalar."""
    symbol = SYMBOLS.get(name, name)
    return f"{symbol}[{','.join(str(i + 1) for i in index)}]" if index else symbol


def entries(params: Params) -> list[tuple[str, tuple[int, ...], str]]:
    """(parameter, index, label) of every single number in the parameters, in order."""
    return [(name, index, entry_label(name, index)) for name, array in params.items() for index in np.ndindex(array.shape)]


def central_differences(loss: Callable[[Params], Any], params: Params, h: float, dtype: str = "float64") -> dict[str, np.ndarray]:
    """(L(p + h) − L(p − h)) / 2h for every entry, with the loss evaluated in ``dtype``."""
    work = {name: np.array(array, dtype=dtype) for name, array in params.items()}
    grads = {name: np.zeros(array.shape) for name, array in params.items()}
    for name, index, _ in entries(work):
        array = work[name]
        saved = array[index].copy()
        array[index] = saved + h
        up = loss(work)
        array[index] = saved - h
        down = loss(work)
        array[index] = saved
        grads[name][index] = float(up - down) / (2 * h)
    return grads


def relative_error(a: float, b: float) -> float:
    """|a − b| / max(|a|, |b|); 0 when both are exactly 0 (a gradient ReLU blocked)."""
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


@dataclass(frozen=True)
class CheckRow:
    model: str
    label: str
    loss: float
    hand: float
    numeric: float
    rel_error: float
    autograd: float | None = None


def gradient_check(model: str = "both", h: float = GRADCHECK_H, dtype: str = "float64",
                   with_autograd: bool = False) -> list[CheckRow]:
    """Hand gradients against central differences (and autograd) for every parameter entry.

    Why float64: the central difference's error is truncation, about h²·|L'''|/6, plus
    rounding, about ε·|L|/h. In float64 (ε ≈ 2e-16) h = 1e-6 makes both tiny and the
    check resolves about nine digits here. In float32 (ε ≈ 1e-7) no h works well: the best
    balance, h ≈ ε^⅓, still leaves errors near ε^⅔ ≈ 2e-5 — for these gradients,
    relative errors of 1e-4 and worse — so a correct gradient cannot be told from one
    that is slightly wrong.
    """
    rows = []
    for name in (("neuron", "network") if model == "both" else (model,)):
        spec = MODELS[name]
        params = spec.params()
        hand = spec.hand(params)
        numeric = central_differences(spec.loss, params, h, dtype)
        auto = autograd_gradients(name) if with_autograd else None
        loss = float(spec.loss(params))
        for pname, index, label in entries(params):
            a, n = float(hand[pname][index]), float(numeric[pname][index])
            rows.append(CheckRow(name, label, loss, a, n, relative_error(a, n),
                                 float(auto[pname][index]) if auto else None))
    return rows


def matching_digits(rel_error: float) -> float:
    """How many leading digits agree: −log₁₀ of the relative error, 16 when exact."""
    return 16.0 if rel_error <= 1e-16 else min(16.0, -math.log10(rel_error))


# ------------------------------------------------------------------------- autograd

def autograd_forward_and_gradients(model: str) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """The same model in torch (float64): forward values and autograd's gradients."""
    import torch

    t = partial(torch.tensor, dtype=torch.float64)
    if model == "neuron":
        w, b = t(NEURON_W, requires_grad=True), t(NEURON_B, requires_grad=True)
        z = w @ t(NEURON_X) + b
        yhat = torch.sigmoid(z)
        ce = torch.nn.functional.binary_cross_entropy(yhat, t(NEURON_Y))
        ce.backward()
        forward = {"z": z.item(), "ŷ": yhat.item(), "CE": ce.item()}
        return forward, {"w": w.grad.numpy().copy(), "b": b.grad.numpy().copy()}
    leaves = {name: t(value, requires_grad=True) for name, value in
              (("W1", NET_W1), ("b1", NET_B1), ("W2", NET_W2), ("b2", NET_B2))}
    h = torch.relu(leaves["W1"] @ t(NET_X) + leaves["b1"])
    yhat = torch.relu(leaves["W2"] @ h + leaves["b2"])
    loss = 0.5 * ((t(NET_Y) - yhat) ** 2).sum()
    loss.backward()
    forward = {**{f"h[{i}]": v for i, v in enumerate(h.tolist(), 1)},
               **{f"ŷ[{i}]": v for i, v in enumerate(yhat.tolist(), 1)}, "L": loss.item()}
    return forward, {name: leaf.grad.numpy().copy() for name, leaf in leaves.items()}


def autograd_gradients(model: str) -> dict[str, np.ndarray]:
    return autograd_forward_and_gradients(model)[1]


def checks() -> list[tuple[str, float, float]]:
    """For every parameter entry: hand vs autograd and hand vs finite difference (float64)."""
    neuron, network = neuron_pass(), network_pass()
    hand_forward = {
        "neuron": {"z": neuron.z, "ŷ": neuron.yhat, "CE": neuron.ce},
        "network": {**{f"h[{i}]": v for i, v in enumerate(network.h, 1)},
                    **{f"ŷ[{i}]": v for i, v in enumerate(network.yhat, 1)}, "L": network.loss},
    }
    out: list[tuple[str, float, float]] = []
    for model in ("neuron", "network"):
        forward, auto = autograd_forward_and_gradients(model)
        for name, value in hand_forward[model].items():
            out.append((f"{model}: {name} by hand vs torch", float(value), forward[name]))
        spec = MODELS[model]
        params = spec.params()
        hand = spec.hand(params)
        numeric = central_differences(spec.loss, params, GRADCHECK_H)
        for pname, index, label in entries(params):
            a = float(hand[pname][index])
            out.append((f"{model}: ∂/∂{label} hand vs autograd", a, float(auto[pname][index])))
            out.append((f"{model}: ∂/∂{label} hand vs finite difference", a, float(numeric[pname][index])))
    return out


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

    # Seed 002's worked example, as published, and what its own numbers imply.
    article_yhat, article_grad = 0.878, np.array([-0.1, -0.2, -0.3, -0.4])
    out.update({
        "article_label": [0, 1], "article_yhat": article_yhat, "article_ce": -0.251,
        "article_ce_of_its_yhat": -math.log(article_yhat),
        "article_z_needed": math.log(article_yhat / (1 - article_yhat)),
        "article_grad": article_grad.tolist(), "article_w_new": [0.09, 0.18, 0.27, 0.36],
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
