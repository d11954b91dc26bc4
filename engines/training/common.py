"""What the image-classification training engines (``mnist``, ``cifar10``) share.

* where checkpoints live, and writing/reading them atomically (temp file, fsync, rename;
  read back with ``weights_only=True``, so no code runs from a file);
* the device set-up of a run;
* ``Trainer``: the training loop itself — epochs of steps over a per-epoch permutation,
  the loss read back from the device once per progress window, live commands (set_lr,
  one_more_epoch, slow, and pause/resume/stop through ``Control``), the per-epoch
  evaluation events, network-health snapshots and checkpoints. An engine subclasses it
  and supplies the model-specific parts: ``_begin_epoch``, ``_step``, ``evaluate``,
  ``_divergence``, ``_set_lr``, ``_extend_schedule``, ``state``/``restore``.

The loop is the plain PyTorch one; see ``engines.mnist.engine`` for the events and why it is fast.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from engines.core.events import Artifact, Evaluated, Event, Finished, Progress
from engines.core.params import Param, ParamError
from engines.core.runtime import Control

HEALTH_EVERY_STEPS = 100  # network-health snapshots, plus one at every epoch end
HEALTH_BINS = 20
PROBE_IMAGES = 256  # images used to find ReLUs that never fire
WORST_IMAGES = 16
LR = Param("lr", float, 0.001, "learning rate", minimum=0.0, exclusive_minimum=True, maximum=10.0)
STEP_SECONDS = Param("step_seconds", float, 0.0, "slow motion: seconds to wait after each step",
                     minimum=0.0, maximum=10.0)


# --- where things live -----------------------------------------------------------------


def lab_home() -> Path:
    """The lab's own folder (the same rule as the UI's progress file)."""
    if os.environ.get("TUI_LAB_HOME"):
        return Path(os.environ["TUI_LAB_HOME"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("tui-lab"))


def checkpoint_path(config: dict[str, Any], default: Path, example: str) -> Path | None:
    """Where this run writes its checkpoints (``checkpoint``: auto, off or a path); None when off."""
    value = config["checkpoint"].strip()
    if value.lower() == "off":
        return None
    path = default if value.lower() == "auto" else Path(value).expanduser()
    if path.is_dir():
        raise ParamError(f"checkpoint names the folder {path}; give a file such as {path / example}, "
                         "or auto, or off.")
    return path


def resume_path(config: dict[str, Any], saved_to: Path | None, default: Path) -> Path | None:
    """The checkpoint to continue from (``resume``: none, last or a path), or a ParamError."""
    value = config["resume"].strip()
    if value.lower() == "none":
        return None
    if value.lower() == "last":
        path = saved_to or default
        if not path.is_file():
            raise ParamError(f"resume=last, but there is no checkpoint at {path} yet; "
                             "train once first or set resume=none.")
        return path
    path = Path(value).expanduser()
    if not path.is_file():
        raise ParamError(f"resume names {path}, which does not exist; give a checkpoint file, last or none.")
    return path


def check_writable(path: Path) -> None:
    """Refuse an unwritable checkpoint place before training, not at the first epoch's end."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise ParamError(f"The checkpoint cannot be written to {path.parent} ({error.strerror or error}); "
                         "set checkpoint to a path you can write, or checkpoint=off.") from None


def save_checkpoint(torch: Any, state: dict[str, Any], path: Path) -> None:
    """Write atomically: a temp file beside ``path``, flushed to disk, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def read_checkpoint(torch: Any, path: Path, fmt: str, version: int, engine: str) -> dict[str, Any]:
    """A checkpoint written by ``save_checkpoint`` in format ``fmt``, or a ParamError saying what is wrong."""
    try:
        # On the CPU (generator states must be), and weights only: no code runs from the file.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - truncated, foreign or unreadable: all one answer
        reason = str(error).splitlines()[0] if str(error) else error.__class__.__name__
        raise ParamError(f"{path} cannot be read as a checkpoint ({reason[:200]}).") from None
    if not isinstance(state, dict) or state.get("format") != fmt:
        raise ParamError(f"{path} is not a checkpoint of this lab's {engine} engine.")
    if state.get("version") != version:
        raise ParamError(f"{path} is a version {state.get('version')} checkpoint; this lab reads version "
                         f"{version}. Train afresh (resume=none).")
    return state


# --- device ----------------------------------------------------------------------------


def setup_device(ctl: Control) -> Any:
    """The host's device (auto-detected when run bare), with TF32 etc. switched on for CUDA."""
    from engines.core.device import configure_torch, detect

    device = ctl.device or detect("auto")
    configure_torch(device)
    return device


