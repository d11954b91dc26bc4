"""Transfer with few labels (``gen.transfer``): what a pretrained network is worth.

The small CNN of the MNIST lesson is pretrained on classes 0–4 (of the target dataset,
or of ``source``: the cross-dataset variant), once, and cached (``pretrain``). Then the
other classes, 5–9, are learnt from a few labelled images each (``labels``: 10, 50, 200
per class) three ways, each with the same number of steps of Adam (the probe at ten times
the rate, ``PROBE_LR_SCALE``):

* ``scratch``: a freshly initialised CNN;
* ``finetune``: every layer starts from the pretrained weights, with a new head, and all train;
* ``probe``: the pretrained body is frozen and only a new head (one linear layer on its
  256 features) trains — a linear probe.

Each is tested on all test images of classes 5–9. Every image is normalised with the
pretraining images' mean and deviation, so that the pretrained body sees its inputs as it
learnt them (also from another dataset). Events: ``Started``; ``Artifact("note")``
saying what is learnt from what; one ``Progress`` per pretraining epoch (when it trains);
``Artifact("note")`` on the pretrained network (trained or read from the cache, its
accuracy on its own classes); one ``Progress`` per model with values ``{way}_x`` (labels
per class) and ``{way}`` (test accuracy), so the three ways draw three paths; an
``Artifact("table")`` of the accuracies; ``Finished`` with ``steps``, ``seconds``,
``pretrain_seconds`` (how long the pretraining took, also when read from the cache),
``pretrain_accuracy``, ``pretrain_cached``, ``labels`` and per way the list of accuracies by
label count.
"""

from __future__ import annotations

import math
import time
from typing import Any, Iterator

from engines.core.events import Artifact, Event, Failed, Finished, Progress, Started, alternative_run
from engines.core.params import Param, ParamError
from engines.core.runtime import Control, EngineSpec
from engines.generalise import data, defaults
from engines.generalise.measure import accuracy_and_loss
from lab_i18n import N_, _

WAYS = ("scratch", "finetune", "probe")
WAY_TITLES = {"scratch": N_("from scratch"), "finetune": N_("fine-tuned"), "probe": N_("linear probe")}
SOURCES = ("same", "mnist", "fashion-mnist")
PRETRAIN_EPOCHS = 2
STEPS = 150  # per model: the same budget for every way and label count
BATCH = 50
MAX_LABELS = 1000
# A lone linear layer on fixed features takes a larger step: at the shared rate, 150 steps
# left the probe underfitted (Fashion-MNIST, 10 labels per class: 76 % against 83 % at 10×).
PROBE_LR_SCALE = 10.0

PARAMS = (
    Param("dataset", str, "fashion-mnist", N_("the images whose classes 5–9 are learnt from few labels"),
          choices=data.DATASETS),
    Param("source", str, "same", N_("pretrain on classes 0–4 of: same (this dataset), mnist or fashion-mnist "
                                    "(another dataset: the cross-dataset variant)"), choices=SOURCES),
    Param("labels", str, ",".join(map(str, defaults.LABELS_PER_CLASS)),
          N_("labelled training images per class, separated by commas (each 1 to 1000)")),
    Param("pretrain_epochs", int, PRETRAIN_EPOCHS, N_("passes over the pretraining images"), minimum=1, maximum=50),
    Param("steps", int, STEPS, N_("training steps of each model (the same for every way and label count)"),
          minimum=1, maximum=100_000),
    Param("lr", float, 1e-3, N_("learning rate of Adam (the linear probe takes ten times this)"), minimum=0.0,
          exclusive_minimum=True, maximum=1.0),
    Param("seed", int, 0, N_("seed of the pretraining, the labelled images and the new weights"), minimum=0,
          maximum=2**31 - 1),
)


def parse_labels(text: str) -> list[int]:
    """``"10,50,200"`` → [10, 50, 200] (sorted, once each), or a ParamError."""
    counts = set()
    for part in text.replace(" ", "").split(","):
        if not part.isdigit() or not 1 <= int(part) <= MAX_LABELS:
            raise ParamError(_("labels must be whole numbers from 1 to {most} separated by commas, such as 10,50,200; "
                               "not {given}.").format(most=MAX_LABELS, given=repr(text)))
        counts.add(int(part))
    return sorted(counts)


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    counts = parse_labels(config["labels"])
    source = config["dataset"] if config["source"] == "same" else config["source"]
    if source != config["dataset"] and not _on_this_computer(source, ctl):
        yield Failed(_("The source dataset {source} is not on this computer, so nothing can be pretrained on it.")
                     .format(source=source),
                     _("Pretrain on the same dataset (source=same), or put {source} into the data folder first.")
                     .format(source=source),
                     alternative_run(_("pretrain on the same dataset"), {"source": "same"}))
        return

    import torch

    from engines.training.base import setup_device

    start = time.perf_counter()
    device = setup_device(ctl)
    # Tiny gradients near a loss of zero become denormal floats, which the CPU computes
    # with many times slower (a 150-step model took 3× longer); flushing them to zero loses nothing.
    torch.set_flush_denormal(True)
    try:
        yield from _run(config, ctl, counts, source, device, start)
    finally:
        torch.set_flush_denormal(False)


