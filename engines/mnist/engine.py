"""MNIST / Fashion-MNIST training (``mnist``) and the drawing pad's inference (``mnist.infer``).

The training loop is the plain PyTorch one (zero_grad, forward, loss, backward, step),
made fast the way the records are made fast:

* the whole dataset lives on the device as one normalised tensor: no DataLoader, no
  per-sample Python; an epoch is a random permutation of indices, and each batch is
  one gather on the device;
* the loss is read back from the device every ``log_every`` steps, not every step
  (a per-step ``.item()`` makes the CPU wait for the GPU);
* fused Adam/SGD (one kernel for all parameters) on the CPU and CUDA;
* on CUDA: bf16 autocast, TF32, channels_last for the CNN, 10k-image evaluation batches;
* on the CPU: one thread for small MLP batches (see ``mnist_training.cpu_threads``),
  all cores otherwise.

Where things are: files and downloads in ``mnist_data``, layer shapes and the modules in
``mnist_models``, the loop and its checkpoints in ``mnist_training``, the drawing pad's
engine in ``mnist_infer``; this module holds the parameters, the run and the values.

Events of a training run, in order (payloads are JSON-ready):

* ``Artifact("download", {file, done_bytes, total_bytes})`` while missing data downloads
  (a few per second; ``total_bytes`` may be None);
* ``Started(device, config, total_steps, seed)``; ``total_steps`` counts the whole run,
  a resumed run's earlier steps included, as ``Progress.step`` does;
* ``Artifact("dataset", {dataset, title, source, train_size, test_size, classes, mean,
  std, threads})``, ``Artifact("samples", {labels, class_counts, test_class_counts,
  images: [{index, label, pixels}]})`` (one training image per class, pixels 28×28
  uint8 as nested lists), ``Artifact("model", {model, description, parameters,
  layers: [{name, shape, parameters}]})``, and ``Artifact("resumed", {path, epoch,
  step})`` when continuing a checkpoint;
* ``Progress(step, loss, epoch, lr, samples_per_s)`` every ``log_every`` steps, at each
  epoch's end, and every step in slow motion; ``loss`` is the mean over those steps;
* ``Artifact("health", {step, epoch, layers: [{name, grad_norm, dead_relu_share,
  weight_hist, init_hist, range, weight_norm}]})`` every ``HEALTH_EVERY_STEPS`` steps
  and at each epoch's end (histograms share ``range`` = [low, high], HEALTH_BINS bins;
  ``dead_relu_share`` is None for the output layer);
* per epoch: ``Evaluated(epoch, {test_accuracy, test_loss, train_loss, train_accuracy,
  train_seconds, samples_per_s, lr})`` (accuracies 0–1; train figures are running
  means over the epoch, as Keras prints them), ``Artifact("confusion_matrix", {epoch,
  labels, matrix})`` (rows: true class, columns: predicted), ``Artifact("worst_images",
  [{index, label, predicted, confidence, pixels}])`` (misclassified test images, the
  lowest probability for the true class first) and ``Artifact("checkpoint", {path,
  epoch, step, reason: "epoch_end" | "stopped"})``;
* ``Artifact("command", {cmd, step, applied, ...})`` answering each live command;
* ``Finished(reason, {steps, seconds, steps_per_s, epochs, total_steps, test_accuracy,
  test_loss, checkpoint})`` (``steps``: optimizer steps of this run; ``total_steps``:
  of the model's whole training) or ``Failed(message, hint)``. A non-finite loss ends
  the run as ``Finished("diverged", {step, message, loss, suggested_lr})``.

Live commands (``Control.send``): ``pause``/``resume``/``stop``, ``{"cmd": "set_lr",
"lr": x}`` (from the next step on; ends a onecycle schedule), ``{"cmd":
"one_more_epoch"}`` and ``{"cmd": "slow", "step_seconds": x}`` (0 ends slow motion).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

from engines.core import downloads
from engines.mnist import data as mnist_data
from engines.mnist import models as mnist_models
from engines.training import common as training_common
from engines.core.events import Artifact, Event, Failed, Started
from engines.core.device import cpu_device
from engines.mnist.data import DataError
from engines.mnist.infer import infer
from engines.mnist.training import DeviceData, Trainer, checkpoint_path, cpu_threads, read_checkpoint, resume_path
from engines.core.params import Param, ParamError
from engines.core.runtime import Control, EngineSpec
from engines.training.common import LR, check_writable, setup_device


PARAMS = (
    Param("dataset", str, "mnist", "which images", choices=tuple(mnist_data.DATASETS)),
    Param("model", str, "mlp-128", "network", choices=mnist_models.MODEL_NAMES),
    Param("epochs", int, 5, "passes over the training set (a resumed run counts the checkpoint's)",
          minimum=1, maximum=1000),
    Param("batch_size", int, 64, "images per step", minimum=1, maximum=60_000),
    LR,
    Param("optimizer", str, "adam", "update rule", choices=("sgd", "adam")),
    Param("seed", int, 0, "seed of initial weights, subset and data order", minimum=0, maximum=2**31 - 1),
    Param("momentum", float, 0.0, "momentum of sgd (adam ignores it)", minimum=0.0, maximum=0.999),
    Param("schedule", str, "constant", "learning-rate schedule over the run", choices=("constant", "onecycle")),
    Param("subset", int, 0, "train on this many random training images (0: all)", minimum=0, maximum=60_000),
    Param("log_every", int, 10, "steps between loss read-backs and progress events", minimum=1,
          maximum=100_000),
    Param("checkpoint", str, "auto", "checkpoint file: auto (in the lab's folder), off, or a path"),
    Param("resume", str, "none", "continue from a checkpoint: none, last (this run's checkpoint) or a path"),
    Param("download", bool, True, "download missing data from the internet"),
    Param("threads", int, 0, "CPU threads (0: choose)", minimum=0, maximum=1024),
    Param("double_softmax", bool, False, "apply softmax before the loss too (an articles' bug, to study)"),
)


# --- the values lesson text quotes (no torch) ------------------------------------------


def values() -> dict[str, Any]:
    """Numbers for lesson placeholders: model sizes, dataset sizes, the articles' errata."""
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
    # A mean cross-entropy L means the true class got probability e^−L on (geometric) average.
    out["article_002_mean_true_prob"] = math.exp(-out["article_002_train_loss"])
    out["article_002_first_loss"] = 2.2723  # "Epoch [1/10], Loss: 2.2723": chance level after a full epoch
    out["mlp_128_layer1"] = 784 * 128 + 128
    out["mlp_128_layer2"] = 128 * 10 + 10
    out["article_003_val_accuracy"] = 0.9667  # reported as test accuracy
    out["article_004_train_loss"] = 0.1095  # 784-128-10, Keras, 5 epochs
    out["article_004_test_accuracy"] = 0.9796
    return out


