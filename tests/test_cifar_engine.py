"""The CIFAR-10 engine in-process, on tiny fixtures in the real on-disk format (CPU)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import urllib.error

import numpy as np
import pytest

from engines.cifar import data as cifar_data
from engines.cifar import engine as cifar
from engines.cifar import lesson_values as cifar_values
from engines.cifar import models as cifar_models
from engines.cifar import recipe as cifar_recipe
from engines.cifar.recipe import TRICKS
from engines.cifar.training import schedule_factor
from engines.core.device import cpu_device
from engines.core.events import Artifact, Evaluated, Failed, Finished, Progress, Started, from_json, to_json
from engines.core.params import ParamError
from engines.core.runtime import Control, run_engine

from conftest import ROOT, cpu_control, losses, of
from cifar_fixtures import synthetic, write_root

# 100 training images (5 files of 20), 50 test images; bf16 off so runs match on any CPU.
QUICK = {"model": "small-cnn", "epochs": 2, "batch_size": 20, "checkpoint": "off", "bf16": "off", "tta": "off"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar-data")
    write_root(root, per_batch=20, test=50)
    return str(root)


def run(data_dir: str, ctl: Control | None = None, **params) -> list:
    return list(run_engine(cifar.TRAIN, params, ctl or cpu_control(data_dir)))


# --- refusals ------------------------------------------------------------------------


@pytest.mark.parametrize("params, words", [
    ({"model": "resnet50"}, "model must be one of auto, small-cnn, fast, resnet-article, not 'resnet50'"),
    ({"epochs": -1}, "epochs must be a number at least 0 and at most 1000, not -1"),
    ({"lr": -0.5}, "lr must be a number at least 0"),
    ({"flip": "maybe"}, "flip must be one of auto, on, off"),
    ({"batch_size": 500}, "batch_size is 500 but the training set has only 100 images"),
    ({"subset": 5000}, "subset must be at most 100 (the size of the training set in use), not 5000"),
    ({"subset": 30, "batch_size": 40}, "has only 30 images (subset=30)"),
    ({"whitening": "on"}, "whitening=on applies only to model=fast"),
    ({"resume": "last"}, "there is no checkpoint at"),
])
def test_invalid_parameters_are_refused_with_a_sentence(data_dir, params, words):
    events = run(data_dir, **{"model": "small-cnn", "checkpoint": "auto", **params})
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert words in events[0].message and events[0].message.endswith(".")
    assert "Valid parameters" in events[0].hint


def test_bf16_on_a_cpu_without_bf16_instructions_is_refused(data_dir, monkeypatch):
    monkeypatch.setattr(cifar_recipe, "cpu_supports_bf16", lambda: False)
    events = run(data_dir, **{**QUICK, "bf16": "on"})
    assert len(events) == 1 and "bf16=on needs a GPU or a CPU with AVX-512 BF16 or AMX" in events[0].message


def test_missing_data_with_downloads_off_fails_with_the_paths(tmp_path):
    events = run(str(tmp_path / "empty"), download=False)
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert str(tmp_path / "empty" / "cifar-10-batches-py") in events[0].message
    assert "download=false" in events[0].message and "cifar-10-python.tar.gz" in events[0].hint


def test_auto_resolves_to_the_device_recipe():
    cpu = cifar_recipe.resolve(cifar.TRAIN.config({}), "cpu", bf16_cpu=False)
    assert (cpu["model"], cpu["batch_size"], cpu["epochs"], cpu["bf16"], cpu["channels_last"], cpu["tta"]) == \
        ("small-cnn", 256, 10, "off", "off", "off")
    gpu = cifar_recipe.resolve(cifar.TRAIN.config({}), "cuda")
    assert (gpu["model"], gpu["batch_size"], gpu["epochs"], gpu["whitening"], gpu["ema"], gpu["tta"], gpu["bf16"]) == \
        ("fast", 1024, 9.9, "on", "on", "on", "on")
    assert gpu["lr"] == pytest.approx(11.5 / (1 + 1 / 0.15))  # airbench's 11.5 per 1024 images, undecoupled
    article = cifar_recipe.resolve(cifar.TRAIN.config({"model": "resnet-article"}), "cuda")
    assert (article["batch_size"], article["lr"], article["epochs"], article["flip"], article["bf16"]) == \
        (4, 0.001, 2, "off", "off")
    halved = cifar_recipe.resolve(cifar.TRAIN.config({"model": "fast", "batch_size": 512}), "cuda")
    assert halved["lr"] == pytest.approx(gpu["lr"] / 2)  # lr=0 follows the batch size linearly


# --- a whole run ---------------------------------------------------------------------


def test_a_short_run_learns_and_reports_everything(data_dir):
    events = run(data_dir, **{**QUICK, "epochs": 3, "log_every": 2})
    assert isinstance(events[0], Started) and events[0].total_steps == 3 * 5
    assert events[0].config["model"] == "small-cnn" and events[0].config["subset"] == 100
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert [from_json(to_json(e)) for e in events] == events  # everything crosses the pipe as JSON
    kinds = [e.kind for e in events[1:6] if isinstance(e, Artifact)]
    assert kinds == ["note", "dataset", "samples", "model"]  # the note: a fixture is not the official set
    progress = of(events, Progress)
    assert [p.step for p in progress][:4] == [2, 4, 5, 7]  # every 2 steps and at each epoch's end
    assert all(p.samples_per_s and p.samples_per_s > 0 and math.isfinite(p.loss) for p in progress)
    evaluations = of(events, Evaluated)
    assert [e.epoch for e in evaluations] == [1, 2, 3]
    final = evaluations[-1].metrics
    # Chance is 0.1; on 50 test images a pipeline that mixes up images and labels stays far below.
    assert final["test_accuracy"] >= 0.6
    assert final["train_loss"] < evaluations[0].metrics["train_loss"]
    assert 0 <= final["train_accuracy"] <= 1 and final["test_loss"] > 0
    assert final["elapsed_seconds"] >= evaluations[0].metrics["elapsed_seconds"] > 0
    summary = events[-1].summary
    assert summary["test_accuracy"] == final["test_accuracy"] and summary["steps"] == 15
    assert summary["timed_seconds"] >= summary["train_seconds"] > 0 and summary["tricks"]["flip"] == "on"

    matrix = of(events, Artifact, "confusion_matrix")[-1].payload
    assert matrix["labels"] == list(cifar_data.CLASSES) and sum(map(sum, matrix["matrix"])) == 50
    assert sum(matrix["matrix"][i][i] for i in range(10)) / 50 == final["test_accuracy"]
    worst = of(events, Artifact, "worst_images")[-1].payload
    assert len(worst) == min(16, round((1 - final["test_accuracy"]) * 50))
    test_images, _ = synthetic(50, 1)
    for item in worst:
        assert item["predicted"] != item["label"] and matrix["matrix"][item["label"]][item["predicted"]] > 0
        assert np.array_equal(np.array(item["pixels"], np.uint8), test_images[item["index"]])  # [32][32][3]

    samples = of(events, Artifact, "samples")[0].payload
    assert sum(samples["class_counts"]) == 100 and sum(samples["test_class_counts"]) == 50
    assert sorted(image["label"] for image in samples["images"]) == list(range(10))
    train_images, train_labels = synthetic(100, 0)
    for image in samples["images"]:
        assert np.array_equal(np.array(image["pixels"], np.uint8), train_images[image["index"]])
        assert train_labels[image["index"]] == image["label"]
    dataset = of(events, Artifact, "dataset")[0].payload
    assert dataset["official"] is False and dataset["processes"] == 1 and len(dataset["mean"]) == 3
    model = of(events, Artifact, "model")[0].payload
    assert model["parameters"] == cifar_models.parameter_count("small-cnn") == sum(l["parameters"] for l in model["layers"])
    health = of(events, Artifact, "health")[-1].payload
    assert [layer["name"] for layer in health["layers"]] == ["conv1", "conv2", "conv3", "fc"]
    assert health["layers"][-1]["dead_relu_share"] is None and 0 <= health["layers"][0]["dead_relu_share"] <= 1


def test_the_synthetic_stand_in_needs_no_files_and_says_what_it_is(tmp_path):
    events = run(str(tmp_path / "no-data"), **{**QUICK, "dataset": "synthetic", "subset": 200, "epochs": 1})
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    notes = [e.payload for e in of(events, Artifact, "note")]
    assert len(notes) == 1 and "not CIFAR-10 (dataset=synthetic)" in notes[0]
    dataset = of(events, Artifact, "dataset")[0].payload
    assert dataset["dataset"] == "synthetic" and dataset["official"] is False and dataset["test_size"] == 2000
    assert not (tmp_path / "no-data").exists()  # nothing looked for, nothing downloaded


def test_the_same_seed_gives_the_same_loss_curve(data_dir):
    first = losses(run(data_dir, seed=3, log_every=1, **QUICK))
    again = losses(run(data_dir, seed=3, log_every=1, **QUICK))
    other = losses(run(data_dir, seed=4, log_every=1, **QUICK))
    assert len(first) == 10 and first == again
    assert other != first


def test_fractional_epochs_end_mid_epoch_and_one_more_epoch_extends(data_dir):
    events = run(data_dir, **{**QUICK, "epochs": 1.4, "log_every": 1})
    assert events[0].total_steps == 7 and [p.step for p in of(events, Progress)][-1] == 7
    assert [e.epoch for e in of(events, Evaluated)] == [1, 2]


def test_the_fast_recipe_runs_with_every_trick_and_each_switched_off(data_dir):
    base = {"model": "fast", "epochs": 1, "subset": 60, "batch_size": 20, "checkpoint": "off", "log_every": 1,
            "tta": "on", "seed": 1}
    reference = run(data_dir, **base)
    config = reference[0].config
    assert [config[name] for name in ("flip", "translate", "label_smoothing", "tta", "ema", "whitening")] == ["on"] * 6
    rows = {"all": reference}
    for trick in ("flip", "translate", "label_smoothing", "tta", "ema", "whitening", "channels_last"):
        rows[trick] = run(data_dir, **{**base, trick: "off"})
    rows["schedule"] = run(data_dir, **{**base, "schedule": "constant"})
    for name, events in rows.items():
        final = events[-1]
        assert isinstance(final, Finished) and final.reason == "completed", (name, final)
        assert all(math.isfinite(loss) for _, loss in losses(events))
        # What an ablation table needs from every run: its time and accuracy, and which tricks were on.
        assert final.summary["timed_seconds"] > 0 and 0 <= final.summary["test_accuracy"] <= 1
        if name in TRICKS:
            assert final.summary["tricks"][name] == "off"
    for changes_training in ("flip", "translate", "label_smoothing", "whitening", "schedule"):
        assert losses(rows[changes_training]) != losses(reference), changes_training  # the switch is wired
    # The averaged weights replace the trained ones at the end: the same steps, another evaluation.
    assert losses(rows["ema"]) == losses(reference)
    assert of(rows["ema"], Evaluated)[-1].metrics["test_loss"] != of(reference, Evaluated)[-1].metrics["test_loss"]
    assert losses(rows["tta"]) == losses(reference)  # evaluation only
    assert "test_accuracy_no_tta" in of(reference, Evaluated)[-1].metrics
    assert "test_accuracy_no_tta" not in of(rows["tta"], Evaluated)[-1].metrics
    health = of(reference, Artifact, "health")[-1].payload
    assert health["layers"][0]["name"] == "whiten" and health["layers"][0]["grad_norm"] == 0.0  # frozen


def test_the_article_recipe_offline_says_so_then_trains_from_scratch(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    def offline(url):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    from engines.cifar import pretrained

    monkeypatch.setattr(pretrained, "urlopen", offline)
    events = run(data_dir, model="resnet-article", subset=40, epochs=1, checkpoint="off", log_every=5)
    notes = [e.payload for e in of(events, Artifact, "note")]
    assert isinstance(events[0], Started) and events[0].config["batch_size"] == 4
    missing = [n for n in notes if "pretrained" in n]
    assert len(missing) == 1 and "could not be downloaded" in missing[0] and "name resolution" in missing[0]
    assert "random initial weights" in missing[0] and pretrained.WEIGHTS_FILE in missing[0]
    assert of(events, Artifact, "model")[0].payload["pretrained"] is False
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert events[-1].summary["steps"] == 10  # 40 images in batches of 4
    assert not any((tmp_path / "torch").rglob("*.part"))


def test_the_article_recipe_loads_pretrained_weights_when_present(data_dir, tmp_path, monkeypatch):
    import torch
    import torchvision

    from engines.cifar.pretrained import WEIGHTS_FILE

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    torch.manual_seed(123)
    weights = torchvision.models.resnet18().state_dict()  # 1000-class head, as the published file has
    path = tmp_path / "torch" / "hub" / "checkpoints" / WEIGHTS_FILE
    path.parent.mkdir(parents=True)
    torch.save(weights, path)
    events = run(data_dir, model="resnet-article", subset=8, epochs=1, checkpoint=str(tmp_path / "a.pt"),
                 log_every=5)
    assert of(events, Artifact, "model")[0].payload["pretrained"] is True
    assert not [n for n in of(events, Artifact, "note") if "pretrained" in n.payload]
    saved = torch.load(tmp_path / "a.pt", weights_only=True)
    assert torch.equal(saved["initial_weights"]["conv1.weight"], weights["conv1.weight"])
    assert saved["model_state"]["fc.weight"].shape == (10, 512)


# --- checkpoints ---------------------------------------------------------------------


def stop_at(params: dict, data_dir: str, step: int) -> list:
    """Run until a Progress event at ``step`` arrives, then press stop."""
    ctl = cpu_control(data_dir)
    events = []
    for event in run_engine(cifar.TRAIN, params, ctl):
        events.append(event)
        if isinstance(event, Progress) and event.step == step:
            ctl.stop()
    return events


@pytest.mark.parametrize("extra, stop", [({}, 7), ({"model": "fast", "subset": 60, "epochs": 2, "bf16": "auto"}, 4)])  # mid epoch 2
def test_stop_writes_a_checkpoint_and_resume_continues_exactly(data_dir, tmp_path, extra, stop):
    path = tmp_path / "ckpt" / "run.pt"
    params = {**QUICK, "epochs": 3, "log_every": 1, "seed": 5, **extra}
    whole = run(data_dir, **params)
    stopped = stop_at({**params, "checkpoint": str(path)}, data_dir, step=stop)
    assert stopped[-1].reason == "stopped" and path.is_file()
    assert of(stopped, Artifact, "checkpoint")[-1].payload == {"path": str(path), "epoch": 1, "step": stop,
                                                               "reason": "stopped"}
    assert os.listdir(path.parent) == ["run.pt"]  # the temp file was renamed, not left
    resumed = run(data_dir, **{**params, "checkpoint": str(path), "resume": "last"})
    assert of(resumed, Artifact, "resumed")[0].payload["step"] == stop and resumed[-1].reason == "completed"
    after = [(s, l) for s, l in losses(whole) if s > stop]
    assert [s for s, _ in losses(resumed)] == [s for s, _ in after]
    assert losses(resumed) == pytest.approx(after, rel=1e-5)
    assert [e.metrics["test_accuracy"] for e in of(resumed, Evaluated)] == \
        [e.metrics["test_accuracy"] for e in of(whole, Evaluated)[1:]]


def test_resuming_another_model_or_a_finished_run_is_refused(data_dir, tmp_path):
    path = tmp_path / "run.pt"
    run(data_dir, **{**QUICK, "epochs": 1, "checkpoint": str(path)})
    other = run(data_dir, **{**QUICK, "model": "fast", "resume": str(path)})
    assert len(other) == 1 and "model=small-cnn" in other[0].message and "resume=none" in other[0].message
    done = run(data_dir, **{**QUICK, "epochs": 1, "resume": str(path)})
    assert "already trained 1 epochs; set epochs above 1" in done[0].message
    path.write_bytes(b"not a checkpoint")
    assert "cannot be read as a checkpoint" in run(data_dir, **{**QUICK, "resume": str(path)})[0].message


def test_live_commands_change_the_rate_and_the_length(data_dir):
    ctl = cpu_control(data_dir)
    events = []
    for event in run_engine(cifar.TRAIN, {**QUICK, "log_every": 1}, ctl):
        events.append(event)
        if isinstance(event, Evaluated) and event.epoch == 1:
            ctl.send({"cmd": "set_lr", "lr": 0.05})
            ctl.send({"cmd": "one_more_epoch"})
            ctl.send({"cmd": "rewind"})
    acks = [a.payload for a in of(events, Artifact, "command")]
    assert acks[0] == {"cmd": "set_lr", "step": 5, "applied": True, "lr": 0.05}
    assert acks[1] == {"cmd": "one_more_epoch", "step": 5, "applied": True, "epochs": 3.0, "total_steps": 15}
    assert not acks[2]["applied"] and "Unknown command 'rewind'" in acks[2]["message"]
    assert [p.lr for p in of(events, Progress) if p.step > 5] == [0.05] * 10
    assert [e.epoch for e in of(events, Evaluated)] == [1, 2, 3] and events[-1].reason == "completed"


def test_a_live_lr_outside_the_engines_lr_control_is_refused_and_one_inside_applied(data_dir):
    control = cifar.TRAIN.control("lr")
    assert cifar.TRAIN.config({"lr": 0})["lr"] == 0  # the run parameter: 0 means the recipe's rate
    refusals = {}
    for outside in (0, control.maximum * 2):
        with pytest.raises(ParamError) as refused:
            control.parse(outside)
        refusals[outside] = str(refused.value)
    ctl = cpu_control(data_dir)
    events = []
    for event in run_engine(cifar.TRAIN, {**QUICK, "log_every": 1}, ctl):
        events.append(event)
        if isinstance(event, Evaluated) and event.epoch == 1:
            for lr in (*refusals, 0.05):
                ctl.send({"cmd": "set_lr", "lr": lr})
    answers = [a.payload for a in of(events, Artifact, "command")]
    assert answers == [{"cmd": "set_lr", "step": 5, "applied": False, "message": refusals[0]},
                       {"cmd": "set_lr", "step": 5, "applied": False, "message": refusals[control.maximum * 2]},
                       {"cmd": "set_lr", "step": 5, "applied": True, "lr": 0.05}]
    assert all(message.startswith("lr must be") and message.endswith(".") for message in refusals.values())
    assert [p.lr for p in of(events, Progress) if p.step > 5] == [0.05] * 5


# --- pieces --------------------------------------------------------------------------


def test_augmented_batches_match_a_reflect_padded_crop():
    import torch

    from engines.cifar.device_data import DeviceData

    images, labels = synthetic(6, 3)

    class Arrays:
        train_images, train_labels, test_images, test_labels = images, labels, images, labels

    data = DeviceData(Arrays, cpu_device(1), 6, 0, ((0.0,) * 3, (1 / 255,) * 3), torch.float32, False)
    index = torch.tensor([4, 0, 2])
    dy, dx, flip = torch.tensor([-2, 1, 0]), torch.tensor([2, 0, -1]), torch.tensor([False, True, True])
    batch = data.batch(data.train, index, dy, dx, flip)  # NCHW, values 0..255 with this normalisation
    for row, (i, y, x, f) in enumerate(zip(index.tolist(), dy.tolist(), dx.tolist(), flip.tolist())):
        image = images[i, :, ::-1] if f else images[i]  # mirrored first, then shifted (as airbench)
        padded = np.pad(image, ((2, 2), (2, 2), (0, 0)), mode="reflect")
        expected = padded[2 + y:34 + y, 2 + x:34 + x]
        assert np.array_equal(batch[row].permute(1, 2, 0).round().to(torch.uint8).numpy(), expected)
    plain = data.batch(data.train, index)
    assert np.array_equal(plain.permute(0, 2, 3, 1).round().to(torch.uint8).numpy(), images[[4, 0, 2]])


def test_the_one_cycle_schedule_warms_up_then_decays():
    factors = [schedule_factor("onecycle", step, 100) for step in range(101)]
    assert factors[0] == pytest.approx(0.2) and max(factors) == pytest.approx(1.0) and factors.index(1.0) == 23
    assert factors[100] == pytest.approx(0.07)
    assert schedule_factor("constant", 50, 100) == 1.0


def test_parameter_counts_from_shapes_match_the_built_modules():
    pairs = cifar_values.checks()
    assert [label for label, _, _ in pairs] == [f"parameters of {m}" for m in cifar_models.MODEL_NAMES]
    assert all(ours == theirs for _, ours, theirs in pairs)


def test_the_value_table_is_computed_without_torch():
    code = ("import sys\nfrom engines.core import registry\nvalues = registry.values('cifar10.values')()\n"
            "print(values['article_steps_per_epoch'], values['article_side_after_stem'], values['article_final_side'],"
            " values['fast_total_steps'], 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["12500", "8", "1", "476", "False"]
