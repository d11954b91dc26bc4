"""Accuracy and loss of a model on a set of images: how every engine of the lesson measures."""

from __future__ import annotations

from typing import Any

EVAL_BATCH = 10_000  # images per forward pass: few, large products, no gradients


def accuracy_and_loss(model: Any, x: Any, y: Any) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) of ``model`` on ``x`` in eval mode (dropout off), read
    back from the device once; the model's training mode is put back."""
    import torch

    was_training = model.training
    model.eval()
    correct = torch.zeros((), device=y.device, dtype=torch.long)
    loss = torch.zeros((), device=y.device, dtype=torch.float64)
    with torch.no_grad():
        for start in range(0, len(y), EVAL_BATCH):
            logits = model(x[start:start + EVAL_BATCH]).float()
            labels = y[start:start + EVAL_BATCH]
            loss += torch.nn.functional.cross_entropy(logits, labels, reduction="sum").double()
            correct += (logits.argmax(1) == labels).sum()
    model.train(was_training)
    count = max(1, len(y))
    return int(correct) / count, float(loss) / count
