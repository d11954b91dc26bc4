"""CIFAR-10 training (``cifar10``): the article's ResNet-18, a small CNN for the CPU, and
an airbench94-style fast recipe for GPUs, in one process or several (torchrun).

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
  no augmentation, fp32. Offline, the pretrained weights cannot be fetched: a note says
  so and the run trains the same network from random weights.

``data=synthetic`` trains on a generated stand-in of CIFAR-10's shape (learnable tinted
textures, a note says what it is): for ``tui-lab check`` and speed measurements on
machines without the dataset; its accuracies say nothing about CIFAR-10.

Numbers (``epochs``, ``batch_size``, ``lr``, ``subset``) take 0 for "the recipe's";
``lr`` 0 scales the recipe's rate linearly with ``batch_size``. Each trick is a switch
``auto`` (the recipe's choice for this device) / ``on`` / ``off``, so the student can
turn them off one at a time; ``Started.config`` shows every value as resolved:

* ``flip`` — mirror images left-right, alternating per epoch (airbench);
* ``translate`` — shift images by up to 2 pixels, reflecting at the borders;
* ``label_smoothing`` — train towards 0.9/0.011… targets instead of one-hot (0.2);
* ``tta`` — evaluate on six views (mirror, ±1-pixel shifts) and average (on GPUs);
* ``ema`` — Lookahead weight averaging every 5 steps, ending on the average (fast);
* ``whitening`` — the fast net's frozen 2×2 patch-whitening first layer (fast only);
* ``bf16`` — bfloat16 autocast (CUDA; CPUs with AVX-512 BF16 or AMX);
* ``channels_last`` — NHWC memory layout for the convolutions (with bf16);
* ``compile`` — torch.compile, its warm-up left out of the timer (off by default);
* ``schedule`` — ``onecycle`` (warm-up 0.2 → 1 over 23 % of steps, then down to 0.07)
  or ``constant``.

Events, in order (payloads JSON-ready), as for MNIST (``engines.mnist.engine``):

* ``Artifact("download", {file, done_bytes, total_bytes})`` while the data (170 MB) or
  the article's pretrained weights (47 MB) download;
* ``Started(device, config, total_steps, seed)`` — ``config`` with every auto resolved;
* ``Artifact("note", sentence)`` for what the student must know: files that are not the
  official CIFAR-10 (a course's own subset: they load, results are not comparable),
  pretrained weights missing (training from scratch), torch.compile's warm-up time;
* ``Artifact("dataset", {dataset, title, source, official, train_size, full_train_size,
  test_size, classes, mean, std, threads, processes, batch_per_process})`` (mean/std per
  RGB channel, 0..1 scale);
* ``Artifact("samples", {labels, class_counts, test_class_counts, images: [{index,
  label, pixels}]})`` — one training image per class; ``pixels`` is a nested list
  [32][32][3] of uint8: 32 rows of 32 pixels of [R, G, B];
* ``Artifact("model", {model, description, parameters, pretrained, layers: [{name,
  shape, parameters}]})`` and ``Artifact("resumed", {path, epoch, step})``;
* ``Progress(step, loss, epoch, lr, samples_per_s)`` every ``log_every`` steps and at
  each epoch's end: the mean training loss of those steps over all processes (label
  smoothing included), images/s of all processes together;
* ``Artifact("health", {step, epoch, layers: [...]})`` as MNIST's, per conv/linear layer;
* per epoch: ``Evaluated(epoch, {test_accuracy, test_loss, train_loss, train_accuracy,
  train_seconds, samples_per_s, lr, elapsed_seconds, eval_seconds[,
  test_accuracy_no_tta]})`` — accuracies 0–1; ``elapsed_seconds`` is the timed training
  time so far (whitening set-up + steps), so time-to-94 % is ``elapsed_seconds +
  eval_seconds`` of the first epoch that reaches it; then ``Artifact("confusion_matrix",
  {epoch, labels, matrix})``, ``Artifact("worst_images", [{index, label, predicted,
  confidence, pixels}])`` (pixels [32][32][3] uint8 as above) and
  ``Artifact("checkpoint", {path, epoch, step, reason})``;
* ``Artifact("command", {cmd, step, applied, ...})`` answering each live command;
* ``Finished(reason, {steps, seconds, steps_per_s, epochs, total_steps, test_accuracy,
  test_loss, checkpoint, model, processes, train_seconds, timed_seconds, tricks[,
  test_accuracy_no_tta]})`` — ``timed_seconds`` as the records time (whitening + steps +
  final evaluation), ``tricks`` the on/off of each switch: one row of an ablation table;
  or ``Failed(message, hint)``; a non-finite loss ends as ``Finished("diverged", ...)``.

Live commands (one process): ``pause``/``resume``/``step``/``stop``, ``{"cmd": "set_lr",
"lr": x}`` (the peak rate from the next step on; ends the schedule), ``{"cmd":
"one_more_epoch"}``, ``{"cmd": "slow", "step_seconds": x}``. With several processes only
stop is taken (at the next progress event, by all processes together).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from engines.cifar import data as cifar_data
from engines.cifar import models as cifar_models
from engines.core import downloads
from engines.training import common as training_common
from engines.cifar.data import DataError
from engines.core.events import Artifact, Event, Failed, Started
from engines.core.params import Param, ParamError
from engines.core.runtime import Control, EngineSpec

SYNTHETIC_TEST_SIZE = 2000  # enough to see a pipeline learn; evaluating 10,000 would dominate a CPU smoke run
SWITCH = ("auto", "on", "off")
WEIGHTS_FILE = "resnet18-f37072fd.pth"  # torchvision's ResNet18_Weights.IMAGENET1K_V1
WEIGHTS_URL = f"https://download.pytorch.org/models/{WEIGHTS_FILE}"
WEIGHTS_SHA256 = "f37072fd"  # the start of its sha256, as torch hub names files
_urlopen = downloads.urlopen  # the tests put a fake server here


@dataclass(frozen=True)
class Recipe:
    epochs: float
    batch_size: int  # on a GPU
    cpu_batch_size: int
    lr: float  # peak rate on the mean loss, for lr_batch images per step (scaled linearly)
    lr_batch: int
    momentum: float
    nesterov: bool
    decay: float  # weight decay per step at the peak rate (lr × SGD's weight_decay), for lr_batch images
    bias_lr_scale: float  # BatchNorm shifts learn this many times faster
    smoothing: float  # label smoothing when switched on
    flip: bool
    translate: bool
    label_smoothing: bool
    ema: bool
    whitening: bool
    tta_on_gpu: bool
    schedule: str
    fp32: bool  # the article's recipe: no bf16, no channels_last unless asked
    normalisation: tuple[tuple[float, ...], tuple[float, ...]] | None  # None: the data's own statistics
    cpu_subset: int


AIRBENCH_MOMENTUM = 0.85
_AIRBENCH_STEP_SCALE = 1 + 1 / (1 - AIRBENCH_MOMENTUM)  # Nesterov's long-run step gain, airbench divides it out

RECIPES: dict[str, Recipe] = {
    "small-cnn": Recipe(epochs=10, batch_size=256, cpu_batch_size=256, lr=0.1, lr_batch=256, momentum=0.9,
                        nesterov=True, decay=0.1 * 5e-4, bias_lr_scale=1.0, smoothing=0.2, flip=True,
                        translate=True, label_smoothing=True, ema=False, whitening=False, tta_on_gpu=True,
                        schedule="onecycle", fp32=False, normalisation=None, cpu_subset=10_000),
    "fast": Recipe(epochs=9.9, batch_size=1024, cpu_batch_size=256, lr=11.5 / _AIRBENCH_STEP_SCALE, lr_batch=1024,
                   momentum=AIRBENCH_MOMENTUM, nesterov=True, decay=0.0153 / _AIRBENCH_STEP_SCALE,
                   bias_lr_scale=64.0, smoothing=0.2, flip=True, translate=True, label_smoothing=True, ema=True,
                   whitening=True, tta_on_gpu=True, schedule="onecycle", fp32=False, normalisation=None,
                   cpu_subset=10_000),
    "resnet-article": Recipe(epochs=2, batch_size=4, cpu_batch_size=4, lr=0.001, lr_batch=4, momentum=0.9,
                             nesterov=False, decay=0.0, bias_lr_scale=1.0, smoothing=0.0, flip=False,
                             translate=False, label_smoothing=False, ema=False, whitening=False, tta_on_gpu=False,
                             schedule="constant", fp32=True, normalisation=((0.5,) * 3, (0.5,) * 3),
                             cpu_subset=10_000),
}

PARAMS = (
    Param("model", str, "auto", "network and its recipe (auto: small-cnn on a CPU, fast on a GPU)",
          choices=("auto", *cifar_models.MODEL_NAMES)),
    Param("data", str, "cifar10", "the images: cifar10, or synthetic (a generated stand-in of the same shape, "
          "for checks and speed measurements without the dataset)", choices=("cifar10", "synthetic")),
    Param("epochs", float, 0.0, "passes over the training set, may be fractional (0: the recipe's)",
          minimum=0.0, maximum=1000.0),
    Param("batch_size", int, 0, "images per step, all processes together (0: the recipe's)",
          minimum=0, maximum=cifar_data.TRAIN_SIZE),
    Param("lr", float, 0.0, "peak learning rate on the mean loss (0: the recipe's, scaled with batch_size)",
          minimum=0.0, maximum=100.0),
    Param("subset", int, 0, "train on this many random training images (0: the recipe's — all on a GPU, "
          "10,000 on a CPU)", minimum=0, maximum=cifar_data.TRAIN_SIZE),
    Param("seed", int, 0, "seed of initial weights, subset, data order and augmentation", minimum=0,
          maximum=2**31 - 1),
    Param("flip", str, "auto", "mirror training images left-right, alternating per epoch", choices=SWITCH),
    Param("translate", str, "auto", "shift training images by up to 2 pixels", choices=SWITCH),
    Param("label_smoothing", str, "auto", "soften the targets (0.2 of the probability spread over all classes)",
          choices=SWITCH),
    Param("tta", str, "auto", "test-time augmentation: average six mirrored/shifted views", choices=SWITCH),
    Param("ema", str, "auto", "Lookahead weight averaging, ending on the average", choices=SWITCH),
    Param("whitening", str, "auto", "frozen 2×2 patch-whitening first layer (model=fast only)", choices=SWITCH),
    Param("bf16", str, "auto", "bfloat16 autocast", choices=SWITCH),
    Param("channels_last", str, "auto", "NHWC memory layout for the convolutions", choices=SWITCH),
    Param("compile", str, "auto", "torch.compile the model (warm-up left out of the timer)", choices=SWITCH),
    Param("schedule", str, "auto", "learning-rate schedule: onecycle (warm-up, then down) or constant",
          choices=("auto", "onecycle", "constant")),
    Param("log_every", int, 10, "steps between loss read-backs and progress events", minimum=1, maximum=100_000),
    Param("checkpoint", str, "auto", "checkpoint file: auto (in the lab's folder), off, or a path"),
    Param("resume", str, "none", "continue from a checkpoint: none, last (this run's checkpoint) or a path"),
    Param("download", bool, True, "download missing data (and the article's pretrained weights)"),
    Param("threads", int, 0, "CPU threads per process (0: the cores, shared among processes)", minimum=0,
          maximum=1024),
)
TRICK_SWITCHES = ("flip", "translate", "label_smoothing", "tta", "ema", "whitening", "bf16", "channels_last",
                  "compile")


# --- recipes, resolved -----------------------------------------------------------------


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
        raise ParamError("whitening=on applies only to model=fast, whose first layer is the whitening "
                         "convolution; set whitening=auto or off.")
    bf16_cpu = cpu_supports_bf16() if bf16_cpu is None else bf16_cpu
    if out["bf16"] == "on" and device_kind == "cpu" and not bf16_cpu:
        raise ParamError("bf16=on needs a GPU or a CPU with AVX-512 BF16 or AMX instructions, which this CPU "
                         "lacks; set bf16=auto or off.")
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


# --- the values lesson text quotes (no torch) ------------------------------------------


def values() -> dict[str, Any]:
    """Numbers for lesson placeholders: datasets, models, recipes, the article's analysis."""
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
        "fast_airbench_lr": 11.5, "fast_airbench_weight_decay": 0.0153, "fast_step_gain": _AIRBENCH_STEP_SCALE,
        "fast_bias_lr_scale": recipe.bias_lr_scale, "fast_warmup_share": 0.23,
        "fast_run_pflop": flops / 1e15,
        "fast_seconds_at_a100_peak": flops / 312e12,  # bf16 dense peak: the floor no schedule can beat
        "fast_data_megabytes_on_gpu": cifar_data.TRAIN_SIZE * cifar_data.PIXELS / 1e6,
    }


