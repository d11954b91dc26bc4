"""The CIFAR-10 recipes: every hyperparameter of each in one place, and ``resolve``,
which turns a run's ``auto`` and 0 values into the recipe's for the device.

Recipes (``model``; ``auto`` picks small-cnn on a CPU or MPS, fast on CUDA):

* ``small-cnn`` — 0.11 M parameters; SGD with Nesterov momentum 0.9, peak lr 0.1 per 256
  images, one-cycle schedule, flip + translate, label smoothing 0.2; 10 epochs; on a CPU
  a 10,000-image subset, bf16 and channels_last where the CPU has bf16 instructions:
  measured on two cores, the first evaluation comes ~8 s after the start and the whole
  run takes ~45 s (2–3× longer on a busy machine).
* ``fast`` — airbench94 (Keller Jordan's CIFAR-10 speed record recipe, 94 % in 3–4
  A100-seconds): whitening first layer, batch 1024, 9.9 epochs, Nesterov SGD (momentum
  0.85, lr 11.5 per 1024 images in airbench's decoupled units = 1.5 on the mean loss,
  BatchNorm shifts 64×), decoupled weight decay, label smoothing 0.2, alternating flip,
  2-pixel translate, Lookahead averaging, six-view test-time augmentation, bf16 and
  channels_last, data resident on the GPU.
* ``resnet-article`` — the article's recipe as written: ImageNet-pretrained ResNet-18,
  inputs normalised with mean = std = 0.5, batch 4, SGD lr 0.001 momentum 0.9, 2 epochs,
  no augmentation, fp32.

``recipe`` names the fast net's recipe: ``airbench94`` (the above) or ``airbench94-muon``
(airbench94_muon.py, 94 % in 2.59 A100-seconds): Muon on the convolution filters, batch
2000, 8 epochs, no Lookahead, a linear decay to 0, the head scaled by 1/256 (see the
entry's comments for where each number comes from). ``precision`` is ``bf16-autocast``
(float32 weights, bf16 arithmetic) or ``fp16-weights`` (airbench's own: weights and
activations in float16, BatchNorm in float32; CUDA only, as CPUs have no fast float16
convolutions). ``mode=benchmark`` trains without read-backs (``engines.cifar.benchmark``).

No torch here: lesson text quotes these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engines.core.params import ParamError
from lab_i18n import _

# The tricks a student can switch on and off one at a time (each parameter is auto/on/off).
TRICKS = ("flip", "translate", "label_smoothing", "tta", "ema", "whitening", "bf16", "channels_last", "compile")


@dataclass(frozen=True)
class Recipe:
    # length and batch
    epochs: float
    batch_size: int  # on a GPU
    cpu_batch_size: int
    cpu_subset: int  # training images on a CPU
    # optimizer: SGD
    lr: float  # peak rate on the mean loss, for lr_batch images per step (scaled linearly)
    lr_batch: int
    momentum: float
    nesterov: bool
    decay: float  # weight decay per step at the peak rate (lr × SGD's weight_decay), for lr_batch images
    bias_lr_scale: float  # BatchNorm shifts learn this many times faster
    schedule: str  # onecycle or constant
    # tricks, as ``auto`` resolves them
    flip: bool
    translate: bool
    label_smoothing: bool
    smoothing: float  # label smoothing when switched on
    ema: bool
    whitening: bool
    tta_on_gpu: bool
    fp32: bool  # the article's recipe: no bf16, no channels_last unless asked
    normalisation: tuple[tuple[float, ...], tuple[float, ...]] | None  # None: the data's own statistics
    # airbench94_muon's additions (the defaults: plain SGD for every parameter)
    muon: bool = False  # Muon on the convolution filters, the recipe's SGD for the rest
    muon_lr: float = 0.0
    muon_momentum: float = 0.0
    muon_nesterov: bool = True
    ns_steps: int = 5
    muon_shape_scale: bool = True  # scale updates by max(1, rows/cols)^0.5
    muon_normalize_weights: bool = False  # rescale each filter tensor to norm sqrt(out-channels) first
    head_scale: float | None = None  # None: the net's usual output scale; else this, with a unit-std head


AIRBENCH_MOMENTUM = 0.85
AIRBENCH_STEP_SCALE = 1 + 1 / (1 - AIRBENCH_MOMENTUM)  # Nesterov's long-run step gain, airbench divides it out

RECIPES: dict[str, Recipe] = {
    "small-cnn": Recipe(
        epochs=10, batch_size=256, cpu_batch_size=256, cpu_subset=10_000,
        lr=0.1, lr_batch=256, momentum=0.9, nesterov=True, decay=0.1 * 5e-4, bias_lr_scale=1.0,
        schedule="onecycle",
        flip=True, translate=True, label_smoothing=True, smoothing=0.2, ema=False, whitening=False,
        tta_on_gpu=True, fp32=False, normalisation=None,
    ),
    "fast": Recipe(  # airbench94, its decoupled lr and weight decay turned into plain SGD's
        epochs=9.9, batch_size=1024, cpu_batch_size=256, cpu_subset=10_000,
        lr=11.5 / AIRBENCH_STEP_SCALE, lr_batch=1024, momentum=AIRBENCH_MOMENTUM, nesterov=True,
        decay=0.0153 / AIRBENCH_STEP_SCALE, bias_lr_scale=64.0,
        schedule="onecycle",
        flip=True, translate=True, label_smoothing=True, smoothing=0.2, ema=True, whitening=True,
        tta_on_gpu=True, fp32=False, normalisation=None,
    ),
    "resnet-article": Recipe(  # as the article wrote it
        epochs=2, batch_size=4, cpu_batch_size=4, cpu_subset=10_000,
        lr=0.001, lr_batch=4, momentum=0.9, nesterov=False, decay=0.0, bias_lr_scale=1.0,
        schedule="constant",
        flip=False, translate=False, label_smoothing=False, smoothing=0.0, ema=False, whitening=False,
        tta_on_gpu=False, fp32=True, normalisation=((0.5,) * 3, (0.5,) * 3),
    ),
    # airbench94_muon.py (KellerJordan/cifar10-airbench, 2.59 s on an A100, 94.01 % over 200 runs).
    # Its loss is summed over the batch; here it is the mean, so its SGD rates are multiplied by
    # its batch of 2000: head 0.67 → 1340, BatchNorm and whitening biases 0.053 → 106 (factor
    # 0.053/0.67 of the head's); weight decay 2e-6 × batch = 0.004 per step at the peak, SGD
    # momentum 0.85 Nesterov, as in its main(). Muon on the filters: lr 0.24, momentum 0.6,
    # Nesterov, 3 Newton–Schulz iterations, each filter tensor renormalised to
    # sqrt(out-channels) instead of the max(1, rows/cols)^0.5 scaling (its Muon.step).
    # total_train_steps = ceil(8 × steps per epoch); lr × (1 − step/total), no warm-up; the
    # whitening bias decays to 0 over 3 epochs; the head divided by its 256 inputs, its
    # weights rescaled to std 1; no Lookahead; TTA level 2 (the six views).
    "airbench94-muon": Recipe(
        epochs=8, batch_size=2000, cpu_batch_size=500, cpu_subset=10_000,
        lr=0.67 * 2000, lr_batch=2000, momentum=0.85, nesterov=True, decay=2e-6 * 2000,
        bias_lr_scale=0.053 / 0.67, schedule="linear",
        flip=True, translate=True, label_smoothing=True, smoothing=0.2, ema=False, whitening=True,
        tta_on_gpu=True, fp32=False, normalisation=None,
        muon=True, muon_lr=0.24, muon_momentum=0.6, muon_nesterov=True, ns_steps=3,
        muon_shape_scale=False, muon_normalize_weights=True, head_scale=1 / 256,
    ),
}

# The fast net's named recipes (the ``recipe`` parameter) and the RECIPES entry of each.
FAST_RECIPES = {"airbench94": "fast", "airbench94-muon": "airbench94-muon"}
PRECISIONS = ("bf16-autocast", "fp16-weights")
MODES = ("normal", "benchmark")


def recipe_of(config: dict[str, Any]) -> Recipe:
    """The recipe a resolved config trains with."""
    if config["model"] == "fast":
        return RECIPES[FAST_RECIPES[config["recipe"]]]
    return RECIPES[config["model"]]


def is_on(config: dict[str, Any], trick: str) -> bool:
    """Whether a resolved trick switch is on."""
    return config[trick] == "on"


def cpu_supports_bf16() -> bool:
    """AVX-512 BF16 or AMX: where bf16 autocast makes convolutions faster on a CPU
    (measured 1.5–3× here for the small CNN; elsewhere it is emulated and slower)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve(config: dict[str, Any], device_kind: str, bf16_cpu: bool | None = None) -> dict[str, Any]:
    """The run's parameters with every ``auto`` and 0 replaced by the recipe's value for this
    device (``subset`` stays 0 until the data's size is known); refuses impossible combinations."""
    out = {"recipe": "auto", "precision": "bf16-autocast", "mode": "normal", **config}
    gpu = device_kind == "cuda"
    named = out["recipe"] if out["recipe"] != "auto" else None
    if named is not None and named not in FAST_RECIPES:
        raise ParamError(_("recipe must be auto, airbench94 or airbench94-muon, not {recipe}.").format(
            recipe=repr(named)))
    model = out["model"] if out["model"] != "auto" else ("fast" if gpu or named else "small-cnn")
    if named and model != "fast":
        raise ParamError(_("recipe={recipe} is a recipe for model=fast, not model={model}; set model=fast or "
                           "recipe=auto.").format(recipe=named, model=model))
    out["model"] = model
    out["recipe"] = (named or "airbench94") if model == "fast" else model
    recipe = recipe_of(out)
    if out["precision"] not in PRECISIONS:
        raise ParamError(_("precision must be bf16-autocast or fp16-weights, not {precision}.").format(
            precision=repr(out["precision"])))
    fp16 = out["precision"] == "fp16-weights"
    if fp16 and not gpu:
        raise ParamError(_("precision=fp16-weights needs a CUDA GPU: CPUs have no fast float16 convolutions; "
                           "set precision=bf16-autocast."))
    if fp16 and out["bf16"] == "on":
        raise ParamError(_("precision=fp16-weights keeps weights and activations in float16, so bf16=on "
                           "cannot apply; set bf16=auto or off."))
    if out["mode"] not in MODES:
        raise ParamError(_("mode must be normal or benchmark, not {mode}.").format(mode=repr(out["mode"])))
    out["epochs"] = out["epochs"] or recipe.epochs
    out["batch_size"] = out["batch_size"] or (recipe.batch_size if gpu else recipe.cpu_batch_size)
    out["lr"] = out["lr"] or recipe.lr * out["batch_size"] / recipe.lr_batch
    out["schedule"] = recipe.schedule if out["schedule"] == "auto" else out["schedule"]
    if model != "fast" and out["whitening"] == "on":
        raise ParamError(_("whitening=on applies only to model=fast, whose first layer is the whitening convolution; "
                           "set whitening=auto or off."))
    bf16_cpu = cpu_supports_bf16() if bf16_cpu is None else bf16_cpu
    if out["bf16"] == "on" and device_kind == "cpu" and not bf16_cpu:
        raise ParamError(_("bf16=on needs a GPU or a CPU with AVX-512 BF16 or AMX instructions, which this CPU lacks; "
                           "set bf16=auto or off."))
    auto = {
        "flip": recipe.flip, "translate": recipe.translate, "label_smoothing": recipe.label_smoothing,
        "ema": recipe.ema, "whitening": recipe.whitening, "tta": recipe.tta_on_gpu and gpu,
        "compile": out["mode"] == "benchmark" and gpu,  # benchmark mode compiles the step, as the records do
        "bf16": not recipe.fp32 and not fp16 and (gpu or (device_kind == "cpu" and bf16_cpu)),
    }
    for name, value in auto.items():
        if out[name] == "auto":
            out[name] = "on" if value else "off"
    if out["channels_last"] == "auto":  # measured: on a CPU it pays only together with bf16
        out["channels_last"] = "on" if not recipe.fp32 and (gpu or out["bf16"] == "on") else "off"
    return out
