"""The fast net's named recipes, the precision option and benchmark mode."""

from __future__ import annotations

import pytest

from engines.cifar import engine as cifar
from engines.cifar.recipe import RECIPES, recipe_of, resolve
from engines.core.events import Evaluated, Finished, Progress
from engines.core.params import ParamError
from engines.core.runtime import Control, run_engine


def config(**changes):
    base = {p.name: p.default for p in cifar.PARAMS}
    return {**base, **changes}


def test_airbench94_is_todays_fast_recipe():
    out = resolve(config(model="fast"), "cuda")
    assert out["recipe"] == "airbench94" and recipe_of(out) is RECIPES["fast"]
    assert (out["batch_size"], out["epochs"], out["schedule"], out["ema"]) == (1024, 9.9, "onecycle", "on")
    assert not recipe_of(out).muon


def test_airbench94_muon_sets_its_own_numbers():
    out = resolve(config(recipe="airbench94-muon"), "cuda")
    recipe = recipe_of(out)
    assert out["model"] == "fast"  # a fast recipe picks the fast net
    assert (out["batch_size"], out["epochs"], out["schedule"], out["ema"]) == (2000, 8, "linear", "off")
    assert out["lr"] == pytest.approx(0.67 * 2000)  # airbench's head rate on the summed loss, per mean loss
    assert recipe.muon and (recipe.muon_lr, recipe.muon_momentum, recipe.ns_steps) == (0.24, 0.6, 3)
    assert recipe.muon_nesterov and recipe.muon_normalize_weights and not recipe.muon_shape_scale
    assert recipe.head_scale == pytest.approx(1 / 256)
    on_cpu = resolve(config(recipe="airbench94-muon"), "cpu", bf16_cpu=False)
    assert on_cpu["batch_size"] == recipe.cpu_batch_size
    assert on_cpu["lr"] == pytest.approx(0.67 * recipe.cpu_batch_size)  # scaled with the batch


@pytest.mark.parametrize("changes, words", [
    ({"recipe": "airbench95"}, "recipe must be"),
    ({"recipe": "airbench94-muon", "model": "small-cnn"}, "model=fast"),
    ({"precision": "fp32"}, "precision must be"),
    ({"mode": "fastest"}, "mode must be"),
])
def test_invalid_choices_are_refused_in_one_sentence(changes, words):
    with pytest.raises(ParamError) as error:
        resolve(config(**changes), "cuda")
    message = str(error.value)
    assert words in message and message.count(". ") == 0 and message.endswith(".")


def test_fp16_weights_need_cuda_and_exclude_bf16():
    with pytest.raises(ParamError, match="needs a CUDA GPU"):
        resolve(config(model="fast", precision="fp16-weights"), "cpu", bf16_cpu=True)
    with pytest.raises(ParamError, match="bf16=on"):
        resolve(config(model="fast", precision="fp16-weights", bf16="on"), "cuda")
    assert resolve(config(model="fast", precision="fp16-weights"), "cuda")["bf16"] == "off"


def test_benchmark_mode_compiles_by_default_on_cuda_only():
    assert resolve(config(model="fast", mode="benchmark"), "cuda")["compile"] == "on"
    assert resolve(config(model="fast", mode="benchmark"), "cpu", bf16_cpu=False)["compile"] == "off"
    assert resolve(config(model="fast"), "cuda")["compile"] == "off"


def run(tmp_path, **params):
    events = list(run_engine(cifar.TRAIN, {"model": "fast", "dataset": "synthetic", "subset": 256,
                                           "batch_size": 128, "epochs": 2, "checkpoint": "off", **params},
                             Control(data_dir=str(tmp_path))))
    return events, events[-1]


@pytest.mark.parametrize("recipe", ["airbench94", "airbench94-muon"])
def test_benchmark_mode_reports_once_at_the_end(tmp_path, recipe):
    events, finished = run(tmp_path, mode="benchmark", recipe=recipe)
    assert isinstance(finished, Finished) and finished.reason == "completed"
    assert sum(isinstance(e, Progress) for e in events) == 1
    assert [e.epoch for e in events if isinstance(e, Evaluated)] == [2]  # one evaluation, at the end
    assert not [e for e in events if getattr(e, "kind", None) in ("health", "confusion_matrix")]
    s = finished.summary
    assert (s["mode"], s["recipe"], s["steps"], s["epochs"]) == ("benchmark", recipe, 4, 2)
    assert s["data_seconds"] > 0 and s["compile_seconds"] == 0 and s["images_per_s"] > 0 and s["steps_per_s"] > 0
    assert 0 <= s["test_accuracy"] <= 1 and s["timed_seconds"] >= s["train_seconds"] > 0


def test_the_normal_run_evaluates_every_epoch(tmp_path):
    events, finished = run(tmp_path, recipe="airbench94-muon")
    assert [e.epoch for e in events if isinstance(e, Evaluated)] == [1, 2]
    assert finished.summary["mode"] == "normal" and finished.summary["recipe"] == "airbench94-muon"


@pytest.mark.parametrize("recipe", ["airbench94", "airbench94-muon"])
def test_a_benchmark_step_on_cuda_makes_the_host_wait_for_nothing(tmp_path, monkeypatch, recipe):
    """Counts the host synchronisations each training step issues, after three warm-up steps."""
    import warnings

    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    from engines.cifar import training

    step, counts = training.Trainer._step, []

    def counted(self, index):
        if len(counts) < 3:  # warm-up: compilation, allocator, cuDNN's choices
            counts.append(None)
            return step(self, index)
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("warn")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = step(self, index)
        finally:
            torch.cuda.set_sync_debug_mode(0)
        counts.append(sum("synchroniz" in str(w.message) for w in caught))
        return result

    from engines.core.device import configure_torch, detect

    monkeypatch.setattr(training.Trainer, "_step", counted)
    device = detect("cuda")
    configure_torch(device)
    params = {"model": "auto", "dataset": "synthetic", "subset": 8192, "epochs": 1, "checkpoint": "off",
              "recipe": recipe, "mode": "benchmark"}
    events = list(run_engine(cifar.TRAIN, params, Control(device=device, data_dir=str(tmp_path))))
    assert isinstance(events[-1], Finished), events[-1]
    measured = [c for c in counts if c is not None]
    assert measured and sum(measured) == 0, f"host synchronisations per step: {measured}"
