"""Rule-based advice on a training run: what looks wrong, and what to try.

No model, just the rules a teacher would apply while watching the curves: a loss that
blows up or climbs, a loss that stalls, a train/test gap that grows, ReLUs that never
fire. Each piece of advice is a sentence plus one concrete change that the lab can
apply with one key: new parameters for the next run, or a live command for this one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tui_lab.run_session import RunSession, RunState
from lab_i18n import _


@dataclass(frozen=True)
class Advice:
    text: str
    params: dict[str, Any] = field(default_factory=dict)  # for the next run
    command: dict[str, Any] | None = None  # for the run that is going

    @property
    def action(self) -> str:
        if self.command:
            return _("apply it to this run now")
        settings = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in self.params.items())
        return _("set {settings}").format(settings=settings)


def advise(session: RunSession) -> Advice | None:
    """The most urgent advice for this run, or None when nothing looks wrong."""
    lr = session.params.get("lr")
    for rule in (_diverged, _rising, _dead_relus, _overfitting, _stalled):
        advice = rule(session, lr)
        if advice is not None:
            return advice
    return None


def _diverged(session: RunSession, lr: float | None) -> Advice | None:
    if session.state != RunState.DIVERGED or not lr:
        return None
    return Advice(_("The loss blew up, so lr = {lr} is too large for this model. Try a tenth of it.").format(lr=f"{lr:g}"),
                  params={"lr": _round(lr / 10)})


def _rising(session: RunSession, lr: float | None) -> Advice | None:
    if not session.active or not lr or len(session.losses) < 20:
        return None
    values = [loss for _step, loss in session.losses if math.isfinite(loss)]
    recent = sum(values[-5:]) / len(values[-5:])
    if recent > 3 * min(values) and recent > values[0]:
        return Advice(_("The loss is climbing (now {now}, it was down to {lowest}): the learning rate is too large. "
                        "Lower it to {lr} for this run.").format(now=f"{recent:.3g}", lowest=f"{min(values):.3g}",
                                                                 lr=f"{_round(lr / 3):g}"),
                      command={"cmd": "set_lr", "lr": _round(lr / 3)})
    return None


def _dead_relus(session: RunSession, lr: float | None) -> Advice | None:
    health = session.latest.get("health") or {}
    layers = [layer for layer in health.get("layers", []) if (layer.get("dead_relu_share") or 0) > 0.5]
    if not layers:
        return None
    worst = max(layers, key=lambda layer: layer["dead_relu_share"])
    change = {"lr": _round(lr / 3)} if lr else {}
    if session.params.get("optimizer") == "sgd":
        change["optimizer"] = "adam"
    return Advice(_("{share} of the ReLUs in {layer} never fire on this data: they stopped learning. A smaller "
                    "learning rate keeps them alive.").format(share=f"{worst['dead_relu_share']:.0%}", layer=worst["name"]),
                  params=change)


def _overfitting(session: RunSession, lr: float | None) -> Advice | None:
    evals = [e for e in session.evaluations if "test_loss" in e and "train_accuracy" in e]
    if len(evals) < 3:
        return None
    last = evals[-1]
    gap = last["train_accuracy"] - last["test_accuracy"]
    rising = evals[-1]["test_loss"] > evals[-2]["test_loss"] > evals[-3]["test_loss"]
    if gap > 0.01 and rising:
        best = min(evals, key=lambda e: e["test_loss"])["epoch"]
        return Advice(_("Overfitting: train accuracy {train} but test {test}, and the test loss has risen two epochs "
                        "running. The test loss was lowest after epoch {best}: train that long.").format(
                          train=f"{last['train_accuracy']:.2%}", test=f"{last['test_accuracy']:.2%}", best=best),
                      params={"epochs": int(best)})
    return None


def _stalled(session: RunSession, lr: float | None) -> Advice | None:
    if not lr or not session.evaluations:
        return None
    accuracy = session.evaluations[-1].get("test_accuracy")
    values = [loss for _step, loss in session.losses if math.isfinite(loss)]
    if accuracy is None or len(values) < 20:
        return None
    half = len(values) // 2
    early, late = sum(values[:half]) / half, sum(values[half:]) / (len(values) - half)
    if accuracy < 0.5 and late > 0.98 * early:
        return Advice(_("Learning has stalled: the loss hardly moves and test accuracy is {accuracy}. The learning rate "
                        "{lr} is probably too small: try three times it.").format(accuracy=f"{accuracy:.1%}",
                                                                                  lr=f"{lr:g}"),
                      params={"lr": _round(lr * 3)})
    return None


def _round(value: float) -> float:
    """Two significant digits: advice reads better as 0.0003 than 0.000333…"""
    return float(f"{value:.2g}")
