"""MNIST / Fashion-MNIST training (``mnist``).

The training loop is the plain PyTorch one (zero_grad, forward, loss, backward, step),
made fast the way the records are made fast:

* the whole dataset lives on the device as one normalised tensor: no DataLoader, no
  per-sample Python; an epoch is a random permutation of indices, and each batch is
  one gather on the device;
* the loss is read back from the device every ``log_every`` steps, not every step
  (a per-step ``.item()`` makes the CPU wait for the GPU);
* fused Adam/SGD (one kernel for all parameters) on the CPU and CUDA;
* on CUDA: bf16 autocast, TF32, channels_last for the CNN, 10k-image evaluation batches;
* on the CPU: for small MLP batches the thread count measured fastest on a few throwaway
  steps (see ``training.cpu_threads``), all cores otherwise.

Where things are: files and downloads in ``data``, layer shapes and the modules in
``models``, the loop and its checkpoints in ``training``, the numbers lessons quote in
``lesson_values``, the drawing pad's engine in ``infer``; this module holds the
parameters and the run.

Events of a training run, in order; artifact payloads have the shapes of
``engines.core.artifacts`` (and ``engines.mnist.artifacts.Dataset``):

* ``Artifact("download", Download)`` while missing data downloads (a few per second);
* ``Started(device, config, total_steps, seed)``; ``total_steps`` counts the whole run,
  a resumed run's earlier steps included, as ``Progress.step`` does;
* ``Artifact("dataset", Dataset)``, ``Artifact("samples", Samples)`` (pixels 28×28
  uint8), ``Artifact("model", Model)``, and ``Artifact("resumed", Resumed)`` when
  continuing a checkpoint;
* ``Progress(step, loss, epoch, lr, samples_per_s)`` every ``log_every`` steps, at each
  epoch's end, and every step of a paced run (``step_seconds``) or in slow motion;
  ``loss`` is the mean over those steps;
* ``Artifact("health", Health)`` every ``HEALTH_EVERY_STEPS`` steps (at most once a second) and at each
  epoch's end;
* per epoch: ``Evaluated(epoch, {test_accuracy, test_loss, train_loss, train_accuracy,
  train_seconds, samples_per_s, lr})`` (accuracies 0–1; train figures are running
  means over the epoch, as Keras prints them), ``Artifact("confusion_matrix",
  ConfusionMatrix)``, ``Artifact("worst_images", [WorstImage])`` and
  ``Artifact("checkpoint", Checkpoint)``;
* ``Artifact("command", CommandAnswer)`` answering each live command;
* ``Finished(reason, {steps, seconds, steps_per_s, epochs, total_steps, test_accuracy,
  test_loss, checkpoint})`` (``steps``: optimizer steps of this run; ``total_steps``:
  of the model's whole training) or ``Failed(message, hint, alternative)`` (missing or damaged
  data: the other dataset when it is on this computer). A non-finite loss ends
  the run as ``Finished("diverged", {step, message, loss, suggested_lr})``.

``recipe=fast99`` replaces the recipe's parameters with the anchor's (``engines.mnist.recipes``);
``betas`` reaches Adam. ``mode=benchmark`` runs the same steps with nothing else in the
clock and yields fewer events (``engines.mnist.benchmark``); ``compile`` compiles the whole
training step with ``torch.compile`` in either mode: the forward and loss with their backward,
and the optimizer's step as one function of tensors (``engines.training.compiled_update``; the
learning rate a tensor, so a schedule never recompiles); ``reduce-overhead`` replays both as
CUDA graphs.

Live commands (``Control.send``): ``pause``/``resume``/``stop``, ``{"cmd": "set_lr",
"lr": x}`` (from the next step on; ends a onecycle schedule; ``x`` as
``TRAIN.control("lr")`` allows), ``{"cmd": "one_more_epoch"}`` and ``{"cmd": "slow",
"step_seconds": x}`` (0 ends slow motion).
"""

from __future__ import annotations

import time
from typing import Any, Iterator

from engines.core import downloads
from engines.core.artifacts import Model, Resumed
from engines.core.device import cpu_device
from engines.core.events import Artifact, Event, Failed, Started
from engines.core.params import Param, ParamError
from engines.core.runtime import Control, EngineSpec
from engines.mnist import data as mnist_data
from engines.mnist import models as mnist_models
from engines.mnist import recipes
from engines.mnist.artifacts import Dataset
from engines.mnist.checkpoint_paths import checkpoint_path, resume_path
from engines.mnist.data import DataError
from engines.training.checkpoint_paths import check_writable
from engines.training.specs import LR, STEP_SECONDS
from lab_i18n import N_, _