def _run(config: dict[str, Any], ctl: Control, counts: list[int], source: str, device: Any,
         start: float) -> Iterator[Event]:
    import numpy as np
    import torch

    from engines.core.device import cpu_device
    from engines.generalise import pretrain

    if device.kind == "cpu":
        torch.set_num_threads(max(1, device.threads))  # the CNN's convolutions use every core they get
    target = yield from data.fetch(config["dataset"], ctl)
    if target is None:
        return
    images = target
    if source != config["dataset"]:
        images = yield from data.fetch(source, ctl, download=False)
        if images is None:
            return
    classes, seed, epochs = defaults.PRETRAIN_CLASSES, config["seed"], config["pretrain_epochs"]
    path = pretrain.cache_path(source, classes, epochs, seed)
    cached, problem = pretrain.read_cached(path, source, classes, epochs, seed)
    pretrain_steps = 0 if cached else epochs
    total = pretrain_steps + len(WAYS) * len(counts)
    label = cpu_device(torch.get_num_threads()).label if device.kind == "cpu" else device.label
    yield Started(device=label, config=dict(config), total_steps=total, seed=seed)
    yield Artifact("note", _("Pretraining on {source}, classes {pretrain}; learning {target}, classes {learn}, from "
                             "{labels} labelled images per class, {steps} steps for each model.").format(
        source=_(images.title), pretrain=_names(images, classes), target=_(target.title),
        learn=_names(target, defaults.TARGET_CLASSES), labels=", ".join(map(str, counts)), steps=config["steps"]))
    if problem:
        yield Artifact("note", _("The cached pretrained network was not used: {problem} It is trained again.")
                       .format(problem=problem))
    pretrained = cached
    if pretrained is None:
        pretrained, done = yield from pretrain.train(images, classes, epochs, seed, device.name, ctl, path, problem)
        if pretrained is None:
            if ctl.stop_requested:  # else it diverged, and said so
                yield Finished("stopped", _summary(start, done, None, {}, counts))
            return
    yield Artifact("note", _pretrain_note(pretrained, images, classes, epochs))

    picked = data.per_class(target.train_labels, defaults.TARGET_CLASSES, max(counts), seed)
    test_index = np.flatnonzero(np.isin(target.test_labels, defaults.TARGET_CLASSES))
    tensors = data.to_tensors(target, device.name, picked, test_index, (pretrained.mean, pretrained.std))
    remap = pretrain.remap_labels(defaults.TARGET_CLASSES, device.name)
    train_y, test_y = remap[tensors.train_y], remap[tensors.test_y]
    results: dict[str, list[float]] = {way: [] for way in WAYS}
    step = pretrain_steps
    for n in counts:
        chosen = np.flatnonzero(np.isin(picked, data.per_class(target.train_labels, defaults.TARGET_CLASSES, n, seed)))
        rows = torch.from_numpy(chosen).to(device.name)
        for way in WAYS:
            if ctl.stop_requested:
                yield Finished("stopped", _summary(start, step, pretrained, results, counts))
                return
            model = start_model(way, pretrained, len(defaults.TARGET_CLASSES), seed, device.name)
            loss = fit(model, way, tensors.train_x[rows], train_y[rows], config, ctl)
            if loss is None:
                yield Finished("stopped", _summary(start, step, pretrained, results, counts))
                return
            step += 1
            if not math.isfinite(loss):
                yield Finished("diverged", {"step": step, "loss": loss, "message": _(
                    "The loss of the {way} model at {n} labels per class became {loss}; lower lr and run again.")
                    .format(way=_(WAY_TITLES[way]), n=n, loss=loss)})
                return
            accuracy, _loss = accuracy_and_loss(model, tensors.test_x, test_y)
            results[way].append(accuracy)
            yield Progress(step=step, loss=loss, values={f"{way}_x": n, way: accuracy})
    yield Artifact("table", {
        "title": _("Test accuracy on {target}, classes {learn}").format(
            target=_(target.title), learn=_names(target, defaults.TARGET_CLASSES)),
        "columns": [_("labels per class"), *(_(WAY_TITLES[way]) for way in WAYS)],
        "rows": [[n, *(f"{100 * results[way][i]:.1f} %" for way in WAYS)] for i, n in enumerate(counts)]})
    summary = _summary(start, step, pretrained, results, counts)
    summary["message"] = _("With {n} labels per class: from scratch {scratch}, fine-tuned {finetune}, linear probe "
                           "{probe}.").format(n=counts[0], **{way: f"{results[way][0]:.1%}" for way in WAYS})
    yield Finished("completed", summary)


