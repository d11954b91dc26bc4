"""Writing and reading the training engines' checkpoints.

A checkpoint is one ``torch.save`` dict with ``format`` and ``version`` keys (each
engine's ``state`` says what else). It is written atomically (a temp file beside its
path, flushed to disk, renamed over it: never half-written) and read back with
``weights_only=True``, so no code runs from a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

import torch

from engines.core.params import ParamError
from engines.training.specs import as_typed
from lab_i18n import _


def save_checkpoint(state: dict[str, Any], path: Path) -> None:
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


def read_checkpoint(path: Path, fmt: str, version: int, engine: str) -> dict[str, Any]:
    """A checkpoint written by ``save_checkpoint`` in format ``fmt``, or a ParamError saying what is wrong."""
    try:
        # On the CPU (generator states must be), and weights only: no code runs from the file.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - truncated, foreign or unreadable: all one answer
        reason = str(error).splitlines()[0] if str(error) else error.__class__.__name__
        raise ParamError(_("{path} cannot be read as a checkpoint ({reason}).").format(path=path,
                                                                                       reason=reason[:200])) from None
    if not isinstance(state, dict) or state.get("format") != fmt:
        raise ParamError(_("{path} is not a checkpoint of this lab's {engine} engine.").format(path=path, engine=engine))
    if state.get("version") != version:
        raise ParamError(_("{path} is a version {found} checkpoint; this lab reads version {version}. Train afresh "
                           "(resume=none).").format(path=path, found=state.get("version"), version=version))
    return state


def check_continuable(state: dict[str, Any], config: dict[str, Any], same: Iterable[str], epochs: float,
                      mid_epoch: bool, path: Path) -> None:
    """Refuse to continue a checkpoint trained with other ``same`` values, or one whose
    ``epochs`` are already done; each refusal says which setting to change."""
    for key in same:
        if state[key] != config[key]:
            raise ParamError(_(
                "The checkpoint {path} was trained with {key}={saved}, but this run asks for {key}={asked}; set "
                "{key}={saved} or resume=none.").format(path=path, key=key, saved=as_typed(state[key]),
                                                        asked=as_typed(config[key])))
    if state["epoch"] >= epochs and not mid_epoch:
        raise ParamError(_("The checkpoint {path} has already trained {epochs} epochs; set epochs above {epochs} to "
                           "continue it.").format(path=path, epochs=state["epoch"]))