def checks() -> list[tuple[str, float, float]]:
    from engines.cifar import nets as cifar_nets  # torch: only when checking

    return training_common.parameter_checks(cifar_models.MODEL_NAMES, cifar_models.parameter_count,
                                            cifar_nets.build)


# --- the engine ------------------------------------------------------------------------


def checkpoint_path(config: dict[str, Any]) -> Path | None:
    return training_common.checkpoint_path(config, default_checkpoint(config["model"]), "cifar10.pt")


def default_checkpoint(model: str) -> Path:
    return training_common.lab_home() / "checkpoints" / f"cifar10-{model}.pt"


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Train one recipe, yielding the events listed in the module docstring."""
    import torch

    from engines.cifar.training import DeviceData, Trainer, read_checkpoint

    device = training_common.setup_device(ctl)
    world, rank = _process_group(torch)
    config = resolve(config, device.kind)
    recipe = RECIPES[config["model"]]
    save_to = checkpoint_path(config)
    resume_from = training_common.resume_path(config, save_to, default_checkpoint(config["model"]))
    if save_to is not None and rank == 0:
        training_common.check_writable(save_to)
    if config["batch_size"] % world:
        raise ParamError(f"batch_size {config['batch_size']} cannot be shared equally by {world} processes; "
                         f"choose a multiple of {world}, such as {config['batch_size'] // world * world or world}.")
    if device.kind == "cpu":
        torch.set_num_threads(config["threads"] or max(1, device.threads))

    root = _data_root(ctl)
    try:
        if config["data"] == "synthetic":
            arrays = cifar_data.synthetic(train=config["subset"] or cifar_data.TRAIN_SIZE, test=SYNTHETIC_TEST_SIZE)
        else:
            if rank == 0:
                folder = yield from downloads.reporting(cifar_data.fetch(root, download=config["download"]), ctl)
                if folder is None:
                    return  # stopped while downloading
            if world > 1:
                torch.distributed.barrier()  # the others wait for rank 0's download
                folder = cifar_data.folder_of(root) if rank else folder
            arrays = cifar_data.read(folder)
    except DataError as error:
        yield Failed(error.message, error.hint)
        return
    full = len(arrays.train_labels)
    subset = config["subset"] or (min(recipe.cpu_subset, full) if device.kind != "cuda" else full)
    if subset > full:
        raise ParamError(f"subset must be at most {full} (the size of the training set in use), not {subset}.")
    if config["batch_size"] > subset:
        raise ParamError(f"batch_size is {config['batch_size']} but the training set has only {subset} images"
                         f"{' (subset=' + str(config['subset']) + ')' if config['subset'] else ''}; "
                         f"choose a batch_size of at most {subset}.")
    config["subset"] = subset

    pretrained, notes = None, list(arrays.warnings)
    if config["model"] == "resnet-article":
        pretrained, note = yield from _pretrained_weights(torch, root, config["download"], ctl)
        if ctl.stop_requested:
            return  # stopped while downloading
        if note:
            notes.append(note)
    data = DeviceData(torch, arrays, device, subset, config["seed"], recipe.normalisation,
                      torch.bfloat16 if config["bf16"] == "on" else torch.float32, config["channels_last"] == "on")
    trainer = Trainer(torch, config, recipe, data, device, arrays.classes, world, rank, pretrained)
    if resume_from is not None:
        trainer.restore(read_checkpoint(torch, resume_from), resume_from)

    label = _device_label(torch, device, world)
    yield Started(device=label, config=dict(config), total_steps=trainer.total_steps(), seed=config["seed"])
    for note in notes:
        yield Artifact("note", note)
    yield Artifact("dataset", {
        "dataset": config["data"], "title": "CIFAR-10" if config["data"] == "cifar10" else "CIFAR-10 stand-in",
        "source": arrays.source, "official": arrays.official,
        "train_size": data.train_size, "full_train_size": full, "test_size": len(data.test_y_cpu),
        "classes": list(arrays.classes), "mean": data.mean, "std": data.std, "threads": torch.get_num_threads(),
        "processes": world, "batch_per_process": config["batch_size"] // world,
    })
    yield Artifact("samples", _samples(data, arrays.classes))
    yield Artifact("model", {"model": config["model"], "description": cifar_models.describe(config["model"]),
                             "parameters": sum(p.numel() for p in trainer.net.parameters()),
                             "pretrained": pretrained is not None if config["model"] == "resnet-article" else None,
                             "layers": cifar_models.layer_shapes(config["model"])})
    if trainer.step:
        yield Artifact("resumed", {"path": str(resume_from), "epoch": trainer.epoch, "step": trainer.step})
    yield from trainer.train(ctl, save_to)


def _process_group(torch: Any) -> tuple[int, int]:
    """(processes, this one's rank): (1, 0) unless started by ``engines.training.distributed`` under torchrun."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def _data_root(ctl: Control) -> Path:
    from engines.core.data_root import resolve_data_root

    return resolve_data_root(ctl.data_dir)[0]


def _device_label(torch: Any, device: Any, world: int) -> str:
    from engines.core.device import cpu_device

    label = cpu_device(torch.get_num_threads()).label if device.kind == "cpu" else device.label
    if world > 1:
        backend = torch.distributed.get_backend()
        label = f"{world} processes × {label} ({backend})"
    return label


def _pretrained_weights(torch: Any, root: Path, download: bool, ctl: Control) -> Iterator[Event]:
    """The article's ImageNet weights for ResNet-18: (state dict, None), or (None, a sentence
    saying why not — the run then trains the same network from random weights)."""
    hub = Path(torch.hub.get_dir()) / "checkpoints"
    places = [hub / WEIGHTS_FILE, root / "weights" / WEIGHTS_FILE]
    why = ""
    for path in places:
        if path.is_file():
            try:
                return torch.load(path, map_location="cpu", weights_only=True), None
            except Exception as error:  # noqa: BLE001 - a damaged file is reported, not fatal
                why = f"{path} is damaged ({error.__class__.__name__})"
    if not why:
        if not download:
            why = "they are not on this computer and downloading is turned off (download=false)"
        else:
            try:
                hub.mkdir(parents=True, exist_ok=True)
                yield from downloads.reporting(downloads.download(_urlopen, WEIGHTS_URL, hub / WEIGHTS_FILE,
                                                         sha256_prefix=WEIGHTS_SHA256), ctl)
                if ctl.stop_requested:
                    return None, None
                return torch.load(hub / WEIGHTS_FILE, map_location="cpu", weights_only=True), None
            except downloads.NetworkError as error:
                why = f"they could not be downloaded ({error})"
            except OSError as error:
                why = f"{hub} cannot be written ({error.strerror or error})"
    return None, (f"The article's ImageNet-pretrained ResNet-18 weights are not available — {why} — so this run "
                  "trains the same network from random initial weights and will stay well below the article's "
                  f"63 %; to use them, put {WEIGHTS_FILE} from {WEIGHTS_URL.rsplit('/', 1)[0]}/ into {hub}/ or "
                  f"{root / 'weights'}/.")


def _samples(data: Any, classes: tuple[str, ...]) -> dict[str, Any]:
    """One training image per class ([32][32][3] uint8), and how many of each class there are."""
    labels = data.train_y_cpu
    images = []
    for label in range(10):
        hits = (labels == label).nonzero()
        if len(hits):
            index = int(hits[0, 0])
            images.append({"index": index, "label": label, "pixels": data.train_u8_cpu[index].tolist()})
    return {
        "labels": list(classes),
        "class_counts": labels.bincount(minlength=10).tolist(),
        "test_class_counts": data.test_y_cpu.bincount(minlength=10).tolist(),
        "images": images,
    }


TRAIN = EngineSpec(
    name="cifar10",
    title="CIFAR-10 training: the article's ResNet-18, a small CNN, the fast recipe",
    params=PARAMS,
    run=run,
    needs_torch=True,
    # CIFAR-10 may not be on the checking machine (CI has no internet): the stand-in checks the pipeline.
    smoke={"model": "small-cnn", "data": "synthetic", "subset": 1000, "epochs": 1, "batch_size": 100, "tta": "off",
           "checkpoint": "off"},
)
