"""The event protocol, parameters and the engine runner (in-process)."""

import json
import math

import pytest

from engines.core import registry
from engines.core.events import Evaluated, Failed, Finished, Progress, ProgressBatch, Started, from_json, to_json
from engines.core.params import Param, ParamError, parse_assignments, validate
from engines.core.runtime import Control, EngineSpec, run_engine, run_validated


def test_events_travel_as_flat_json_and_come_back_equal():
    events = [
        Started("cpu", {"lr": 0.1}, 30, seed=4),
        Progress(step=3, loss=0.5, lr=0.1, values={"theta": 2.1, "grad": -0.3}),
        Evaluated(epoch=1, metrics={"test_accuracy": 0.97, "test_loss": 0.1}),
        Finished("completed", {"steps": 30}),
        Failed("It broke.", "Try again."),
    ]
    for event in events:
        line = to_json(event)
        assert from_json(line) == event
    flat = json.loads(to_json(events[1]))
    assert flat["type"] == "progress" and flat["theta"] == 2.1 and "values" not in flat
    assert json.loads(to_json(events[2]))["test_accuracy"] == 0.97


def test_non_finite_numbers_stay_valid_json():
    line = to_json(Progress(step=1, loss=float("nan"), values={"theta": float("inf")}))
    data = json.loads(line)  # strict JSON parsers must accept it
    assert data["loss"] == "nan" and data["theta"] == "inf"


def test_unknown_event_type_is_refused():
    with pytest.raises(ValueError, match="unknown event type"):
        from_json('{"type": "telepathy"}')


LR = Param("lr", float, 0.1, minimum=0.0, exclusive_minimum=True)
STEPS = Param("steps", int, 10, minimum=1, maximum=100)
MODEL = Param("model", str, "cnn", choices=("cnn", "mlp"))


@pytest.mark.parametrize(
    "param, raw, sentence",
    [
        (LR, "abc", "lr must be a number greater than 0, not 'abc'."),
        (LR, "-0.5", "lr must be a number greater than 0, not -0.5."),
        (LR, "0", "lr must be a number greater than 0, not 0."),
        (LR, "nan", "lr must be a finite number, not nan."),
        (LR, "", "lr is empty; it must be a number greater than 0."),
        (STEPS, "2.5", "steps must be a whole number at least 1 and at most 100, not '2.5'."),
        (STEPS, "1000", "steps must be a whole number at least 1 and at most 100, not 1000."),
        (MODEL, "resnet", "model must be one of cnn, mlp, not 'resnet'."),
    ],
)
def test_bad_values_get_one_sentence(param, raw, sentence):
    with pytest.raises(ParamError) as error:
        param.parse(raw)
    assert str(error.value) == sentence


def test_validate_applies_overrides_to_defaults_and_names_valid_params():
    assert validate([LR, STEPS], {"steps": "20"}) == {"lr": 0.1, "steps": 20}
    with pytest.raises(ParamError, match=r"Unknown parameter 'epochs' for x; valid parameters: lr, steps\."):
        validate([LR, STEPS], {"epochs": "2"}, owner="x")


def test_command_line_assignments():
    assert parse_assignments(["lr=0.05", " steps = 3 "]) == {"lr": "0.05", "steps": "3"}
    with pytest.raises(ParamError, match="NAME=VALUE"):
        parse_assignments(["lr"])


def events_of(engine: str, **params):
    return list(run_engine(registry.engine(engine), params))


def test_gradient_descent_run_reproduces_the_hand_computed_iterates():
    events = events_of("gd.iterate", lr=0.1, steps=2)
    progress = [e for e in events if isinstance(e, Progress)]
    # θ₁ = 0 − 0.1·(−28) = 2.8; θ₂ = 2.8 − 0.1·11.2 = 1.68 (CURRICULUM lesson 1)
    assert [round(p.values["theta"], 12) for p in progress] == [0.0, 2.8, 1.68]
    assert math.isclose(progress[0].loss, 28.0)
    assert isinstance(events[0], Started) and events[-1].reason == "completed"
    assert events[-1].summary["steps"] == 2  # every Finished says how many steps (θ₀ is no step) and how fast


def test_a_configuration_validated_up_front_runs_as_run_engine_runs_it():
    spec = registry.engine("gd.iterate")
    config = spec.config({"lr": "0.1", "steps": "2"})  # text, as typed on a command line
    validated = list(run_validated(spec, config))
    assert validated[0].config == config == {"lr": 0.1, "theta0": 0.0, "steps": 2, "variant": 0}
    assert [e.values for e in validated if isinstance(e, Progress)] == \
        [e.values for e in events_of("gd.iterate", lr=0.1, steps=2) if isinstance(e, Progress)]
    assert validated[-1].reason == "completed" and validated[-1].summary["steps"] == 2


