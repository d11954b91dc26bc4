"""What the usual slips give on the backprop lesson's compute steps.

Each ``<answer>_slip_<id>`` is computed from the same forward and backward pass as the
answer, with exactly one mistake made on purpose, so the lab can name the mistake a
student's number shows (a log₁₀ for ln, a lost sign, a ReLU ignored, …).
"""

from __future__ import annotations

import math

import numpy as np

from engines.byhand.backprop_models import NetworkPass, NeuronPass, Params

# The article (seed 002) prints these for the same neuron; quoted, they follow from nothing.
ARTICLE_CE = -0.251
ARTICLE_W_NEW = (0.09, 0.18, 0.27, 0.36)


def neuron_slips(n: NeuronPass, x, w, y: float, lr: float) -> dict[str, float]:
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    yhat, last = n.yhat, len(x) - 1  # the lesson asks for the last weight, w₄
    dce_dw = n.dce_dz * x[last]
    return {
        "ce_slip_log10": -(y * math.log10(yhat) + (1 - y) * math.log10(1 - yhat)),
        "ce_slip_sign": -n.ce,
        "ce_slip_wrong_term": -math.log(1 - yhat),  # the y = 0 term, used for y = 1
        "ce_slip_article": ARTICLE_CE,
        "dCE_dyhat_slip_sign": -n.dce_dyhat,
        "dCE_dyhat_slip_wrong_term": 1 / (1 - yhat),  # the derivative of the vanished term
        "dCE_dyhat_slip_log10": n.dce_dyhat / math.log(10),
        "dCE_dyhat_slip_dce_dz": yhat - y,  # one node too far: ∂CE/∂z
        "dyhat_dz_slip_sigma": yhat,  # σ's value, not its slope
        "dyhat_dz_slip_z_for_yhat": n.z * (1 - n.z),
        "dyhat_dz_slip_tanh": 1 - yhat * yhat,  # tanh's slope written with ŷ
        "dCE_dz_slip_sign": -n.dce_dz,
        "dCE_dz_slip_sum": n.dce_dyhat + n.dyhat_dz,
        "dCE_dz_slip_no_sigmoid_slope": n.dce_dyhat,
        "dCE_dw_4_slip_no_x": n.dce_dz,
        "dCE_dw_4_slip_sign": -dce_dw,
        "dCE_dw_4_slip_index": n.dce_dz * x[last - 1],  # x₃: a zero-based index read as one-based
        "w_new_4_slip_sign": w[last] + lr * dce_dw,
        "w_new_4_slip_step_size": -lr * dce_dw,
        "w_new_4_slip_no_lr": w[last] - dce_dw,
        "w_new_4_slip_article": ARTICLE_W_NEW[last],
    }


def network_slips(p: NetworkPass, params: Params) -> dict[str, float]:
    """Slips on the ReLU network; entries are 1-based in names (b₂[3], h₂, W₁[2,1])."""
    W2 = params["W2"]
    errors = p.y - p.yhat
    # The output ReLU ignored: forward, ŷ = z₂; backward, its slope taken as 1 everywhere,
    # so the blocked third output passes its error back.
    linear_errors = p.y - p.z2
    dL_dh_unblocked = W2.T @ p.dL_dyhat
    dL_dz1_unblocked = dL_dh_unblocked * (p.z1 > 0)
    x = p.x
    return {
        "net_loss_slip_half": float(np.sum(errors ** 2)),
        "net_loss_slip_relu_ignored": float(0.5 * np.sum(linear_errors ** 2)),
        "net_loss_slip_brackets": float(0.5 * errors[0] ** 2 + np.sum(errors[1:] ** 2)),  # the article's ½(…)² + (…)²
        "net_loss_slip_sum_vs_mean": float(0.5 * np.mean(errors ** 2)),
        "dL_dyhat_1_slip_sign": float(errors[0]),  # y − ŷ, the article's sign
        "dL_dyhat_1_slip_factor2": float(2 * p.dL_dyhat[0]),
        "dL_db2_3_slip_relu_ignored": float(p.dL_dyhat[2]),
        "dL_dh_2_slip_relu_ignored": float(dL_dh_unblocked[1]),
        "dL_dh_2_slip_row": float(W2[1] @ p.dL_dz2),  # W₂ instead of W₂ᵀ
        "dL_dh_2_slip_sign": float(-p.dL_dh[1]),
        "dL_dh_2_slip_article": float(p.h[1] * errors[1]),  # the article's h ⊙ (y − ŷ)
        "dL_dW1_21_slip_no_x": float(p.dL_dz1[1]),
        "dL_dW1_21_slip_transposed": float(p.dL_dz1[0] * x[1]),  # W₁[1,2]
        "dL_dW1_21_slip_relu_ignored": float(dL_dz1_unblocked[1] * x[0]),
        "dL_dW1_21_slip_sign": float(-p.dL_dz1[1] * x[0]),
        "dL_dW1_21_slip_weight": float(p.dL_dz1[1] * params["W1"][1, 0]),  # W₁[2,1] for x[1]
    }
