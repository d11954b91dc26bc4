"""The numbers MNIST lessons quote (``mnist.values``) and their cross-checks
(``mnist.checks``): model and dataset sizes, and the articles' figures. No torch at
import; the checks build the modules."""

from __future__ import annotations

import math
from typing import Any

from engines.mnist import data as mnist_data
from engines.mnist import models as mnist_models
from engines.training.model_checks import parameter_checks


def values(variant: int = 0) -> dict[str, Any]:
    """Numbers for lesson placeholders: model sizes, dataset sizes, the articles' errata;
    the same for every variant (the training lessons keep their data)."""
    out: dict[str, Any] = {}
    for name, count in mnist_models.parameter_counts().items():
        key = name.replace("-", "_")
        out[f"params_{key}"] = count
        out[f"layers_{key}"] = mnist_models.describe(name)
    out["model_names"] = list(mnist_models.MODEL_NAMES)
    for key, info in mnist_data.DATASETS.items():
        prefix = key.replace("-", "_")
        out[f"{prefix}_train_size"] = info.train_size
        out[f"{prefix}_test_size"] = info.test_size
        out[f"{prefix}_mean"] = info.mean
        out[f"{prefix}_std"] = info.std
        out[f"{prefix}_classes"] = list(info.classes)
    out["image_side"] = mnist_data.SIDE
    out["image_pixels"] = mnist_data.SIDE**2
    out["num_classes"] = 10
    out["train_megabytes_uint8"] = mnist_data.DATASETS["mnist"].train_size * mnist_data.SIDE**2 / 1e6
    out["train_megabytes_float32"] = 4 * out["train_megabytes_uint8"]
    out["chance_accuracy"] = 0.1
    out["chance_loss"] = math.log(10)  # cross-entropy of a uniform guess over 10 classes
    # Softmax applied twice: the loss sees probabilities p ∈ [0, 1], so the best it can
    # do is p = one-hot, whose softmax gives the true class e / (e + 9).
    out["double_softmax_max_confidence"] = math.e / (math.e + 9)
    out["double_softmax_min_loss"] = math.log(math.e + 9) - 1
    # What the articles printed (quoted, not computed): the lesson sets them against real runs.
    out["article_002_train_loss"] = 0.6134  # "Epoch [10/10], Loss: 0.6134", 784-256-128-64-10, Adam
    out["article_002_test_accuracy"] = 0.986
    out["article_002_lr"], out["article_002_batch_size"], out["article_002_epochs"] = 0.001, 64, 10  # its code
    out["article_002_steps_per_epoch"] = math.ceil(
        mnist_data.DATASETS["mnist"].train_size / out["article_002_batch_size"])
    # A mean cross-entropy L means the true class got probability e^−L on (geometric) average.
    out["article_002_mean_true_prob"] = math.exp(-out["article_002_train_loss"])
    out["article_002_first_loss"] = 2.2723  # "Epoch [1/10], Loss: 2.2723": chance level after a full epoch
    out.update(_mlp_128_counts())
    out["article_003_val_accuracy"] = 0.9667  # reported as test accuracy
    out["article_004_train_loss"] = 0.1095  # 784-128-10, Keras, 5 epochs
    out["article_004_test_accuracy"] = 0.9796
    return out


def _mlp_128_counts() -> dict[str, int]:
    """The parameter-count step: each layer's count, and what the usual slips give."""
    layers = mnist_models.layer_shapes("mlp-128")
    first, second = (layer["parameters"] for layer in layers)
    weights = [layer["shape"][0] * layer["shape"][1] for layer in layers]
    return {
        "mlp_128_layer1": first,
        "mlp_128_layer2": second,
        "params_mlp_128_slip_no_bias": sum(weights),
        "params_mlp_128_slip_one_layer": first,
        "params_mlp_128_slip_units": sum(mnist_models.MLP_WIDTHS["mlp-128"]),  # neurons counted, not weights
    }


def checks(variant: int = 0) -> list[tuple[str, float, float]]:
    return parameter_checks(mnist_models.MODEL_NAMES, mnist_models.parameter_count, mnist_models.build)
