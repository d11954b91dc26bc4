"""The figures a training run reports: the loss over a progress window, the epoch's
running loss and accuracy, and the test set's classification report.

Sums stay on the device while steps run; they are read back (one device wait) only
when a figure is reported.
"""

from __future__ import annotations

import time
from typing import Any, Callable, NotRequired, TypedDict

import torch

from engines.core.artifacts import WorstImage

WORST_IMAGES = 16


class LossWindow:
    """Loss summed on the device over the steps between two progress events."""

    def __init__(self, device: str) -> None:
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

    def __init__(self, device: str) -> None:
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


class ClassificationReport(TypedDict):
    """An evaluation of the test set, as a trainer's ``evaluate`` returns it."""

    loss: float
    accuracy: float  # 0..1
    confusion: list[list[int]]  # rows: true class, columns: predicted
    worst: list[WorstImage]
    metrics: NotRequired[dict[str, Any]]  # an engine's extra figures for its Evaluated event


def classification_report(labels: Any, predicted: Any, confidence: Any, true_prob: Any, loss_sum: float,
                          pixels: Callable[[int], Any]) -> ClassificationReport:
    """Loss, accuracy, confusion matrix and the worst mistakes, from per-image predictions
    on the CPU; ``pixels(i)`` gives test image i for the artifact."""
    confusion = torch.bincount(labels * 10 + predicted, minlength=100).view(10, 10)
    wrong = (predicted != labels).nonzero()[:, 0]
    worst = wrong[true_prob[wrong].argsort()[:WORST_IMAGES]]
    return ClassificationReport(
        loss=loss_sum / len(labels),
        accuracy=int((predicted == labels).sum()) / len(labels),
        confusion=confusion.tolist(),
        worst=[WorstImage(index=int(i), label=int(labels[i]), predicted=int(predicted[i]),
                          confidence=round(float(confidence[i]), 4), pixels=pixels(int(i))) for i in worst],
    )
