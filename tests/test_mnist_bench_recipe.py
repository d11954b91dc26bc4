"""The MNIST engine's recipes (``recipe``, ``betas``) and benchmark mode, on tiny IDX fixtures (CPU)."""

from __future__ import annotations

import pytest
import torch

from engines.core.events import Artifact, Evaluated, Failed, Finished, Progress, Started
from engines.core.params import ParamError
from engines.core.runtime import run_engine
from engines.mnist import engine as mnist
from engines.mnist import recipes
from engines.mnist import training as mnist_training

from conftest import cpu_control, of
from mnist_fixtures import write_root


@pytest.fixture
def data_dir(tmp_path):
    write_root(tmp_path / "data", "mnist", train=300, test=100)
    return str(tmp_path / "data")


def run(data_dir: str, **params) -> list:
    return list(run_engine(mnist.TRAIN, {"checkpoint": "off", **params}, cpu_control(data_dir)))


def test_fast99_sets_the_anchor_recipe_and_replaces_what_it_fixes(data_dir):
    events = run(data_dir, recipe="fast99", model="mlp-128", epochs=7, batch_size=32, lr=0.5,
                 optimizer="sgd", schedule="constant", betas="0.5,0.5")
    config = of(events, Started)[0].config
    assert {key: config[key] for key in recipes.FAST99} == {
        "model": "cnn", "epochs": 1, "batch_size": 256, "lr": 0.01, "optimizer": "adam",
        "schedule": "onecycle", "betas": "0.7,0.9", "double_softmax": False}
    finished = of(events, Finished)[0]
    assert finished.reason == "completed" and finished.summary["epochs"] == 1
    assert finished.summary["steps"] == 2  # 300 images in batches of 256: the length fixed before the run
    assert len(of(events, Evaluated)) == 1


def test_custom_recipe_keeps_the_parameters_given():
    config = {"recipe": "custom", "model": "mlp-128", "epochs": 3, "betas": "0.8,0.99"}
    assert recipes.resolve(config) == config


@pytest.mark.parametrize("recipe, betas, expected", [
    ("custom", "0.8, 0.95", (0.8, 0.95)),
    ("custom", "0.9,0.999", (0.9, 0.999)),
    ("fast99", "0.9,0.999", (0.7, 0.9)),
])
def test_betas_reach_torch_adam(data_dir, monkeypatch, recipe, betas, expected):
    seen = []
    real_adam = torch.optim.Adam

    def recording_adam(params, **kwargs):
        seen.append(kwargs.get("betas"))
        return real_adam(params, **kwargs)

    monkeypatch.setattr(mnist_training.torch.optim, "Adam", recording_adam)
    events = run(data_dir, recipe=recipe, betas=betas, epochs=1, batch_size=100)
    assert of(events, Finished)[0].reason == "completed"
    assert seen and seen[0] == pytest.approx(expected)


@pytest.mark.parametrize("betas", ["0.9", "0.9,1.0", "a,b", "0.9,0.99,0.999", "-0.1,0.9", "nan,0.9"])
def test_invalid_betas_are_refused_in_one_sentence(data_dir, betas):
    events = run(data_dir, betas=betas)
    assert len(events) == 1 and isinstance(events[0], Failed)
    message = events[0].message
    assert message.startswith("betas must be two numbers") and repr(betas) in message
    assert message.count(". ") == 0 and message.endswith(".")
    with pytest.raises(ParamError):
        recipes.parse_betas(betas)


def test_benchmark_mode_trains_the_same_model_with_one_read_back_and_one_evaluation(data_dir):
    params = {"model": "mlp-128", "epochs": 2, "batch_size": 32, "seed": 3}
    normal = run(data_dir, **params)
    bench = run(data_dir, mode="benchmark", **params)
    # the same permutations and steps: the same final accuracy as the normal loop
    assert of(bench, Evaluated)[0].metrics["test_accuracy"] == pytest.approx(
        of(normal, Evaluated)[-1].metrics["test_accuracy"])
    assert len(of(normal, Evaluated)) == 2 and len(of(bench, Evaluated)) == 1
    assert len(of(bench, Progress)) == 1
    assert not [e for e in of(bench, Artifact) if e.kind in ("health", "confusion_matrix", "worst_images")]
    summary = of(bench, Finished)[0].summary
    assert summary["mode"] == "benchmark" and summary["steps"] == 2 * 10 and summary["compile_seconds"] is None
    assert summary["data_seconds"] > 0 and summary["seconds"] >= summary["train_seconds"] > 0
    assert summary["test_accuracy"] == of(bench, Evaluated)[0].metrics["test_accuracy"]


def test_a_failing_compiler_is_said_in_one_sentence_and_the_run_goes_on_uncompiled(data_dir, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no C compiler")

    monkeypatch.setattr(mnist_training, "_compiled", lambda mode: broken)
    events = run(data_dir, mode="benchmark", compile="on", model="mlp-128", epochs=1, batch_size=50)
    finished = of(events, Finished)[0]
    assert finished.reason == "completed" and finished.summary["steps"] == 6
    assert finished.summary["compile"] == "off" and finished.summary["compile_seconds"] is None
    assert "torch.compile failed here (RuntimeError)" in finished.summary["compile_note"]


def test_the_whole_compiled_step_trains_the_same_model_as_the_plain_one(data_dir):
    """compile=on: forward, backward and Adam's step compiled (OneCycle changing the rate every
    step) — the same test accuracy and loss as the uncompiled run, to float rounding."""
    params = {"model": "mlp-128", "epochs": 1, "batch_size": 50, "seed": 2, "optimizer": "adam",
              "schedule": "onecycle", "lr": 0.01, "betas": "0.7,0.9", "mode": "benchmark"}
    plain = of(run(data_dir, **params), Finished)[0].summary
    compiled = of(run(data_dir, compile="on", **params), Finished)[0].summary
    assert compiled["compile"] == "on" and "compile_note" not in compiled
    assert compiled["compile_seconds"] is not None and compiled["compile_seconds"] >= 0
    assert compiled["loss"] == pytest.approx(plain["loss"], rel=1e-3)
    assert compiled["test_loss"] == pytest.approx(plain["test_loss"], rel=1e-3)
