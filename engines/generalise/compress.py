"""Compression, briefly: prune and quantise a trained MLP, then measure it (``gen.compress``).

The 784-128-10 MLP trains as in ``gen.symmetry`` (the same loop), then becomes smaller
models:

* pruned: ``torch.nn.utils.prune.global_unstructured`` with ``L1Unstructured`` over both
  Linear layers' weights zeroes the given share of the smallest-magnitude weights (biases
  untouched), made permanent with ``prune.remove``; the measured share of zero weights is
  reported beside the one asked for;
* int8: every weight rounded to a signed 8-bit integer with one float32 scale per output
  unit (symmetric, per output channel: scale = max |w| / 127, zero point 0). The lab does
  this by hand with plain int8 tensors because PyTorch 2.14 deprecates both
  ``torch.ao.quantization.quantize_dynamic`` ("will be removed") and the quantized tensor
  types that ``torch.quantize_per_channel`` makes — each call prints a deprecation
  warning. The rounding is the same; inference multiplies the int8 weights back by their
  scales and runs in float (weight-only quantisation: activations stay float).

Sizes in bytes, as each model would be stored:

* dense: 4 bytes per parameter (float32);
* pruned: each weight matrix in whichever is smaller, dense float32 or CSR — per nonzero a
  float32 value and a 16-bit column index (784 columns fit), plus one int32 row offset per
  output unit and one more; biases float32;
* int8: 1 byte per weight, 4 per output unit's scale (no zero points: they are 0), biases
  float32.

Events: ``Started`` (``total_steps``: the models measured), ``Artifact("note")``,
``Evaluated(epoch, {train_accuracy, test_accuracy})`` while the dense model trains (no
Progress: the steps count measured models), then per measured model
``Progress(step=k, loss=test_loss, values={"pruned_x": bytes, "pruned": accuracy,
"sparsity": measured})`` or ``{"int8_x": bytes, "int8": accuracy}``, ``Artifact("table")``
and ``Finished(reason, {steps, seconds, train_seconds, dense_accuracy, dense_bytes,
int8_accuracy, int8_bytes, sparsities, pruned_accuracy, pruned_bytes})``.
"""

from __future__ import annotations

import copy
import time
from typing import Any, Iterator

from engines.core.events import Artifact, Event, Finished, Progress, Started
from engines.core.params import Param, ParamError
from engines.core.runtime import Control, EngineSpec
from engines.generalise.defaults import HIDDEN, SPARSITIES
from engines.generalise.measure import accuracy_and_loss
from engines.generalise.symmetry import base_params, build_mlp, prepare, train
from lab_i18n import N_, _

FLOAT_BYTES, INDEX_BYTES, OFFSET_BYTES = 4, 2, 4
MAX_SPARSITY = 0.999


