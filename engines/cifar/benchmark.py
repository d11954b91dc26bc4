"""``mode=benchmark``: the CIFAR-10 run as the speed records time it, nothing else.

Before the clock starts, every epoch's plan (permutation, shifts, flips — pure functions
of seed and epoch) is made and moved to the device, so the steps need no host-to-device
copy; the data and its whitening are ready (``data_seconds``) and a compiled step is
compiled (``compile_seconds``). Between the two clock readings the host only queues
steps: no loss read-back, no progress or health events, no per-epoch evaluation; one
evaluation at the end (test-time augmentation as the recipe says) is timed with them.
Then a single ``Progress``, ``Evaluated`` and ``Finished`` report the run.

Live commands other than pause and stop are answered, not applied: they would change
what is being measured. With several processes a stop is agreed at the end of an epoch.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import torch

from engines.core.artifacts import CommandAnswer
from engines.core.events import Artifact, Evaluated, Event, Finished, Progress
from engines.training.figures import EpochFigures
from lab_i18n import _


def _plans(trainer: Any) -> list[tuple[Any, tuple[Any, Any]]]:
    """(order on the device, plan) for every epoch still to run, made before the clock starts."""
    out = []
    first = trainer.epoch
    for epoch in range(first, math.ceil(trainer.epochs)):
        trainer.epoch = epoch
        trainer._begin_epoch()
        out.append((trainer.order.to(trainer.device.name), trainer.plan))
    trainer.epoch, trainer.order, trainer.offset = first, None, 0
    return out


def _stop_agreed(trainer: Any, ctl: Any) -> bool:
    if trainer.world == 1:
        return ctl.stop_requested
    import torch.distributed as dist

    flag = torch.tensor(float(ctl.stop_requested), device=trainer.device.name)
    dist.all_reduce(flag)
    return bool(flag > 0)


def train_benchmark(trainer: Any, ctl: Any, save_to: Path | None) -> Iterator[Event]:
    """Train ``trainer`` (an ``engines.cifar.training.Trainer``) in benchmark mode, yielding its few events."""
    plans = _plans(trainer)
    total, batch = trainer.total_steps(), trainer.batch_size
    window_loss = torch.zeros((), device=trainer.device.name)
    run_steps, stopped = 0, False
    start = trainer._clock()  # waits for the set-up queued before it
    for order, plan in plans:
        trainer.plan, trainer.offset = plan, 0
        trainer.running = EpochFigures(trainer.device.name)
        end = trainer._epoch_end()
        while trainer.offset < end and not stopped:
            for command in ctl.poll():  # host only; blocks while paused
                yield Artifact("command", CommandAnswer(
                    cmd=command.get("cmd"), step=trainer.step, applied=False,
                    message=_("A run in benchmark mode takes no live commands but pause and stop.")))
            if trainer.world == 1 and ctl.stop_requested:
                stopped = True
                break
            index = order[trainer.offset:trainer.offset + batch]
            loss, correct = trainer._step(index)
            trainer.offset += len(index)
            run_steps += 1
            trainer.running.add(loss, correct, len(index))
            window_loss += loss
        if stopped or trainer.step >= total:
            trainer.epoch += 0 if stopped else 1
            break
        trainer.epoch += 1
        if trainer.world > 1 and _stop_agreed(trainer, ctl):
            stopped = True
            break
    train_seconds = trainer._clock() - start
    trainer.seconds["train"] += train_seconds
    trainer.order, trainer.offset = None, 0
    running = trainer.running.read()  # read-backs: after the clock stopped
    mean_loss = float(window_loss) / max(1, run_steps)
    rate = round(run_steps * batch / train_seconds, 1) if train_seconds > 0 else None
    if trainer.is_main:
        yield Progress(step=trainer.step, loss=mean_loss, epoch=max(1, trainer.epoch), lr=trainer.step_lr,
                       samples_per_s=rate)
        evaluation = trainer.evaluate()
        trainer.last_metrics = {"test_accuracy": evaluation["accuracy"], "test_loss": evaluation["loss"],
                                **running, "train_seconds": round(train_seconds, 4), "samples_per_s": rate,
                                "lr": trainer.lr, **evaluation.get("metrics", {})}
        yield Evaluated(trainer.epoch, dict(trainer.last_metrics))
        yield from trainer._save(save_to, "stopped" if stopped else "epoch_end")
    summary = trainer._summary(run_steps, start, save_to)
    summary["steps_per_s"] = round(run_steps / train_seconds, 2) if train_seconds > 0 else None
    summary["images_per_s"] = rate
    yield Finished("stopped" if stopped else "completed", summary)
