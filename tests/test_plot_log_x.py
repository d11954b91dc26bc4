"""A log x axis for paths whose x spans decades (parameters, images, bytes): ``log_x`` in a
plot table, the curve drawn at log10(x) and labelled at decades."""

import pytest

from lessons.loader import LessonError, load_lesson
from test_plots_labels import lesson_folder


def test_log_x_is_read_for_paths(tmp_path):
    (plot,) = load_lesson(lesson_folder(
        tmp_path, '{ title = "loss by size", xy = [["parameters_x", "parameters"]], log = true, log_x = true }'
    )).steps[0].plots
    assert plot.log_x and plot.log_y


def test_log_x_on_series_against_the_step_is_refused_with_a_sentence(tmp_path):
    with pytest.raises(LessonError, match="'log_x' is for 'xy' paths"):
        load_lesson(lesson_folder(tmp_path, '{ title = "loss", series = ["loss"], log_x = true }'))


async def test_a_log_x_plot_labels_decades_and_spreads_points_evenly():
    from textual.app import App

    from pilot import shown_text, wait_until
    from tui_lab.widgets.live_plot import LivePlot

    class OnePlot(App):
        def compose(self):
            yield LivePlot("test loss by parameters", series=("parameters",), counted_x=False, log_x=True,
                           log_y=True)

    app = OnePlot()
    async with app.run_test(size=(100, 30)) as pilot:
        plot = app.query_one(LivePlot)
        xs = [100.0, 1000.0, 10000.0, 100000.0]
        plot.extend("parameters", xs, [2.0 * x ** -0.3 for x in xs])
        await wait_until(pilot, lambda: plot.builds and plot.drawn, what="the curve drawn")
        (drawn_xs, _ys), = plot._curves(1000).values()
        assert drawn_xs == pytest.approx([2.0, 3.0, 4.0, 5.0])  # log10: equal steps for equal ratios
        shown = shown_text(plot.query_one("PlotextPlot"))
        x_labels = shown.splitlines()[-2].split()  # the row under the frame
        assert x_labels == ["1e2", "1e3", "1e4", "1e5"]  # decades, as on a log y axis, nothing between


def test_a_log_x_axis_ends_at_the_data_when_two_decades_lie_inside_it():
    import math

    from tui_lab.plot_axes import log_axis_to_the_data

    low, high = math.log10(1600), math.log10(101_770)  # the width sweep's parameters
    axis = log_axis_to_the_data(low, high, 6)
    assert axis.labels == ["1e4", "1e5"]
    assert low - 0.1 < axis.lower < low and high < axis.upper < high + 0.1  # no empty decade at either end
    few = log_axis_to_the_data(math.log10(13_310), math.log10(407_080), 6)  # bytes: one decade inside
    assert len(few.labels) >= 2 and few.lower <= 4 and few.upper >= 6  # labelled at the decades around


async def test_no_line_hides_another_series_point():
    """The points of every series are drawn after all the lines (a fit line crossing the
    models of a sweep leaves each model's marker on screen)."""
    from textual.app import App

    from pilot import shown_text, wait_until
    from tui_lab.widgets.live_plot import POINT, LivePlot

    class OnePlot(App):
        def compose(self):
            yield LivePlot("loss by size", series=("models", "fit"), counted_x=False)

    app = OnePlot()
    async with app.run_test(size=(80, 24)) as pilot:
        plot = app.query_one(LivePlot)
        plot.extend("models", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
        plot.extend("fit", [1.0, 3.0], [1.0, 3.0])  # its line runs through the middle model
        await wait_until(pilot, lambda: plot.builds and plot.drawn, what="both series drawn")
        curve = shown_text(plot.query_one("PlotextPlot"))
        assert curve.count(POINT) == 3  # the fit's two ends sit on the outer models; the middle one shows
