"""Every backprop gradient proved two more ways: a central finite difference and torch autograd.

``gradient_check`` compares the hand-derived gradients of ``backprop_models`` with finite
differences (in float64 or float32, for the rounding lesson); ``cross_checks`` adds autograd.
torch is imported only inside the functions that ask it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import numpy as np

from engines.byhand.backprop_models import (
    ARTICLE, SYMBOLS, BackpropInputs, Params, network_loss, network_params, network_pass, neuron_loss,
    neuron_params, neuron_pass,
)

GRADCHECK_H = 1e-6  # central-difference step in float64 (see gradient_check)
FLOAT32_H = 1e-3  # a reasonable step for float32; smaller ones drown in rounding


@dataclass(frozen=True)
class Model:
    name: str
    params: Callable[[BackpropInputs], Params]
    loss: Callable[[Params, BackpropInputs], Any]  # in the params' dtype
    hand: Callable[[BackpropInputs], dict[str, np.ndarray]]  # float64 gradients by the chain rule


MODELS = {
    "neuron": Model("neuron", neuron_params, neuron_loss, lambda inp: neuron_pass(inp).grads),
    "network": Model("network", network_params, network_loss, lambda inp: network_pass(inp).grads),
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
                   with_autograd: bool = False, inp: BackpropInputs = ARTICLE) -> list[CheckRow]:
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
        params = spec.params(inp)
        hand = spec.hand(inp)
        numeric = central_differences(partial(spec.loss, inp=inp), params, h, dtype)
        auto = autograd_forward_and_gradients(name, inp)[1] if with_autograd else None
        loss = float(spec.loss(params, inp))
        for pname, index, label in entries(params):
            a, n = float(hand[pname][index]), float(numeric[pname][index])
            rows.append(CheckRow(name, label, loss, a, n, relative_error(a, n),
                                 float(auto[pname][index]) if auto else None))
    return rows


def matching_digits(rel_error: float) -> float:
    """How many leading digits agree: −log₁₀ of the relative error, 16 when exact."""
    return 16.0 if rel_error <= 1e-16 else min(16.0, -math.log10(rel_error))


# ------------------------------------------------------------------------- autograd

def autograd_forward_and_gradients(model: str, inp: BackpropInputs = ARTICLE
                                   ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """The same model in torch (float64): forward values and autograd's gradients."""
    import torch

    t = partial(torch.tensor, dtype=torch.float64)
    if model == "neuron":
        w, b = t(inp.w, requires_grad=True), t(inp.b, requires_grad=True)
        z = w @ t(inp.x) + b
        yhat = torch.sigmoid(z)
        ce = torch.nn.functional.binary_cross_entropy(yhat, t(inp.y))
        ce.backward()
        forward = {"z": z.item(), "ŷ": yhat.item(), "CE": ce.item()}
        return forward, {"w": w.grad.numpy().copy(), "b": b.grad.numpy().copy()}
    leaves = {name: t(getattr(inp, name), requires_grad=True) for name in ("W1", "b1", "W2", "b2")}
    h = torch.relu(leaves["W1"] @ t(inp.net_x) + leaves["b1"])
    yhat = torch.relu(leaves["W2"] @ h + leaves["b2"])
    loss = 0.5 * ((t(inp.net_y) - yhat) ** 2).sum()
    loss.backward()
    forward = {**{f"h[{i}]": v for i, v in enumerate(h.tolist(), 1)},
               **{f"ŷ[{i}]": v for i, v in enumerate(yhat.tolist(), 1)}, "L": loss.item()}
    return forward, {name: leaf.grad.numpy().copy() for name, leaf in leaves.items()}


def cross_checks(inp: BackpropInputs = ARTICLE) -> list[tuple[str, float, float]]:
    """For every forward value and parameter entry: hand vs autograd, and for every
    parameter entry hand vs finite difference (float64)."""
    neuron, network = neuron_pass(inp), network_pass(inp)
    hand_forward = {
        "neuron": {"z": neuron.z, "ŷ": neuron.yhat, "CE": neuron.ce},
        "network": {**{f"h[{i}]": v for i, v in enumerate(network.h, 1)},
                    **{f"ŷ[{i}]": v for i, v in enumerate(network.yhat, 1)}, "L": network.loss},
    }
    out: list[tuple[str, float, float]] = []
    for model in ("neuron", "network"):
        forward, auto = autograd_forward_and_gradients(model, inp)
        for name, value in hand_forward[model].items():
            out.append((f"{model}: {name} by hand vs torch", float(value), forward[name]))
        spec = MODELS[model]
        params = spec.params(inp)
        hand = spec.hand(inp)
        numeric = central_differences(partial(spec.loss, inp=inp), params, GRADCHECK_H)
        for pname, index, label in entries(params):
            a = float(hand[pname][index])
            out.append((f"{model}: ∂/∂{label} hand vs autograd", a, float(auto[pname][index])))
            out.append((f"{model}: ∂/∂{label} hand vs finite difference", a, float(numeric[pname][index])))
    return out
