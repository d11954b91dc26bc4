"""The numbers the generalisation lesson quotes (``gen.values``) and their cross-checks
(``gen.checks``).

Everything here comes from ``defaults`` (the sizes the runs start from) and from layer
shapes, so the text can quote it without training anything or importing torch; the
checks build the torch modules and count again.
"""

from __future__ import annotations

import math
from typing import Any

from engines.generalise import defaults
from engines.mnist import data as mnist_data
from engines.mnist import models as mnist_models

PIXELS = mnist_data.SIDE**2
CLASSES = 10
KAPLAN_SCALE = 10  # "ten times the parameters": the question of the power-law step
FLOP_PER_PARAM_IMAGE = 6  # training: 2 forward (multiply, add) and 4 backward, per weight per image
# Strengths the cures step suggests trying first: on 500 Fashion-MNIST images each moves the
# gap visibly (weaker ones change little). Decoupled decay shrinks weights by lr·weight_decay
# per step, so at lr 0.001 it needs a large factor.
CURE_SUGGESTIONS = {"weight_decay": 10, "l1": 0.003, "dropout": 0.8, "early_stopping": 5}


def mlp_parameters(width: int, classes: int = CLASSES) -> int:
    """784-width-classes MLP: two layers, each a weight per (input, output) pair and a bias per output."""
    return PIXELS * width + width + width * classes + classes


def _mlp_weights(width: int) -> int:
    return PIXELS * width + width * CLASSES


def _per_image(subset: int, full_train: int) -> dict[str, float]:
    """The overfitting step's question: parameters of the 784-128-10 MLP per training image."""
    params = mlp_parameters(defaults.HIDDEN)
    return {
        "params_per_image": params / subset,
        "params_per_image_slip_no_bias": _mlp_weights(defaults.HIDDEN) / subset,
        "params_per_image_slip_one_layer": (PIXELS * defaults.HIDDEN + defaults.HIDDEN) / subset,
        "params_per_image_slip_full_set": params / full_train,  # the whole training set, not the subset
        "params_per_image_slip_inverted": subset / params,
    }


def _wide_layer() -> dict[str, Any]:
    """The width step's question: the 784-w-10 MLP at the sweep's second-widest width."""
    width = defaults.SCALE_WIDTHS[-2]
    return {
        "wide_width": width,
        "wide_layer1": PIXELS * width + width,
        "wide_layer2": width * CLASSES + CLASSES,
        "wide_params": mlp_parameters(width),
        "wide_params_slip_no_bias": _mlp_weights(width),
        "wide_params_slip_one_layer": PIXELS * width + width,
        "wide_params_slip_units": PIXELS + width + CLASSES,  # neurons counted, not weights
        # Halving the 128-wide count: the output layer's biases do not shrink with the width.
        "wide_params_slip_scaled": mlp_parameters(defaults.HIDDEN) * width / defaults.HIDDEN,
    }


def _kaplan() -> dict[str, float]:
    """The power-law step: L ∝ N^−α, so N × s multiplies the loss by s^−α."""
    alpha, alpha_d, s = defaults.KAPLAN_ALPHA_N, defaults.KAPLAN_ALPHA_D, KAPLAN_SCALE
    return {
        "kaplan_alpha_n": alpha,
        "kaplan_alpha_d": alpha_d,
        "kaplan_scale": s,
        "kaplan_factor": s**-alpha,
        "kaplan_reduction": 1 - s**-alpha,
        "kaplan_factor_slip_linear": 1 - alpha,  # α read as a fraction lost per 10×
        "kaplan_factor_slip_times": alpha * s,
        "kaplan_factor_slip_sign": s**alpha,  # loss growing with size
        "kaplan_factor_slip_reduction": 1 - s**-alpha,  # the drop, not the factor
        "kaplan_factor_slip_data": s**-alpha_d,  # the exponent for data, not parameters
        "kaplan_data_factor": s**-alpha_d,
        "kaplan_halving_scale": 2 ** (1 / alpha),  # how many times the parameters halve the loss
    }


def _scale() -> dict[str, Any]:
    """The sweeps and their compute budget: every image of every epoch costs about
    FLOP_PER_PARAM_IMAGE per parameter."""
    widths, sizes = defaults.SCALE_WIDTHS, defaults.SCALE_SIZES
    width_params = [mlp_parameters(w) for w in widths]
    data_params = mlp_parameters(defaults.SCALE_WIDTH)
    epochs = defaults.SCALE_EPOCHS
    return {
        "flop_per_param_image": FLOP_PER_PARAM_IMAGE,
        "scale_widths": list(widths),
        "scale_sizes": list(sizes),
        "scale_images": defaults.SCALE_IMAGES,
        "scale_width": defaults.SCALE_WIDTH,
        "scale_epochs": epochs,
        "scale_width_models": len(widths),
        "scale_data_models": len(sizes),
        "scale_params_smallest": width_params[0],
        "scale_params_largest": width_params[-1],
        "scale_params_ratio": width_params[-1] / width_params[0],
        "scale_data_params": data_params,
        "scale_width_gflop": sum(width_params) * defaults.SCALE_IMAGES * epochs * FLOP_PER_PARAM_IMAGE / 1e9,
        "scale_data_gflop": data_params * sum(sizes) * epochs * FLOP_PER_PARAM_IMAGE / 1e9,
    }


