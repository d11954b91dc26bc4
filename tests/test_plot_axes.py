"""The plot rules: integer ticks for steps and epochs, 1-2-5 value ticks in one format that
cover the data, decades on log axes, never a negative zero, readable series names."""

import math
import re

import pytest

from tui_lab import plot_axes as axes


def is_one_two_five(step: float) -> bool:
    exponent = math.floor(math.log10(step) + 1e-9)
    return round(step / 10 ** exponent, 9) in (1, 2, 5)


# -- steps and epochs ---------------------------------------------------------------------


@pytest.mark.parametrize("low, high, most", [(0, 5, 6), (0, 5, 3), (20, 700, 5), (20, 700, 2), (1, 149, 4),
                                             (0, 99_999, 6), (3, 4, 5), (0, 1, 8)])
def test_step_ticks_are_integers_inside_the_data(low, high, most):
    ticks = axes.count_ticks(low, high, most)
    assert all(isinstance(t, int) for t in ticks)
    assert 2 <= len(ticks) <= max(2, most)
    assert low <= ticks[0] and ticks[-1] <= high
    assert ticks == sorted(set(ticks))


def test_few_steps_are_each_labelled():
    assert axes.count_ticks(0, 5, 6) == [0, 1, 2, 3, 4, 5]
    assert axes.count_labels(axes.count_ticks(0, 5, 6)) == ["0", "1", "2", "3", "4", "5"]


def test_many_steps_go_in_a_one_two_five_stride():
    ticks = axes.count_ticks(20, 700, 5)
    strides = {b - a for a, b in zip(ticks, ticks[1:])}
    assert len(strides) == 1 and is_one_two_five(strides.pop())
    assert not any("." in label for label in axes.count_labels(ticks))


def test_a_single_point_gets_its_own_integer_label_in_the_middle():
    assert axes.count_ticks(1, 1, 5) == [1]
    axis = axes.count_axis(1, 1, 40)
    assert axis.labels == ["1"] and axis.lower < 1 < axis.upper


def test_large_step_counts_are_shortened_alike():
    labels = axes.count_labels(axes.count_ticks(0, 100_000, 5))
    assert labels[0] == "0" and all(l.endswith("k") for l in labels[1:])


# -- linear value axes ---------------------------------------------------------------------


@pytest.mark.parametrize("low, high, most", [(-30.9, 84.3, 5), (-30.9, 84.3, 8), (0.111, 2.26, 4),
                                             (0.8512, 0.9234, 5), (-0.004, 0.003, 4), (1e-5, 4e-5, 5),
                                             (1.2e6, 3.3e6, 4), (-2.0, -1.0, 3), (0.5, 0.5, 4), (0, 0, 3)])
def test_value_ticks_step_by_one_two_or_five_and_cover_the_data(low, high, most):
    ticks, _ = axes.value_ticks(low, high, most)
    steps = {round(b - a, 12) for a, b in zip(ticks, ticks[1:])}
    assert len(ticks) >= 2 and len(ticks) <= most
    assert len({round(s / min(steps), 6) for s in steps}) == 1  # evenly spaced
    assert is_one_two_five(min(steps))
    assert ticks[0] <= low and ticks[-1] >= high


@pytest.mark.parametrize("low, high", [(-30.9, 84.3), (0.8512, 0.9234), (-0.004, 0.003), (0.0, 2.5),
                                       (1e-5, 4e-5), (1.2e6, 3.3e6)])
def test_every_label_of_an_axis_has_one_format(low, high):
    labels = axes.value_labels(*axes.value_ticks(low, high, 5))
    nonzero = [l for l in labels if l != "0"]
    if any("e" in l for l in nonzero):
        assert len({l.split("e")[1] for l in nonzero}) == 1  # one shared exponent
        nonzero = [l.split("e")[0] for l in nonzero]
    decimals = {len(l.split(".")[1]) if "." in l else 0 for l in nonzero}
    assert len(decimals) == 1, labels


def test_uneven_ticks_from_the_data_are_not_used():
    labels = axes.value_labels(*axes.value_ticks(-30.9, 84.3, 5))
    assert labels == ["-50", "0", "50", "100"]


# -- no negative zero ------------------------------------------------------------------------


@pytest.mark.parametrize("low, high", [(-1.0, 1.0), (-0.004, 0.003), (-2e-7, 3e-7), (-0.0, 0.0)])
def test_no_label_reads_minus_zero(low, high):
    labels = axes.value_labels(*axes.value_ticks(low, high, 5))
    assert "0" in labels
    assert not any(re.fullmatch(r"-0(\.0*)?", l) for l in labels)


