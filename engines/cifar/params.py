"""The ``cifar10`` engine's run parameters. Numbers take 0 for "the recipe's" and each
trick is a switch ``auto`` (the recipe's choice for this device) / ``on`` / ``off``
(``engines.cifar.recipe.resolve`` decides); the live controls are ``TRAIN.controls``."""

from __future__ import annotations

from engines.cifar import data as cifar_data
from engines.cifar import models as cifar_models
from engines.cifar.recipe import FAST_RECIPES, MODES, PRECISIONS
from engines.core.params import Param
from lab_i18n import N_

SWITCH_CHOICES = ("auto", "on", "off")

PARAMS = (
    Param("model", str, "auto", N_("network and its recipe (auto: small-cnn on a CPU, fast on a GPU)"),
          choices=("auto", *cifar_models.MODEL_NAMES)),
    Param("recipe", str, "auto", N_("the fast net's recipe: airbench94, or airbench94-muon (Muon on the "
             "convolution filters, batch 2000, 8 epochs); auto: airbench94 for model=fast, the model's own otherwise"),
          choices=("auto", *FAST_RECIPES)),
    Param("precision", str, "bf16-autocast", N_("bf16-autocast (float32 weights, bfloat16 arithmetic where bf16 "
             "is on) or fp16-weights (weights and activations in float16, as airbench; CUDA only)"),
          choices=PRECISIONS),
    Param("mode", str, "normal", N_("normal, or benchmark: no progress read-backs, no health, one evaluation at "
             "the end, data prepared and the step compiled before the clock starts"), choices=MODES),
    Param("dataset", str, "cifar10", N_("the images: cifar10, or synthetic (a generated stand-in of the same shape, "
             "for checks and speed measurements without the dataset)"), choices=("cifar10", "synthetic"),
          aliases=("data",)),
    Param("epochs", float, 0.0, N_("passes over the training set, may be fractional (0: the recipe's)"),
          minimum=0.0, maximum=1000.0),
    Param("batch_size", int, 0, N_("images per step, all processes together (0: the recipe's)"),
          minimum=0, maximum=cifar_data.TRAIN_SIZE),
    Param("lr", float, 0.0, N_("peak learning rate on the mean loss (0: the recipe's, scaled with batch_size)"),
          minimum=0.0, maximum=100.0),
    Param("subset", int, 0, N_("train on this many random training images (0: the recipe's — all on a GPU, "
             "10,000 on a CPU)"), minimum=0, maximum=cifar_data.TRAIN_SIZE),
    Param("seed", int, 0, N_("seed of initial weights, subset, data order and augmentation"), minimum=0,
          maximum=2**31 - 1),
    Param("flip", str, "auto", N_("mirror training images left-right, alternating per epoch"), choices=SWITCH_CHOICES),
    Param("translate", str, "auto", N_("shift training images by up to 2 pixels"), choices=SWITCH_CHOICES),
    Param("label_smoothing", str, "auto", N_("soften the targets (0.2 of the probability spread over all classes)"),
          choices=SWITCH_CHOICES),
    Param("tta", str, "auto", N_("test-time augmentation: average six mirrored/shifted views"), choices=SWITCH_CHOICES),
    Param("ema", str, "auto", N_("Lookahead weight averaging, ending on the average"), choices=SWITCH_CHOICES),
    Param("whitening", str, "auto", N_("frozen 2×2 patch-whitening first layer (model=fast only)"), choices=SWITCH_CHOICES),
    Param("bf16", str, "auto", N_("bfloat16 autocast"), choices=SWITCH_CHOICES),
    Param("channels_last", str, "auto", N_("NHWC memory layout for the convolutions"), choices=SWITCH_CHOICES),
    Param("compile", str, "auto", N_("torch.compile the model (warm-up left out of the timer)"), choices=SWITCH_CHOICES),
    Param("schedule", str, "auto", N_("learning-rate schedule: onecycle (warm-up, then down), linear (down to 0) "
             "or constant"), choices=("auto", "onecycle", "linear", "constant")),
    Param("log_every", int, 10, N_("steps between loss read-backs and progress events"), minimum=1, maximum=100_000),
    Param("checkpoint", str, "auto", N_("checkpoint file: auto (in the lab's folder), off, or a path")),
    Param("resume", str, "none", N_("continue from a checkpoint: none, last (this run's checkpoint) or a path")),
    Param("download", bool, True, N_("download missing data (and the article's pretrained weights)")),
    Param("threads", int, 0, N_("CPU threads per process (0: the cores, shared among processes)"), minimum=0,
          maximum=1024),
)
