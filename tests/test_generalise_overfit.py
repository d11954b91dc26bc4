"""gen.overfit on the generated images: overfitting shows, and each cure does what it should."""

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engines.core.events import Artifact, Evaluated, Failed, Finished, Progress, Started  # noqa: E402
from engines.core.runtime import Control, run_engine  # noqa: E402
from engines.generalise import cures, data, overfit  # noqa: E402
from engines.generalise.defaults import VALIDATION_IMAGES  # noqa: E402
from engines.generalise.measure import accuracy_and_loss  # noqa: E402

SMALL = {"dataset": "synthetic", "subset": 60, "epochs": 30, "batch_size": 20}
_GENERATED = functools.lru_cache(maxsize=1)(data.synthetic)


@pytest.fixture(autouse=True)
def generated_once(monkeypatch):
    """The generated images are the same for every run here: make them once (the runs only read them)."""
    monkeypatch.setattr(data, "synthetic", _GENERATED)


def events_of(overrides, ctl=None):
    return list(run_engine(overfit.ENGINE, overrides, ctl or Control()))


def finished(overrides):
    events = events_of(overrides)
    assert isinstance(events[-1], Finished), events[-1]
    return events, events[-1].summary


def test_a_small_subset_overfits_more_than_the_full_set():
    events, small = finished(SMALL)
    _events, full = finished({"dataset": "synthetic", "subset": 0, "epochs": 1, "batch_size": 100})
    assert small["train_accuracy"] == 1.0
    assert small["gap"] > full["gap"] + 0.02
    assert small["gap"] == pytest.approx(small["train_accuracy"] - small["test_accuracy"])


def test_the_events_are_the_contracts():
    events, summary = finished({**SMALL, "epochs": 4})
    started = events[0]
    assert isinstance(started, Started) and started.total_steps == 4 * 3
    progress = [e for e in events if isinstance(e, Progress)]
    evaluated = [e for e in events if isinstance(e, Evaluated)]
    assert [p.step for p in progress] == [3, 6, 9, 12] and [p.epoch for p in progress] == [1, 2, 3, 4]
    assert [e.epoch for e in evaluated] == [1, 2, 3, 4]
    assert set(evaluated[0].metrics) == {"train_accuracy", "test_accuracy", "train_loss", "test_loss", "gap"}
    notes = [e.payload for e in events if isinstance(e, Artifact) and e.kind == "note"]
    assert len(notes) == 1 and "No cure" in notes[0]
    assert summary["steps"] == 12 and summary["epochs_run"] == 4 and "best_epoch" not in summary
    assert summary["test_accuracy"] == evaluated[-1].metrics["test_accuracy"]


def test_weight_decay_shrinks_the_weight_norm():
    _e, plain = finished(SMALL)
    _e, decayed = finished({**SMALL, "weight_decay": 3.0})
    assert decayed["weight_norm"] < 0.9 * plain["weight_norm"]


def test_l1_shrinks_the_sum_of_absolute_weights():
    def trained_l1(l1):
        model = cures.build_model(32, 0.0)
        torch.manual_seed(0)
        for p in model.parameters():
            torch.nn.init.normal_(p, std=0.05)
        optimizer = cures.optimizer(model, 0.01, 0.0, "cpu")
        x = torch.randn(64, 1, 28, 28, generator=torch.Generator().manual_seed(1))
        y = torch.arange(64) % 10
        for _ in range(50):
            loss = torch.nn.functional.cross_entropy(model(x), y) + l1 * cures.l1_sum(model)
            model.zero_grad()
            loss.backward()
            optimizer.step()
        return float(cures.l1_sum(model).detach())

    assert trained_l1(1e-3) < 0.8 * trained_l1(0.0)


def test_the_engine_applies_l1_and_the_note_names_it():
    events, summary = finished({**SMALL, "epochs": 10, "l1": 1e-3})
    _e, plain = finished({**SMALL, "epochs": 10})
    assert summary["weight_l1"] < plain["weight_l1"]
    note = next(e.payload for e in events if isinstance(e, Artifact) and e.kind == "note")
    assert "L1" in note


