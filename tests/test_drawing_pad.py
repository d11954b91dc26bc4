"""The drawing pad (MNIST step 10) finds a trained model, offers the others, or trains one.

Models are trained in-process on tiny generated datasets in MNIST's on-disk format, saved
where the lab keeps checkpoints; the lab runs with a data root holding only Fashion-MNIST,
so the lesson's dataset is Fashion-MNIST whatever this machine has."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from textual.widgets import OptionList

from engines.core.device import cpu_device
from engines.core.events import Artifact, Evaluated, Failed, Finished, Started
from engines.core.runtime import Control, run_engine
from engines.mnist import engine as mnist
from engines.mnist.checkpoint_paths import default_checkpoint, trained_models
from engines.mnist.infer import INFER, quick_training_seconds
from engines.training.checkpoint_summary import read_summary

from conftest import of
from mnist_fixtures import write_root
from pilot import feedback_shows, step_done, text_shown, wait_until

LESSON, PAD = "mnist", 10
SIZES = [(80, 24), (120, 40)]
SLOW = 120  # seconds: a hang guard for the engine process on a loaded machine


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """A Fashion-MNIST CNN and an MNIST MLP, each one epoch on 200 generated images."""
    folder = tmp_path_factory.mktemp("trained")
    paths = {}
    for dataset, model in (("fashion-mnist", "cnn"), ("mnist", "mlp-128")):
        root = folder / f"{dataset}-data"
        write_root(root, dataset, train=200, test=100)
        path = folder / f"mnist-{dataset}-{model}.pt"
        events = list(run_engine(mnist.TRAIN, {"dataset": dataset, "model": model, "epochs": 1, "batch_size": 50,
                                               "checkpoint": str(path)},
                                 Control(device=cpu_device(), data_dir=str(root))))
        assert isinstance(events[-1], Finished) and events[-1].reason == "completed", events[-1]
        paths[dataset] = path
    return paths


def saved_in_the_lab(path: Path) -> Path:
    """``path`` copied to where the lab keeps checkpoints, under the name training gives it."""
    state = read_summary(path)
    target = default_checkpoint(state["dataset"], state["model"])
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target)
    return target


@pytest.fixture
def pad_lab(open_lab, tmp_path):
    """``async with pad_lab(size) as pilot``: the lab at the drawing pad, Fashion-MNIST on disk."""
    root = tmp_path / "fashion-data"
    write_root(root, "fashion-mnist", train=200, test=100)
    return lambda size: open_lab(f"{LESSON}:{PAD}", size=size, data_dir=str(root))


def test_a_checkpoint_is_summarised_without_torch_as_torch_reads_it(trained, tmp_path):
    import torch

    saved = torch.load(trained["fashion-mnist"], weights_only=True)
    summary = read_summary(trained["fashion-mnist"])
    assert {k: summary[k] for k in ("dataset", "model", "epoch", "metrics", "config")} == \
        {k: saved[k] for k in ("dataset", "model", "epoch", "metrics", "config")}
    half = tmp_path / "mnist-fashion-mnist-cnn.pt"
    half.write_bytes(trained["fashion-mnist"].read_bytes()[:5000])  # a copy cut short
    assert read_summary(half) is None and trained_models(tmp_path) == []


def test_trained_models_are_listed_newest_first_with_their_accuracy(trained):
    older, newer = saved_in_the_lab(trained["mnist"]), saved_in_the_lab(trained["fashion-mnist"])
    newer.touch()
    models = trained_models()
    assert [m.path for m in models] == [newer, older]
    fashion = models[0]
    accuracy = read_summary(trained["fashion-mnist"])["metrics"]["test_accuracy"]
    assert (fashion.dataset, fashion.model, fashion.epoch, fashion.test_accuracy) == ("fashion-mnist", "cnn", 1,
                                                                                      accuracy)
    assert fashion.describe() == f"Fashion-MNIST · cnn · 1 epoch · {accuracy:.1%}"


@pytest.mark.parametrize("size", SIZES)
async def test_the_pad_finds_the_fashion_cnn_and_answers_a_drawing(pad_lab, trained, size):
    saved_in_the_lab(trained["mnist"])  # another dataset's model, newer: not the one for this lesson
    cnn = saved_in_the_lab(trained["fashion-mnist"])
    async with pad_lab(size) as pilot:
        app = pilot.app
        await wait_until(pilot, lambda: app.session is not None and "model" in app.session.latest,
                         timeout=SLOW, what="the pad's model loaded")
        assert app.session.key == (LESSON, PAD) and app.session.params["checkpoint"] == str(cnn)
        await feedback_shows(pilot, "The cnn trained on Fashion-MNIST (1 epoch")
        assert app.screen.focused is app.screen.query_one("#pad")
        await pilot.press("space", "down", "down", "down", "down", "space")
        await wait_until(pilot, lambda: "probabilities" in app.session.latest, timeout=SLOW, what="a prediction")
        guess = app.session.latest["probabilities"]["label"]
        assert guess in read_summary(cnn)["classes"]
        await text_shown(pilot, guess[:4], within="#probabilities")  # by its name, shortened where narrow
        await step_done(pilot)


@pytest.mark.parametrize("size", SIZES)
async def test_with_only_another_datasets_model_the_list_is_offered_and_enter_picks(pad_lab, trained, size):
    mlp = saved_in_the_lab(trained["mnist"])
    async with pad_lab(size) as pilot:
        app = pilot.app
        await feedback_shows(pilot, "No model trained on Fashion-MNIST yet: pick another below (Enter)")
        listing = app.screen.query_one("#trained-models", OptionList)
        await text_shown(pilot, "MNIST · mlp-128 · 1 epoch", within=listing)  # on screen, not scrolled away
        assert app.screen.focused is listing and app.session is None
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session is not None and "model" in app.session.latest,
                         timeout=SLOW, what="the picked model loaded")
        assert app.session.params["checkpoint"] == str(mlp)
        assert app.session.latest["model"]["dataset"] == "mnist"
        await feedback_shows(pilot, "The mlp-128 trained on MNIST")
        assert not listing.display and app.screen.focused is app.screen.query_one("#pad")


@pytest.mark.parametrize("size", SIZES)
async def test_without_a_model_t_trains_one_after_saying_how_long_it_takes(pad_lab, size):
    async with pad_lab(size) as pilot:
        app = pilot.app
        line = await feedback_shows(pilot, "No trained model yet. Press t to train a small CNN on Fashion-MNIST")
        seconds = re.search(r"about (\d+) s on this CPU", line)
        assert seconds, line
        assert len(line) <= 2 * 80  # one or two lines
        assert app.session is None  # nothing starts before the learner asks
        await pilot.press("t")
        await wait_until(pilot, lambda: app.session is not None, what="the training run to start")
        assert app.session.key == (LESSON, PAD) and app.session.engine == "mnist.infer"
        assert app.session.params["checkpoint"] == "train" and app.session.params["dataset"] == "fashion-mnist"


def test_checkpoint_auto_loads_the_newest_model_of_the_dataset(trained):
    saved_in_the_lab(trained["fashion-mnist"])
    mlp = saved_in_the_lab(trained["mnist"])
    events = list(run_engine(INFER, {"dataset": "mnist", "checkpoint": "auto", "max_seconds": 0.01}, Control()))
    assert of(events, Artifact, "model")[0].payload["checkpoint"] == str(mlp)
    mlp.unlink()
    events = list(run_engine(INFER, {"dataset": "mnist", "checkpoint": "auto"}, Control()))
    assert isinstance(events[-1], Failed) and "no model trained on MNIST" in events[-1].message


def test_checkpoint_train_trains_a_small_model_then_answers_with_it(tmp_path):
    root = tmp_path / "data"
    write_root(root, "fashion-mnist", train=200, test=100)
    ctl = Control(device=cpu_device(), data_dir=str(root))
    engine = run_engine(INFER, {"dataset": "fashion-mnist", "model": "cnn", "checkpoint": "train",
                                "train_images": 100}, ctl)
    seen = []
    for event in engine:
        seen.append(event)
        if isinstance(event, Artifact) and event.kind == "model":
            break
    started = of(seen, Started)
    assert len(started) == 1 and started[0].total_steps == 1  # one epoch of 100 images, one batch
    assert of(seen, Evaluated) and not of(seen, Artifact, "samples")  # its progress, not its pictures
    loaded = seen[-1].payload
    assert loaded["checkpoint"] == str(default_checkpoint("fashion-mnist", "cnn")) and loaded["epoch"] == 1
    ctl.send({"cmd": "predict", "pixels": [0] * 392 + [255] * 392})
    assert next(engine).payload["label"] in loaded["classes"]
    ctl.stop()
    assert list(engine)[-1].reason == "stopped"


def test_the_training_estimate_grows_with_images_and_shrinks_with_cores():
    assert quick_training_seconds(40_000, "cpu", 2) > quick_training_seconds(20_000, "cpu", 2)
    assert quick_training_seconds(20_000, "cpu", 8) < quick_training_seconds(20_000, "cpu", 2)
    assert quick_training_seconds(20_000, "cuda", 2) < quick_training_seconds(20_000, "cpu", 2)
