"""Benchmark mode of the ``mnist`` engine (``mode=benchmark``): the same steps, nothing else
inside the clock.

What the normal loop does between steps — a loss read-back every ``log_every`` steps,
health snapshots, an evaluation with its confusion matrix and worst images per epoch, a
fresh permutation made on the CPU per epoch, live commands — each makes the host wait
for the device or adds Python work. Here every epoch's permutation is made and moved to
the device before the clock starts, the steps run back to back (only a stop request is
looked at: a flag, no device work), the loss is read back once at the end, and one
evaluation (accuracy and loss only) follows.

Events: ``Progress`` once (the final loss), ``Evaluated`` once, a checkpoint when asked,
and ``Finished(reason, summary)`` whose summary adds to the normal one ``seconds``
(training + the final evaluation: the time to a known accuracy), ``train_seconds``,
``eval_seconds``, ``data_seconds`` (reading and preparing the data, before the clock),
``compile_seconds`` (the extra time of the steps that compiled: the first one, and the
last one when a shorter last batch needs its own graph; None when not compiling),
``loss``, ``mode`` and ``compile`` (and ``compile_note``, a sentence, when compiling failed).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Iterator

import torch

from engines.core.events import Evaluated, Event, Finished, Progress
from engines.core.runtime import Control


def train_benchmark(trainer: Any, ctl: Control, save_to: Path | None) -> Iterator[Event]:
    """Run the remaining epochs of ``trainer`` (an ``engines.mnist.training.Trainer``) timed."""
    sync = torch.cuda.synchronize if trainer.device.kind == "cuda" else (lambda: None)
    size, batch = trainer.data.train_size, trainer.batch_size
    epochs = trainer.epochs - trainer.epoch
    orders = torch.stack([torch.randperm(size, generator=trainer.order_rng) for _ in range(epochs)])
    orders = orders.to(trainer.device.name)
    batches = [orders[e, s:s + batch] for e in range(epochs) for s in range(0, size, batch)]  # views
    compiling = trainer.compile_mode != "off"

    sync()
    start = time.perf_counter()
    loss, steps, shapes = None, 0, set()
    first_seconds = 0.0  # the steps that met a new batch size (a compile each, when compiling)
    for index in batches:
        if ctl.stop_requested:
            break
        new_shape = compiling and len(index) not in shapes
        if new_shape:
            shapes.add(len(index))
            sync()
            began = time.perf_counter()
        loss, _correct = trainer._step(index)
        steps += 1
        if new_shape:
            sync()
            first_seconds += time.perf_counter() - began
    final_loss = float(loss) if loss is not None else math.nan  # the one read-back: waits for the device
    train_seconds = time.perf_counter() - start
    compile_seconds = None
    if compiling and trainer.compiled_ok and steps > len(shapes):
        plain_step = (train_seconds - first_seconds) / (steps - len(shapes))
        compile_seconds = max(0.0, first_seconds - len(shapes) * plain_step)

    per_epoch = math.ceil(size / batch)
    trainer.epoch += steps // per_epoch
    trainer.order, trainer.offset = None, 0
    if steps and not math.isfinite(final_loss):
        yield Finished("diverged", trainer._divergence(final_loss))
        return
    if steps:
        yield Progress(step=trainer.step, loss=final_loss, epoch=trainer.epoch, lr=trainer.step_lr,
                       samples_per_s=min(steps * batch, epochs * size) / train_seconds)
    eval_start = time.perf_counter()
    accuracy, test_loss = trainer.accuracy_and_loss()
    eval_seconds = time.perf_counter() - eval_start
    trainer.last_metrics = {"test_accuracy": accuracy, "test_loss": test_loss, "train_loss": final_loss,
                            "train_seconds": train_seconds, "lr": trainer.lr}
    yield Evaluated(trainer.epoch, dict(trainer.last_metrics))
    stopped = steps < len(batches)
    if not stopped:
        yield from trainer._save(save_to, "epoch_end")
    summary: dict[str, Any] = {
        "steps": steps, "epochs": trainer.epoch, "total_steps": trainer.step, "mode": "benchmark",
        "seconds": train_seconds + eval_seconds, "train_seconds": train_seconds, "eval_seconds": eval_seconds,
        "data_seconds": trainer.data_seconds, "compile_seconds": compile_seconds, "compile": trainer.compile_mode,
        "loss": final_loss, "test_accuracy": accuracy, "test_loss": test_loss,
    }
    if steps and train_seconds > 0:
        summary["steps_per_s"] = round(steps / train_seconds, 1)
    if trainer.compile_note:
        summary["compile_note"] = trainer.compile_note
    if save_to is not None and not stopped:
        summary["checkpoint"] = str(save_to)
    yield Finished("stopped" if stopped else "completed", summary)
