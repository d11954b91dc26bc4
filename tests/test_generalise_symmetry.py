"""gen.symmetry: equal starting weights keep every hidden unit identical; random ones do not."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from engines.core.events import Artifact, Evaluated, Failed, Finished, Progress, Started  # noqa: E402
from engines.core.params import ParamError  # noqa: E402
from engines.core.runtime import Control, run_engine  # noqa: E402
from engines.generalise.defaults import SYMMETRY_HIDDEN  # noqa: E402
from engines.generalise.symmetry import ENGINE  # noqa: E402

QUICK = {"dataset": "synthetic", "subset": 6000, "epochs": 3, "batch_size": 32}


def _run(**overrides):
    return list(ENGINE.run(ENGINE.config({**QUICK, **overrides}), Control()))


def _finished(events):
    assert isinstance(events[-1], Finished)
    return events[-1]


def _pictures(events):
    (images,) = [e.payload for e in events if isinstance(e, Artifact) and e.kind == "images"]
    return [picture["pixels"] for picture in images["images"]]


def test_equal_initialisation_keeps_every_hidden_unit_identical_through_training():
    events = _run(init="equal")
    finished = _finished(events)
    assert finished.reason == "completed"
    assert finished.summary["unit_spread"] <= 1e-6
    assert finished.summary["distinct_units"] == 0
    pictures = _pictures(events)
    assert len(pictures) == 8 and all(p == pictures[0] for p in pictures)
    # The units did learn (their pixels differ from one another), they just learnt the same thing.
    assert len({value for row in pictures[0] for value in row}) > 10
    assert all(e.metrics["distinct_units"] == 0 for e in events if isinstance(e, Evaluated))


def test_random_initialisation_gives_distinct_units_and_learns_better():
    equal = _finished(_run(init="equal")).summary
    random = _finished(_run(init="random")).summary
    assert random["distinct_units"] == SYMMETRY_HIDDEN - 1
    assert random["unit_spread"] > 1e-3
    assert random["test_accuracy"] > equal["test_accuracy"] + 0.2


def test_events_follow_the_contract():
    events = _run(init="random", epochs=1)
    started = events[0]
    assert isinstance(started, Started)
    steps = [e.step for e in events if isinstance(e, Progress)]
    assert steps == sorted(steps) and steps[-1] == started.total_steps == _finished(events).summary["steps"]
    (evaluated,) = [e for e in events if isinstance(e, Evaluated)]
    assert {"train_accuracy", "test_accuracy"} <= set(evaluated.metrics)
    (table,) = [e.payload for e in events if isinstance(e, Artifact) and e.kind == "table"]
    assert len(table["rows"]) == SYMMETRY_HIDDEN and len(table["columns"]) == len(table["rows"][0])


def test_a_stop_request_ends_the_run_as_stopped():
    ctl = Control()
    events = []
    for event in ENGINE.run(ENGINE.config({**QUICK, "epochs": 3}), ctl):
        events.append(event)
        if isinstance(event, Progress):
            ctl.stop()
    finished = _finished(events)
    assert finished.reason == "stopped"
    assert finished.summary["steps"] < events[0].total_steps


def test_a_batch_larger_than_the_images_is_refused_in_one_sentence():
    events = list(run_engine(ENGINE, {**QUICK, "subset": 100, "batch_size": 200}))
    assert isinstance(events[-1], Failed) and not any(isinstance(e, Started) for e in events)
    message = events[-1].message
    assert "batch_size" in message and "100" in message
    assert message.endswith(".") and message.count(". ") == 0


def test_an_unknown_initialisation_is_refused():
    with pytest.raises(ParamError, match="init"):
        ENGINE.config({"init": "zeros"})
