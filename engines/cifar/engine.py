"""CIFAR-10 training (``cifar10``): the article's ResNet-18, a small CNN for the CPU, and
an airbench94-style fast recipe for GPUs, in one process or several (torchrun).

Where things are: the recipes and how ``auto`` resolves in ``recipe``, the parameters in
``params``, the numbers lessons quote in ``lesson_values``, the data in ``data`` and
``device_data``, the networks in ``models``/``nets``, the loop and its checkpoints in
``training``; this module holds the run. The article's recipe needs ImageNet-pretrained
weights: offline they cannot be fetched, a note says so and the run trains the same
network from random weights.

``dataset=synthetic`` trains on a generated stand-in of CIFAR-10's shape (learnable tinted
textures, a note says what it is): for ``tui-lab check`` and speed measurements on
machines without the dataset, and is what a run offers (``Failed.alternative``) when
CIFAR-10 is missing; its accuracies say nothing about CIFAR-10.

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

Events, in order, as for MNIST (``engines.mnist.engine``); artifact payloads have the
shapes of ``engines.core.artifacts`` and ``engines.cifar.artifacts`` (Dataset, Model):

* ``Artifact("download", Download)`` while the data (170 MB) or the article's
  pretrained weights (47 MB) download;
* ``Started(device, config, total_steps, seed)`` — ``config`` with every auto resolved;
* ``Artifact("note", sentence)`` for what the student must know: files that are not the
  official CIFAR-10 (a course's own subset: they load, results are not comparable),
  pretrained weights missing (training from scratch), torch.compile's warm-up time;
* ``Artifact("dataset", Dataset)``, ``Artifact("samples", Samples)`` (pixels
  [32][32][3] uint8: 32 rows of 32 pixels of [R, G, B]), ``Artifact("model", Model)``
  and ``Artifact("resumed", Resumed)``;
* ``Progress(step, loss, epoch, lr, samples_per_s)`` every ``log_every`` steps and at
  each epoch's end: the mean training loss of those steps over all processes (label
  smoothing included), images/s of all processes together;
* ``Artifact("health", Health)`` as MNIST's, per conv/linear layer;
* per epoch: ``Evaluated(epoch, {test_accuracy, test_loss, train_loss, train_accuracy,
  train_seconds, samples_per_s, lr, elapsed_seconds, eval_seconds[,
  test_accuracy_no_tta]})`` — accuracies 0–1; ``elapsed_seconds`` is the timed training
  time so far (whitening set-up + steps), so time-to-94 % is ``elapsed_seconds +
  eval_seconds`` of the first epoch that reaches it; then ``Artifact("confusion_matrix",
  ConfusionMatrix)``, ``Artifact("worst_images", [WorstImage])`` (pixels as above) and
  ``Artifact("checkpoint", Checkpoint)``;
* ``Artifact("command", CommandAnswer)`` answering each live command;
* ``Finished(reason, {steps, seconds, steps_per_s, epochs, total_steps, test_accuracy,
  test_loss, checkpoint, model, processes, train_seconds, timed_seconds, tricks[,
  test_accuracy_no_tta]})`` — ``timed_seconds`` as the records time (whitening + steps +
  final evaluation), ``tricks`` the on/off of each switch: one row of an ablation table;
  or ``Failed(message, hint, alternative)`` (missing or damaged data: the stand-in); a non-finite loss ends as ``Finished("diverged", ...)``.

Live commands (one process): ``pause``/``resume``/``step``/``stop``, ``{"cmd": "set_lr",
"lr": x}`` (the peak rate from the next step on; ends the schedule; ``x`` as
``TRAIN.control("lr")`` allows, whatever the run parameter ``lr`` allows), ``{"cmd":
"one_more_epoch"}``, ``{"cmd": "slow", "step_seconds": x}``. With several processes only
stop is taken (at the next progress event, by all processes together).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

from engines.cifar import data as cifar_data
from engines.cifar import models as cifar_models
from engines.cifar.artifacts import Dataset, Model
from engines.cifar.data import DataError
from engines.cifar.params import PARAMS
from engines.cifar.recipe import recipe_of, resolve
from engines.core import downloads
from engines.core.artifacts import Resumed
from engines.core.events import Artifact, Event, Failed, Started, alternative_run
from engines.core.params import ParamError
from engines.core.runtime import Control, EngineSpec
from engines.training import checkpoint_paths
from engines.training.specs import LR
from lab_i18n import N_, _

STAND_IN = N_("train on a generated stand-in of CIFAR-10's shape (no download)")  # "press d to …"
SYNTHETIC_TEST_SIZE = 2000  # enough to see a pipeline learn; evaluating 10,000 would dominate a CPU smoke run


def checkpoint_path(config: dict[str, Any]) -> Path | None:
    return checkpoint_paths.checkpoint_path(config, default_checkpoint(config["model"]), "cifar10.pt")


def default_checkpoint(model: str) -> Path:
    return checkpoint_paths.checkpoints_folder() / f"cifar10-{model}.pt"


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Train one recipe, yielding the events listed in the module docstring."""
    import torch

    from engines.cifar.device_data import DeviceData
    from engines.cifar.pretrained import pretrained_weights
    from engines.cifar.processes import device_label, process_group
    from engines.cifar.training import Trainer, read_checkpoint
    from engines.training.base import setup_device
    from engines.training.images import class_samples

    device = setup_device(ctl)
    world, rank = process_group()
    config = resolve(config, device.kind)
    recipe = recipe_of(config)
    save_to = checkpoint_path(config)
    resume_from = checkpoint_paths.resume_path(config, save_to, default_checkpoint(config["model"]))
    if save_to is not None and rank == 0:
        checkpoint_paths.check_writable(save_to)
    if config["batch_size"] % world:
        raise ParamError(_("batch_size {batch} cannot be shared equally by {processes} processes; choose a "
                           "multiple of {processes}, such as {example}.").format(
            batch=config["batch_size"], processes=world, example=config["batch_size"] // world * world or world))
    if device.kind == "cpu":
        torch.set_num_threads(config["threads"] or max(1, device.threads))

    root = ctl.data_root()
    data_start = time.perf_counter()  # downloads excepted: what data_seconds counts starts here
    try:
        if config["dataset"] == "synthetic":
            arrays = cifar_data.synthetic(train=config["subset"] or cifar_data.TRAIN_SIZE, test=SYNTHETIC_TEST_SIZE)
        else:
            if rank == 0:
                folder = yield from downloads.reporting(cifar_data.fetch(root, download=config["download"]), ctl)
                if folder is None:
                    return  # stopped while downloading
            if world > 1:
                torch.distributed.barrier()  # the others wait for rank 0's download
                folder = cifar_data.folder_of(root) if rank else folder
            data_start = time.perf_counter()
            arrays = cifar_data.read(folder)
    except DataError as error:
        yield Failed(error.message, error.hint, alternative_run(_(STAND_IN), {"dataset": "synthetic"}))
        return
    full = len(arrays.train_labels)
    subset = config["subset"] or (min(recipe.cpu_subset, full) if device.kind != "cuda" else full)
    if subset > full:
        raise ParamError(_("subset must be at most {size} (the size of the training set in use), not {subset}.")
                         .format(size=full, subset=subset))
    if config["batch_size"] > subset:
        raise ParamError((_("batch_size is {batch} but the training set has only {size} images (subset={subset}); "
                            "choose a batch_size of at most {size}.") if config["subset"] else
                          _("batch_size is {batch} but the training set has only {size} images; choose a "
                            "batch_size of at most {size}.")).format(batch=config["batch_size"], size=subset,
                                                                      subset=config["subset"]))
    config["subset"] = subset

    pretrained, notes, pretrained_seconds = None, list(arrays.warnings), time.perf_counter()
    if config["model"] == "resnet-article":
        pretrained, note = yield from pretrained_weights(root, config["download"], ctl)
        if ctl.stop_requested:
            return  # stopped while downloading
        if note:
            notes.append(note)
    pretrained_seconds = time.perf_counter() - pretrained_seconds
    dtype = torch.float16 if config["precision"] == "fp16-weights" else \
        torch.bfloat16 if config["bf16"] == "on" else torch.float32
    data = DeviceData(arrays, device, subset, config["seed"], recipe.normalisation, dtype,
                      config["channels_last"] == "on")
    trainer = Trainer(config, recipe, data, device, arrays.classes, world, rank, pretrained)
    trainer.seconds["data"] = time.perf_counter() - data_start - pretrained_seconds  # loading, statistics, whitening
    if resume_from is not None:
        trainer.restore(read_checkpoint(resume_from), resume_from)

    label = device_label(device, world)
    yield Started(device=label, config=dict(config), total_steps=trainer.total_steps(), seed=config["seed"])
    for note in notes:
        yield Artifact("note", note)
    yield Artifact("dataset", Dataset(
        dataset=config["dataset"], title="CIFAR-10" if config["dataset"] == "cifar10" else _("CIFAR-10 stand-in"),
        source=arrays.source, official=arrays.official, train_size=data.train_size, full_train_size=full,
        test_size=len(data.test_y_cpu), classes=list(arrays.classes), mean=data.mean, std=data.std,
        threads=torch.get_num_threads(), processes=world, batch_per_process=config["batch_size"] // world))
    yield Artifact("samples", class_samples(data.train_u8_cpu, data.train_y_cpu, data.test_y_cpu, arrays.classes))
    yield Artifact("model", Model(
        model=config["model"], description=cifar_models.describe(config["model"]),
        parameters=sum(p.numel() for p in trainer.net.parameters()),
        pretrained=pretrained is not None if config["model"] == "resnet-article" else None,
        layers=cifar_models.layer_shapes(config["model"])))
    if trainer.step:
        yield Artifact("resumed", Resumed(path=str(resume_from), epoch=trainer.epoch, step=trainer.step))
    yield from trainer.train(ctl, save_to, TRAIN.control("lr"))



TRAIN = EngineSpec(
    name="cifar10",
    title="CIFAR-10 training: the article's ResNet-18, a small CNN, the fast recipe",
    params=PARAMS,
    run=run,
    needs_torch=True,
    controls=(LR,),
    # CIFAR-10 may not be on the checking machine (CI has no internet): the stand-in checks the pipeline.
    smoke={"model": "small-cnn", "dataset": "synthetic", "subset": 1000, "epochs": 1, "batch_size": 100, "tta": "off",
           "checkpoint": "off"},
)
