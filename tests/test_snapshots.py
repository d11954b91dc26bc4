"""Pictures of the main screens, compared with the accepted ones (pytest-textual-snapshot).

Update after a deliberate change with `pytest tests/test_snapshots.py --snapshot-update`
and look at every changed SVG before committing it. The lab is built without a warm
engine process so the device label is the same on every machine, and cursors don't blink.
"""

from pathlib import Path

import pytest
from textual.widgets import Input

from conftest import wait_until
from pilot import lab_ready, toggle_lines

SIZES = [(80, 24), (120, 40)]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lab():
    from tui_lab.app import make_app

    apps = []

    def build(lang: str = "en"):
        app = make_app(device="cpu", warm_torch=False, prewarm=False, threads=2, lang=lang)  # the same label everywhere
        app.animation_level = "none"
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.host.close()


async def settle(pilot, to_end: bool = True) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.current is not None, what="first step")
    for field in app.query(Input):
        field.cursor_blink = False
    await pilot.pause()
    if to_end:  # feedback scrolls itself into view after a refresh; end every picture at one place
        app.step_view.scroll_end(animate=False, immediate=True)
        await pilot.pause()


def opened(lesson: str, index: int, then=None, to_end: bool = True):
    async def run_before(pilot) -> None:
        app = pilot.app
        await lab_ready(pilot)  # a run draws into the bottom panel, mounted after the first paint
        await app.open_step(lesson, index)
        app.step_view.focus_first()
        if then is not None:
            await then(pilot)
        await settle(pilot, to_end)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_first_screen(snap_compare, lab, size):
    assert snap_compare(lab(), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_compute_step_after_a_wrong_answer(snap_compare, lab, size):
    async def wrong(pilot):
        await pilot.press(*"28", "enter")

    assert snap_compare(lab(), terminal_size=size, run_before=opened("gradient-descent", 2, wrong))


@pytest.mark.parametrize("size", SIZES)
def test_run_step_with_its_plots(snap_compare, lab, size):
    async def run(pilot):
        app = pilot.app
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "completed", what="the run")
        plots = app.panel.plot_area.plots()
        await wait_until(pilot, lambda: all(p.points == 41 for p in plots), what="every point on the plots")
        await wait_until(pilot, lambda: all(p.builds and p.drawn for p in plots), what="the plots redrawn")

    assert snap_compare(lab(), terminal_size=size, run_before=opened("gradient-descent", 7, run))


@pytest.mark.parametrize("size", SIZES)
def test_find_the_error_solved(snap_compare, lab, size):
    async def solve(pilot):
        await toggle_lines(pilot, pilot.app.step_view.step.wrong)

    assert snap_compare(lab(), terminal_size=size, run_before=opened("gradient-descent", 8, solve))


async def walk_graph(pilot, *keys) -> None:
    """Walk the graph, then, once the layout has settled, bring the current node into view
    as the graph view does after each move (its scroll, taken before the new drawing is laid
    out, may land a row early or late under load)."""
    from tui_lab.widgets.graph_view import GraphView

    await pilot.press(*keys)
    await pilot.pause()
    pilot.app.query_one(GraphView)._show_current()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_graph_walk(snap_compare, lab, size):
    """The neuron's backward pass, two nodes in: gradients on the edges walked so far."""
    async def walk(pilot):
        await walk_graph(pilot, "right", "right")

    assert snap_compare(lab(), terminal_size=size, run_before=opened("backprop", 10, walk, to_end=False))


@pytest.mark.parametrize("size", SIZES)
def test_graph_forward(snap_compare, lab, size):
    """The neuron's forward pass, three nodes in: values on the edges, the rest still to compute."""
    async def walk(pilot):
        await walk_graph(pilot, "right", "right", "right")

    assert snap_compare(lab(), terminal_size=size, run_before=opened("backprop", 2, walk, to_end=False))


@pytest.mark.parametrize("size", SIZES)
def test_run_step_during_a_run(snap_compare, lab, size):
    """Gradient descent one key press a step, three steps in: the run waits for the next key."""
    async def three_steps(pilot):
        app = pilot.app
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "running" and app.session.step == 0,
                         what="the run waiting at θ₀")
        for step in (1, 2, 3):
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.session.step == step, what=f"step {step}")
        plots = app.panel.plot_area.plots()
        await wait_until(pilot, lambda: all(p.points == 4 and p.builds and p.drawn for p in plots), what="the plots drawn")

    assert snap_compare(lab(), terminal_size=size, run_before=opened("gradient-descent", 5, three_steps))


def replayed_to_confusion_matrix(lang: str = "en"):
    """The shipped Fashion-MNIST recording played back at full speed, the step scrolled
    so its confusion matrix is at the top."""
    async def run_before(pilot) -> None:
        app = pilot.app
        await lab_ready(pilot)
        await app.replay(ROOT / "recordings" / "mnist-fashion-mlp.jsonl", speed=0)
        await wait_until(pilot, lambda: app.session and app.session.state == "completed", what="the replay")
        matrix = app.step_view.query_one("#artifact-confusion_matrix")
        await wait_until(pilot, lambda: bool(matrix.visual and str(matrix.visual).strip()), what="the matrix drawn")
        await settle(pilot)
        app.step_view.scroll_to_widget(matrix, top=True, animate=False, immediate=True)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_confusion_matrix(snap_compare, lab, size):
    assert snap_compare(lab(), terminal_size=size, run_before=replayed_to_confusion_matrix())


# -- the same screens with the lab in Chinese ------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_compute_step_in_chinese(snap_compare, lab, size):
    async def wrong(pilot):
        await pilot.press(*"28", "enter")

    assert snap_compare(lab("zh"), terminal_size=size, run_before=opened("gradient-descent", 2, wrong))


@pytest.mark.parametrize("size", SIZES)
def test_run_step_in_chinese(snap_compare, lab, size):
    async def run(pilot):
        app = pilot.app
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "completed", what="the run")
        plots = app.panel.plot_area.plots()
        await wait_until(pilot, lambda: all(p.points == 41 and p.builds and p.drawn for p in plots), what="the plots")

    assert snap_compare(lab("zh"), terminal_size=size, run_before=opened("gradient-descent", 7, run))


@pytest.mark.parametrize("size", SIZES)
def test_confusion_matrix_in_chinese(snap_compare, lab, size):
    assert snap_compare(lab("zh"), terminal_size=size, run_before=replayed_to_confusion_matrix("zh"))


@pytest.mark.parametrize("size", SIZES)
def test_graph_in_chinese(snap_compare, lab, size):
    async def walk(pilot):
        await walk_graph(pilot, "right", "right")

    assert snap_compare(lab("zh"), terminal_size=size, run_before=opened("backprop", 10, walk, to_end=False))


def test_terminal_too_small(snap_compare, lab):
    assert snap_compare(lab(), terminal_size=(50, 15), run_before=settle)
