"""Muon's update against a direct implementation of its published formula, on the CPU."""

from __future__ import annotations

import pytest
import torch

from engines.cifar.muon import Muon, newton_schulz


def reference_orthogonalise(m: torch.Tensor, steps: int) -> torch.Tensor:
    """Keller Jordan's quintic Newton–Schulz iteration, written out in float64."""
    x = m.double() / (m.double().norm() + 1e-7)
    transpose = m.shape[0] > m.shape[1]
    if transpose:
        x = x.T
    for _ in range(steps):
        a_ = x @ x.T
        x = 3.4445 * x + (-4.7750 * a_ + 2.0315 * a_ @ a_) @ x
    return x.T if transpose else x


def reference_steps(w0, grads, lr, momentum, nesterov, steps, shape_scale, normalize):
    """W after each gradient of ``grads``: B ← μB + G; M = G + μB (Nesterov) or B;
    W ← W·sqrt(rows)/‖W‖ (normalize); W ← W − lr · scale · NS(M)."""
    w, buf = w0.double().clone(), torch.zeros_like(w0, dtype=torch.float64)
    for g in grads:
        g = g.double()
        buf = momentum * buf + g
        m = g + momentum * buf if nesterov else buf
        matrix = m.reshape(len(m), -1)
        scale = max(1.0, matrix.shape[0] / matrix.shape[1]) ** 0.5 if shape_scale else 1.0
        if normalize:
            w = w * len(w) ** 0.5 / w.norm()
        w = w - lr * scale * reference_orthogonalise(matrix, steps).reshape(w.shape)
    return w


@pytest.mark.parametrize("shape, nesterov, shape_scale, normalize, steps", [
    ((6, 4), True, True, False, 5),  # tall: the max(1, rows/cols)^0.5 scaling acts
    ((4, 6), False, True, False, 5),
    ((8, 3, 2, 2), True, False, True, 3),  # a filter tensor, as airbench94_muon steps it
])
def test_the_update_is_the_published_formula(shape, nesterov, shape_scale, normalize, steps):
    torch.manual_seed(0)
    w0 = torch.randn(shape)
    grads = [torch.randn(shape) for _ in range(3)]
    p = torch.nn.Parameter(w0.clone())
    optimizer = Muon([p], lr=0.05, momentum=0.6, nesterov=nesterov, ns_steps=steps, shape_scale=shape_scale,
                     normalize_weights=normalize, ns_dtype=torch.float32)
    for g in grads:
        p.grad = g.clone()
        optimizer.step()
    expected = reference_steps(w0, grads, 0.05, 0.6, nesterov, steps, shape_scale, normalize)
    assert torch.allclose(p.detach().double(), expected, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(p.detach(), w0)


def test_the_momentum_buffer_is_mu_b_plus_g():
    torch.manual_seed(1)
    p = torch.nn.Parameter(torch.randn(5, 3))
    optimizer = Muon([p], lr=0.0, momentum=0.9, nesterov=True)
    g1, g2 = torch.randn(5, 3), torch.randn(5, 3)
    for g in (g1, g2):
        p.grad = g.clone()
        optimizer.step()
    assert torch.allclose(optimizer.state[p]["momentum_buffer"], 0.9 * g1 + g2)


def test_the_orthogonalised_update_has_singular_values_near_one():
    torch.manual_seed(2)
    for shape in ((32, 16), (16, 48), (24, 24)):
        singular = torch.linalg.svdvals(newton_schulz(torch.randn(shape), steps=5).float())
        assert singular.min() > 0.3 and singular.max() < 1.3, (shape, singular)
        assert abs(float(singular.median()) - 1) < 0.3
        raw = torch.linalg.svdvals(torch.randn(shape))
        assert raw.max() / raw.min() > 2  # the input's spread, which the iteration compresses


def test_bf16_iteration_stays_close_to_float32():
    torch.manual_seed(3)
    g = torch.randn(20, 12)
    assert torch.allclose(newton_schulz(g, 5, torch.bfloat16).float(), newton_schulz(g, 5, torch.float32),
                          atol=0.05)


def test_vectors_are_refused():
    p = torch.nn.Parameter(torch.randn(4))
    p.grad = torch.randn(4)
    with pytest.raises(ValueError, match="matrices"):
        Muon([p]).step()