def test_dropout_is_active_in_training_only():
    torch.manual_seed(0)
    model = cures.build_model(64, 0.5)
    plain = cures.build_model(64, 0.0)
    plain.load_state_dict(model.state_dict())  # the same weights, no dropout layer
    x = torch.randn(8, 1, 28, 28)
    model.train()
    assert not torch.equal(model(x), model(x))
    accuracy, loss = accuracy_and_loss(model, x, torch.arange(8))
    assert model.training  # measuring puts the mode back
    assert (accuracy, loss) == accuracy_and_loss(plain, x, torch.arange(8))


def test_augmentation_shifts_each_image_within_the_limit():
    torch.manual_seed(0)
    images = torch.zeros(200, 1, 28, 28)
    images[:, 0, 13, 13] = 1.0  # one bright pixel: where it lands is the image's shift
    shifted = cures.shift_images(images, 2, background=-0.5)
    assert shifted.shape == images.shape
    rows, cols = [], []
    for picture in shifted[:, 0]:
        (r, c) = (picture == 1.0).nonzero()[0].tolist()
        rows.append(r - 13)
        cols.append(c - 13)
    assert set(rows) == set(cols) == {-2, -1, 0, 1, 2}
    edges = torch.cat([shifted[:, 0, :2].flatten(), shifted[:, 0, -2:].flatten()])
    assert (edges == -0.5).any()  # some image moved up or down: its uncovered rows are background
    assert set(np.unique(shifted.numpy())) <= {-0.5, 0.0, 1.0}


def test_augmented_runs_train_on_shifted_images():
    _e, plain = finished({**SMALL, "epochs": 5})
    _e, augmented = finished({**SMALL, "epochs": 5, "augment": True})
    assert augmented["train_loss"] != plain["train_loss"]


def test_early_stopping_stops_and_restores_the_best_epoch():
    events, summary = finished({**SMALL, "epochs": 200, "early_stopping": 3})
    evaluated = [e for e in events if isinstance(e, Evaluated)]
    assert all("val_accuracy" in e.metrics for e in evaluated)
    best = max(evaluated, key=lambda e: (e.metrics["val_accuracy"], -e.epoch))
    assert summary["epochs_run"] < 200 and summary["epochs_run"] == len(evaluated)
    assert summary["best_epoch"] == best.epoch == summary["epochs_run"] - 3
    # The final figures are those of the best epoch's weights, not the last epoch's.
    assert summary["test_accuracy"] == best.metrics["test_accuracy"]
    assert summary["train_accuracy"] == best.metrics["train_accuracy"]


def test_held_out_images_lie_outside_the_subset_and_the_subset_does_not_change():
    train, held = overfit.split(5000, 300, VALIDATION_IMAGES, seed=4)
    assert len(train) == 300 and len(held) == VALIDATION_IMAGES and not set(train) & set(held)
    plain, none = overfit.split(5000, 300, 0, seed=4)
    assert none is None and list(plain) == list(train)
    everything, held = overfit.split(5000, 0, VALIDATION_IMAGES, seed=4)
    assert len(everything) == 5000 - VALIDATION_IMAGES and not set(everything) & set(held)


@pytest.mark.parametrize("overrides, words", [
    ({"subset": 7000}, "subset must be at most 6000"),
    ({"subset": 5500, "early_stopping": 2}, "early_stopping holds out"),
    ({"subset": 30, "batch_size": 50}, "batch_size is 50"),
    ({"dropout": 0.95}, "dropout must be"),
])
def test_bad_parameters_get_one_sentence(overrides, words):
    events = events_of({"dataset": "synthetic", "epochs": 1, **overrides})
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert words in events[0].message and events[0].message.count(". ") == 0


def test_a_stop_request_ends_the_run_as_stopped():
    ctl = Control()
    events = []
    for event in run_engine(overfit.ENGINE, {**SMALL, "epochs": 500}, ctl):
        events.append(event)
        if isinstance(event, Evaluated) and event.epoch == 2:
            ctl.stop()
    assert isinstance(events[-1], Finished) and events[-1].reason == "stopped"
    assert events[-1].summary["epochs_run"] == 2 and 0 <= events[-1].summary["test_accuracy"] <= 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_every_cure_runs_on_cuda():
    from engines.core.device import detect

    overrides = {**SMALL, "epochs": 6, "weight_decay": 1.0, "l1": 1e-4, "dropout": 0.5, "augment": True,
                 "early_stopping": 2}
    events = events_of(overrides, Control(device=detect("cuda")))
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert events[0].device.startswith("cuda") and 0 < events[-1].summary["test_accuracy"] <= 1
