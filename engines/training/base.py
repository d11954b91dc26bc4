"""The training loop both image-classification engines (``mnist``, ``cifar10``) run.

``Trainer`` moves a run on: epochs of steps over a per-epoch permutation, the loss read
back from the device once per progress window, live commands (set_lr, one_more_epoch,
slow, and pause/resume/stop through ``Control``), the per-epoch evaluation events,
network-health snapshots and checkpoints. An engine subclasses it and supplies the
model-specific parts (the abstract methods below). The loop is the plain PyTorch one;
see ``engines.mnist.engine`` for why it is fast.
"""

from __future__ import annotations

import abc
import math
import time
from pathlib import Path
from typing import Any, Iterator

from engines.core.artifacts import Checkpoint, CommandAnswer, ConfusionMatrix, Health
from engines.core.events import Artifact, Evaluated, Event, Finished, Progress
from engines.core.params import Param, ParamError
from engines.core.runtime import Control
from engines.training.checkpoints import save_checkpoint
from engines.training.figures import ClassificationReport, EpochFigures, LossWindow
from engines.training.health import HEALTH_EVERY_STEPS, HEALTH_MIN_SECONDS, health_snapshot
from engines.training.pacing import sleep_unless_stopped
from engines.training.specs import STEP_SECONDS
from lab_i18n import _


def setup_device(ctl: Control) -> Any:
    """The host's device (auto-detected when run bare), with TF32 etc. switched on for CUDA."""
    from engines.core.device import configure_torch, detect

    device = ctl.device or detect("auto")
    configure_torch(device)
    return device


class Trainer(abc.ABC):
    """Where a run stands and the loop that moves it on; ``train`` yields the run's events.

    A subclass's ``__init__`` sets: ``config`` (with ``log_every``), ``device``, ``model``
    (what trains), ``net`` (the plain module, for health and checkpoints), ``optimizer``,
    ``epochs``, ``batch_size``, ``initial_weights``, ``probe`` (a few normalised training
    images) and ``classes``; then calls ``_start_bookkeeping``.
    """

    is_main = True  # the process that reports; False on the other ranks of a distributed run
    health_every = HEALTH_EVERY_STEPS

    def _start_bookkeeping(self, lr: float) -> None:
        self.epoch = 0  # epochs completed
        self.step = 0  # optimizer steps taken
        self.order: Any = None  # this epoch's permutation, while an epoch is under way
        self.offset = 0  # images of this epoch already trained on
        # A wait after every step: a paced run's own (the engine's ``step_seconds``, where it
        # has one) until a ``slow`` command changes it.
        self.step_seconds = float(self.config.get("step_seconds", 0.0))
        self.step_lr = lr  # the learning rate the last step used
        self.last_metrics: dict[str, Any] = {}
        self.running = EpochFigures(self.device.name)
        self.health_at = -math.inf  # when the last health snapshot was taken (perf_counter)

    # -- what each engine provides

    @abc.abstractmethod
    def _begin_epoch(self) -> None:
        """Set ``order`` (this epoch's permutation, on the CPU), ``offset`` and ``running``."""

    @abc.abstractmethod
    def _step(self, index: Any) -> tuple[Any, Any]:
        """One optimisation step on the images ``index``: (mean loss, correct count) on the device."""

    @abc.abstractmethod
    def evaluate(self) -> ClassificationReport:
        """The test set's classification report (its ``metrics``: the engine's extra figures)."""

    @abc.abstractmethod
    def _divergence(self, loss: float) -> dict[str, Any]:
        """The summary of a run whose loss became ``loss`` (not finite): a sentence and a smaller lr."""

    @abc.abstractmethod
    def _set_lr(self, lr: float) -> None:
        """The student's rate from the next step on (it ends any schedule)."""

    @abc.abstractmethod
    def total_steps(self) -> int:
        """Optimizer steps of the whole run, earlier runs of a resumed checkpoint included."""

    @abc.abstractmethod
    def state(self) -> dict[str, Any]:
        """The checkpoint: everything ``restore`` needs to continue exactly here."""

    @abc.abstractmethod
    def restore(self, state: dict[str, Any], path: Path) -> None:
        """Continue where the checkpoint ``state`` (read from ``path``) stopped, or refuse with a ParamError."""

    def _extend_schedule(self) -> None:
        """``epochs`` just grew by one: stretch the schedule over the longer run."""

    def _epoch_end(self) -> int:
        """Where this epoch's images end in ``order`` (all of them, unless a subclass stops early)."""
        return len(self.order)

    def _read_window(self, window: LossWindow) -> tuple[float, float | None]:
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

    def train(self, ctl: Control, save_to: Path | None, lr_control: Param) -> Iterator[Event]:
        """Epochs of steps until ``epochs`` are done (or stop, or divergence), with events;
        a ``set_lr`` is checked against ``lr_control`` (the engine's live ``lr`` control)."""
        run_start, run_steps = time.perf_counter(), 0
        while self.epoch < self.epochs:
            if self.order is None:
                self._begin_epoch()
            order = self.order.to(self.device.name)
            window = LossWindow(self.device.name)
            while self.offset < self._epoch_end():
                held = time.perf_counter()
                commands = ctl.poll()  # blocks while paused
                self.running.leave_out(time.perf_counter() - held)
                for command in commands:
                    yield self._apply(command, lr_control)
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
                if self.step % self.health_every == 0 and self.is_main and \
                        time.perf_counter() - self.health_at >= HEALTH_MIN_SECONDS:
                    self.health_at = time.perf_counter()
                    yield Artifact("health", self.health())
                if self.step_seconds:
                    held = time.perf_counter()
                    sleep_unless_stopped(self.step_seconds, ctl)
                    self.running.leave_out(time.perf_counter() - held)
            self.epoch += 1
            self.order, self.offset = None, 0
            yield from self._end_of_epoch(save_to)
            for command in ctl.poll():  # e.g. one_more_epoch sent during the last evaluation
                yield self._apply(command, lr_control)
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
        yield Artifact("confusion_matrix", ConfusionMatrix(epoch=self.epoch, labels=list(self.classes),
                                                           matrix=evaluation["confusion"]))
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

    def _apply(self, command: dict[str, Any], lr_control: Param) -> Artifact:
        name = command.get("cmd")
        answer = CommandAnswer(cmd=name, step=self.step)
        try:
            if name == "set_lr":
                lr = lr_control.parse(command.get("lr"))
                self._set_lr(lr)
                answer.update(applied=True, lr=lr)
            elif name == "one_more_epoch":
                self.epochs += 1
                self._extend_schedule()
                answer.update(applied=True, epochs=self.epochs, total_steps=self.total_steps())
            elif name == "slow":
                seconds = STEP_SECONDS.parse(command.get("step_seconds"))
                self.step_seconds = seconds
                answer.update(applied=True, step_seconds=seconds)
            else:
                answer.update(applied=False, message=_("Unknown command {name}; this run understands set_lr, "
                                                       "one_more_epoch, slow, pause, resume and stop.").format(
                    name=repr(name)))
        except ParamError as error:
            answer.update(applied=False, message=str(error))
        return Artifact("command", answer)

    # -- network health and checkpoints

    def health(self) -> Health:
        return health_snapshot(self.net, self.probe, self.initial_weights, self.step, self.epoch)

    def _save(self, path: Path | None, reason: str) -> Iterator[Event]:
        if path is None or not self.is_main:
            return
        save_checkpoint(self.state(), path)
        yield Artifact("checkpoint", Checkpoint(path=str(path), epoch=self.epoch, step=self.step, reason=reason))
