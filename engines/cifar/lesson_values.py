"""The numbers CIFAR-10 lessons quote (``cifar10.values``) and their cross-checks
(``cifar10.checks``): datasets, models, recipes, and the analysis of the article's
recipe against the fast one. No torch at import; the checks build the modules."""

from __future__ import annotations

import math
from typing import Any

from engines.cifar import data as cifar_data
from engines.cifar import models as cifar_models
from engines.cifar.recipe import AIRBENCH_STEP_SCALE, RECIPES
from engines.training.model_checks import parameter_checks


def values(variant: int = 0) -> dict[str, Any]:
    """Numbers for lesson placeholders: datasets, models, recipes, the article's analysis;
    the same for every variant (the training lessons keep their data)."""
    out: dict[str, Any] = {}
    for name in cifar_models.MODEL_NAMES:
        key = name.replace("-", "_")
        recipe = RECIPES[name]
        out[f"params_{key}"] = cifar_models.parameter_count(name)
        out[f"macs_{key}"] = cifar_models.macs_per_image(name)
        out[f"train_flops_per_image_{key}"] = 6 * cifar_models.macs_per_image(name)  # forward + backward ≈ 3×
        out[f"describe_{key}"] = cifar_models.describe(name)
        out[f"{key}_epochs"] = recipe.epochs
        out[f"{key}_batch_size"] = recipe.batch_size
        out[f"{key}_cpu_batch_size"] = recipe.cpu_batch_size
        out[f"{key}_lr"] = recipe.lr
        out[f"{key}_momentum"] = recipe.momentum
        out[f"{key}_cpu_subset"] = recipe.cpu_subset
        out[f"{key}_steps_per_epoch"] = cifar_data.TRAIN_SIZE // recipe.batch_size
        out[f"{key}_total_steps"] = math.ceil(cifar_data.TRAIN_SIZE // recipe.batch_size * recipe.epochs - 1e-9)
    out["model_names"] = list(cifar_models.MODEL_NAMES)
    out["train_size"], out["test_size"] = cifar_data.TRAIN_SIZE, cifar_data.TEST_SIZE
    out["classes"] = list(cifar_data.CLASSES)
    out["image_side"] = cifar_data.SIDE
    out["image_values"] = cifar_data.PIXELS
    out["mean"], out["std"] = list(cifar_data.MEAN), list(cifar_data.STD)
    out["train_megabytes_uint8"] = cifar_data.TRAIN_SIZE * cifar_data.PIXELS / 1e6
    out["download_megabytes"] = cifar_data.ARCHIVE_BYTES / 1e6
    out["chance_accuracy"] = 0.1
    out["chance_loss"] = math.log(10)
    out["label_smoothing"] = RECIPES["fast"].smoothing
    out["label_smoothing_target"] = 1 - RECIPES["fast"].smoothing + RECIPES["fast"].smoothing / 10
    out["label_smoothing_floor_loss"] = _smoothed_floor(RECIPES["fast"].smoothing)
    out.update(_article_analysis())
    out.update(_fast_analysis())
    cpu = RECIPES["small-cnn"]
    out["cpu_default_steps_per_epoch"] = cpu.cpu_subset // cpu.cpu_batch_size
    out["cpu_default_total_images"] = int(cpu.cpu_subset // cpu.cpu_batch_size * cpu.cpu_batch_size * cpu.epochs)
    # Published anchors for one A100 (quoted, not computed): the lesson sets real runs beside them.
    out["anchor_airbench94_s"] = 3.83  # legacy airbench94, uncompiled, n=1000, 94.01 %
    out["anchor_airbench94_compiled_s"] = 3.29  # the paper's figure for the compiled variant
    out["anchor_airbench94_muon_s"] = 2.59
    out["anchor_hlb_cifar10_s"] = 6.3
    out["anchor_dawnbench_v100_s"] = 26.0
    out["target_accuracy"] = 0.94
    muon = RECIPES["airbench94-muon"]
    out["muon_batch_size"], out["muon_epochs"] = muon.batch_size, muon.epochs
    out["muon_lr"], out["muon_momentum"], out["muon_ns_steps"] = muon.muon_lr, muon.muon_momentum, muon.ns_steps
    return out


def _smoothed_floor(smoothing: float) -> float:
    """The lowest training loss label smoothing allows: the entropy of its target."""
    high, low = 1 - smoothing + smoothing / 10, smoothing / 10
    return -(high * math.log(high) + 9 * low * math.log(low))


def _article_analysis() -> dict[str, Any]:
    """What is slow and weak about the article's recipe, in numbers."""
    recipe = RECIPES["resnet-article"]
    sides32 = cifar_models.resnet_stem_sides(32)
    sides224 = cifar_models.resnet_stem_sides(224)
    macs32 = cifar_models.macs_per_image("resnet-article", 32)
    macs224 = cifar_models.macs_per_image("resnet-article", 224)
    steps = cifar_data.TRAIN_SIZE // recipe.batch_size
    # Kernel launches per step, counted from the layer list: each conv, BatchNorm and ReLU
    # (and each residual add) is a kernel forward and about two backward, plus the
    # optimizer's; at a few µs each they, not arithmetic, bound a batch of 4 on a GPU.
    convs = sum(1 for layer in cifar_models.layer_shapes("resnet-article") if len(layer["shape"]) == 4)
    launches = 3 * (3 * convs + 8) + 20
    launch_s = 5e-6
    flops_per_step = 6 * macs32 * recipe.batch_size
    return {
        "article_accuracy": 0.63, "article_epochs": recipe.epochs, "article_batch_size": recipe.batch_size,
        "article_lr": recipe.lr, "article_momentum": recipe.momentum,
        "article_first_loss": 2.332, "article_last_loss": 1.536,  # its printed log
        "article_normalise_mean": 0.5, "article_normalise_std": 0.5,
        "imagenet_mean": [0.485, 0.456, 0.406], "imagenet_std": [0.229, 0.224, 0.225],
        "article_steps_per_epoch": steps, "article_total_steps": int(steps * recipe.epochs),
        # What the usual slips give on the step-count step.
        "article_total_steps_slip_one_epoch": steps,
        "article_total_steps_slip_images": cifar_data.TRAIN_SIZE * recipe.epochs,  # images seen, not batches
        "article_total_steps_slip_with_test": (cifar_data.TRAIN_SIZE + cifar_data.TEST_SIZE)
        // recipe.batch_size * recipe.epochs,
        "article_sides_32": sides32, "article_sides_224": sides224,
        "article_side_after_stem": sides32[2], "article_side_after_stem_224": sides224[2],
        "article_final_side": sides32[-1], "article_final_side_224": sides224[-1],
        "article_stem_positions_kept": (sides32[2] / 32) ** 2,
        "article_macs_32": macs32, "article_macs_224": macs224, "article_macs_ratio": macs224 / macs32,
        "article_macs_per_parameter": macs32 / cifar_models.parameter_count("resnet-article"),
        "article_flops_per_step": flops_per_step,
        "article_kernel_launches_per_step": launches,
        "article_launch_floor_s_per_epoch": steps * launches * launch_s,  # estimate: launch-bound, not compute
        "article_compute_s_per_step_a100_fp32": flops_per_step / 19.5e12,
        "article_gpu_busy_share_est": (flops_per_step / 19.5e12) / (launches * launch_s),
        "article_images_per_step_vs_fast": RECIPES["fast"].batch_size / recipe.batch_size,
        "article_pretrained_megabytes": 46.8,
    }


def _fast_analysis() -> dict[str, Any]:
    recipe = RECIPES["fast"]
    steps = cifar_data.TRAIN_SIZE // recipe.batch_size
    total = math.ceil(steps * recipe.epochs - 1e-9)
    flops = 6 * cifar_models.macs_per_image("fast") * recipe.batch_size * total
    return {
        "fast_airbench_lr": 11.5, "fast_airbench_weight_decay": 0.0153, "fast_step_gain": AIRBENCH_STEP_SCALE,
        "fast_bias_lr_scale": recipe.bias_lr_scale, "fast_warmup_share": 0.23,
        "fast_run_pflop": flops / 1e15,
        "fast_seconds_at_a100_peak": flops / 312e12,  # bf16 dense peak: the floor no schedule can beat
        "fast_data_megabytes_on_gpu": cifar_data.TRAIN_SIZE * cifar_data.PIXELS / 1e6,
    }


def checks(variant: int = 0) -> list[tuple[str, float, float]]:
    from engines.cifar import nets as cifar_nets  # torch: only when checking

    return parameter_checks(cifar_models.MODEL_NAMES, cifar_models.parameter_count, cifar_nets.build)