PARAMS = (
    Param("dataset", str, "mnist", N_("which images"), choices=tuple(mnist_data.DATASETS)),
    Param("model", str, "mlp-128", N_("network"), choices=mnist_models.MODEL_NAMES),
    Param("epochs", int, 5, N_("passes over the training set (a resumed run counts the checkpoint's)"),
          minimum=1, maximum=1000),
    Param("batch_size", int, 64, N_("images per step"), minimum=1, maximum=60_000),
    LR,
    Param("optimizer", str, "adam", N_("update rule"), choices=("sgd", "adam")),
    Param("seed", int, 0, N_("seed of initial weights, subset and data order"), minimum=0, maximum=2**31 - 1),
    Param("momentum", float, 0.0, N_("momentum of sgd (adam ignores it)"), minimum=0.0, maximum=0.999),
    Param("schedule", str, "constant", N_("learning-rate schedule over the run"), choices=("constant", "onecycle")),
    Param("subset", int, 0, N_("train on this many random training images (0: all)"), minimum=0, maximum=60_000),
    Param("log_every", int, 10, N_("steps between loss read-backs and progress events"), minimum=1,
          maximum=100_000),
    STEP_SECONDS,  # a paced run: a lesson's live-controls step is slow enough to steer on a CPU
    Param("checkpoint", str, "auto", N_("checkpoint file: auto (in the lab's folder), off, or a path")),
    Param("resume", str, "none", N_("continue from a checkpoint: none, last (this run's checkpoint) or a path")),
    Param("download", bool, True, N_("download missing data from the internet")),
    Param("threads", int, 0, N_("CPU threads (0: choose)"), minimum=0, maximum=1024),
    Param("double_softmax", bool, False, N_("apply softmax before the loss too (an articles' bug, to study)")),
    Param("recipe", str, "custom", N_("custom: these parameters; fast99: the CNN, one epoch of OneCycle Adam "
                                      "(batch 256, lr 0.01, betas 0.7,0.9), which then replace them"),
          choices=recipes.RECIPES),
    Param("betas", str, "0.9,0.999", N_("Adam's two decay rates, separated by a comma (sgd ignores them)")),
    Param("mode", str, "normal", N_("benchmark: no health snapshots, no loss read-backs and one evaluation at "
                                    "the end, for timing"), choices=("normal", "benchmark")),
    Param("compile", str, "off", N_("compile the training step with torch.compile (reduce-overhead: CUDA graphs "
                                    "too)"), choices=("off", "on", "reduce-overhead")),
)


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Train one model, yielding the events listed in the module docstring."""
    config = recipes.resolve(config)
    info = mnist_data.dataset_info(config["dataset"])
    subset = config["subset"]
    if subset and subset > info.train_size:
        raise ParamError(_("subset must be at most {size} (the size of {title}'s training set), not {subset}.")
                         .format(size=info.train_size, title=info.title, subset=subset))
    if config["batch_size"] > (subset or info.train_size):
        _refuse_batch(config, subset or info.train_size, info.title)
    resume_from = resume_path(config)
    save_to = checkpoint_path(config)
    if save_to is not None:
        check_writable(save_to)

    import torch

    from engines.mnist.training import DeviceData, Trainer, cpu_threads, read_checkpoint
    from engines.training.base import setup_device
    from engines.training.images import class_samples

    device = setup_device(ctl)
    data_start = time.perf_counter()  # reading and preparing the data: before any training clock
    root = ctl.data_root()
    try:
        located = yield from downloads.reporting(mnist_data.fetch(info, root, download=config["download"]), ctl)
        if located is None:
            return  # stopped while downloading
        arrays = mnist_data.read(located)
    except DataError as error:  # missing or damaged: offer the other dataset when it is here
        yield Failed(error.message, error.hint, mnist_data.alternative(info, root))
        return
    if device.kind == "cpu":  # preparing the data: every thread the run may use
        torch.set_num_threads(max(1, config["threads"] or device.threads))
    channels_last = device.kind == "cuda" and config["model"] == "cnn"
    data = DeviceData(arrays, device, subset, config["seed"], channels_last)
    if device.kind == "cpu":
        torch.set_num_threads(cpu_threads(config, device, data))
    if config["batch_size"] > data.train_size:
        _refuse_batch(config, data.train_size, _("the {title} files in use").format(title=info.title))
    if device.kind == "cuda":
        torch.cuda.synchronize()
    trainer = Trainer(config, data, device, channels_last)
    trainer.data_seconds = time.perf_counter() - data_start
    if resume_from is not None:
        trainer.restore(read_checkpoint(resume_from), resume_from)

    label = cpu_device(torch.get_num_threads()).label if device.kind == "cpu" else device.label
    yield Started(device=label, config=dict(config), total_steps=trainer.total_steps(), seed=config["seed"])
    yield Artifact("dataset", Dataset(
        dataset=info.key, title=info.title, source=located.source, train_size=data.train_size,
        test_size=len(data.test_y), classes=list(info.classes), mean=data.mean, std=data.std,
        threads=torch.get_num_threads()))
    yield Artifact("samples", class_samples(data.train_u8, data.train_y_cpu, data.test_y_cpu, info.classes))
    yield Artifact("model", Model(model=config["model"], description=mnist_models.describe(config["model"]),
                                  parameters=sum(p.numel() for p in trainer.model.parameters()),
                                  layers=mnist_models.layer_shapes(config["model"])))
    if trainer.step:
        yield Artifact("resumed", Resumed(path=str(resume_from), epoch=trainer.epoch, step=trainer.step))
    yield from trainer.train(ctl, save_to, TRAIN.control("lr"))


def _refuse_batch(config: dict[str, Any], size: int, what: str) -> None:
    if config["subset"]:
        raise ParamError(_("batch_size is {batch} but the training set of {what} has only {size} images "
                           "(subset={subset}); choose a batch_size of at most {size}.").format(
            batch=config["batch_size"], what=what, size=size, subset=config["subset"]))
    raise ParamError(_("batch_size is {batch} but the training set of {what} has only {size} images; choose a "
                       "batch_size of at most {size}.").format(batch=config["batch_size"], what=what, size=size))



TRAIN = EngineSpec(
    name="mnist",
    title="MNIST / Fashion-MNIST training",
    params=PARAMS,
    run=run,
    needs_torch=True,
    controls=(LR,),
    # Fashion-MNIST: a machine without internet can still have it (Debian's package).
    smoke={"dataset": "fashion-mnist", "subset": 2000, "epochs": 1, "batch_size": 128, "checkpoint": "off"},
)
