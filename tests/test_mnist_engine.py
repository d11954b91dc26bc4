"""The MNIST training and inference engines, in-process, on tiny IDX fixtures (CPU)."""

from __future__ import annotations

import gzip
import math
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engines.mnist import data as mnist_data
from engines.mnist import engine as mnist
from engines.mnist import infer as mnist_infer
from engines.mnist import lesson_values as mnist_values
from engines.mnist import models as mnist_models
from engines.core.device import cpu_device
from engines.core.events import Artifact, Evaluated, Failed, Finished, Progress, Started, from_json, to_json
from engines.core.params import ParamError
from engines.core.runtime import Control, run_engine

from conftest import ROOT, cpu_control, losses, of
from mnist_fixtures import FakeServer, served_dataset, write_root

REAL_FASHION = Path("/usr/share/datasets/fashion-mnist")
QUICK = {"epochs": 2, "batch_size": 32, "checkpoint": "off"}


@pytest.fixture
def data_dir(tmp_path):
    """A data root holding a 200/100-image MNIST-format fixture (the real loading path)."""
    write_root(tmp_path / "data", "mnist", train=200, test=100, gz=True, plain=False)
    return str(tmp_path / "data")


def run(data_dir: str, ctl: Control | None = None, **params) -> list:
    return list(run_engine(mnist.TRAIN, params, ctl or cpu_control(data_dir)))


# --- refusals ------------------------------------------------------------------------