def _on_this_computer(dataset: str, ctl: Control) -> bool:
    from engines.mnist import data as mnist_data

    return mnist_data.locate(mnist_data.dataset_info(dataset), ctl.data_root()) is not None


def _names(images: data.Images, classes: tuple[int, ...]) -> str:
    return ", ".join(images.classes[c] for c in classes)


def _pretrain_note(pretrained: Any, images: data.Images, classes: tuple[int, ...], epochs: int) -> str:
    figures = dict(title=_(images.title), classes=_names(images, classes), epochs=epochs, images=pretrained.images,
                   seconds=f"{pretrained.seconds:.1f}", accuracy=f"{100 * pretrained.accuracy:.1f} %",
                   path=pretrained.path)
    if pretrained.cached:
        return _("The pretrained network was read from the cache {path} (trained once on {images} images of {title}, "
                 "classes {classes}, {epochs} epochs, in {seconds} s): {accuracy} on those classes' test images.") \
            .format(**figures)
    return _("Pretrained on {images} images of {title}, classes {classes}, {epochs} epochs, in {seconds} s: "
             "{accuracy} on those classes' test images; cached in {path}.").format(**figures)


def start_model(way: str, pretrained: Any, outputs: int, seed: int, device: str) -> Any:
    """The network a way starts from: fresh (scratch) or the pretrained body with a new head,
    the same new head for fine-tuning and the probe; the probe's body is frozen."""
    import torch

    from engines.generalise import pretrain

    torch.manual_seed(seed)
    model = pretrain.build(outputs)
    if way != "scratch":
        head = getattr(model, pretrain.HEAD)
        body = {name: value for name, value in pretrained.state.items() if not name.startswith(pretrain.HEAD + ".")}
        model.load_state_dict({**body, **{f"{pretrain.HEAD}.{k}": v for k, v in head.state_dict().items()}})
    if way == "probe":
        for name, parameter in model.named_parameters():
            parameter.requires_grad_(name.startswith(pretrain.HEAD + "."))
    return model.to(device)


def fit(model: Any, way: str, x: Any, y: Any, config: dict[str, Any], ctl: Control) -> float | None:
    """Train ``steps`` steps on (x, y) in shuffled batches; return the mean loss of the last
    tenth of the steps, or None when stopped. The probe computes the frozen features once."""
    import torch

    from engines.generalise import pretrain

    head = getattr(model, pretrain.HEAD)
    trained = head if way == "probe" else model
    if way == "probe":
        with torch.no_grad():
            x = model[:-1](x)  # every layer before the head: the frozen features
    lr = config["lr"] * (PROBE_LR_SCALE if way == "probe" else 1.0)
    optimizer = torch.optim.Adam(trained.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(config["seed"])
    steps, batch = config["steps"], min(BATCH, len(y))
    order, offset = torch.randperm(len(y), generator=generator).to(x.device), 0
    last = torch.zeros((), device=x.device)
    tail = max(1, steps // 10)
    for step in range(steps):
        ctl.poll()
        if ctl.stop_requested:
            return None
        if offset + batch > len(y):
            order, offset = torch.randperm(len(y), generator=generator).to(x.device), 0
        index = order[offset:offset + batch]
        offset += batch
        loss = torch.nn.functional.cross_entropy(trained(x[index]), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step >= steps - tail:
            last += loss.detach()
    return float(last) / tail


def _summary(start: float, step: int, pretrained: Any, results: dict[str, list[float]],
             counts: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"steps": step, "seconds": round(time.perf_counter() - start, 2), "labels": counts,
                           **{way: results.get(way, []) for way in WAYS}}
    if pretrained is not None:
        out.update(pretrain_seconds=round(pretrained.seconds, 2), pretrain_accuracy=pretrained.accuracy,
                   pretrain_cached=pretrained.cached)
    return out


ENGINE = EngineSpec(
    name="gen.transfer",
    title="Transfer with few labels: from scratch, fine-tuned, linear probe",
    params=PARAMS,
    run=run,
    needs_torch=True,
    smoke={"dataset": "synthetic", "labels": "10", "pretrain_epochs": 1, "steps": 20},
)
