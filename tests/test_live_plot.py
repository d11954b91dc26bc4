"""The plot buffer keeps every point but draws at most ~2k, whatever the run's length."""

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
