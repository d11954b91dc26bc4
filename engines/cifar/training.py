"""The training loop behind the ``cifar10`` engine: the recipe's tricks, several
processes, and its checkpoints.

The loop itself (epochs of steps, progress windows, live commands, per-epoch
evaluation, health, checkpoint writing) is the one MNIST uses
(``engines.training.base.Trainer``); what is CIFAR-10's is here:

* each epoch's plan — permutation, shifts, flips — is a pure function of (seed, epoch):
  the same in every process and again after a resume, with nothing to store. Flips
  alternate (an image flipped in one epoch is not in the next), as airbench does.
  Batches are gathered and augmented on the device (``engines.cifar.device_data``).
* ``Trainer._step``: the PyTorch-examples step, with label smoothing, bf16 autocast,
  SGD with Nesterov momentum and per-group rates (airbench gives BatchNorm shifts 64×
  the rate, and decouples weight decay from the rate), the one-cycle schedule computed
  per step, and airbench's Lookahead averaging every 5 steps.
* several processes (torchrun, ``engines.training.distributed``): each takes an equal slice of
  every global batch; DistributedDataParallel averages the gradients and BatchNorm uses
  the whole global batch's statistics, so the loss curve is the one-process curve.
  The loss window and the stop flag are summed over processes in one all_reduce per
  progress event; only rank 0 evaluates, reports and writes checkpoints.
* timing as the records time it (airbench): ``timed_seconds`` counts the whitening set-up,
  the training steps and the final evaluation (test-time augmentation included), each
  measured after a device synchronisation; per-epoch evaluations, health snapshots,
  checkpoints and the torch.compile warm-up are left out.

A checkpoint (``engines.training.checkpoints``: atomic, read back with
``weights_only=True``) holds ``format`` ("tui-lab cifar10 checkpoint"), ``version`` (1),
``config`` (the run's parameters with every ``auto`` resolved), ``model``,
``whitening``, ``seed``, ``train_size``, ``epochs``, ``schedule``, ``peak_lr``,
``epoch`` (completed), ``step``, ``offset`` (position in an interrupted epoch, else 0),
``running``, ``model_state``, ``optimizer_state``, ``lookahead`` (the average, or None),
``initial_weights``, ``normalisation`` ({mean, std}: three values each, 0..1 scale),
``classes``, ``metrics`` (the last evaluation) and ``seconds`` ({train, whitening}).
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from pathlib import Path
from typing import Any, Iterator

import torch

from engines.cifar import nets as cifar_nets
from engines.cifar import optimizers
from engines.cifar.device_data import TRANSLATE_PIXELS, DeviceData
from engines.cifar.optimizers import schedule_factor  # noqa: F401 - part of this module's interface
from engines.cifar.recipe import TRICKS, Recipe, is_on
from engines.core.artifacts import CommandAnswer, Health
from engines.core.events import Artifact, Event
from engines.core.params import Param
from engines.training import base, checkpoints
from engines.training.figures import ClassificationReport, EpochFigures, LossWindow, classification_report
from engines.training.health import HEALTH_EVERY_STEPS, PROBE_IMAGES
from lab_i18n import _

CHECKPOINT_FORMAT = "tui-lab cifar10 checkpoint"
CHECKPOINT_VERSION = 1
LOOKAHEAD_EVERY = 5


# --- the trainer -----------------------------------------------------------------------


class Trainer(base.Trainer):
    """Model, optimizer, recipe and where the run stands; ``train`` yields the run's events."""

    def __init__(self, config: dict[str, Any], recipe: Recipe, data: DeviceData, device: Any,
                 classes: tuple[str, ...], world: int = 1, rank: int = 0, pretrained: Any = None) -> None:
        self.config, self.recipe, self.data, self.device = config, recipe, data, device
        self.classes, self.world, self.rank = classes, world, rank
        self.is_main = rank == 0
        torch.manual_seed(config["seed"])  # the same initial weights on every device and process
        net = cifar_nets.build(config["model"], whitening=is_on(config, "whitening"), head_scale=recipe.head_scale)
        if pretrained is not None:  # everything but the 1000-class head, which the article replaces
            net.load_state_dict({k: v for k, v in pretrained.items() if not k.startswith("fc.")}, strict=False)
        self.initial_weights = {name: p.detach().clone() for name, p in net.named_parameters()
                                if name.endswith("weight")}
        net.to(device.name)
        self.fp16 = config.get("precision") == "fp16-weights"
        if self.fp16:
            cifar_nets.to_fp16_weights(net)
        if is_on(config, "channels_last"):
            net.to(memory_format=torch.channels_last)
        self.net = net
        self.probe = data.batch(data.train, torch.arange(min(PROBE_IMAGES, data.train_size), device=device.name),
                                dtype=torch.float16 if self.fp16 else torch.float32)
        self.seconds = {"whitening": 0.0, "train": 0.0, "last_eval": 0.0, "data": 0.0, "compile": 0.0}
        if is_on(config, "whitening"):
            start = self._clock()
            count = min(cifar_nets.WHITENING_IMAGES, data.train_size)
            cifar_nets.init_whitening(net.whiten, data.batch(data.train, torch.arange(count, device=device.name),
                                                             dtype=torch.float32))
            self.seconds["whitening"] = self._clock() - start
        if world > 1:
            from torch.nn.parallel import DistributedDataParallel

            cifar_nets.use_global_batchnorm(net)
            self.model = DistributedDataParallel(net, device_ids=[device.name] if device.kind == "cuda" else None,
                                                 broadcast_buffers=False)  # BatchNorm statistics already agree
        else:
            self.model = net
        self.eval_net = net
        self.compiled = is_on(config, "compile")
        if self.compiled:
            self.model, self.eval_net = torch.compile(self.model), torch.compile(net)
        self.epochs = config["epochs"]
        self.batch_size = config["batch_size"]
        self.schedule = config["schedule"]
        self.peak_lr = config["lr"]
        self.optimizers = optimizers.build(net, recipe, config, device.kind)
        if self.compiled:
            self.optimizers.compile_steps("on")
        self.optimizer = self.optimizers.sgd  # the loop reads the rate from its first group
        self.lookahead = cifar_nets.Lookahead(net) if is_on(config, "ema") else None
        self.autocast = torch.autocast(device.kind, dtype=torch.bfloat16) if is_on(config, "bf16") \
            else contextlib.nullcontext()
        self.smoothing = recipe.smoothing if is_on(config, "label_smoothing") else 0.0
        self.eval_batch = 2000 if device.kind == "cuda" else 500
        self.base_flips = torch.rand(data.train_size, generator=torch.Generator().manual_seed(config["seed"])) < 0.5
        self.plan: tuple[Any, Any] = (None, None)
        self.agreed_stop = False
        self.health_every = max(HEALTH_EVERY_STEPS, self.steps_per_epoch() // 4)
        self._start_bookkeeping(self.peak_lr)

    # -- schedule and bookkeeping

    def steps_per_epoch(self) -> int:
        return self.data.train_size // self.batch_size  # full batches only: every step sees batch_size images

    def total_steps(self) -> int:
        return math.ceil(self.steps_per_epoch() * self.epochs - 1e-9)

    def _epoch_end(self) -> int:
        """Full batches, and in the last (fractional) epoch only up to the run's last step."""
        done_before = self.step - self.offset // self.batch_size
        return self.batch_size * min(self.steps_per_epoch(), max(0, self.total_steps() - done_before))

    def _set_lr(self, lr: float) -> None:
        self.peak_lr, self.schedule = lr, "constant"  # the student now drives the rate

    def _clock(self) -> float:
        if self.device.kind == "cuda":
            torch.cuda.synchronize(self.device.name)  # queued GPU work belongs to what came before
        return time.perf_counter()

    # -- the steps

    def _begin_epoch(self) -> None:
        n = self.data.train_size
        generator = torch.Generator().manual_seed(self.config["seed"] * 1_000_003 + self.epoch)
        self.order = torch.randperm(n, generator=generator)
        shifts = torch.randint(-TRANSLATE_PIXELS, TRANSLATE_PIXELS + 1, (n, 2), generator=generator) \
            if is_on(self.config, "translate") else None
        flips = self.base_flips ^ bool(self.epoch % 2) if is_on(self.config, "flip") else None
        self.plan = (shifts.to(self.device.name) if shifts is not None else None,
                     flips.to(self.device.name) if flips is not None else None)
        self.offset = 0
        self.running = EpochFigures(self.device.name)

    def _step(self, index: Any) -> tuple[Any, Any]:
        """One optimisation step, as in the PyTorch examples; (loss, correct) stay on the device."""
        data = self.data
        if self.world > 1:
            index = index.tensor_split(self.world)[self.rank]  # this process's equal share
        shifts, flips = self.plan
        dy, dx = (shifts[index, 0], shifts[index, 1]) if shifts is not None else (None, None)
        x = data.batch(data.train, index, dy, dx, flips[index] if flips is not None else None)
        y = data.train_y.index_select(0, index)
        factor = schedule_factor(self.schedule, self.step, self.total_steps())
        self.optimizers.set_rates(self.peak_lr, factor, optimizers.whiten_bias_factor(
            self.schedule, factor, self.step, self.steps_per_epoch(), self.epoch))
        self.model.zero_grad(set_to_none=True)
        with self.autocast:
            output = self.model(x)
        loss = torch.nn.functional.cross_entropy(output.float(), y, label_smoothing=self.smoothing)
        loss.backward()
        self.step_lr = self.optimizer.param_groups[0]["lr"]  # the rate this step used, for its event
        self.optimizers.step()
        self.step += 1
        if self.lookahead is not None:
            if self.step >= self.total_steps():
                self.lookahead.update(self.net, decay=1.0)  # the run ends on the average
            elif self.step % LOOKAHEAD_EVERY == 0:
                self.lookahead.update(self.net, decay=cifar_nets.Lookahead.decay(self.step, self.total_steps()))
        return loss.detach(), (output.argmax(1) == y).sum()

    # -- several processes: what every process must agree on

    def _read_window(self, window: LossWindow) -> tuple[float, float | None]:
        if self.world == 1:
            return window.read()
        import torch.distributed as dist

        both = torch.stack([window.loss, torch.tensor(float(self._ctl.stop_requested),
                                                                device=self.device.name)])
        dist.all_reduce(both)
        self.agreed_stop = bool(both[1] > 0)
        return window.read_sum(float(both[0]) / self.world)  # the mean over processes of equal shares

    def _stop_now(self, ctl: Any) -> bool:
        return self.agreed_stop if self.world > 1 else ctl.stop_requested

    def _read_running(self) -> dict[str, Any]:
        self._clock()
        if self.world == 1:
            figures = self.running.read()
        else:
            import torch.distributed as dist

            sums = torch.stack([self.running.loss_sum.float(), self.running.correct.float()])
            dist.all_reduce(sums)
            figures = self.running.read(float(sums[0]) / self.world, int(round(float(sums[1]))))
        self.seconds["train"] += figures["train_seconds"]  # a resumed epoch's figure includes its first part
        return figures

    def _apply(self, command: dict[str, Any], lr_control: Param) -> Artifact:
        if self.world > 1:  # a command reaching one process only would make them disagree
            return Artifact("command", CommandAnswer(cmd=command.get("cmd"), step=self.step, applied=False,
                                                     message=_("With {processes} processes a run takes no live "
                                                               "commands but stop.").format(processes=self.world)))
        return super()._apply(command, lr_control)

    # -- the loop, with compilation kept out of the timer

    def train(self, ctl: Any, save_to: Path | None, lr_control: Param) -> Iterator[Event]:
        self._ctl = ctl
        if self.compiled:
            yield from self._compile_warmup()
        if self.config.get("mode") == "benchmark":
            from engines.cifar.benchmark import train_benchmark

            yield from train_benchmark(self, ctl, save_to)
        else:
            yield from super().train(ctl, save_to, lr_control)

    def _compile_warmup(self) -> Iterator[Event]:
        """Compile on a few real steps and one evaluation, then put everything back, so the
        timed run starts from the same state as an uncompiled one."""
        start = time.perf_counter()
        saved = (copy.deepcopy(self.net.state_dict()), copy.deepcopy(self.optimizers.state_dict()),
                 copy.deepcopy(self.lookahead.average) if self.lookahead else None, self.step, self.epoch)
        order = torch.arange(self.batch_size, device=self.device.name)
        try:
            self.order, self.offset = None, 0
            self._begin_epoch()
            for _repeat in range(2):
                self._step(order)
            self.evaluate()
            self._clock()
        except Exception as error:  # noqa: BLE001 - a machine without a compiler: run eagerly
            self.model = self.net if self.world == 1 else self.model._orig_mod  # type: ignore[attr-defined]
            self.eval_net = self.net
            self.optimizers.uncompile_steps()
            self.compiled = False
            reason = f"{error.__class__.__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"
            yield Artifact("note", _("torch.compile is not usable here ({reason}), so this run trains without "
                                     "it.").format(reason=reason))
        self.net.load_state_dict(saved[0])
        self.optimizers.load_state_dict(saved[1])
        if self.lookahead is not None:
            self.lookahead.average = saved[2]
        self.step, self.epoch, self.order, self.offset = saved[3], saved[4], None, 0
        self.running = EpochFigures(self.device.name)
        self.last_metrics = {}
        self.seconds["compile"] = time.perf_counter() - start if self.compiled else 0.0
        if self.compiled:
            yield Artifact("note", _("torch.compile took {seconds} s before the first step; the timer leaves it "
                                     "out, as the published records do.").format(
                seconds=f"{self.seconds['compile']:.1f}"))

    # -- evaluation

    def evaluate(self) -> ClassificationReport:
        """Test loss, accuracy (with test-time augmentation when on), confusion matrix and
        worst images; only the reporting process evaluates."""
        data = self.data
        functional = torch.nn.functional
        start = self._clock()
        net = self.eval_net
        net.eval()
        loss_sum = torch.zeros((), device=self.device.name)
        plain_correct = torch.zeros((), device=self.device.name, dtype=torch.long)
        predicted, confidence, true_prob = [], [], []
        tta = is_on(self.config, "tta")
        with torch.no_grad(), self.autocast:
            for begin in range(0, len(data.test_y), self.eval_batch):
                index = torch.arange(begin, min(begin + self.eval_batch, len(data.test_y)), device=self.device.name)
                y = data.test_y[index]
                plain = net(data.shifted(data.test, index, 0, 0)).float()
                logits = self._test_time_augmented(net, index, plain) if tta else plain
                plain_correct += (plain.argmax(1) == y).sum()
                loss_sum += functional.cross_entropy(logits, y, reduction="sum")
                probs = logits.softmax(1)
                best = probs.max(1)
                predicted.append(best.indices)
                confidence.append(best.values)
                true_prob.append(probs.gather(1, y[:, None])[:, 0])
        net.train()
        self.seconds["last_eval"] = self._clock() - start
        report = classification_report(
            data.test_y_cpu, torch.cat(predicted).cpu(), torch.cat(confidence).float().cpu(),
            torch.cat(true_prob).float().cpu(), float(loss_sum), lambda i: data.test_u8_cpu[i].tolist())
        report["metrics"] = {"elapsed_seconds": round(self.seconds["whitening"] + self.seconds["train"], 4),
                             "eval_seconds": round(self.seconds["last_eval"], 4)}
        if tta:
            report["metrics"]["test_accuracy_no_tta"] = int(plain_correct) / len(data.test_y)
        return report

    def _test_time_augmented(self, net: Any, index: Any, plain: Any) -> Any:
        """airbench's six views: the image and its mirror, each also shifted one pixel up-left
        and down-right; mirrored pairs averaged, the unshifted pair weighted as both shifts."""
        data = self.data

        def mirrored(dy: int, dx: int, base: Any = None) -> Any:
            straight = base if base is not None else net(data.shifted(data.test, index, dy, dx)).float()
            return 0.5 * straight + 0.5 * net(data.shifted(data.test, index, dy, dx, flip=True)).float()

        shifted = 0.5 * (mirrored(-1, -1) + mirrored(1, 1))
        return 0.5 * mirrored(0, 0, plain) + 0.5 * shifted

    def health(self) -> Health:
        held = self._clock()
        out = super().health()
        self.running.leave_out(self._clock() - held)  # a snapshot is not training time
        return out

    def _divergence(self, loss: float) -> dict[str, Any]:
        lr = self.peak_lr
        message = _("Stopped at step {step} (epoch {epoch}): the training loss became {loss} — the updates grew "
                    "without bound and the run diverged. With SGD at a peak lr={lr} the steps are too large for "
                    "this network; try lr={tenth} (a tenth) and run again.").format(
            step=self.step, epoch=self.epoch + 1, loss=loss, lr=f"{lr:g}", tenth=f"{lr / 10:g}")
        return {"step": self.step, "message": message, "loss": loss, "suggested_lr": lr / 10}

    def _summary_extras(self) -> dict[str, Any]:
        # benchmark mode counts the whitening with the data (data_seconds), before the clock
        whitening = 0.0 if self.config.get("mode") == "benchmark" else self.seconds["whitening"]
        timed = whitening + self.seconds["train"] + self.seconds["last_eval"]
        out = {"model": self.config["model"], "processes": self.world,
               "train_seconds": round(self.seconds["train"], 4), "timed_seconds": round(timed, 4),
               "tricks": {name: self.config[name] for name in TRICKS},
               "recipe": self.config.get("recipe"), "precision": self.config.get("precision"),
               "mode": self.config.get("mode", "normal"), "data_seconds": round(self.seconds["data"], 4),
               "compile_seconds": round(self.seconds["compile"], 4)}
        if "test_accuracy_no_tta" in self.last_metrics:
            out["test_accuracy_no_tta"] = self.last_metrics["test_accuracy_no_tta"]
        return out

    # -- checkpoints

    def state(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "config": dict(self.config),
            "model": self.config["model"], "whitening": self.config["whitening"], "seed": self.config["seed"],
            "recipe": self.config["recipe"], "precision": self.config["precision"],
            "train_size": self.data.train_size, "epochs": self.epochs, "schedule": self.schedule,
            "peak_lr": self.peak_lr, "epoch": self.epoch, "step": self.step, "offset": self.offset,
            "running": self.running.state(), "model_state": self.net.state_dict(),
            "optimizer_state": self.optimizers.state_dict(),
            "lookahead": self.lookahead.average if self.lookahead is not None else None,
            "initial_weights": self.initial_weights,
            "normalisation": {"mean": self.data.mean, "std": self.data.std}, "classes": list(self.classes),
            "metrics": dict(self.last_metrics),
            "seconds": {"train": self.seconds["train"], "whitening": self.seconds["whitening"]},
        }

    def restore(self, state: dict[str, Any], path: Path) -> None:
        """Continue where ``state`` stopped: weights, optimizer, average, position in the epoch."""
        mid_epoch = state["offset"] > 0
        state = {"recipe": state["config"].get("recipe", "airbench94" if state["model"] == "fast" else state["model"]),
                 "precision": "bf16-autocast", **state}  # checkpoints from before recipes were named
        checkpoints.check_continuable(state, self.config, ("model", "whitening", "recipe", "precision"), self.epochs,
                                      mid_epoch, path)
        self.net.load_state_dict(state["model_state"])
        self.optimizers.load_state_dict(state["optimizer_state"])
        if self.lookahead is not None and state["lookahead"] is not None:
            self.lookahead.average = {k: v.to(self.device.name) for k, v in state["lookahead"].items()}
        self.initial_weights = state["initial_weights"]
        self.epoch, self.step = state["epoch"], state["step"]
        self.seconds["train"], self.seconds["whitening"] = state["seconds"]["train"], state["seconds"]["whitening"]
        if mid_epoch and (state["train_size"], state["config"]["batch_size"]) == (self.data.train_size,
                                                                                 self.batch_size):
            self._begin_epoch()  # the same plan again: it depends on (seed, epoch) only
            self.offset = state["offset"]
            self.running.restore(state["running"])
        # else: another subset or batch size; the interrupted epoch starts afresh
        # A schedule ended by set_lr stays ended: the rate the student chose carries on.
        if state["schedule"] == "constant" and self.schedule != "constant":
            self.schedule, self.peak_lr = "constant", state["peak_lr"]
        self.last_metrics = dict(state["metrics"])


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint written by this engine, or a ParamError saying what is wrong."""
    return checkpoints.read_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, "CIFAR-10")