def parameter_checks(names: Any, counted: Callable[[str], int], build: Callable[[str], Any]) -> list[tuple[str, float, float]]:
    """For ``tui-lab check``: each model's parameter count from its layer shapes against
    the torch module actually built."""
    return [(f"parameters of {name}", float(counted(name)), float(sum(p.numel() for p in build(name).parameters())))
            for name in names]


def pixel_statistics(torch: Any, images_u8: Any) -> tuple[float, float]:
    """Mean and standard deviation of the pixels scaled to 0..1, from a 256-bin histogram
    (5× faster than converting tens of millions of pixels to floats first)."""
    counts = torch.bincount(images_u8.reshape(-1), minlength=256).double()
    levels = torch.arange(256, dtype=torch.float64) / 255
    total = counts.sum()
    mean = (counts * levels).sum() / total
    variance = (counts * (levels - mean) ** 2).sum() / max(float(total) - 1, 1)
    return float(mean), float(variance.sqrt()) or 1.0


# --- running figures -------------------------------------------------------------------


class Window:
    """Loss summed on the device over the steps between two progress events."""

    def __init__(self, torch: Any, device: str) -> None:
        self.loss = torch.zeros((), device=device)
        self.steps = self.samples = 0
        self.start = time.perf_counter()

    def add(self, loss: Any, samples: int) -> None:
        self.loss += loss
        self.steps += 1
        self.samples += samples

    def read(self) -> tuple[float, float | None]:
        """(mean loss, samples/s) since the last read, then start afresh."""
        return self.read_sum(float(self.loss))  # waits for the device: once per window

    def read_sum(self, loss_sum: float) -> tuple[float, float | None]:
        """As ``read``, with the window's loss sum given (e.g. summed over several processes)."""
        mean = loss_sum / self.steps
        elapsed = time.perf_counter() - self.start
        rate = round(self.samples / elapsed, 1) if elapsed > 0 else None
        self.loss.zero_()
        self.steps = self.samples = 0
        self.start = time.perf_counter()
        return mean, rate


class EpochFigures:
    """The epoch's running training loss and accuracy (as Keras prints them), and its pace."""

    def __init__(self, torch: Any, device: str) -> None:
        self.loss_sum = torch.zeros((), device=device)
        self.correct = torch.zeros((), device=device, dtype=torch.long)
        self.seen = 0
        self.seconds = 0.0  # time of earlier parts of a resumed epoch
        self._since = time.perf_counter()
        self._left_out = 0.0  # paused and slow-motion time: not training

    def leave_out(self, seconds: float) -> None:
        self._left_out += seconds

    def add(self, loss: Any, correct: Any, samples: int) -> None:
        self.loss_sum.add_(loss, alpha=samples)
        self.correct.add_(correct)
        self.seen += samples

    def _seconds(self) -> float:
        return self.seconds + time.perf_counter() - self._since - self._left_out

    def read(self, loss_sum: float | None = None, correct: int | None = None) -> dict[str, Any]:
        """The figures so far; ``loss_sum``/``correct`` replace the local sums (several processes)."""
        seconds = self._seconds()
        loss_sum = float(self.loss_sum) if loss_sum is None else loss_sum
        correct = int(self.correct) if correct is None else correct
        return {
            "train_loss": loss_sum / max(1, self.seen),
            "train_accuracy": correct / max(1, self.seen),
            "train_seconds": round(seconds, 4),
            "samples_per_s": round(self.seen / seconds, 1) if seconds > 0 else None,
        }

    def state(self) -> dict[str, Any]:
        return {"loss_sum": float(self.loss_sum), "correct": int(self.correct), "seen": self.seen,
                "seconds": self._seconds()}

    def restore(self, state: dict[str, Any]) -> None:
        self.loss_sum.fill_(state["loss_sum"])
        self.correct.fill_(state["correct"])
        self.seen, self.seconds = state["seen"], state["seconds"]
        self._since, self._left_out = time.perf_counter(), 0.0


