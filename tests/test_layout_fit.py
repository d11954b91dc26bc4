"""The lab fits small terminals: at 80×24 and 60×18 no button's label is cut, every control
of a step can be reached with Tab and is then wholly in view, the explorer folds away for
steps that need the width, and the status bar keeps a run's state, progress and ETA whole."""

import pytest
from rich.cells import cell_len
from textual.geometry import Region
from textual.widgets import Button, DataTable

from tui_lab.widgets.steps.run import RunBody

from pilot import run_step, wait_until

SMALL = [(80, 24), (60, 18)]
# One step of each kind: read, compute, find-the-error, run (a manual one; one with live
# controls), draw, graph.
STEPS = ["gradient-descent:1", "gradient-descent:2", "gradient-descent:9", "gradient-descent:5", "mnist:5",
         "optimizers:8", "mnist:10", "backprop:10"]


def in_view(app) -> Region:
    """The part of the screen where the step is seen: the step view, as far as it is on screen."""
    return app.step_view.region.intersection(app.screen.region)


async def shown_whole(pilot, widget) -> bool:
    """Bring ``widget`` into view as scrolling does; then, is all of it on screen in the step view?"""
    widget.scroll_visible(animate=False)
    await pilot.pause()
    return in_view(pilot.app).contains_region(widget.region)


async def assert_buttons_whole(pilot) -> None:
    """Every button of the step, enabled or not, has room for its whole label and, once
    scrolled to, lies wholly inside the step view on screen."""
    buttons = [b for b in pilot.app.step_view.query(Button) if b.display]
    for button in buttons:
        label = cell_len(str(button.label))
        assert button.content_region.width >= label, f"{button.id}: {button.content_region.width} < {label}"
        assert await shown_whole(pilot, button), f"{button.id} at {button.region}, view {in_view(pilot.app)}"


async def assert_controls_reachable(pilot) -> None:
    """From the step's first control, Tab visits every control of the step (tables, which are
    read rather than pressed, aside), and each one Tab lands on is wholly in view."""
    app = pilot.app
    wanted = {w for w in app.screen.focus_chain if app.step_view in w.ancestors and not isinstance(w, DataTable)}
    app.step_view.focus_first()
    await pilot.pause()
    visited = {app.focused} & wanted
    for _press in range(len(wanted) + 1):
        await pilot.press("tab")
        await pilot.pause()
        focused = app.focused
        if focused in wanted:
            visited.add(focused)
            assert in_view(app).contains_region(focused.region), \
                f"{focused} at {focused.region} is not wholly in view {in_view(app)}"
    assert visited == wanted, f"never reached: {wanted - visited}"


@pytest.mark.parametrize("size", SMALL, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("start", STEPS)
async def test_no_button_is_cut_and_every_control_is_reachable(open_lab, start, size):
    async with open_lab(start, size=size) as pilot:
        await assert_buttons_whole(pilot)
        await assert_controls_reachable(pilot)


@pytest.mark.parametrize("size", SMALL, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_live_controls_keep_their_longer_labels_whole(open_lab, size):
    """Paused and in slow motion, the buttons say Resume and Normal speed: still whole."""
    async with open_lab("mnist:5", size=size) as pilot:
        body = pilot.app.step_view.body
        assert isinstance(body, RunBody)
        body.paused = body.slow_motion = True
        await pilot.pause()
        assert {str(body.query_one("#pause", Button).label), str(body.query_one("#slow", Button).label)} \
            == {"Resume", "Normal speed"}
        await assert_buttons_whole(pilot)


@pytest.mark.parametrize("size", SMALL, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_after_a_run_the_buttons_are_still_whole(open_lab, size):
    async with open_lab("gradient-descent:7", size=size) as pilot:
        await run_step(pilot)
        await assert_buttons_whole(pilot)
        await assert_controls_reachable(pilot)


async def test_below_100_columns_the_explorer_folds_away_on_a_run_step(open_lab):
    async with open_lab("gradient-descent:2", size=(80, 24)) as pilot:
        app = pilot.app
        explorer = app.explorer
        assert explorer.display  # a compute step: there is room for it
        await app.open_step("gradient-descent", 7)
        await pilot.pause()
        assert not explorer.display and app.step_view.region.width == 80
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert explorer.display and explorer.region.width > 0
        assert not app.step_view.region.overlaps(explorer.region)
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not explorer.display
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.press("ctrl+b")  # wide enough: the student's choice alone decides
        await pilot.pause()
        assert explorer.display and explorer.region.width > 0


async def test_the_explorer_stays_beside_a_run_step_at_120_columns(open_lab):
    async with open_lab("gradient-descent:7", size=(120, 40)) as pilot:
        assert pilot.app.explorer.display and pilot.app.explorer.region.width > 0


RUN_DEVICE = "cuda:0 · NVIDIA H200 (139 GiB)"
RUN_STATE = "running · seed 42"
RUN_SPEED = "step 375/2814 · 3.0k samples/s · ETA 0:54"


async def test_at_80_columns_the_status_bar_keeps_the_run_whole(open_lab):
    async with open_lab("mnist:5", size=(80, 24)) as pilot:
        status = pilot.app.status
        # the engine process names its device once it is up: let it, so it cannot overwrite ours
        await wait_until(pilot, lambda: status.device.startswith("cpu"), what="the engine's device label")
        status.set_device(RUN_DEVICE)
        status.set_state(RUN_STATE, "running")
        status.set_speed(RUN_SPEED)
        await pilot.pause()
        shown = status.shown
        assert cell_len(shown) <= status.content_size.width
        assert RUN_STATE in shown and "step 375/2814" in shown and "ETA 0:54" in shown
        assert "…" not in shown
        assert status.lesson_title not in shown  # the lesson's title gave way first
        assert "cuda:0" in shown  # the device is shortened, not gone


async def test_at_120_columns_the_status_bar_shows_everything(open_lab):
    async with open_lab("mnist:5", size=(120, 40)) as pilot:
        status = pilot.app.status
        status.set_device("cpu · 2 threads")
        status.set_state("completed · seed 42")
        status.set_speed("step 2814/2814")
        await pilot.pause()
        assert status.shown == status.text
        assert status.lesson_title in status.shown and "completed · seed 42" in status.shown


async def test_keys_at_60_columns_keep_run_stop_and_quit(open_lab):
    async with open_lab("gradient-descent:7", size=(60, 18)) as pilot:
        keys = pilot.app.screen.query_one("#keys").text
        assert cell_len(keys) <= 60
        for needed in ("F1", "F5 Run", "F6 Stop", "^Q Quit"):
            assert needed in keys
