"""The backprop lesson's two models, forward and backward by hand, node by node.

Everything is NumPy in float64, from the chain rule written out one node at a time;
each pass also becomes a computational graph the lesson walks.

The logistic neuron (one example, label y = 1):
    z = w·x + b,  ŷ = σ(z),  CE = −y·log ŷ − (1 − y)·log(1 − ŷ)
    ∂CE/∂z = ∂CE/∂ŷ · ∂ŷ/∂z = (−y/ŷ + (1 − y)/(1 − ŷ)) · ŷ(1 − ŷ) = ŷ − y

The ReLU network (2 inputs → 3 hidden → 3 outputs, ReLU on both layers):
    z₁ = W₁x + b₁,  h = ReLU(z₁),  z₂ = W₂h + b₂,  ŷ = ReLU(z₂),  L = ½ Σ (y − ŷ)²
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engines.byhand.graph import Edge, Graph, Node, plain
from lab_i18n import N_

Params = dict[str, np.ndarray]
Vector = tuple[float, ...]


@dataclass(frozen=True)
class BackpropInputs:
    """Every number the two models start from; a variant of the lesson is one of these."""

    x: Vector  # the neuron: inputs, weights, bias, label
    w: Vector
    b: float
    y: float
    net_x: Vector  # the network: input, both layers, targets
    W1: tuple[Vector, ...]
    b1: Vector
    W2: tuple[Vector, ...]
    b2: Vector
    net_y: Vector


ARTICLE = BackpropInputs(
    # The logistic neuron of a published worked example (its numbers, corrected maths).
    x=(0.1, 0.2, 0.3, 0.4), w=(0.1, 0.2, 0.3, 0.4), b=0.5, y=1.0,
    # The hidden layer of a published ReLU example: W₁x + b₁ = [0.25, 0.55, 0.85].
    net_x=(0.5, 0.5), W1=((0.1, 0.2), (0.3, 0.4), (0.5, 0.6)), b1=(0.1, 0.2, 0.3),
    # Our completion of it. Its targets have three entries, so three outputs, and W₂ must be
    # 3×3; its formula puts ReLU on the output too. The third output's pre-activation is
    # negative, so ReLU blocks that output's gradient although its error is a whole 1.
    W2=((0.2, 0.3, 0.4), (0.1, -0.2, 0.3), (-0.3, 0.1, -0.5)), b2=(0.1, 0.0, 0.2), net_y=(1.0, 0.0, 1.0),
)

SYMBOLS = {"w": "w", "b": "b", "W1": "W₁", "b1": "b₁", "W2": "W₂", "b2": "b₂"}
KINK = 1e-4  # a pre-activation this close to 0 is "on the kink" for a finite difference


# ----------------------------------------------------------------------------- neuron

def neuron_params(inp: BackpropInputs = ARTICLE) -> Params:
    return {"w": np.array(inp.w, dtype=np.float64), "b": np.array(inp.b, dtype=np.float64)}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def neuron_loss(params: Params, inp: BackpropInputs = ARTICLE):
    """CE in the parameters' own dtype (float32 stays float32, for the rounding lesson)."""
    dtype = params["w"].dtype
    x, y = np.asarray(inp.x, dtype=dtype), dtype.type(inp.y)
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


def neuron_pass(inp: BackpropInputs = ARTICLE) -> NeuronPass:
    params, y = neuron_params(inp), inp.y
    x = np.asarray(inp.x, dtype=np.float64)
    z = float(params["w"] @ x + params["b"])
    yhat = float(sigmoid(z))
    ce = -(y * math.log(yhat) + (1 - y) * math.log(1 - yhat))
    dce_dyhat = -y / yhat + (1 - y) / (1 - yhat)
    dyhat_dz = yhat * (1 - yhat)
    dce_dz = dce_dyhat * dyhat_dz
    grads = {"w": dce_dz * x, "b": np.array(dce_dz)}
    return NeuronPass(z, yhat, ce, dce_dyhat, dyhat_dz, dce_dz, math.log(1 - yhat) - math.log(yhat), grads)