def classification_report(torch: Any, labels: Any, predicted: Any, confidence: Any, true_prob: Any,
                          loss_sum: float, pixels: Callable[[int], Any]) -> dict[str, Any]:
    """Loss, accuracy, confusion matrix (rows: true class) and the worst mistakes, from
    per-image predictions on the CPU; ``pixels(i)`` gives test image i for the artifact."""
    confusion = torch.bincount(labels * 10 + predicted, minlength=100).view(10, 10)
    wrong = (predicted != labels).nonzero()[:, 0]
    worst = wrong[true_prob[wrong].argsort()[:WORST_IMAGES]]
    return {
        "loss": loss_sum / len(labels),
        "accuracy": int((predicted == labels).sum()) / len(labels),
        "confusion": confusion.tolist(),
        "worst": [{"index": int(i), "label": int(labels[i]), "predicted": int(predicted[i]),
                   "confidence": round(float(confidence[i]), 4), "pixels": pixels(int(i))} for i in worst],
    }


# --- the loop --------------------------------------------------------------------------


class Trainer:
    """Where a run stands and the loop that moves it on; ``train`` yields the run's events.

    A subclass's ``__init__`` sets: ``torch``, ``config`` (with ``log_every``), ``device``,
    ``model`` (what trains), ``net`` (the plain module, for health and checkpoints),
    ``optimizer``, ``epochs``, ``batch_size``, ``initial_weights``, ``probe`` (a few
    normalised training images) and ``classes``; then calls ``_start_bookkeeping``.
    """

    is_main = True  # the process that reports; False on the other ranks of a distributed run
    health_every = HEALTH_EVERY_STEPS

    def _start_bookkeeping(self, lr: float) -> None:
        self.epoch = 0  # epochs completed
        self.step = 0  # optimizer steps taken
        self.order: Any = None  # this epoch's permutation, while an epoch is under way
        self.offset = 0  # images of this epoch already trained on
        self.step_seconds = 0.0  # slow motion: pause after every step
        self.step_lr = lr  # the learning rate the last step used
        self.last_metrics: dict[str, Any] = {}
        self.running = EpochFigures(self.torch, self.device.name)

    # -- what subclasses provide

    def _begin_epoch(self) -> None:
        """Set ``order`` (this epoch's permutation, on the CPU), ``offset`` and ``running``."""
        raise NotImplementedError

    def _step(self, index: Any) -> tuple[Any, Any]:
        """One optimisation step on the images ``index``: (mean loss, correct count) on the device."""
        raise NotImplementedError

    def evaluate(self) -> dict[str, Any]:
        """A ``classification_report`` of the test set (plus ``metrics``: extra figures)."""
        raise NotImplementedError

    def _divergence(self, loss: float) -> dict[str, Any]:
        raise NotImplementedError

    def _set_lr(self, lr: float) -> None:
        """The student's rate from the next step on (it ends any schedule)."""
        raise NotImplementedError

    def _extend_schedule(self) -> None:
        """``epochs`` just grew by one: stretch the schedule over the longer run."""

    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    def total_steps(self) -> int:
        raise NotImplementedError

    def _epoch_end(self) -> int:
        """Where this epoch's images end in ``order`` (all of them, unless a subclass stops early)."""
        return len(self.order)

    def _read_window(self, window: Window) -> tuple[float, float | None]:
        return window.read()

    def _read_running(self) -> dict[str, Any]:
        return self.running.read()

    def _stop_now(self, ctl: Control) -> bool:
        return ctl.stop_requested

    def _summary_extras(self) -> dict[str, Any]:
        return {}

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    # -- the loop

    def train(self, ctl: Control, save_to: Path | None) -> Iterator[Event]:
        """Epochs of steps until ``epochs`` are done (or stop, or divergence), with events."""
        run_start, run_steps = time.perf_counter(), 0
        while self.epoch < self.epochs:
            if self.order is None:
                self._begin_epoch()
            order = self.order.to(self.device.name)
            window = Window(self.torch, self.device.name)
            while self.offset < self._epoch_end():
                held = time.perf_counter()
                commands = ctl.poll()  # blocks while paused
                self.running.leave_out(time.perf_counter() - held)
                for command in commands:
                    yield self._apply(command)
                if self._stop_now(ctl):
                    yield from self._save(save_to, "stopped")
                    yield Finished("stopped", self._summary(run_steps, run_start, save_to))
                    return
                index = order[self.offset:self.offset + self.batch_size]
                loss, correct = self._step(index)
                self.offset += len(index)
                run_steps += 1
                self.running.add(loss, correct, len(index))
                window.add(loss, len(index))
                end_of_epoch = self.offset >= self._epoch_end()
                if window.steps >= (1 if self.step_seconds else self.config["log_every"]) or end_of_epoch:
                    mean_loss, samples_per_s = self._read_window(window)  # the one device read-back per window
                    if not math.isfinite(mean_loss):
                        yield Finished("diverged", self._divergence(mean_loss))
                        return
                    yield Progress(step=self.step, loss=mean_loss, epoch=self.epoch + 1, lr=self.step_lr,
                                   samples_per_s=samples_per_s)
                if self.step % self.health_every == 0 and self.is_main:
                    yield Artifact("health", self.health())
                if self.step_seconds:
                    held = time.perf_counter()
                    sleep_unless_stopped(self.step_seconds, ctl)
                    self.running.leave_out(time.perf_counter() - held)
            self.epoch += 1
            self.order, self.offset = None, 0
            yield from self._end_of_epoch(save_to)
            for command in ctl.poll():  # e.g. one_more_epoch sent during the last evaluation
                yield self._apply(command)
            if self._stop_now(ctl) and self.epoch < self.epochs:
                yield Finished("stopped", self._summary(run_steps, run_start, save_to))
                return
        yield Finished("completed", self._summary(run_steps, run_start, save_to))

    def _end_of_epoch(self, save_to: Path | None) -> Iterator[Event]:
        training = self._read_running()  # before evaluating: train_seconds leaves evaluation out
        if not self.is_main:
            return
        evaluation = self.evaluate()
        self.last_metrics = {
            "test_accuracy": evaluation["accuracy"],
            "test_loss": evaluation["loss"],
            **training,
            "lr": self.lr,
            **evaluation.get("metrics", {}),
        }
        yield Evaluated(self.epoch, dict(self.last_metrics))
        yield Artifact("confusion_matrix", {"epoch": self.epoch, "labels": list(self.classes),
                                            "matrix": evaluation["confusion"]})
        yield Artifact("worst_images", evaluation["worst"])
        yield Artifact("health", self.health())
        yield from self._save(save_to, "epoch_end")

    def _summary(self, run_steps: int, run_start: float, save_to: Path | None) -> dict[str, Any]:
        seconds = time.perf_counter() - run_start
        out: dict[str, Any] = {"steps": run_steps, "epochs": self.epoch, "total_steps": self.step}
        if seconds > 0 and run_steps:
            out["steps_per_s"] = round(run_steps / seconds, 1)
        out.update({k: self.last_metrics[k] for k in ("test_accuracy", "test_loss") if k in self.last_metrics})
        if save_to is not None:
            out["checkpoint"] = str(save_to)
        out.update(self._summary_extras())
        return out

    # -- live commands

    def _apply(self, command: dict[str, Any]) -> Artifact:
        name = command.get("cmd")
        ack: dict[str, Any] = {"cmd": name, "step": self.step}
        try:
            if name == "set_lr":
                lr = LR.parse(command.get("lr"))
                self._set_lr(lr)
                ack.update(applied=True, lr=lr)
            elif name == "one_more_epoch":
                self.epochs += 1
                self._extend_schedule()
                ack.update(applied=True, epochs=self.epochs, total_steps=self.total_steps())
            elif name == "slow":
                seconds = STEP_SECONDS.parse(command.get("step_seconds"))
                self.step_seconds = seconds
                ack.update(applied=True, step_seconds=seconds)
            else:
                ack.update(applied=False, message=f"Unknown command {name!r}; this run understands "
                                                  "set_lr, one_more_epoch, slow, pause, resume and stop.")
        except ParamError as error:
            ack.update(applied=False, message=str(error))
        return Artifact("command", ack)

    # -- network health

    def health(self) -> dict[str, Any]:
        """Per convolution and linear layer: gradient norm, share of dead ReLUs (channels or
        units that never fire on the probe images), and the weights against their start."""
        torch = self.torch
        layers = [(name, module) for name, module in self.net.named_modules()
                  if isinstance(module, (torch.nn.Linear, torch.nn.modules.conv._ConvNd))]
        dead = _dead_relu_shares(torch, self.net, self.probe, layers)
        out = []
        for name, module in layers:
            weight = module.weight.detach().float().cpu()
            start = self.initial_weights[f"{name}.weight"].float()
            low = float(min(weight.min(), start.min()))
            high = float(max(weight.max(), start.max()))
            if high <= low:
                high = low + 1e-6
            grad = module.weight.grad
            out.append({
                "name": name,
                "grad_norm": float(grad.float().norm()) if grad is not None else 0.0,
                "dead_relu_share": dead.get(name),  # None where no ReLU follows (e.g. the output layer)
                "weight_hist": torch.histc(weight, HEALTH_BINS, low, high).long().tolist(),
                "init_hist": torch.histc(start, HEALTH_BINS, low, high).long().tolist(),
                "range": [low, high],
                "weight_norm": float(weight.norm()),
            })
        return {"step": self.step, "epoch": self.epoch, "layers": out}

    # -- checkpoints

    def _save(self, path: Path | None, reason: str) -> Iterator[Event]:
        if path is None or not self.is_main:
            return
        save_checkpoint(self.torch, self.state(), path)
        yield Artifact("checkpoint", {"path": str(path), "epoch": self.epoch, "step": self.step, "reason": reason})


