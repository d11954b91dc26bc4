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
}


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
    out = dict(config)
    gpu = device_kind == "cuda"
    model = out["model"] if out["model"] != "auto" else ("fast" if gpu else "small-cnn")
    recipe = RECIPES[model]
    out["model"] = model
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
        "ema": recipe.ema, "whitening": recipe.whitening, "tta": recipe.tta_on_gpu and gpu, "compile": False,
        "bf16": not recipe.fp32 and (gpu or (device_kind == "cpu" and bf16_cpu)),
    }
    for name, value in auto.items():
        if out[name] == "auto":
            out[name] = "on" if value else "off"
    if out["channels_last"] == "auto":  # measured: on a CPU it pays only together with bf16
        out["channels_last"] = "on" if not recipe.fp32 and (gpu or out["bf16"] == "on") else "off"
    return out
