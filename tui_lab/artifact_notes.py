"""Artifacts that read better as a sentence under the run than drawn: checkpoints saved,
runs resumed, live commands applied, the dataset in use.

Plain strings, no Rich: the run session and the headless output both use them, and the
lab loads them at start-up without the drawing code of ``artifact_views``."""

from __future__ import annotations

from typing import Any, Callable

NOTES: dict[str, Callable[[Any], str]] = {
    "checkpoint": lambda p: f"Checkpoint saved: {p.get('path')} (epoch {p.get('epoch')}, {p.get('reason', '').replace('_', ' ')}).",
    "resumed": lambda p: f"Resumed from {p.get('path')} at epoch {p.get('epoch')}, step {p.get('step')}.",
    "command": lambda p: _command_note(p),
    "dataset": lambda p: f"{p.get('title', p.get('dataset'))}: {p.get('train_size'):,} training and "
                         f"{p.get('test_size'):,} test images from {p.get('source')}.",
}


def _command_note(payload: dict[str, Any]) -> str:
    """One sentence confirming what a live command did (or why the run refused it)."""
    name = payload.get("cmd")
    if not payload.get("applied", True):
        return f"{name}: not applied ({str(payload.get('message', 'refused')).rstrip('.')})."
    if name == "set_lr":
        return f"Learning rate set to {payload.get('lr'):g} from step {payload.get('step')}."
    if name == "one_more_epoch":
        return f"One more epoch added at step {payload.get('step')}: {payload.get('epochs', '?')} epochs in all."
    if name == "slow":
        seconds = payload.get("step_seconds", 0)
        return "Full speed: no wait between steps." if not seconds \
            else f"Paced: a wait of {seconds:g} s after every step (from step {payload.get('step')})."
    return f"{name} applied at step {payload.get('step')}."
