"""The plot buffer keeps every point but draws at most ~2k, whatever the run's length;
markers (a learning rate changed here) are drawn with their label."""

import pytest

from tui_lab.widgets.live_plot import MAX_PLOTTED, SeriesBuffer


def test_a_100k_step_run_is_drawn_with_at_most_the_limit():
    buffer = SeriesBuffer()
    for step in range(100_000):
        buffer.append(step, 1.0 / (step + 1))
        assert len(buffer.view()[0]) <= MAX_PLOTTED + 1  # the kept points, and the newest
    xs, ys = buffer.view()
    assert len(buffer) == 100_000 and buffer.xs[-1] == 99_999  # everything kept for export
    assert MAX_PLOTTED // 2 <= len(xs) <= MAX_PLOTTED + 1
    assert xs[0] == 0 and xs[-1] == 99_999  # first and newest points always drawn
    assert xs == sorted(xs)
    gaps = {b - a for a, b in zip(xs[:-2], xs[1:-1])}
    assert gaps == {buffer.stride}  # evenly spaced


def test_short_series_are_drawn_whole():
    buffer = SeriesBuffer()
    for step in range(10):
        buffer.append(step, step * step)
    assert buffer.view() == (list(range(10)), [s * s for s in range(10)])


def test_extending_in_batches_keeps_the_same_points_as_appending_one_by_one():
    one, many = SeriesBuffer(limit=100), SeriesBuffer(limit=100)
    xs = [float(i) for i in range(12_345)]
    for x in xs:
        one.append(x, x * 2)
    for start in range(0, len(xs), 777):  # uneven batch sizes, as the engine sends them
        chunk = xs[start:start + 777]
        many.extend(chunk, [x * 2 for x in chunk])
    assert many.xs == one.xs and many.stride == one.stride
    assert many.view() == one.view()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_marker_is_drawn_as_a_line_with_its_label(size):
    from textual.app import App

    from pilot import shown_text, wait_until
    from tui_lab.widgets.live_plot import LivePlot

    class OnePlot(App):
        def compose(self):
            yield LivePlot("training loss")

    app = OnePlot()
    async with app.run_test(size=size) as pilot:
        plot = app.query_one(LivePlot)
        plot.extend("loss", [float(x) for x in range(100)], [1 / (x + 1) for x in range(100)])
        await wait_until(pilot, lambda: plot.builds and plot.drawn, what="the curve drawn")
        assert "lr 0.05" not in shown_text(plot.query_one("PlotextPlot"))
        plot.add_marker(40, "lr 0.05")
        await wait_until(pilot, lambda: plot.drawn, what="the marker drawn")
        assert "lr 0.05" in shown_text(plot.query_one("PlotextPlot"))