def neuron_graph(inp: BackpropInputs = ARTICLE) -> Graph:
    params, x, y = neuron_params(inp), inp.x, inp.y
    p = neuron_pass(inp)
    w, b, dw, db = params["w"], params["b"], p.grads["w"], p.grads["b"]
    nodes = (
        Node("x", "x", "x", N_("input"), plain(np.asarray(x))),
        Node("w", "w", "w", N_("parameter"), plain(w), plain(dw), "∂CE/∂z · x = (ŷ − y)·x"),
        Node("b", "b", "b", N_("parameter"), plain(b), plain(db), "∂CE/∂z · 1 = ŷ − y"),
        Node("y", "y", "y", N_("target"), float(y)),
        Node("z", "z", "z = w·x + b", N_("linear"), p.z, p.dce_dz, "∂CE/∂ŷ · ∂ŷ/∂z = ŷ − y"),
        Node("yhat", "ŷ", "ŷ = σ(z)", N_("sigmoid"), p.yhat, p.dce_dyhat, "∂CE/∂CE · ∂CE/∂ŷ"),
        Node("ce", "CE", "CE = −y·log ŷ − (1 − y)·log(1 − ŷ)", N_("binary cross-entropy"), p.ce, 1.0,
             N_("1: the backward pass starts here")),
    )
    edges = (
        Edge("x", "z", "∂z/∂x = w", plain(w)),
        Edge("w", "z", "∂z/∂w = x", plain(np.asarray(x)), plain(dw)),
        Edge("b", "z", "∂z/∂b = 1", None, plain(db)),
        Edge("z", "yhat", "∂ŷ/∂z = ŷ(1 − ŷ)", p.dyhat_dz, p.dce_dz),
        Edge("yhat", "ce", "∂CE/∂ŷ = −y/ŷ + (1 − y)/(1 − ŷ)", p.dce_dyhat, p.dce_dyhat),
        Edge("y", "ce", "∂CE/∂y = log(1 − ŷ) − log ŷ", p.dce_dy),
    )
    return Graph("neuron", N_("Logistic neuron"), nodes, edges, loss="ce")


# ---------------------------------------------------------------------------- network

def network_params(inp: BackpropInputs = ARTICLE) -> Params:
    return {name: np.array(getattr(inp, name), dtype=np.float64) for name in ("W1", "b1", "W2", "b2")}


def relu(z):
    return np.maximum(z, 0)


def relu_slope(z) -> np.ndarray:
    """ReLU's derivative: 1 where z > 0, else 0 (at exactly 0 too, as PyTorch has it)."""
    return (np.asarray(z) > 0).astype(np.float64)


def network_loss(params: Params, inp: BackpropInputs = ARTICLE):
    dtype = params["W1"].dtype
    x, y = np.asarray(inp.net_x, dtype=dtype), np.asarray(inp.net_y, dtype=dtype)
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


def network_pass(inp: BackpropInputs = ARTICLE) -> NetworkPass:
    params = network_params(inp)
    x, y = np.asarray(inp.net_x, dtype=np.float64), np.asarray(inp.net_y, dtype=np.float64)
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


def network_graph(inp: BackpropInputs = ARTICLE) -> Graph:
    params = network_params(inp)
    p = network_pass(inp)
    g = p.grads
    nodes = (
        Node("x", "x", "x", N_("input"), plain(p.x)),
        Node("W1", "W₁", "W₁", N_("parameter"), plain(params["W1"]), plain(g["W1"]), "∂L/∂z₁ · xᵀ"),
        Node("b1", "b₁", "b₁", N_("parameter"), plain(params["b1"]), plain(g["b1"]), "∂L/∂z₁"),
        Node("z1", "z₁", "z₁ = W₁x + b₁", N_("linear"), plain(p.z1), plain(p.dL_dz1), "∂L/∂h ⊙ 1[z₁ > 0]"),
        Node("h", "h", "h = ReLU(z₁)", N_("relu"), plain(p.h), plain(p.dL_dh), "W₂ᵀ · ∂L/∂z₂"),
        Node("W2", "W₂", "W₂", N_("parameter"), plain(params["W2"]), plain(g["W2"]), "∂L/∂z₂ · hᵀ"),
        Node("b2", "b₂", "b₂", N_("parameter"), plain(params["b2"]), plain(g["b2"]), "∂L/∂z₂"),
        Node("z2", "z₂", "z₂ = W₂h + b₂", N_("linear"), plain(p.z2), plain(p.dL_dz2), "∂L/∂ŷ ⊙ 1[z₂ > 0]"),
        Node("yhat", "ŷ", "ŷ = ReLU(z₂)", N_("relu"), plain(p.yhat), plain(p.dL_dyhat), "ŷ − y"),
        Node("y", "y", "y", N_("target"), plain(p.y)),
        Node("L", "L", "L = ½ Σ (y − ŷ)²", N_("half squared error"), p.loss, 1.0, N_("1: the backward pass starts here")),
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
    return Graph("network", N_("ReLU network"), nodes, edges, loss="L")


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

