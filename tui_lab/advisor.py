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


@dataclass(frozen=True)
class Advice:
    text: str
    params: dict[str, Any] = field(default_factory=dict)  # for the next run
    command: dict[str, Any] | None = None  # for the run that is going

    @property
    def action(self) -> str:
        if self.command:
            return "apply it to this run now"
        return "set " + ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in self.params.items())


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
    return Advice(f"The loss blew up, so lr = {lr:g} is too large for this model. Try a tenth of it.",
                  params={"lr": _round(lr / 10)})


def _rising(session: RunSession, lr: float | None) -> Advice | None:
    if not session.active or not lr or len(session.losses) < 20:
        return None
    values = [loss for _, loss in session.losses if math.isfinite(loss)]
    recent = sum(values[-5:]) / len(values[-5:])
    if recent > 3 * min(values) and recent > values[0]:
        return Advice(f"The loss is climbing (now {recent:.3g}, it was down to {min(values):.3g}): "
                      f"the learning rate is too large. Lower it to {_round(lr / 3):g} for this run.",
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
    return Advice(f"{worst['dead_relu_share']:.0%} of the ReLUs in {worst['name']} never fire on this data: they "
                  f"stopped learning. A smaller learning rate keeps them alive.", params=change)


def _overfitting(session: RunSession, lr: float | None) -> Advice | None:
    evals = [e for e in session.evaluations if "test_loss" in e and "train_accuracy" in e]
    if len(evals) < 3:
        return None
    last = evals[-1]
    gap = last["train_accuracy"] - last["test_accuracy"]
    rising = evals[-1]["test_loss"] > evals[-2]["test_loss"] > evals[-3]["test_loss"]
    if gap > 0.01 and rising:
        best = min(evals, key=lambda e: e["test_loss"])["epoch"]
        return Advice(f"Overfitting: train accuracy {last['train_accuracy']:.2%} but test {last['test_accuracy']:.2%}, "
                      f"and the test loss has risen two epochs running. The test loss was lowest after epoch "
                      f"{best}: train that long.", params={"epochs": int(best)})
    return None


def _stalled(session: RunSession, lr: float | None) -> Advice | None:
    if not lr or not session.evaluations:
        return None
    accuracy = session.evaluations[-1].get("test_accuracy")
    values = [loss for _, loss in session.losses if math.isfinite(loss)]
    if accuracy is None or len(values) < 20:
        return None
    half = len(values) // 2
    early, late = sum(values[:half]) / half, sum(values[half:]) / (len(values) - half)
    if accuracy < 0.5 and late > 0.98 * early:
        return Advice(f"Learning has stalled: the loss hardly moves and test accuracy is {accuracy:.1%}. "
                      f"The learning rate {lr:g} is probably too small: try three times it.",
                      params={"lr": _round(lr * 3)})
    return None


def _round(value: float) -> float:
    """Two significant digits: advice reads better as 0.0003 than 0.000333…"""
    return float(f"{value:.2g}")
