"""The training loop behind the ``mnist`` engine, and its checkpoints.

``Trainer`` holds the model, the optimizer and where the run stands (epoch, step, this
epoch's permutation and position in it), so that a checkpoint written at any step
continues exactly where it stopped. The loop itself, the live commands and the
checkpoint writing are shared with the CIFAR-10 engine (``engines.training.base``);
see ``engines.mnist.engine`` for the events it yields and why it is fast.

A checkpoint (``engines.training.checkpoints``: atomic, read back with
``weights_only=True``) holds ``format`` ("tui-lab mnist checkpoint"), ``version`` (1),
``config`` (the run's parameters), ``model``, ``dataset``, ``optimizer``,
``double_softmax``, ``seed``, ``schedule``, ``epochs``, ``epoch`` (completed), ``step``,
``offset`` and ``order`` (position and permutation of an interrupted epoch, else 0 and
None), ``order_rng``, ``running`` (that epoch's running loss/accuracy so far),
``model_state``, ``optimizer_state``, ``initial_weights``, ``normalisation`` ({mean, std}
of the training pixels, which inference must reuse), ``classes`` and ``metrics`` (the
last evaluation).
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

import torch

from engines.mnist import data as mnist_data
from engines.mnist import models as mnist_models
from engines.mnist import recipes
from engines.training import base, checkpoints
from engines.training.figures import ClassificationReport, EpochFigures, classification_report
from engines.training.health import PROBE_IMAGES
from engines.training.images import pixel_statistics
from lab_i18n import _

CHECKPOINT_FORMAT = "tui-lab mnist checkpoint"
CHECKPOINT_VERSION = 1


# --- device and torch set-up -----------------------------------------------------------


def cpu_threads(config: dict[str, Any], device: Any, data: "DeviceData") -> int:
    """Threads for a CPU run: ``threads`` if given; for small MLP batches, the count that
    runs a few steps of a throwaway copy fastest here and now (``engines.training.thread_choice``);
    else the device's — every usable core headless, one fewer under the lab."""
    if config["threads"]:
        return config["threads"]
    from engines.training.thread_choice import SMALL_BATCH, fastest_threads

    if config["model"] != "cnn" and config["batch_size"] < SMALL_BATCH and device.threads > 1:
        return fastest_threads(_scratch_step(config, data), device.threads)
    return max(1, device.threads)


def _scratch_step(config: dict[str, Any], data: "DeviceData") -> Any:
    """One training step of a fresh copy of the run's model on its first batch (weights and
    optimizer thrown away after the thread choice; the run's own start at its seed)."""
    model = mnist_models.build(config["model"], config["double_softmax"])
    optimizer = _optimizer(model, config, "cpu")
    index = torch.arange(min(config["batch_size"], data.train_size))

    def step() -> None:
        model.zero_grad(set_to_none=True)
        loss, _correct = loss_and_correct(model, data.train_x, data.train_y, index, False)
        loss.backward()
        optimizer.step()

    return step


def _autocast(device: Any) -> Any:
    if device.kind == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


# --- data on the device ----------------------------------------------------------------


class DeviceData:
    """A dataset's images as one normalised float tensor on the device, labels beside."""

    def __init__(self, arrays: mnist_data.Arrays, device: Any, subset: int, seed: int, channels_last: bool) -> None:
        train_u8 = torch.from_numpy(arrays.train_images)
        train_y = torch.from_numpy(arrays.train_labels).long()
        if subset and subset < len(train_u8):
            pick = torch.randperm(len(train_u8), generator=torch.Generator().manual_seed(seed))[:subset]
            train_u8, train_y = train_u8[pick], train_y[pick]
        self.train_u8, self.train_y_cpu = train_u8, train_y  # kept on the CPU for artifacts
        self.test_u8 = torch.from_numpy(arrays.test_images)
        self.test_y_cpu = torch.from_numpy(arrays.test_labels).long()
        self.mean, self.std = pixel_statistics(train_u8)
        self.train_x = self.normalise(train_u8, device.name, channels_last)
        self.train_y = train_y.to(device.name)
        self.test_x = self.normalise(self.test_u8, device.name, channels_last)
        self.test_y = self.test_y_cpu.to(device.name)

    def normalise(self, images_u8: Any, device: str, channels_last: bool = False) -> Any:
        """uint8 [N, 28, 28] -> float [N, 1, 28, 28], zero mean and unit variance (on the device)."""
        x = images_u8.to(device).unsqueeze(1).float().div_(255).sub_(self.mean).div_(self.std)
        return x.contiguous(memory_format=torch.channels_last) if channels_last else x

    @property
    def train_size(self) -> int:
        return len(self.train_y)


