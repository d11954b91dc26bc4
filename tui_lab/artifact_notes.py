"""Artifacts that read better as a sentence under the run than drawn: checkpoints saved,
runs resumed, live commands applied, the dataset in use, the node a run landed on; and a
run's place in line while it waits for its turn (``waiting_text``).

Plain strings, no Rich: the run session and the headless output both use them, and the
lab loads them at start-up without the drawing code of ``artifact_views``. Each is said
in the lab's current language."""

from __future__ import annotations

from typing import Any, Callable

from engines.core.events import Queued
from lab_i18n import N_, _

# Why a checkpoint was written (``engines.training.base``), as words.
CHECKPOINT_REASONS = {"epoch_end": N_("epoch end"), "stopped": N_("stopped")}


def _checkpoint_note(p: dict[str, Any]) -> str:
    reason = str(p.get("reason", ""))
    reason = _(CHECKPOINT_REASONS[reason]) if reason in CHECKPOINT_REASONS else reason.replace("_", " ")
    return _("Checkpoint saved: {path} (epoch {epoch}, {reason}).").format(path=p.get("path"), epoch=p.get("epoch"),
                                                                           reason=reason)


NOTES: dict[str, Callable[[Any], str]] = {
    "checkpoint": _checkpoint_note,
    "resumed": lambda p: _("Resumed from {path} at epoch {epoch}, step {step}.").format(
        path=p.get("path"), epoch=p.get("epoch"), step=p.get("step")),
    "command": lambda p: _command_note(p),
    "dataset": lambda p: _("{title}: {train} training and {test} test images from {source}.").format(
        title=p.get("title", p.get("dataset")), train=f"{p.get('train_size'):,}", test=f"{p.get('test_size'):,}",
        source=p.get("source")),
    "placement": lambda p: _placement_note(p),
}


def _placement_note(p: dict[str, Any]) -> str:
    return (_("Running on node {node} (job {job}).") if p.get("job_id") else _("Running on node {node}.")).format(
        node=p.get("node", "?"), job=p.get("job_id"))


def placement_state(p: dict[str, Any]) -> str:
    """The status bar's state of a run placed by Slurm: "running on node vm (job 12)"."""
    return (_("running on node {node} (job {job})") if p.get("job_id") else _("running on node {node}")).format(
        node=p.get("node", "?"), job=p.get("job_id"))


# "3rd": a number's place in line, each ending its own message (Chinese: 第 3 位).
ORDINALS = {"st": N_("{n}st"), "nd": N_("{n}nd"), "rd": N_("{n}rd"), "th": N_("{n}th")}


def ordinal(n: int) -> str:
    ending = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return _(ORDINALS[ending]).format(n=n)


def waiting_text(event: Queued) -> str:
    """"waiting for a GPU (cuda:0): 3rd in line", "waiting for the CPU: 2nd in line" or
    "queued in Slurm as job 12 (Resources)"."""
    if event.job_id:
        return (_("queued in Slurm as job {job} ({reason})") if event.reason else _("queued in Slurm as job {job}")).format(
            job=event.job_id, reason=event.reason)
    if event.position is None:
        return _("waiting for Slurm ({where})").format(where=event.device.removeprefix("slurm:"))
    place = ordinal(event.position)
    if event.device == "cpu":
        return _("waiting for the CPU: {place} in line").format(place=place)
    return _("waiting for a GPU ({device}): {place} in line").format(device=event.device, place=place)


def _command_note(payload: dict[str, Any]) -> str:
    """One sentence confirming what a live command did (or why the run refused it)."""
    name = payload.get("cmd")
    step = payload.get("step")
    if not payload.get("applied", True):
        why = str(payload.get("message") or _("refused")).rstrip(".。")
        return _("{command}: not applied ({reason}).").format(command=name, reason=why)
    if name == "set_lr":
        return _("Learning rate set to {lr} from step {step}.").format(lr=f"{payload.get('lr'):g}", step=step)
    if name == "one_more_epoch":
        return _("One more epoch added at step {step}: {epochs} epochs in all.").format(
            step=step, epochs=payload.get("epochs", "?"))
    if name == "slow":
        seconds = payload.get("step_seconds", 0)
        return _("Full speed: no wait between steps.") if not seconds else \
            _("Paced: a wait of {seconds} s after every step (from step {step}).").format(seconds=f"{seconds:g}",
                                                                                         step=step)
    return _("{command} applied at step {step}.").format(command=name, step=step)
