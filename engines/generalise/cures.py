"""The cures for overfitting that ``gen.overfit`` switches on one by one.

Each is a small piece of the training step, kept apart so that it can be tested alone:

* weight decay — decoupled, as AdamW does it: after each step every weight (biases
  excluded) shrinks by ``lr · weight_decay`` of itself, outside Adam's per-weight scaling
  (an L2 penalty added to the loss would be divided by Adam's running gradient size and
  shrink rarely-updated weights the most);
* L1 — ``l1 · Σ|w|`` over the weights (biases excluded) added to the loss, which pushes
  small weights to zero;
* dropout — a ``Dropout`` after the hidden layer: active in training mode only, so every
  measurement (in eval mode) sees the whole network;
* augmentation — each training batch shifted at random by up to ``SHIFT_PIXELS`` pixels
  each way, on the device, the uncovered border filled with the background;
* early stopping — ``EarlyStopping`` keeps the best validation epoch's weights and says
  when ``patience`` epochs have passed without a better one.
"""

from __future__ import annotations

from typing import Any

from lab_i18n import _


def build_model(hidden: int, dropout: float) -> Any:
    """784-hidden-10 MLP, the MNIST lesson's shape (``engines.mnist.models`` names its layers the
    same), with a Dropout after the hidden layer's ReLU when ``dropout`` > 0."""
    from collections import OrderedDict

    from torch import nn

    layers: list[tuple[str, nn.Module]] = [("flatten", nn.Flatten()), ("fc1", nn.Linear(28 * 28, hidden)),
                                           ("relu1", nn.ReLU())]
    if dropout > 0:
        layers.append(("dropout", nn.Dropout(dropout)))
    layers.append(("out", nn.Linear(hidden, 10)))
    return nn.Sequential(OrderedDict(layers))


def weights(model: Any) -> list[Any]:
    """The weight matrices of the model's Linear layers (no biases): what the cures shrink."""
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def biases(model: Any) -> list[Any]:
    return [p for name, p in model.named_parameters() if not name.endswith("weight")]


def weight_norm(model: Any) -> float:
    """The L2 norm of all weights together, biases excluded."""
    import torch

    with torch.no_grad():
        return float(torch.sqrt(sum((w.double() ** 2).sum() for w in weights(model))))


def l1_sum(model: Any) -> Any:
    """Σ|w| over the weights, as a tensor on the model's device (differentiable)."""
    return sum(w.abs().sum() for w in weights(model))


def optimizer(model: Any, lr: float, weight_decay: float, device_kind: str) -> Any:
    """AdamW with decoupled decay on the weights only; with weight_decay 0 it is plain Adam."""
    import torch

    groups = [{"params": weights(model), "weight_decay": weight_decay},
              {"params": biases(model), "weight_decay": 0.0}]
    fused = device_kind in ("cpu", "cuda")  # one kernel for all parameters where torch has one
    try:
        return torch.optim.AdamW(groups, lr=lr, fused=fused or None)
    except (RuntimeError, TypeError):  # a torch without the fused kernel here
        return torch.optim.AdamW(groups, lr=lr)


def shift_images(images: Any, max_shift: int, background: float) -> Any:
    """``images`` [N, 1, 28, 28] each moved by its own random (dy, dx) in −max_shift..max_shift,
    the uncovered border set to ``background``; done on the images' device by one gather."""
    import torch
    from torch.nn import functional

    if max_shift <= 0:
        return images
    n, _channels, height, width = images.shape
    padded = functional.pad(images[:, 0], (max_shift,) * 4, value=background)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, n, 1), device=images.device)
    rows = (offsets[0] + torch.arange(height, device=images.device))[:, :, None]  # [N, H, 1]
    cols = (offsets[1] + torch.arange(width, device=images.device))[:, None, :]  # [N, 1, W]
    picked = padded[torch.arange(n, device=images.device)[:, None, None], rows, cols]
    return picked.unsqueeze(1)


class EarlyStopping:
    """The best epoch by validation accuracy (the first one on a tie) and its weights.

    ``patience``: epochs without a better validation accuracy after which training stops."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_epoch = 0
        self.best_accuracy = -1.0
        self.best_state: dict[str, Any] | None = None

    def update(self, epoch: int, accuracy: float, model: Any) -> bool:
        """Record this epoch; whether training should stop now."""
        if accuracy > self.best_accuracy:
            self.best_epoch, self.best_accuracy = epoch, accuracy
            self.best_state = {name: t.detach().clone() for name, t in model.state_dict().items()}
        return epoch - self.best_epoch >= self.patience

    def restore(self, model: Any) -> None:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)


def cures_sentence(config: dict[str, Any], shift_pixels: int, validation: int) -> str:
    """One sentence naming the cures in force, in the current language."""
    parts = []
    if config["weight_decay"]:
        parts.append(_("weight decay {value} (AdamW, decoupled)").format(value=f"{config['weight_decay']:g}"))
    if config["l1"]:
        parts.append(_("L1 penalty {value}·Σ|w|").format(value=f"{config['l1']:g}"))
    if config["dropout"]:
        parts.append(_("dropout {value} after the hidden layer").format(value=f"{config['dropout']:g}"))
    if config["augment"]:
        parts.append(_("random shifts of up to {pixels} pixels").format(pixels=shift_pixels))
    if config["early_stopping"]:
        parts.append(_("early stopping after {patience} epochs without a better accuracy on {validation} held-out "
                       "training images").format(patience=config["early_stopping"], validation=validation))
    if not parts:
        return _("No cure in force: plain Adam.")
    return _("Cures in force: {cures}.").format(cures=_("; ").join(parts))