@pytest.mark.parametrize("engine", sorted(registry.ENGINES))
def test_a_validated_configuration_survives_json_and_validates_to_itself(engine):
    """`tui-lab run --nproc` validates once and hands the result, as JSON, to processes that validate again."""
    spec = registry.engine(engine)
    config = spec.config({})
    assert spec.config(json.loads(json.dumps(config))) == config


def test_a_crash_becomes_a_failed_event_with_a_sentence():
    events = events_of("selftest", mode="crash", fail_at=2)
    assert isinstance(events[-1], Failed)
    assert "selftest crash requested at step 2" in events[-1].message


def test_a_nan_loss_ends_the_run_as_diverged_with_advice():
    events = events_of("selftest", mode="nan", fail_at=3)
    final = events[-1]
    assert final.reason == "diverged" and final.summary["step"] == 3
    assert "diverged" in final.summary["message"]


def test_the_generic_nan_guard_names_the_learning_rate():
    final = events_of("selftest", mode="nan", fail_at=2)[-1]
    assert final.reason == "diverged" and final.summary["step"] == 2


def test_divergent_learning_rate_is_stopped_and_explained():
    final = events_of("gd.iterate", lr=0.5, steps=100000)[-1]
    assert final.reason == "diverged"
    assert "pick α below 0.142857" in final.summary["message"]


def test_invalid_parameters_fail_before_anything_starts():
    events = events_of("gd.iterate", lr="-1")
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert events[0].message.startswith("lr must be a number greater than 0")
    assert "Valid parameters" in events[0].hint


def test_stop_ends_the_run_as_stopped():
    ctl = Control()
    events = []
    for event in run_engine(registry.engine("selftest"), {"steps": 1000}, ctl):
        events.append(event)
        if isinstance(event, Progress) and event.step == 3:
            ctl.stop()
    assert events[-1].reason == "stopped"
    assert max(e.step for e in events if isinstance(e, Progress)) == 3


def test_progress_batches_carry_the_same_events_in_columns():
    events = [Progress(step=i, loss=1.0 / (i + 1), lr=0.1, values={"theta": i * 0.5}) for i in range(4)]
    events.append(Progress(step=4, loss=float("nan"), values={"grad": 1.0}))
    batch = ProgressBatch.of(events)
    again = ProgressBatch.from_data(json.loads(batch.to_json()))
    assert again.step == [0, 1, 2, 3, 4] and again.values["theta"][:4] == [0.0, 0.5, 1.0, 1.5]
    rebuilt = again.events()
    assert rebuilt[:4] == events[:4]
    assert math.isnan(rebuilt[4].loss) and rebuilt[4].values == {"grad": 1.0}
    assert again.after_stop == 0 and "after_stop" not in batch.to_json()


def test_progress_batches_count_the_steps_reported_after_a_stop():
    batch = ProgressBatch.of([Progress(step=i, loss=1.0) for i in range(3)], after_stop=2)
    assert ProgressBatch.from_data(json.loads(batch.to_json())).after_stop == 2


def test_paused_runs_advance_one_step_per_step_command():
    ctl = Control(paused=True)
    events = run_engine(registry.engine("gd.iterate"), {"steps": 10}, ctl)
    assert isinstance(next(events), Started)  # starting does not need a step
    assert next(events).kind == "note"  # nor does the engine's note on α
    ctl.send({"cmd": "step"})
    first = next(events)
    assert isinstance(first, Progress) and first.step == 0
    ctl.send({"cmd": "step"})
    assert next(events).step == 1
    ctl.send({"cmd": "resume"})
    rest = list(events)
    assert [e.step for e in rest if isinstance(e, Progress)] == list(range(2, 11))
    assert rest[-1].reason == "completed"


def test_a_step_command_while_running_is_not_saved_for_later():
    ctl = Control()
    ctl.send({"cmd": "step"})
    ctl.send({"cmd": "pause"})
    assert ctl.paused
    ctl.stop()  # must not hang on a paused gate
    assert ctl.poll() == []


def test_a_variants_lesson_values_fill_only_what_the_run_does_not_set():
    spec = EngineSpec(name="demo", title="demo", run=lambda config, ctl: iter(()),
                      params=(Param("lr", float, 0.1, "rate"), Param("steps", int, 3, "steps"),
                              Param("variant", int, 0, "set", minimum=0)),
                      variant_defaults=lambda variant: {"lr": 0.01 * (variant + 1)})
    assert spec.config({"variant": 4})["lr"] == 0.05
    assert spec.config({"variant": 4, "lr": 0.3})["lr"] == 0.3  # the learner's own value wins
    assert spec.config({"steps": 7}) == {"lr": 0.01, "steps": 7, "variant": 0}