def checks() -> list[tuple[str, float, float]]:
    return training_common.parameter_checks(mnist_models.MODEL_NAMES, mnist_models.parameter_count,
                                            mnist_models.build)


# --- the engine ------------------------------------------------------------------------


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Train one model, yielding the events listed in the module docstring."""
    info = mnist_data.dataset_info(config["dataset"])
    subset = config["subset"]
    if subset and subset > info.train_size:
        raise ParamError(f"subset must be at most {info.train_size} (the size of {info.title}'s training set), "
                         f"not {subset}.")
    if config["batch_size"] > (subset or info.train_size):
        _refuse_batch(config, subset or info.train_size, info.title)
    resume_from = resume_path(config)
    save_to = checkpoint_path(config)
    if save_to is not None:
        check_writable(save_to)

    import torch

    device = setup_device(ctl)
    try:
        located = yield from downloads.reporting(
            mnist_data.fetch(info, _data_root(ctl), download=config["download"]), ctl)
        if located is None:
            return  # stopped while downloading
        arrays = mnist_data.read(located)
    except DataError as error:
        yield Failed(error.message, error.hint)
        return
    if device.kind == "cpu":
        torch.set_num_threads(cpu_threads(config, device))
    channels_last = device.kind == "cuda" and config["model"] == "cnn"
    data = DeviceData(torch, arrays, device, subset, config["seed"], channels_last)
    if config["batch_size"] > data.train_size:
        _refuse_batch(config, data.train_size, f"the {info.title} files in use")
    trainer = Trainer(torch, config, data, device, channels_last)
    if resume_from is not None:
        trainer.restore(read_checkpoint(torch, resume_from), resume_from)

    label = cpu_device(torch.get_num_threads()).label if device.kind == "cpu" else device.label
    yield Started(device=label, config=dict(config), total_steps=trainer.total_steps(), seed=config["seed"])
    yield Artifact("dataset", {
        "dataset": info.key, "title": info.title, "source": located.source,
        "train_size": data.train_size, "test_size": len(data.test_y), "classes": list(info.classes),
        "mean": data.mean, "std": data.std, "threads": torch.get_num_threads(),
    })
    yield Artifact("samples", _samples(data, info))
    yield Artifact("model", _model_payload(config["model"], trainer.model))
    if trainer.step:
        yield Artifact("resumed", {"path": str(resume_from), "epoch": trainer.epoch, "step": trainer.step})
    yield from trainer.train(ctl, save_to)


def _refuse_batch(config: dict[str, Any], size: int, what: str) -> None:
    subset = f" (subset={config['subset']})" if config["subset"] else ""
    raise ParamError(f"batch_size is {config['batch_size']} but the training set of {what} has only "
                     f"{size} images{subset}; choose a batch_size of at most {size}.")


def _data_root(ctl: Control) -> Path:
    from engines.core.data_root import resolve_data_root

    return resolve_data_root(ctl.data_dir)[0]


def _samples(data: DeviceData, info: mnist_data.DatasetInfo) -> dict[str, Any]:
    """One training image per class, and how many of each class there are."""
    labels = data.train_y_cpu
    images = []
    for label in range(10):
        hits = (labels == label).nonzero()
        if len(hits):
            index = int(hits[0, 0])
            images.append({"index": index, "label": label, "pixels": data.train_u8[index].tolist()})
    return {
        "labels": list(info.classes),
        "class_counts": labels.bincount(minlength=10).tolist(),
        "test_class_counts": data.test_y_cpu.bincount(minlength=10).tolist(),
        "images": images,
    }


def _model_payload(name: str, model: Any) -> dict[str, Any]:
    return {"model": name, "description": mnist_models.describe(name),
            "parameters": sum(p.numel() for p in model.parameters()),
            "layers": mnist_models.layer_shapes(name)}


TRAIN = EngineSpec(
    name="mnist",
    title="MNIST / Fashion-MNIST training",
    params=PARAMS,
    run=run,
    needs_torch=True,
    # Fashion-MNIST: a machine without internet can still have it (Debian's package).
    smoke={"dataset": "fashion-mnist", "subset": 2000, "epochs": 1, "batch_size": 128, "checkpoint": "off"},
)


INFER = EngineSpec(
    name="mnist.infer",
    title="Draw a digit: the trained model's class probabilities",
    params=(
        Param("dataset", str, "mnist", "which images the model learnt", choices=tuple(mnist_data.DATASETS)),
        Param("model", str, "mlp-128", "network", choices=mnist_models.MODEL_NAMES),
        Param("checkpoint", str, "auto", "checkpoint file: auto (the training run's), a path, or untrained"),
        Param("max_seconds", float, 0.0, "end after this many seconds (0: when stopped)", minimum=0.0,
              maximum=86_400.0),
    ),
    run=infer,
    needs_torch=True,
    smoke={"checkpoint": "untrained", "max_seconds": 0.1},
)