def parse_sparsities(text: str) -> list[float]:
    """"0.5, 0.9" → [0.0, 0.5, 0.9]: sorted, without repeats, always starting with 0 (the dense model)."""
    try:
        values = [float(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        values = [-1.0]
    if any(not 0 <= v <= MAX_SPARSITY for v in values):
        raise ParamError(_("sparsities must be shares of weights to prune between 0 and {most}, separated by "
                           "commas (for example 0.5,0.9), not {given}.").format(most=MAX_SPARSITY, given=repr(text)))
    return sorted({0.0, *values})


def layers(model: Any) -> tuple[Any, ...]:
    return (model.fc1, model.out)


def dense_bytes(model: Any) -> int:
    return FLOAT_BYTES * sum(p.numel() for p in model.parameters())


def sparse_bytes(model: Any) -> int:
    """Each weight matrix dense or CSR (16-bit column indices), whichever is smaller; biases float32."""
    total = 0
    for layer in layers(model):
        rows, columns = layer.weight.shape
        nonzero = int((layer.weight != 0).sum())
        csr = nonzero * (FLOAT_BYTES + INDEX_BYTES) + (rows + 1) * OFFSET_BYTES
        total += min(csr, rows * columns * FLOAT_BYTES) + FLOAT_BYTES * layer.bias.numel()
    return total


def prune_copy(model: Any, sparsity: float) -> tuple[Any, float]:
    """A copy of ``model`` with the smallest ``sparsity`` share of all its weights set to 0
    (one global threshold over both layers), and the share of zero weights measured."""
    import torch
    from torch.nn.utils import prune

    pruned = copy.deepcopy(model)
    targets = [(layer, "weight") for layer in layers(pruned)]
    if sparsity > 0:
        prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=sparsity)
        for layer, name in targets:
            prune.remove(layer, name)
    with torch.no_grad():
        zeros = sum(int((layer.weight == 0).sum()) for layer in layers(pruned))
        weights = sum(layer.weight.numel() for layer in layers(pruned))
    return pruned, zeros / weights


def quantise_int8(weight: Any) -> tuple[Any, Any]:
    """Per output channel, symmetric: (int8 weights, float32 scales) with weight ≈ q · scale."""
    import torch

    scale = weight.detach().abs().amax(dim=1).float() / 127
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # an all-zero row: any scale works
    q = torch.round(weight.detach() / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q, scale


def int8_copy(model: Any) -> tuple[Any, int]:
    """A copy of ``model`` whose weights are their int8 roundings (dequantised for a float
    forward pass), and the bytes the int8 model takes."""
    import torch

    quantised = copy.deepcopy(model)
    size = 0
    with torch.no_grad():
        for layer in layers(quantised):
            q, scale = quantise_int8(layer.weight)
            layer.weight.copy_(q.float() * scale[:, None])
            size += q.numel() * q.element_size() + scale.numel() * FLOAT_BYTES + FLOAT_BYTES * layer.bias.numel()
    return quantised, size


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %"


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    levels = parse_sparsities(config["sparsities"])
    prepared = yield from prepare(config, ctl)
    if prepared is None:
        return

    import torch

    torch.manual_seed(config["seed"])
    model = build_mlp(HIDDEN).to(prepared.device.name)
    tensors = prepared.tensors
    yield Started(device=prepared.label, config=dict(config), total_steps=len(levels) + 1, seed=config["seed"])
    start = time.perf_counter()
    yield Artifact("note", _("Training the 784-{hidden}-10 MLP on {images} images of {title} for {epochs} epochs, "
                             "then pruning it at {levels} sparsities and rounding it to int8.").format(
        hidden=HIDDEN, images=len(tensors.train_y), title=_(prepared.images.title), epochs=config["epochs"],
        levels=len(levels) - 1))
    outcome = yield from train(model, tensors, config, ctl, report_steps=False)
    train_seconds = round(time.perf_counter() - start, 3)
    summary: dict[str, Any] = {"steps": 0, "seconds": train_seconds, "train_seconds": train_seconds}
    if outcome.reason != "completed":
        yield Finished(outcome.reason, {**summary, **outcome.summary})
        return
    rows, measured, accuracies, sizes = [], [], [], []
    for step, level in enumerate(levels, start=1):
        if ctl.stop_requested:
            yield Finished("stopped", {**summary, "steps": step - 1, "seconds": round(time.perf_counter() - start, 3)})
            return
        pruned, share = prune_copy(model, level)
        accuracy, loss = accuracy_and_loss(pruned, tensors.test_x, tensors.test_y)
        size = sparse_bytes(pruned) if level else dense_bytes(pruned)
        measured.append(round(share, 6))
        accuracies.append(accuracy)
        sizes.append(size)
        yield Progress(step=step, loss=loss, values={"pruned_x": size, "pruned": accuracy, "sparsity": share})
        rows.append([_("dense float32") if not level else _("pruned {share}").format(share=_percent(level)),
                     _percent(share), size, _percent(accuracy)])
    quantised, int8_size = int8_copy(model)
    int8_accuracy, int8_loss = accuracy_and_loss(quantised, tensors.test_x, tensors.test_y)
    yield Progress(step=len(levels) + 1, loss=int8_loss, values={"int8_x": int8_size, "int8": int8_accuracy})
    rows.append([_("int8, one scale per unit"), "—", int8_size, _percent(int8_accuracy)])
    yield Artifact("table", {"title": _("Model size and test accuracy"),
                             "columns": [_("model"), _("zero weights"), _("bytes"), _("test accuracy")],
                             "rows": rows})
    yield Finished("completed", {
        **summary, "steps": len(levels) + 1, "seconds": round(time.perf_counter() - start, 3),
        "dense_accuracy": accuracies[0], "dense_bytes": sizes[0], "int8_accuracy": int8_accuracy,
        "int8_bytes": int8_size, "sparsities": measured, "pruned_accuracy": accuracies, "pruned_bytes": sizes,
        "message": _("Dense: {dense_bytes} bytes, test accuracy {dense}; int8: {int8_bytes} bytes, {int8}; pruned "
                     "{share}: {pruned_bytes} bytes, {pruned}.").format(
            dense_bytes=f"{sizes[0]:,}", dense=f"{accuracies[0]:.1%}", int8_bytes=f"{int8_size:,}",
            int8=f"{int8_accuracy:.1%}", share=f"{measured[-1]:.0%}", pruned_bytes=f"{sizes[-1]:,}",
            pruned=f"{accuracies[-1]:.1%}")})


ENGINE = EngineSpec(
    name="gen.compress",
    title="Pruning and int8: accuracy against model size",
    params=(*base_params(subset=0),
            Param("sparsities", str, ",".join(f"{s:g}" for s in SPARSITIES),
                  N_("shares of the weights to prune, smallest magnitudes first, separated by commas"))),
    run=run,
    needs_torch=True,
    smoke={"dataset": "synthetic", "subset": 500, "epochs": 1, "sparsities": "0.5,0.9"},
)
