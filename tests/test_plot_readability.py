"""A plot a student can read: a lone point is marked, the key of the series sits above the
curves (never on them), steps are labelled with integers, value labels share one format,
and at 80×24 every plot keeps its title, its key and its y labels, in English and Chinese."""

import csv
import re

import pytest
from textual.app import App

import lab_i18n
from pilot import shown_text, wait_until
from tui_lab.exports import write_plot_csv
from tui_lab.widgets.live_plot import POINT, LivePlot


class Plots(App):
    def __init__(self, *plots: LivePlot) -> None:
        super().__init__()
        self.plots = plots

    def compose(self):
        yield from self.plots


def drawn(plot: LivePlot) -> str:
    return shown_text(plot.query_one("PlotextPlot"))


def key_row(plot: LivePlot) -> str:
    return shown_text(plot.query_one(".plot-key"))


def y_labels(text: str) -> list[str]:
    """The labels left of the y axis (``0.85┤``), top to bottom."""
    return [line.split("┤")[0].strip() for line in text.splitlines() if "┤" in line]


def x_labels(text: str) -> list[str]:
    """The labels under the x axis: the line after the frame's bottom."""
    lines = text.splitlines()
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[bottom + 1].split()


def accuracy_plot() -> LivePlot:
    return LivePlot("accuracy per epoch", series=("test_accuracy", "train_accuracy"), x_label="epoch",
                    labels={"test_accuracy": "test", "train_accuracy": "train"})


async def test_a_one_epoch_run_s_accuracy_is_a_visible_marker():
    plot = accuracy_plot()
    app = Plots(plot)
    async with app.run_test(size=(80, 24)) as pilot:
        plot.extend("test_accuracy", [1.0], [0.8734])
        await wait_until(pilot, lambda: plot.builds and plot.drawn, what="the point drawn")
        text = drawn(plot)
        assert text.count(POINT) == 1
        assert x_labels(text) == ["1"]  # the epoch, as an integer
        labels = [float(label) for label in y_labels(text)]
        assert len(labels) >= 2 and min(labels) <= 0.8734 <= max(labels)


async def test_the_key_of_the_series_is_above_the_curves_not_on_them():
    plot = accuracy_plot()
    app = Plots(plot)
    async with app.run_test(size=(80, 24)) as pilot:
        plot.extend("test_accuracy", [1.0, 2.0, 3.0], [0.85, 0.88, 0.9])
        plot.extend("train_accuracy", [1.0, 2.0, 3.0], [0.83, 0.89, 0.93])
        await wait_until(pilot, lambda: plot.builds and plot.drawn, what="both series drawn")
        key = plot.query_one(".plot-key")
        assert re.search(r"accuracy per epoch\s+● test\s+● train", key_row(plot))
        data = drawn(plot)
        assert "test" not in data and "train" not in data  # no legend drawn among the curves
        assert key.region.bottom <= plot.query_one("PlotextPlot").region.y
        assert data.count(POINT) == 6  # few points: each one marked


@pytest.mark.parametrize("first, last, every", [(0, 5, 1), (20, 700, 20), (1, 149, 1)])
async def test_steps_are_labelled_with_integers_and_values_with_one_format(first, last, every):
    plot = LivePlot("training loss")
    app = Plots(plot)
    async with app.run_test(size=(80, 24)) as pilot:
        xs = [float(x) for x in range(first, last + 1, every)]
        plot.extend("loss", xs, [(-1) ** i * 30.9 + i * 0.37 for i in range(len(xs))])
        await wait_until(pilot, lambda: plot.builds and plot.drawn, what="the curve drawn")
        text = drawn(plot)
        steps = x_labels(text)
        assert len(steps) >= 2 and all(re.fullmatch(r"\d+", s) for s in steps), steps
        assert all(first <= int(s) <= last for s in steps)
        values = y_labels(text)
        assert len(values) >= 2
        assert len({len(v.split(".")[1]) if "." in v else 0 for v in values if v != "0"}) == 1, values
        assert not any(re.fullmatch(r"-0(\.0*)?", v) for v in values)


async def test_a_log_axis_is_labelled_at_decades():
    plot = LivePlot("training loss", log_y=True)
    app = Plots(plot)
    async with app.run_test(size=(60, 20)) as pilot:
        plot.extend("loss", [float(x) for x in range(500)], [2.3 * 0.99 ** x for x in range(500)])
        await wait_until(pilot, lambda: plot.builds and plot.drawn, what="the curve drawn")
        labels = y_labels(drawn(plot))
        assert labels == ["10", "1", "0.1", "0.01"]


async def test_the_cursor_reads_steps_as_integers_and_series_by_their_names():
    plot = accuracy_plot()
    app = Plots(plot)
    async with app.run_test(size=(80, 24)) as pilot:
        plot.extend("test_accuracy", [1.0, 2.0], [0.85, -0.0])
        plot.extend("train_accuracy", [1.0, 2.0], [0.83, 0.9])
        plot.focus()
        await pilot.press("end")
        assert plot.readout() == "epoch 2 · test 0 · train 0.9"
        assert key_row(plot) == plot.readout()


def test_csv_export_uses_the_names_shown_and_the_number_rules(tmp_path):
    plot = accuracy_plot()
    plot.extend("test_accuracy", [1.0, 2.0], [0.85, -0.0])
    path = write_plot_csv([plot], "accuracy")
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == ["plot", "series", "key", "x", "y"]
    assert rows[1:] == [["accuracy per epoch", "test", "test_accuracy", "1", "0.85"],
                        ["accuracy per epoch", "test", "test_accuracy", "2", "0.0"]]


@pytest.fixture
def english_after():
    yield
    lab_i18n.set_language("en")


@pytest.mark.parametrize("lang, heading, names", [
    ("en", "loss on all points", ("batch", "SGD")),
    ("zh", "全部点上的损失", ("批量", "SGD")),
])
async def test_at_80x24_each_plot_keeps_its_title_key_and_y_labels(open_lab, english_after, lang, heading, names):
    async with open_lab("gradient-descent:10", size=(80, 24), lang=lang) as pilot:
        app = pilot.app
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "completed", what="batch vs SGD")
        losses = app.panel.plot_area.plot("loss on all points")
        await wait_until(pilot, lambda: losses.drawn, what="the last points drawn")
        row = key_row(losses)
        assert heading in row and all(f"{POINT} {name}" in row for name in names)
        plots = app.panel.plot_area.plots()
        # Each plot repaints on its own timer once the layout has settled: wait for its labels.
        await wait_until(pilot, lambda: all(len(y_labels(drawn(p))) >= 2 for p in plots), what="every plot's y labels")
        for plot in plots:
            assert plot.query_one(".plot-key").region.height >= 1  # the key row is on screen
            labels = y_labels(drawn(plot))
            assert all(labels), labels