@pytest.mark.parametrize("value", [-0.0, -1e-9, -0.0004])
def test_values_that_round_to_zero_print_as_zero(value):
    assert axes.fixed(value, 2) == "0"


def test_negative_zero_is_written_as_zero_everywhere():
    assert axes.short(-0.0) == "0" and axes.fixed(-0.0, 0) == "0"
    assert axes.data_number(-0.0) == "0.0" and axes.data_number(-0.0, counted=True) == "0"


def test_negative_values_keep_their_sign():
    assert axes.fixed(-0.5, 2) == "-0.50" and axes.short(-0.0345) == "-0.0345"


# -- log axes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("low, high, most", [(0.111, 11.3, 5), (1e-6, 10, 8), (0.003, 2.0, 5), (0.001, 1000, 7)])
def test_log_axes_are_labelled_at_every_decade_around_the_data_when_they_fit(low, high, most):
    ticks = axes.log_ticks(low, high, most)
    assert ticks[0] <= low and ticks[-1] >= high and ticks[-1] / ticks[0] < 100 * high / low
    exponents = [math.log10(t) for t in ticks]
    assert exponents == [round(exponents[0]) + i for i in range(len(ticks))]  # each decade, in order


@pytest.mark.parametrize("low, high, most", [(1e-9, 200, 6), (0.001, 1000, 3), (1e-12, 1, 2)])
def test_too_many_decades_are_labelled_every_few_on_an_axis_that_ends_at_decades(low, high, most):
    axis = axes.log_axis(math.log10(low), math.log10(high), most)
    assert 2 <= len(axis.positions) <= most
    assert all(abs(p - round(p)) < 1e-9 for p in axis.positions)
    assert axis.lower == math.floor(math.log10(low)) and axis.upper == math.ceil(math.log10(high))
    assert axis.lower <= axis.positions[0] and axis.positions[-1] <= axis.upper


def test_decade_labels_read_as_numbers_or_powers_of_ten():
    assert axes.log_labels(axes.log_ticks(0.002, 9, 6)) == ["0.001", "0.01", "0.1", "1", "10"]
    labels = axes.log_labels(axes.log_ticks(1e-7, 1e-3, 6))
    assert labels[0] == "1e-7" and all(re.fullmatch(r"1e-?\d+", l) for l in labels)


@pytest.mark.parametrize("low, high", [(0.2, 0.5), (0.31, 0.33), (0.9, 1.1), (2e-5, 3e-5), (0.05, 0.5), (1, 1)])
def test_less_than_a_decade_still_gets_two_labels_around_its_ends(low, high):
    ticks = axes.log_ticks(low, high, 5)
    assert len(ticks) >= 2 and ticks[0] <= low and ticks[-1] >= high
    assert ticks[-1] / ticks[0] <= 10  # not a lone decade far from the data
    assert all(is_one_two_five(t) for t in ticks)


def test_a_log_axis_with_room_for_two_labels_labels_two_decades():
    ticks = axes.log_ticks(0.111, 11.3, 2)
    assert len(ticks) == 2 and all(abs(math.log10(t) - round(math.log10(t))) < 1e-9 for t in ticks)
    assert 0.1 <= ticks[0] < ticks[-1] <= 100


def test_the_log_axis_positions_are_the_logs_of_its_labels():
    axis = axes.log_axis(math.log10(0.02), math.log10(3.0), 5)
    assert [float(l) for l in axis.labels] == pytest.approx([10 ** p for p in axis.positions])
    assert axis.lower <= math.log10(0.02) and axis.upper >= math.log10(3.0)


# -- names -------------------------------------------------------------------------------------


def test_series_are_named_readably_without_the_words_they_share():
    assert axes.legend_names(["batch_loss", "sgd_loss"]) == {"batch_loss": "batch", "sgd_loss": "sgd"}
    assert axes.legend_names(["test_accuracy", "train_accuracy"]) == {"test_accuracy": "test",
                                                                       "train_accuracy": "train"}
    assert axes.legend_names(["batch_theta"]) == {"batch_theta": "batch θ"}


def test_a_lesson_label_wins_over_the_key():
    names = axes.legend_names(["sgd_loss", "adam_loss"], {"adam_loss": "Adam"})
    assert names == {"sgd_loss": "sgd loss", "adam_loss": "Adam"}
