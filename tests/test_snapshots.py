"""Pictures of the main screens, compared with the accepted ones (pytest-textual-snapshot).

Update after a deliberate change with `pytest tests/test_snapshots.py --snapshot-update`
and look at every changed SVG before committing it. The lab is built without a warm
engine process so the device label is the same on every machine, and cursors don't blink.
"""

import pytest
from textual.widgets import Input

from conftest import wait_until
from pilot import lab_ready, toggle_lines

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def lab():
    from tui_lab.app import make_app

    apps = []

    def build():
        app = make_app(device="cpu", warm_torch=False, prewarm=False, threads=2)  # the same label everywhere
        app.animation_level = "none"
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.host.close()


async def settle(pilot) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.current is not None, what="first step")
    for field in app.query(Input):
        field.cursor_blink = False
    await pilot.pause()
    # Feedback scrolls itself into view after a refresh; end every picture at one place.
    app.step_view.scroll_end(animate=False, immediate=True)
    await pilot.pause()


def opened(lesson: str, index: int, then=None):
    async def run_before(pilot) -> None:
        app = pilot.app
        await lab_ready(pilot)  # a run draws into the bottom panel, mounted after the first paint
        await app.open_step(lesson, index)
        app.step_view.focus_first()
        if then is not None:
            await then(pilot)
        await settle(pilot)

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


def test_graph_walk(snap_compare, lab):
    async def walk(pilot):
        await pilot.press("right", "right")

    assert snap_compare(lab(), terminal_size=(80, 24), run_before=opened("backprop", 10, walk))


def test_terminal_too_small(snap_compare, lab):
    assert snap_compare(lab(), terminal_size=(50, 15), run_before=settle)
