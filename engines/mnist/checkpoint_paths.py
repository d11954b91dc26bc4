"""Where the ``mnist`` engine writes its checkpoints, and the trained models ``mnist.infer``
(the drawing pad) can find there: torch-free, so the lab lists them without importing torch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engines.mnist import data as mnist_data
from engines.mnist import models as mnist_models
from engines.training import checkpoint_paths
from engines.training.checkpoint_summary import read_summary


def default_checkpoint(dataset: str, model: str) -> Path:
    return checkpoint_paths.checkpoints_folder() / f"mnist-{dataset}-{model}.pt"


def checkpoint_path(config: dict[str, Any]) -> Path | None:
    """Where this run writes its checkpoints; None when ``checkpoint=off``."""
    return checkpoint_paths.checkpoint_path(config, default_checkpoint(config["dataset"], config["model"]),
                                            "mnist.pt")


def resume_path(config: dict[str, Any]) -> Path | None:
    """The checkpoint to continue from (``resume``: none, last or a path), or a ParamError."""
    return checkpoint_paths.resume_path(config, checkpoint_path(config),
                                        default_checkpoint(config["dataset"], config["model"]))


@dataclass(frozen=True)
class TrainedModel:
    """A checkpoint in the lab's folder: what it learnt, how far, and how well."""

    path: Path
    dataset: str
    model: str
    epoch: int  # epochs completed
    test_accuracy: float | None  # at its last evaluation; None if it was never evaluated
    saved_at: float  # the file's modification time, seconds since the epoch

    def describe(self) -> str:
        """Short, for a list: "Fashion-MNIST · cnn · 1 epoch · 88.1%" (the test accuracy, if evaluated)."""
        epochs = f"{self.epoch} epoch{'s' if self.epoch != 1 else ''}"
        accuracy = f" · {self.test_accuracy:.1%}" if self.test_accuracy is not None else ""
        return f"{mnist_data.dataset_info(self.dataset).title} · {self.model} · {epochs}{accuracy}"


def trained_models(folder: Path | None = None) -> list[TrainedModel]:
    """The models the ``mnist`` engine saved under their default names in ``folder`` (the
    lab's checkpoints folder), newest first; unreadable files are left out."""
    found = []
    for path in (folder or checkpoint_paths.checkpoints_folder()).glob("mnist-*.pt"):
        state = read_summary(path)
        if state is None or state.get("dataset") not in mnist_data.DATASETS \
                or state.get("model") not in mnist_models.MODEL_NAMES:
            continue
        metrics = state.get("metrics") if isinstance(state.get("metrics"), dict) else {}
        accuracy = metrics.get("test_accuracy")
        found.append(TrainedModel(path=path, dataset=state["dataset"], model=state["model"],
                                  epoch=int(state.get("epoch") or 0),
                                  test_accuracy=float(accuracy) if isinstance(accuracy, (int, float)) else None,
                                  saved_at=path.stat().st_mtime))
    return sorted(found, key=lambda model: model.saved_at, reverse=True)


def newest_trained(dataset: str) -> TrainedModel | None:
    """The most recently saved model trained on ``dataset``, of any architecture."""
    return next((model for model in trained_models() if model.dataset == dataset), None)