@pytest.mark.parametrize("params, words", [
    ({"batch_size": 0}, "batch_size must be a whole number at least 1 and at most 60000, not 0"),
    ({"epochs": -1}, "epochs must be a whole number at least 1"),
    ({"model": "resnet"}, "model must be one of mlp-128, mlp-512, mlp-256-128, mlp-256-128-64, cnn"),
    ({"lr": 0}, "lr must be a number greater than 0"),
    ({"lr": -0.5}, "lr must be a number greater than 0"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, adam"),
    ({"batch_size": 500}, "batch_size is 500 but the training set of the MNIST files in use has only 200 images"),
    ({"subset": 50, "batch_size": 64}, "has only 50 images (subset=50)"),
    ({"resume": "last"}, "there is no checkpoint at"),
])
def test_invalid_parameters_are_refused_before_anything_starts(data_dir, params, words):
    events = run(data_dir, **params)
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert words in events[0].message and events[0].message.endswith(".")
    assert "Valid parameters" in events[0].hint


def test_missing_data_with_downloads_off_fails_with_the_paths(tmp_path):
    events = run(str(tmp_path / "empty"), download=False, dataset="mnist")
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert str(tmp_path / "empty" / "MNIST" / "raw") in events[0].message
    assert "download=false" in events[0].message and "ossci-datasets" in events[0].hint


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """MNIST published by a fake mirror: the engine's own download path, without a network."""
    published, info = served_dataset(tmp_path, train=200, test=100)
    server = FakeServer(published)
    monkeypatch.setitem(mnist_data.DATASETS, "mnist", info)
    monkeypatch.setattr(mnist_data, "_urlopen", server)
    monkeypatch.setattr(mnist_data, "CHUNK", 2048)
    return server


def test_missing_data_is_downloaded_with_progress_before_the_run_starts(tmp_path, mirror):
    events = run(str(tmp_path / "root"), **QUICK)
    started = events.index(of(events, Started)[0])
    downloads = of(events[:started], Artifact, "download")
    assert {d.payload["file"] for d in downloads} == {f"{n}.gz" for n in mnist_data.ALL_FILES}
    for name in mnist_data.ALL_FILES:
        last = [d.payload for d in downloads if d.payload["file"] == f"{name}.gz"][-1]
        assert last["done_bytes"] == last["total_bytes"] > 0
    assert events[-1].reason == "completed" and len(mirror.requested) == 4


def test_stop_during_a_download_leaves_no_partial_file(tmp_path, mirror):
    ctl = cpu_control(str(tmp_path / "root"))
    events = []
    for event in run_engine(mnist.TRAIN, QUICK, ctl):
        events.append(event)
        if isinstance(event, Artifact) and event.kind == "download" and event.payload["done_bytes"]:
            ctl.stop()
    assert isinstance(events[-1], Finished) and events[-1].reason == "stopped"
    assert not of(events, Started) and len(mirror.requested) < 4
    raw = tmp_path / "root" / "MNIST" / "raw"
    for path in raw.iterdir():  # what finished before the stop is kept whole; nothing else is there
        published = (mirror.folder / path.name).read_bytes() if path.suffix == ".gz" else \
            gzip.decompress((mirror.folder / f"{path.name}.gz").read_bytes())
        assert path.read_bytes() == published


# --- a whole run ---------------------------------------------------------------------


def test_a_short_run_learns_and_reports_everything(data_dir):
    events = run(data_dir, epochs=3, batch_size=32, log_every=2, checkpoint="off")
    assert isinstance(events[0], Started) and events[0].total_steps == 3 * 7
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert [from_json(to_json(e)) for e in events] == events  # everything crosses the pipe as JSON
    progress = of(events, Progress)
    assert [p.step for p in progress][:4] == [2, 4, 6, 7]  # every 2 steps and at each epoch's end
    assert all(p.samples_per_s and p.samples_per_s > 0 and math.isfinite(p.loss) for p in progress)
    evaluations = of(events, Evaluated)
    assert [e.epoch for e in evaluations] == [1, 2, 3]
    final = evaluations[-1].metrics
    assert final["test_accuracy"] >= 0.8  # chance is 0.1; mixed-up images and labels stay there
    assert final["train_loss"] < evaluations[0].metrics["train_loss"]
    assert 0 <= final["train_accuracy"] <= 1 and final["test_loss"] > 0
    assert events[-1].summary["test_accuracy"] == final["test_accuracy"] and events[-1].summary["steps"] == 21

    matrix = of(events, Artifact, "confusion_matrix")[-1].payload
    assert len(matrix["labels"]) == 10 and [len(row) for row in matrix["matrix"]] == [10] * 10
    assert sum(map(sum, matrix["matrix"])) == 100
    assert sum(matrix["matrix"][i][i] for i in range(10)) / 100 == final["test_accuracy"]

    worst = of(events, Artifact, "worst_images")[-1].payload
    assert len(worst) == min(16, round((1 - final["test_accuracy"]) * 100))
    for item in worst:
        assert item["predicted"] != item["label"] and 0 < item["confidence"] <= 1
        assert matrix["matrix"][item["label"]][item["predicted"]] > 0
        pixels = item["pixels"]
        assert len(pixels) == 28 and all(len(row) == 28 for row in pixels)
        assert all(isinstance(v, int) and 0 <= v <= 255 for row in pixels for v in row)

    samples = of(events, Artifact, "samples")[0].payload
    assert sum(samples["class_counts"]) == 200 and sum(samples["test_class_counts"]) == 100
    assert sorted(image["label"] for image in samples["images"]) == list(range(10))

    model = of(events, Artifact, "model")[0].payload
    assert model["parameters"] == mnist_models.parameter_count("mlp-128") == 784 * 128 + 128 + 128 * 10 + 10

    health = of(events, Artifact, "health")[-1].payload
    shapes = mnist_models.layer_shapes("mlp-128")
    assert [layer["name"] for layer in health["layers"]] == [s["name"] for s in shapes]
    for layer, shape in zip(health["layers"], shapes):
        weights = math.prod(shape["shape"])
        assert sum(layer["weight_hist"]) == sum(layer["init_hist"]) == weights
        assert layer["grad_norm"] > 0
    assert 0 <= health["layers"][0]["dead_relu_share"] <= 1 and health["layers"][-1]["dead_relu_share"] is None


def test_the_cnn_trains_on_the_same_path(data_dir):
    events = run(data_dir, model="cnn", epochs=2, batch_size=50, checkpoint="off")
    assert of(events, Evaluated)[-1].metrics["test_accuracy"] >= 0.6
    health = of(events, Artifact, "health")[-1].payload
    assert [layer["name"] for layer in health["layers"]] == ["conv1", "conv2", "fc1", "out"]


def test_the_same_seed_gives_the_same_loss_curve(data_dir):
    first = losses(run(data_dir, seed=3, log_every=1, **QUICK))
    again = losses(run(data_dir, seed=3, log_every=1, **QUICK))
    other = losses(run(data_dir, seed=4, log_every=1, **QUICK))
    assert len(first) == 14 and first == again
    assert other != first


def test_softmax_twice_cannot_push_the_loss_below_its_floor(data_dir):
    floor = mnist_values.values()["double_softmax_min_loss"]
    events = run(data_dir, double_softmax=True, lr=0.01, epochs=3, batch_size=32, checkpoint="off")
    assert all(loss >= floor - 1e-4 for _, loss in losses(events))
    assert of(events, Evaluated)[-1].metrics["test_loss"] >= floor - 1e-4


def test_a_loss_that_blows_up_ends_the_run_as_diverged_with_advice(data_dir):
    events = run(data_dir, optimizer="sgd", lr=10, epochs=20, batch_size=32, log_every=1, checkpoint="off")
    final = events[-1]
    assert isinstance(final, Finished) and final.reason == "diverged"
    assert "lr=10" in final.summary["message"] and "try lr=1" in final.summary["message"]
    assert final.summary["suggested_lr"] == 1.0
    assert all(math.isfinite(p.loss) for p in of(events, Progress))  # the bad value is not plotted


# --- checkpoints ---------------------------------------------------------------------


def stop_at(spec_params: dict, data_dir: str, step: int) -> list:
    """Run until a Progress event at ``step`` arrives, then press stop."""
    ctl = cpu_control(data_dir)
    events = []
    for event in run_engine(mnist.TRAIN, spec_params, ctl):
        events.append(event)
        if isinstance(event, Progress) and event.step == step:
            ctl.stop()
    return events


@pytest.mark.parametrize("extra", [{}, {"optimizer": "sgd", "momentum": 0.9, "lr": 0.05, "schedule": "onecycle"}])
def test_stop_writes_a_checkpoint_and_resume_continues_exactly(data_dir, tmp_path, extra):
    path = tmp_path / "ckpt" / "run.pt"
    params = {"epochs": 3, "batch_size": 32, "log_every": 2, "seed": 5, **extra}
    whole = run(data_dir, checkpoint="off", **params)
    stopped = stop_at({**params, "checkpoint": str(path)}, data_dir, step=9)  # mid epoch 2
    assert stopped[-1].reason == "stopped" and path.is_file()
    saved = of(stopped, Artifact, "checkpoint")[-1].payload
    assert saved == {"path": str(path), "epoch": 1, "step": 9, "reason": "stopped"}
    assert os.listdir(path.parent) == ["run.pt"]  # the temp file was renamed, not left

    resumed = run(data_dir, checkpoint=str(path), resume="last", **params)
    assert of(resumed, Artifact, "resumed")[0].payload["step"] == 9
    assert resumed[-1].reason == "completed"
    after = [(s, l) for s, l in losses(whole) if s > 9]
    assert [s for s, _ in losses(resumed)] == [s for s, _ in after]
    assert losses(resumed) == pytest.approx(after, rel=1e-5)
    assert [p.lr for p in of(resumed, Progress)] == pytest.approx([p.lr for p in of(whole, Progress) if p.step > 9])
    for key in ("test_accuracy", "train_accuracy"):  # the interrupted epoch's running figures carry over
        assert [e.metrics[key] for e in of(resumed, Evaluated)] == [e.metrics[key] for e in of(whole, Evaluated)[1:]]
    assert of(resumed, Evaluated)[0].metrics["train_loss"] == pytest.approx(of(whole, Evaluated)[1].metrics["train_loss"])


def test_a_failed_checkpoint_write_keeps_the_previous_one(data_dir, tmp_path, monkeypatch):
    import torch

    path = tmp_path / "run.pt"
    run(data_dir, checkpoint=str(path), epochs=1, batch_size=32)
    before = path.read_bytes()

    def full_disk(obj, f, *args, **kwargs):
        f.write(b"half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    events = run(data_dir, checkpoint=str(path), epochs=1, batch_size=32)
    assert isinstance(events[-1], Failed) and "disk is full" in events[-1].message
    assert path.read_bytes() == before
    assert [name for name in os.listdir(tmp_path) if name.startswith(".run.pt")] == []  # no temp file left


def test_an_unusable_checkpoint_place_is_refused_before_training(data_dir, tmp_path):
    events = run(data_dir, checkpoint=str(tmp_path), **{k: v for k, v in QUICK.items() if k != "checkpoint"})
    assert len(events) == 1 and "checkpoint names the folder" in events[0].message
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    events = run(data_dir, checkpoint=str(blocker / "run.pt"), epochs=1)
    assert len(events) == 1 and f"cannot be written to {blocker}" in events[0].message


def test_resuming_a_checkpoint_of_another_model_is_refused(data_dir, tmp_path):
    path = tmp_path / "run.pt"
    run(data_dir, checkpoint=str(path), epochs=1, batch_size=32)
    events = run(data_dir, model="mlp-512", resume=str(path), epochs=2, checkpoint="off")
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert "model=mlp-128" in events[0].message and "set model=mlp-128 or resume=none" in events[0].message
    done = run(data_dir, resume=str(path), epochs=1, checkpoint="off")
    assert "already trained 1 epochs; set epochs above 1" in done[0].message
    path.write_bytes(b"not a checkpoint")
    assert "cannot be read as a checkpoint" in run(data_dir, resume=str(path), epochs=2)[0].message


# --- live commands -------------------------------------------------------------------


class PausingControl(Control):
    """Tells the test when the engine is held by a pause (without any timing)."""

    def __init__(self, data_dir: str) -> None:
        super().__init__(device=cpu_device(1), data_dir=data_dir)
        self.held = threading.Event()

    def poll(self):
        if self.paused:
            self.held.set()
        return super().poll()


def test_pause_holds_the_run_and_set_lr_applies_from_the_next_step(data_dir):
    ctl = PausingControl(data_dir)

    def while_paused():
        assert ctl.held.wait(60), "the engine never reached a pause"
        ctl.send({"cmd": "set_lr", "lr": 0.05})
        ctl.send({"cmd": "resume"})

    helper = threading.Thread(target=while_paused)
    helper.start()
    events = []
    for event in run_engine(mnist.TRAIN, {**QUICK, "log_every": 1}, ctl):
        events.append(event)
        if isinstance(event, Progress) and event.step == 4:
            ctl.send({"cmd": "pause"})
    helper.join()
    ack = of(events, Artifact, "command")
    assert [a.payload for a in ack] == [{"cmd": "set_lr", "step": 4, "applied": True, "lr": 0.05}]
    after_ack = events[events.index(ack[0]):]
    assert [p.lr for p in of(events, Progress) if p.step <= 4] == [0.001] * 4
    assert [p.lr for p in of(after_ack, Progress)] == [0.05] * 10
    assert events[-1].reason == "completed"


def react(data_dir: str, params: dict, on_evaluated_1: list[dict]) -> list:
    """Run, sending ``on_evaluated_1`` when epoch 1's evaluation arrives."""
    ctl = cpu_control(data_dir)
    events = []
    for event in run_engine(mnist.TRAIN, params, ctl):
        events.append(event)
        if isinstance(event, Evaluated) and event.epoch == 1:
            for command in on_evaluated_1:
                ctl.send(command)
    return events


def test_a_tiny_learning_rate_freezes_the_model_at_once(data_dir):
    normal = react(data_dir, QUICK, [])
    frozen = react(data_dir, QUICK, [{"cmd": "set_lr", "lr": 1e-12}])
    first, second = (e.metrics["test_loss"] for e in of(frozen, Evaluated))
    assert second == pytest.approx(first, rel=1e-5)
    normal_first, normal_second = (e.metrics["test_loss"] for e in of(normal, Evaluated))
    assert normal_first == pytest.approx(first) and abs(normal_second - normal_first) > 1e-3


def test_a_live_lr_outside_the_engines_lr_control_is_refused_and_one_inside_applied(data_dir):
    control = mnist.TRAIN.control("lr")
    too_high = control.maximum * 2
    with pytest.raises(ParamError) as refused:
        control.parse(too_high)
    events = react(data_dir, {**QUICK, "log_every": 1},
                   [{"cmd": "set_lr", "lr": too_high}, {"cmd": "set_lr", "lr": 0.05}])
    answers = [a.payload for a in of(events, Artifact, "command")]
    assert answers == [{"cmd": "set_lr", "step": 7, "applied": False, "message": str(refused.value)},
                       {"cmd": "set_lr", "step": 7, "applied": True, "lr": 0.05}]
    assert str(refused.value) == f"lr must be {control.describe()}, not {too_high:g}."
    assert [p.lr for p in of(events, Progress) if p.step > 7] == [0.05] * 7


def test_one_more_epoch_stretches_a_onecycle_schedule(data_dir):
    params = {**QUICK, "schedule": "onecycle", "lr": 0.01, "log_every": 1}
    planned = [p.lr for p in of(react(data_dir, params, []), Progress)]
    events = react(data_dir, params, [{"cmd": "one_more_epoch"}])
    stretched = [p.lr for p in of(events, Progress)]
    assert len(planned) == 14 and len(stretched) == 21 and events[-1].reason == "completed"
    assert stretched[:7] == planned[:7]  # identical until the command
    assert stretched[7] > planned[7]  # then a third of the way into a longer cycle: back near the peak
    assert max(stretched) == pytest.approx(0.01, rel=0.05)
    assert planned[-1] < 1e-5 and stretched[-1] < 1e-5  # both end annealed


def test_one_more_epoch_and_slow_motion(data_dir):
    events = react(data_dir, {**QUICK, "log_every": 100},
                   [{"cmd": "one_more_epoch"}, {"cmd": "slow", "step_seconds": 0.001}, {"cmd": "rewind"},
                    {"cmd": "slow", "step_seconds": 99}])
    acks = [a.payload for a in of(events, Artifact, "command")]
    assert acks[0] == {"cmd": "one_more_epoch", "step": 7, "applied": True, "epochs": 3, "total_steps": 21}
    assert acks[1]["applied"] and acks[1]["step_seconds"] == 0.001
    assert not acks[2]["applied"] and "Unknown command 'rewind'" in acks[2]["message"]
    assert not acks[3]["applied"] and "step_seconds must be a number at least 0 and at most 10" in acks[3]["message"]
    assert [e.epoch for e in of(events, Evaluated)] == [1, 2, 3]
    steps = [p.step for p in of(events, Progress)]
    assert steps == [7] + list(range(8, 22))  # one event per epoch, then one per step in slow motion


# --- inference -----------------------------------------------------------------------


def test_inference_answers_predictions_like_the_evaluation_did(data_dir, tmp_path):
    path = tmp_path / "model.pt"
    trained = run(data_dir, checkpoint=str(path), epochs=2, batch_size=32)
    worst = of(trained, Artifact, "worst_images")[-1].payload
    assert worst, "the fixture run should leave a few test images misclassified"

    ctl = Control(data_dir=data_dir)
    engine = run_engine(mnist_infer.INFER, {"checkpoint": str(path)}, ctl)
    assert isinstance(next(engine), Started)
    info = next(engine).payload
    assert info["model"] == "mlp-128" and info["epoch"] == 2
    for item in worst[:3]:
        pixels = [v for row in item["pixels"] for v in row]
        ctl.send({"cmd": "predict", "pixels": pixels, "center": False})
        answer = next(engine)
        assert answer.kind == "probabilities"
        probs = answer.payload["probs"]
        assert len(probs) == 10 and sum(probs) == pytest.approx(1, abs=1e-4)
        assert answer.payload["predicted"] == item["predicted"] == probs.index(max(probs))
        assert max(probs) == pytest.approx(item["confidence"], abs=1e-3)
    ctl.send({"cmd": "predict", "pixels": [1, 2, 3]})
    refused = next(engine)
    assert refused.kind == "command" and "784 numbers" in refused.payload["message"]
    ctl.send({"cmd": "predict", "pixels": [0] * 784})  # an empty canvas is still answered
    assert next(engine).kind == "probabilities"
    ctl.stop()
    rest = list(engine)
    assert isinstance(rest[-1], Finished) and rest[-1].reason == "stopped"


def test_centering_moves_a_corner_drawing_to_the_middle():
    import torch

    from engines.mnist.drawing import center_like_mnist

    image = torch.zeros(28, 28)
    image[0:6, 0:3] = 1.0  # a small stroke in the top-left corner
    centred = center_like_mnist(image)
    rows, cols = centred.sum(1), centred.sum(0)
    grid = torch.arange(28, dtype=torch.float32)
    assert float((rows * grid).sum() / rows.sum()) == pytest.approx(13.5, abs=1)
    assert float((cols * grid).sum() / cols.sum()) == pytest.approx(13.5, abs=1)
    assert int((centred > 0.5).any(1).sum()) == 20  # scaled so its longer side spans 20 pixels


def test_inference_on_untrained_weights_runs_for_its_time_limit():
    ctl = Control()
    engine = run_engine(mnist_infer.INFER, {"checkpoint": "untrained", "model": "cnn", "max_seconds": 0.05}, ctl)
    assert isinstance(next(engine), Started)
    assert next(engine).payload["checkpoint"] == "untrained"
    ctl.send({"cmd": "predict", "pixels": [[0] * 28] * 14 + [[255] * 28] * 14})
    answer = next(engine)
    assert answer.kind == "probabilities" and sum(answer.payload["probs"]) == pytest.approx(1, abs=1e-4)
    assert list(engine)[-1].reason == "completed"


def test_inference_without_a_trained_model_says_what_to_do(tmp_path):
    events = list(run_engine(mnist_infer.INFER, {"checkpoint": str(tmp_path / "none.pt")}, Control()))
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert str(tmp_path / "none.pt") in events[0].message and "Train one first" in events[0].hint


# --- numbers for lesson text ---------------------------------------------------------


def test_parameter_counts_from_shapes_match_the_built_modules():
    pairs = mnist_values.checks()
    assert len(pairs) == len(mnist_models.MODEL_NAMES)
    assert all(ours == theirs for _, ours, theirs in pairs)


def test_the_value_table_is_computed_without_torch():
    code = ("import sys\nfrom engines.core import registry\nvalues = registry.values('mnist.values')()\n"
            "assert values['params_mlp_128'] == 101770, values['params_mlp_128']\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


# --- real data -----------------------------------------------------------------------


def test_real_fashion_mnist_from_the_debian_package_trains_past_a_threshold(tmp_path):
    if not (REAL_FASHION / "train-images-idx3-ubyte.gz").is_file():
        if os.environ.get("TUI_LAB_REQUIRE_REAL_DATA") == "1":
            pytest.fail(f"TUI_LAB_REQUIRE_REAL_DATA=1 but {REAL_FASHION} has no Fashion-MNIST files; "
                        "install them with `apt-get install dataset-fashion-mnist`.")
        pytest.skip(f"Debian's dataset-fashion-mnist is not installed ({REAL_FASHION})")
    events = run(str(tmp_path / "empty-root"), dataset="fashion-mnist", subset=10_000, epochs=1,
                 batch_size=64, download=False, checkpoint="off")
    assert of(events, Artifact, "dataset")[0].payload["source"].startswith("Debian package dataset-fashion-mnist")
    metrics = of(events, Evaluated)[-1].metrics
    # A 784-128-10 MLP reaches ~0.80 after one pass over 10k images; a pipeline that mixes up
    # images and labels, skips normalisation badly or evaluates the wrong split stays far below.
    assert metrics["test_accuracy"] >= 0.75
    assert of(events, Artifact, "dataset")[0].payload["test_size"] == 10_000