class Trainer(base.Trainer):
    """Model, optimizer and where the run stands; ``train`` (shared) yields the run's events."""

    def __init__(self, config: dict[str, Any], data: DeviceData, device: Any, channels_last: bool) -> None:
        self.config, self.data, self.device = config, data, device
        torch.manual_seed(config["seed"])  # the same initial weights on every device
        self.model = self.net = mnist_models.build(config["model"], config["double_softmax"])
        self.initial_weights = {name: p.detach().clone() for name, p in self.model.named_parameters()
                                if name.endswith("weight")}
        self.model.to(device.name)
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.optimizer = _optimizer(self.model, config, device.kind)
        self.epochs = config["epochs"]
        self.batch_size = config["batch_size"]
        self.schedule = config["schedule"]
        self.scheduler = self._make_scheduler()
        self.order_rng = torch.Generator().manual_seed(config["seed"])  # CPU: same order on any device
        self.eval_batch = 10_000 if device.kind == "cuda" else 1000
        self.probe = data.train_x[:PROBE_IMAGES]
        self.autocast = _autocast(device)
        self.classes = mnist_data.dataset_info(config["dataset"]).classes
        self._start_bookkeeping(config["lr"])
        self.data_seconds = 0.0  # set by the engine: reading and preparing the data
        self._setup_compile(config.get("compile", "off"))

    # -- schedule and bookkeeping

    def steps_per_epoch(self) -> int:
        return math.ceil(self.data.train_size / self.batch_size)

    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch()

    def _make_scheduler(self, done_steps: int = 0) -> Any:
        if self.schedule != "onecycle":
            return None
        total = max(self.total_steps(), done_steps + 1)
        for group in self.optimizer.param_groups:
            group.setdefault("initial_lr", self.config["lr"] / 25)  # OneCycle's defaults
        return torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=self.config["lr"], total_steps=total, cycle_momentum=False,
            last_epoch=done_steps - 1)

    def _set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.scheduler, self.schedule = None, "constant"  # the student now drives the rate

    def _extend_schedule(self) -> None:
        if self.scheduler is not None:  # stretch the schedule over the longer run
            self.scheduler = self._make_scheduler(self.step)

    # -- the steps

    def _begin_epoch(self) -> None:
        # One permutation per epoch, made on the CPU (the same on every device, and
        # portable in checkpoints), then used for gathering batches on the device.
        self.order = torch.randperm(self.data.train_size, generator=self.order_rng)
        self.offset = 0
        self.running = EpochFigures(self.device.name)

    def _step(self, index: Any) -> tuple[Any, Any]:
        """One optimisation step, as in the PyTorch examples; (loss, correct) stay on the device."""
        self.model.zero_grad(set_to_none=True)  # the optimizer's zero_grad adds a profiler hook per call
        loss, correct = self._forward_checked(index)
        loss.backward()
        self.step_lr = self.optimizer.param_groups[0]["lr"]  # the rate this step used, for its event
        self._update()
        if self.scheduler is not None:
            self.scheduler.step()
        self.step += 1
        return loss.detach(), correct

    def _loss_and_correct(self, index: Any) -> tuple[Any, Any]:
        return self.forward(self.model, self.data.train_x, self.data.train_y, index, self.device.kind == "cuda")

    def _forward_checked(self, index: Any) -> tuple[Any, Any]:
        if self.compile_mode == "reduce-overhead":
            torch.compiler.cudagraph_mark_step_begin()  # the last step's graph outputs may be reused
        if self.compiled_ok is not None:
            return self._loss_and_correct(index)
        try:  # the first call compiles: a machine without a C compiler fails here
            out = self._loss_and_correct(index)
            self.compiled_ok = True
            return out
        except Exception as error:  # noqa: BLE001 - any compiler failure: run uncompiled instead
            self.compiled_ok, self.forward, self.compile_mode = False, loss_and_correct, "off"
            self.compiled_update = None
            self.compile_note = _("torch.compile failed here ({error}), so the step runs uncompiled.").format(
                error=type(error).__name__)
            return self._loss_and_correct(index)

    def _update(self) -> None:
        """The optimizer's step: compiled when compiling (its first call compiles, and a failure
        falls back to the optimizer's own step, said in ``compile_note``)."""
        if self.compiled_update is None:
            self.optimizer.step()
            return
        try:
            self.compiled_update.step()
        except Exception as error:  # noqa: BLE001 - any compiler failure: the uncompiled step instead
            self.compiled_update = None
            self.compile_note = _("torch.compile failed here ({error}), so the step runs uncompiled.").format(
                error=type(error).__name__)
            self.optimizer.step()

    def _setup_compile(self, mode: str) -> None:
        """``forward``: the compiled or plain ``_loss_and_correct``; ``compiled_ok`` is None until
        the first call tells whether compiling worked. ``compiled_update``: the optimizer's step
        as one compiled function (``engines.training.compiled_update``), or None."""
        self.compile_mode, self.compile_note = mode, ""
        self.forward, self.compiled_ok, self.compiled_update = loss_and_correct, True, None
        if mode != "off":
            from engines.training.compiled_update import CompiledUpdate

            self.forward, self.compiled_ok = _compiled(mode), None
            self.compiled_update = CompiledUpdate.make(self.optimizer, mode)

    def train(self, ctl: Any, save_to: Path | None, lr_control: Any) -> Any:
        if self.config["mode"] == "benchmark":
            from engines.mnist.benchmark import train_benchmark

            yield from train_benchmark(self, ctl, save_to)
        else:
            yield from super().train(ctl, save_to, lr_control)

    def _divergence(self, loss: float) -> dict[str, Any]:
        lr, name = self.lr, self.config["optimizer"]
        message = _(
            "Stopped at step {step} (epoch {epoch}): the training loss became {loss} — the updates grew "
            "without bound and the run diverged. With {optimizer} at lr={lr} the steps are too large for this "
            "network; try lr={tenth} (a tenth) and run again."
        ).format(step=self.step, epoch=self.epoch + 1, loss=loss, optimizer=name, lr=f"{lr:g}", tenth=f"{lr / 10:g}")
        if name == "sgd" and self.config["momentum"] > 0.9:
            message += " " + _("A momentum of {momentum} also amplifies every step; try 0.9.").format(
                momentum=f"{self.config['momentum']:g}")
        return {"step": self.step, "message": message, "loss": loss, "suggested_lr": lr / 10}

    # -- evaluation and artifacts

    def evaluate(self) -> ClassificationReport:
        """Test loss, accuracy, confusion matrix and worst images, in large batches."""
        data = self.data
        functional = torch.nn.functional
        self.model.eval()
        loss_sum = torch.zeros((), device=self.device.name)
        predicted, confidence, true_prob = [], [], []
        with torch.no_grad(), self.autocast:
            for start in range(0, len(data.test_y), self.eval_batch):
                x = data.test_x[start:start + self.eval_batch]
                y = data.test_y[start:start + self.eval_batch]
                output = self.model(x).float()
                loss_sum += functional.cross_entropy(output, y, reduction="sum")
                # A double-softmax model already outputs probabilities (what it would "predict").
                probs = output if self.config["double_softmax"] else output.softmax(1)
                best = probs.max(1)
                predicted.append(best.indices)
                confidence.append(best.values)
                true_prob.append(probs.gather(1, y[:, None])[:, 0])
        self.model.train()
        return classification_report(
            data.test_y_cpu, torch.cat(predicted).cpu(), torch.cat(confidence).float().cpu(),
            torch.cat(true_prob).float().cpu(), float(loss_sum), lambda i: data.test_u8[i].tolist())

    def accuracy_and_loss(self) -> tuple[float, float]:
        """Test accuracy (0–1) and mean loss only, with one read-back: a benchmark's evaluation."""
        data = self.data
        self.model.eval()
        correct = torch.zeros((), device=self.device.name, dtype=torch.long)
        loss_sum = torch.zeros((), device=self.device.name)
        with torch.no_grad(), self.autocast:
            for start in range(0, len(data.test_y), self.eval_batch):
                y = data.test_y[start:start + self.eval_batch]
                output = self.model(data.test_x[start:start + self.eval_batch]).float()
                loss_sum += torch.nn.functional.cross_entropy(output, y, reduction="sum")
                correct += (output.argmax(1) == y).sum()
        self.model.train()
        figures = torch.stack([correct.float(), loss_sum]).tolist()
        return figures[0] / len(data.test_y), figures[1] / len(data.test_y)

    # -- checkpoints

    def state(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
            "config": dict(self.config), "model": self.config["model"], "dataset": self.config["dataset"],
            "double_softmax": self.config["double_softmax"], "optimizer": self.config["optimizer"],
            "seed": self.config["seed"], "epochs": self.epochs, "schedule": self.schedule,
            "epoch": self.epoch, "step": self.step, "offset": self.offset,
            "order": self.order, "order_rng": self.order_rng.get_state(), "running": self.running.state(),
            "model_state": self.model.state_dict(), "optimizer_state": self.optimizer.state_dict(),
            "initial_weights": self.initial_weights,
            "normalisation": {"mean": self.data.mean, "std": self.data.std},
            "classes": list(mnist_data.dataset_info(self.config["dataset"]).classes),
            "metrics": dict(self.last_metrics),
        }

    def restore(self, state: dict[str, Any], path: Path) -> None:
        """Continue where ``state`` stopped: weights, optimizer, data order and position."""
        mid_epoch = state["order"] is not None
        checkpoints.check_continuable(state, self.config, ("model", "dataset", "optimizer", "double_softmax"),
                                      self.epochs, mid_epoch, path)
        self.model.load_state_dict(state["model_state"])
        self.optimizer.load_state_dict(state["optimizer_state"])
        self.initial_weights = state["initial_weights"]
        self.order_rng.set_state(state["order_rng"])
        self.epoch, self.step = state["epoch"], state["step"]
        if mid_epoch and len(state["order"]) == self.data.train_size:
            self.order, self.offset = state["order"], state["offset"]
            self.running.restore(state["running"])
        # else: the training set changed size (another subset); the interrupted epoch starts afresh
        # A schedule ended by set_lr stays ended: the rate the student chose carries on.
        self.schedule = state["schedule"] if state["schedule"] == "constant" else self.schedule
        self.scheduler = self._make_scheduler(self.step)
        self.last_metrics = dict(state["metrics"])


