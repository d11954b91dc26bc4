"""Where the ``mnist`` engine writes its checkpoints and where ``mnist.infer`` finds them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engines.training import checkpoint_paths


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