def _transfer() -> dict[str, Any]:
    """The CNN of the MNIST lesson with a head for the target half of the classes."""
    layers = mnist_models.layer_shapes("cnn")
    head_in = layers[-1]["shape"][1]
    targets = len(defaults.TARGET_CLASSES)
    head = head_in * targets + targets
    body = sum(layer["parameters"] for layer in layers[:-1])
    fashion = mnist_data.DATASETS["fashion-mnist"].classes
    return {
        "pretrain_classes": list(defaults.PRETRAIN_CLASSES),
        "target_classes": list(defaults.TARGET_CLASSES),
        "pretrain_class_names": ", ".join(fashion[c] for c in defaults.PRETRAIN_CLASSES),
        "target_class_names": ", ".join(fashion[c] for c in defaults.TARGET_CLASSES),
        "labels_per_class": list(defaults.LABELS_PER_CLASS),
        "labels_fewest": defaults.LABELS_PER_CLASS[0],
        "labels_fewest_total": defaults.LABELS_PER_CLASS[0] * targets,
        "target_count": targets,
        "layers_cnn": mnist_models.describe("cnn"),
        "transfer_body_params": body,
        "transfer_head_params": head,
        "transfer_params": body + head,
    }


def _compress() -> dict[str, Any]:
    params = mlp_parameters(defaults.HIDDEN)
    weights = _mlp_weights(defaults.HIDDEN)
    return {
        "sparsities": list(defaults.SPARSITIES),
        "sparsity_highest": defaults.SPARSITIES[-1],
        "dense_bytes": 4 * params,  # float32
        "int8_weight_bytes": weights,  # one byte a weight, before scales and biases
        "weights_kept_highest": round(weights * (1 - defaults.SPARSITIES[-1])),
    }


def values(variant: int = 0) -> dict[str, Any]:
    """Every placeholder of the lesson; the same for every variant."""
    fashion = mnist_data.DATASETS["fashion-mnist"]
    out: dict[str, Any] = {
        "image_pixels": PIXELS,
        "num_classes": CLASSES,
        "hidden": defaults.HIDDEN,
        "layers_mlp": mnist_models.describe("mlp-128"),
        "params_mlp": mlp_parameters(defaults.HIDDEN),
        "overfit_subset": defaults.OVERFIT_SUBSET,
        "overfit_epochs": defaults.OVERFIT_EPOCHS,
        "overfit_batch": defaults.OVERFIT_BATCH,
        "overfit_lr": defaults.OVERFIT_LR,
        "overfit_steps_per_epoch": math.ceil(defaults.OVERFIT_SUBSET / defaults.OVERFIT_BATCH),
        "validation_images": defaults.VALIDATION_IMAGES,
        "shift_pixels": defaults.SHIFT_PIXELS,
        "full_train_size": fashion.train_size,
        "full_test_size": fashion.test_size,
        "symmetry_hidden": defaults.SYMMETRY_HIDDEN,
        "symmetry_equal_weight": defaults.SYMMETRY_EQUAL_WEIGHT,
        "symmetry_units_shown": min(8, defaults.SYMMETRY_HIDDEN),
        "symmetry_params": mlp_parameters(defaults.SYMMETRY_HIDDEN),
    }
    out.update({f"try_{name}": value for name, value in CURE_SUGGESTIONS.items()})
    out.update(_per_image(defaults.OVERFIT_SUBSET, fashion.train_size))
    out.update(_wide_layer())
    out.update(_kaplan())
    out.update(_scale())
    out.update(_transfer())
    out.update(_compress())
    return out


def _mlp(width: int, classes: int = CLASSES) -> Any:
    from torch import nn

    return nn.Sequential(nn.Flatten(), nn.Linear(PIXELS, width), nn.ReLU(), nn.Linear(width, classes))


def _count(module: Any) -> float:
    return float(sum(p.numel() for p in module.parameters()))


def checks(variant: int = 0) -> list[tuple[str, float, float]]:
    """The quoted parameter counts against torch modules built with the same shapes, and
    the power-law factor against exp(−α ln s)."""
    from torch import nn

    v = values(variant)
    pairs = [("parameters of the 784-128-10 MLP", float(v["params_mlp"]), _count(_mlp(defaults.HIDDEN))),
             ("parameters of the 784-128-10 MLP (MNIST lesson's model)", float(v["params_mlp"]),
              _count(mnist_models.build("mlp-128"))),
             ("parameters of the symmetry MLP", float(v["symmetry_params"]), _count(_mlp(defaults.SYMMETRY_HIDDEN))),
             (f"parameters of 784-{v['wide_width']}-10", float(v["wide_params"]), _count(_mlp(v["wide_width"])))]
    pairs += [(f"parameters of the sweep's 784-{w}-10", float(mlp_parameters(w)), _count(_mlp(w)))
              for w in defaults.SCALE_WIDTHS]
    cnn = mnist_models.build("cnn")
    head = nn.Linear(cnn.out.in_features, len(defaults.TARGET_CLASSES))
    pairs.append(("parameters of the transfer head", float(v["transfer_head_params"]), _count(head)))
    pairs.append(("parameters of the CNN body", float(v["transfer_body_params"]), _count(cnn) - _count(cnn.out)))
    pairs.append(("10× parameters: loss factor", v["kaplan_factor"],
                  math.exp(-defaults.KAPLAN_ALPHA_N * math.log(KAPLAN_SCALE))))
    return pairs
