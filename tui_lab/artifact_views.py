"""What each kind of engine artifact looks like on screen.

A run step lists the kinds it wants (``artifacts = ["samples", "confusion_matrix", …]``);
the step shows the newest artifact of each kind through the view registered here.
Views are pure functions payload → Rich renderable (no Textual), so they are tested
directly and usable anywhere.
"""

from __future__ import annotations

from typing import Any, Callable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from lab_i18n import _
from tui_lab import render


def _title(text: str) -> Text:
    return Text(text, style="bold")


def samples(payload: dict[str, Any]) -> RenderableType:
    """One training image per class, and how many images each class has."""
    labels = [str(label) for label in payload.get("labels", [])]
    images = payload.get("images", [])
    parts: list[RenderableType] = [_title(_("One training image per class")),
                                   render.digits_row([(img["pixels"], _name(labels, img["label"])[:28]) for img in images])]
    counts = payload.get("class_counts", [])
    if counts:
        total = sum(counts) or 1
        parts.append(_title(_("Class balance of the training set")))
        parts.append(render.bars(labels, [c / total for c in counts], width=20, fmt="{:.1%}"))
    return Group(*parts)


def _name(labels: list[str], index: int) -> str:
    return labels[index] if 0 <= index < len(labels) else str(index)


def model(payload: dict[str, Any]) -> RenderableType:
    title = _("{model} · {count} parameters").format(model=payload.get("model"), count=f"{payload.get('parameters', 0):,}")
    table = Table(title=title,
                  title_justify="left", box=None, padding=(0, 1))
    table.add_column(_("layer"))
    table.add_column(_("shape"))
    table.add_column(_("parameters"), justify="right")
    for layer in payload.get("layers", []):
        table.add_row(layer["name"], " × ".join(str(d) for d in layer["shape"]), f"{layer['parameters']:,}")
    description = payload.get("description")
    return Group(Text(description, style="dim"), table) if description else table


def confusion_matrix(payload: dict[str, Any]) -> RenderableType:
    labels = [str(label) for label in payload.get("labels", [])]
    matrix = payload.get("matrix", [])
    total = sum(sum(row) for row in matrix) or 1
    right = sum(matrix[i][i] for i in range(len(matrix)))
    mistakes = sorted(
        ((matrix[i][j], labels[i], labels[j]) for i in range(len(matrix)) for j in range(len(matrix)) if i != j),
        reverse=True,
    )[:3]
    worst = ", ".join(f"{t}→{p} ×{n}" for n, t, p in mistakes if n) or _("none")
    caption = Text(_("{right}/{total} right ({share}); most frequent mistakes: {worst}").format(
        right=f"{right:,}", total=f"{total:,}", share=f"{right / total:.2%}", worst=worst))
    title = _("Confusion matrix (epoch {epoch}): rows true, columns predicted").format(epoch=payload.get("epoch", "?"))
    return Group(_title(title),
                 render.confusion(labels, matrix), caption)


def worst_images(payload: list[dict[str, Any]], labels: list[str] | None = None) -> RenderableType:
    """The misclassified test images the model was most sure about."""
    shown = payload[:10]
    if not shown:
        return Text(_("No misclassified test images."))
    names = labels or [str(i) for i in range(10)]
    captions = [f"{_name(names, img['label'])}→{_name(names, img['predicted'])} {img['confidence']:.0%}"[:28]
                for img in shown]
    return Group(_title(_("Misclassified test images (true → predicted, confidence)")),
                 render.digits_row([(img["pixels"], caption) for img, caption in zip(shown, captions)]))


def health(payload: dict[str, Any]) -> RenderableType:
    """Per layer: gradient norm, share of dead ReLUs, and weight histograms now vs at start."""
    table = Table(title=_("Network health at step {step}").format(step=payload.get("step", "?")), title_justify="left",
                  box=None, padding=(0, 1))
    table.add_column(_("layer"))
    table.add_column("‖grad‖", justify="right")
    table.add_column(_("dead ReLUs"), justify="right")
    table.add_column(_("weights now"))
    table.add_column(_("at start"))
    for layer in payload.get("layers", []):
        dead = layer.get("dead_relu_share")
        dead_text = Text("—" if dead is None else f"{dead:.0%}", style="bold red" if (dead or 0) > 0.5 else "")
        table.add_row(
            layer["name"], f"{layer.get('grad_norm', 0):.3g}", dead_text,
            render.sparkline(layer.get("weight_hist", [])), Text(render.sparkline(layer.get("init_hist", [])), style="dim"),
        )
    return table


def download(payload: dict[str, Any]) -> RenderableType:
    done, total = payload.get("done_bytes", 0), payload.get("total_bytes")
    name = payload.get("file", "data")
    if total:
        share = done / total
        bar = "█" * int(share * 30) + "░" * (30 - int(share * 30))
        return Text(_("Downloading {name}: {bar} {done}/{total} MB").format(
            name=name, bar=bar, done=f"{done / 1e6:.1f}", total=f"{total / 1e6:.1f}"))
    return Text(_("Downloading {name}: {done} MB").format(name=name, done=f"{done / 1e6:.1f}"))


def probabilities(payload: dict[str, Any], labels: list[str] | None = None) -> RenderableType:
    probs = payload.get("probs", [])
    names = labels or [str(i) for i in range(len(probs))]
    best = max(range(len(probs)), key=probs.__getitem__) if probs else None
    return Group(_title(_("The model's probabilities")), render.bars(names, probs, width=24, highlight=best))


def table(payload: dict[str, Any]) -> RenderableType:
    """A titled table whose cells the engine formatted (numbers shown with 4 digits)."""
    shown = Table(title=str(payload.get("title", "")), title_justify="left", box=None, padding=(0, 1))
    columns = [str(c) for c in payload.get("columns", [])]
    for i, column in enumerate(columns):
        shown.add_column(column, justify="left" if i == 0 else "right")
    for row in payload.get("rows", []):
        shown.add_row(*(f"{cell:.4g}" if isinstance(cell, float) else str(cell) for cell in row[:len(columns)]))
    return shown


def images(payload: dict[str, Any]) -> RenderableType:
    """Small greyscale pictures side by side, each with its caption."""
    pictures = [(image["pixels"], str(image.get("caption", ""))[:28]) for image in payload.get("images", [])]
    return Group(_title(str(payload.get("title", ""))), render.digits_row(pictures))


VIEWS: dict[str, Callable[..., RenderableType]] = {
    "table": table,
    "images": images,
    "samples": samples,
    "model": model,
    "confusion_matrix": confusion_matrix,
    "worst_images": worst_images,
    "health": health,
    "download": download,
    "probabilities": probabilities,
}
