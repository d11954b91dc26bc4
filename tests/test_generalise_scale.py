"""The scale sweep (gen.scale) and its power-law fit, on generated points and the generated images."""

import math

import numpy as np
import pytest

from engines.core.events import Artifact, Failed, Finished, Progress, Started
from engines.core.runtime import Control, run_engine
from engines.generalise import powerlaw
from engines.generalise.scale import ENGINE, parameters

TINY = {"dataset": "synthetic", "widths": "2,4,8", "images": 400, "epochs": 2, "batch_size": 100}


def events_of(overrides, ctl=None):
    return list(run_engine(ENGINE, overrides, ctl or Control()))


def test_fit_recovers_a_known_slope_through_noise():
    rng = np.random.default_rng(3)
    xs = np.logspace(3, 6, 12)
    ys = 3.0 * xs ** -0.3 * np.exp(rng.normal(0.0, 0.03, size=xs.size))  # 3 % multiplicative noise
    slope, intercept, r2 = powerlaw.fit(xs, ys)
    assert slope == pytest.approx(-0.3, abs=0.03)
    assert 10 ** intercept == pytest.approx(3.0, rel=0.2)
    assert 0.9 < r2 < 1.0


def test_fit_through_two_points_is_their_line_and_local_slopes_of_a_law_are_its_slope():
    slope, intercept, r2 = powerlaw.fit([10, 1000], [1.0, 0.01])  # two decades down over two decades
    assert (slope, intercept, r2) == (pytest.approx(-1.0), pytest.approx(1.0), 1.0)
    xs = [100, 200, 400, 800]
    ys = [5 * x ** -0.5 for x in xs]
    assert powerlaw.local_slopes(xs, ys)[0] is None
    assert powerlaw.local_slopes(xs, ys)[1:] == [pytest.approx(-0.5)] * 3
    assert powerlaw.predict(400, -0.5, math.log10(5)) == pytest.approx(0.25)


def test_upper_half_keeps_the_larger_x_and_ignores_a_bent_small_end():
    xs = [1, 2, 4, 8, 16, 32, 64]
    ys = [9.0, 9.0, 9.0] + [x ** -0.2 for x in xs[3:]]  # flat at the small end, a power law above
    upper_x, upper_y = powerlaw.upper_half(xs, ys)
    assert upper_x == [8, 16, 32, 64]
    assert powerlaw.fit(upper_x, upper_y)[0] == pytest.approx(-0.2)
    assert powerlaw.fit(xs, ys)[0] < -0.4  # the whole set, bend included, is much steeper


def test_fit_refuses_points_it_cannot_fit():
    with pytest.raises(ValueError):
        powerlaw.fit([5, 5], [1.0, 2.0])
    with pytest.raises(ValueError):
        powerlaw.fit([1, 2], [0.0, 1.0])


def test_parameters_counts_weights_and_biases_of_784_w_10():
    import torch

    for width in (2, 37, 128):
        net = torch.nn.Sequential(torch.nn.Linear(784, width), torch.nn.ReLU(), torch.nn.Linear(width, 10))
        assert parameters(width) == sum(p.numel() for p in net.parameters())


def test_tiny_width_sweep_emits_one_point_per_model_a_finite_slope_and_the_fitted_line():
    events = events_of(TINY)
    assert isinstance(events[0], Started) and events[0].total_steps == 3
    points = [e for e in events if isinstance(e, Progress) and "parameters_x" in e.values]
    assert [e.step for e in points] == [1, 2, 3]
    assert [e.values["parameters_x"] for e in points] == [784 * w + w + 10 * w + 10 for w in (2, 4, 8)]
    assert all(e.values["parameters"] == e.loss and e.loss > 0 for e in points)
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.reason == "completed"
    assert finished.summary["steps"] == 3
    assert math.isfinite(finished.summary["slope"]) and math.isfinite(finished.summary["slope_upper"])
    assert finished.summary["points"] == [[e.values["parameters_x"], e.loss] for e in points]
    line = [e.values for e in events if isinstance(e, Progress) and "fit_x" in e.values]
    assert len(line) >= 2
    slope, intercept = finished.summary["slope"], finished.summary["intercept"]
    for value in line:  # the path lies on the reported law
        assert value["fit"] == pytest.approx(10 ** intercept * value["fit_x"] ** slope, rel=1e-3)
    (table,) = [e.payload for e in events if isinstance(e, Artifact) and e.kind == "table"]
    assert len(table["rows"]) == 3 and len(table["columns"]) == len(table["rows"][0])
    assert table["rows"][0][3] == ""  # no previous point, no local slope


def test_data_sweep_plots_against_nested_image_counts():
    events = events_of({"dataset": "synthetic", "sweep": "data", "sizes": "400,100,200", "width": 8, "epochs": 2,
                        "batch_size": 100})
    points = [e for e in events if isinstance(e, Progress) and "images_x" in e.values]
    assert [e.values["images_x"] for e in points] == [100, 200, 400]  # sorted, smallest first
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert math.isfinite(events[-1].summary["slope"])


def test_estimate_note_comes_after_the_first_model_and_names_the_device():
    events = events_of(TINY)
    device = events[0].device
    first_point = next(i for i, e in enumerate(events) if isinstance(e, Progress))
    notes = [(i, e.payload) for i, e in enumerate(events) if isinstance(e, Artifact) and e.kind == "note"]
    estimate = [(i, text) for i, text in notes if device in text]
    assert len(estimate) == 1
    index, text = estimate[0]
    assert index == first_point + 1 and text.startswith("3 models")
    assert events[-1].summary["estimate_seconds"] > 0


@pytest.mark.parametrize("name, text", [("widths", "2,x"), ("widths", "8"), ("widths", "0,4"), ("widths", "4,,4"),
                                        ("sizes", "100;200"), ("sizes", "5,100")])
def test_bad_lists_are_refused_with_one_sentence(name, text):
    overrides = {**TINY, name: text, "sweep": "width" if name == "widths" else "data"}
    events = events_of(overrides)
    assert len(events) == 1 and isinstance(events[0], Failed)
    message = events[0].message
    assert message.startswith(name) and repr(text) in message
    assert message.count(". ") == 0 and message.endswith(".")


def test_more_images_than_the_dataset_holds_is_refused():
    events = events_of({"dataset": "synthetic", "sweep": "data", "sizes": "100,7000", "width": 4, "epochs": 1})
    assert isinstance(events[-1], Failed) and "6000" in events[-1].message
    assert not any(isinstance(e, Progress) for e in events)


def test_stop_ends_the_sweep_as_stopped_with_the_points_so_far():
    ctl = Control()
    events = []
    for event in run_engine(ENGINE, TINY, ctl):
        events.append(event)
        if isinstance(event, Progress):
            ctl.stop()
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.reason == "stopped"
    assert finished.summary["steps"] == 1 and len(finished.summary["points"]) == 1
    assert sum(isinstance(e, Progress) for e in events) == 1