def loss_and_correct(model: Any, train_x: Any, train_y: Any, index: Any, bf16: bool) -> tuple[Any, Any]:
    """Gather the batch, forward, loss and correct count: what ``compile`` compiles with its
    backward (the optimizer's step is compiled apart, ``engines.training.compiled_update``)."""
    x = torch.index_select(train_x, 0, index)  # 2.5× faster than x[index] on the CPU
    y = torch.index_select(train_y, 0, index)
    if bf16:
        with torch.autocast(x.device.type, dtype=torch.bfloat16):
            output = model(x).float()
    else:  # no autocast context at all: entering even a disabled one costs a small MLP step 2 %
        output = model(x)
    return torch.nn.functional.cross_entropy(output, y), (output.argmax(1) == y).sum()


_COMPILED: dict[str, Any] = {}


def _compiled(mode: str) -> Any:
    """One compiled ``loss_and_correct`` per mode and process: the model is an argument, so
    every run (each seed's new model) reuses the same graphs instead of compiling again."""
    if mode not in _COMPILED:
        options = {"mode": "reduce-overhead"} if mode == "reduce-overhead" else {}
        _COMPILED[mode] = torch.compile(loss_and_correct, dynamic=False, **options)
    return _COMPILED[mode]


def _optimizer(model: Any, config: dict[str, Any], device_kind: str) -> Any:
    """Adam or SGD, fused on the CPU and CUDA: one kernel for all parameters instead of a
    handful per tensor (measured 1.3× faster for a whole MLP step at batch 64 on the CPU)."""
    if config["optimizer"] == "adam":
        betas = recipes.parse_betas(config.get("betas", "0.9,0.999"))
        make = lambda **fused: torch.optim.Adam(model.parameters(), lr=config["lr"], betas=betas, **fused)  # noqa: E731
    else:
        make = lambda **fused: torch.optim.SGD(  # noqa: E731
            model.parameters(), lr=config["lr"], momentum=config["momentum"], **fused)
    if device_kind not in ("cpu", "cuda"):
        return make()
    try:
        return make(fused=True)
    except (RuntimeError, TypeError, ValueError):  # a torch older than 2.4
        return make()


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint written by this engine, or a ParamError saying what is wrong."""
    return checkpoints.read_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, "MNIST")