def _dead_relu_shares(torch: Any, net: Any, probe: Any, layers: list[tuple[str, Any]]) -> dict[str, float]:
    """For each layer followed (in execution order) by a ReLU: the share of its channels
    (convolutions) or units that stay at zero for every probe image."""
    names = {id(module): name for name, module in layers}
    last: list[str | None] = [None]
    dead: dict[str, float] = {}

    def after_layer(module: Any, inputs: Any, output: Any) -> None:
        last[0] = names[id(module)]

    def after_relu(module: Any, inputs: Any, output: Any) -> None:
        if last[0] is not None:
            fired = (output > 0).flatten(2).any(2) if output.dim() == 4 else (output > 0)  # conv: per channel
            dead[last[0]] = float((~fired.any(0)).float().mean())

    hooks = [module.register_forward_hook(after_layer) for _, module in layers]
    hooks += [module.register_forward_hook(after_relu) for module in net.modules()
              if isinstance(module, torch.nn.ReLU)]
    was_training = net.training
    net.eval()  # a probe must not move BatchNorm's running statistics
    try:
        with torch.no_grad():
            net(probe)
    finally:
        net.train(was_training)
        for hook in hooks:
            hook.remove()
    return dead


def sleep_unless_stopped(seconds: float, ctl: Control) -> None:
    """Slow motion between steps, cut short by a stop."""
    deadline = time.monotonic() + seconds
    while not ctl.stop_requested:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))


def show(value: Any) -> str:
    """A parameter value as the student typed it (true/false, not True/False)."""
    return str(value).lower() if isinstance(value, bool) else str(value)
