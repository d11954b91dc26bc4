"""Run state belongs to its step: plots, the status bar's run state and PROBLEMS show the
step on screen; manual stepping counts every Enter; a paused run says so."""

import pytest
from textual.widgets import DataTable

from engines.byhand.gradient_descent import ITERATE
from engines.core.events import Artifact, Finished, Progress, Started
from engines.core.runtime import Control, run_engine
from lessons.model import PlotSpec
from tui_lab.run_session import RunSession
from tui_lab.widgets.panel import NO_RUN, PlotArea

from pilot import run_step, text_shown, wait_until

SIZES = [(80, 24), (120, 40)]


def on_screen(app, text: str) -> bool:
    """Whether any widget on screen shows ``text`` (for things that must not be there)."""
    from pilot import _showing

    return _showing(app.screen, text) is not None


def plots_tab(app) -> str:
    return str(app.panel.tabs.get_tab("plots").label)


def problems_tab(app) -> str:
    return str(app.panel.tabs.get_tab("problems").label)


# -- the engine: each step command is one step, a stop adds none ---------------------------


def test_a_manual_run_shows_its_start_at_once_then_one_step_per_command_and_none_on_stop():
    ctl = Control(paused=True)
    events = run_engine(ITERATE, {"steps": 30}, ctl)
    assert isinstance(next(events), Started)
    assert isinstance(next(events), Artifact)  # the engine's note on α
    start = next(events)
    assert isinstance(start, Progress) and start.step == 0  # θ₀, before any key press
    for step in (1, 2, 3):
        ctl.send({"cmd": "step"})
        assert next(events).step == step
    ctl.stop()  # wakes the engine that waits for the next key
    end = next(events)
    assert isinstance(end, Finished) and end.reason == "stopped" and end.summary["steps"] == 3


# -- the session: paused, and lr changes as markers ----------------------------------------


def test_an_applied_lr_change_is_a_marker_on_the_loss_plot_and_a_refused_one_is_not():
    plots = (PlotSpec("training loss", ("loss",)), PlotSpec("accuracy", ("test_accuracy",), x_label="epoch"))
    session = RunSession("mnist", 5, "mnist", {}, plots=plots, seed=3)
    session.apply(Started("cpu", {}, 100, seed=3))
    session.apply(Artifact("command", {"cmd": "set_lr", "applied": True, "lr": 0.05, "step": 40}))
    session.apply(Artifact("command", {"cmd": "set_lr", "applied": False, "step": 41,
                                       "message": "lr must be at most 10, not 20."}))
    assert session.markers == [("training loss", 40.0, "lr 0.05")]
    assert session.notes == ["Learning rate set to 0.05 from step 40.",
                             "set_lr: not applied (lr must be at most 10, not 20)."]


def test_a_paused_run_says_paused_and_shows_no_rate_or_eta():
    session = RunSession("mnist", 5, "mnist", {}, seed=3)
    session.apply(Started("cpu", {}, 100, seed=3))
    assert session.state_text() == "running · seed 3"
    session.set_paused(True)
    assert session.state_text() == "paused" and session.eta_seconds() is None
    session.set_paused(False)
    session.apply(Finished("completed", {}))
    assert session.state_text() == "completed · seed 3"


# -- in the lab ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_plots_and_state_follow_the_step_and_a_last_run_comes_back_marked(open_lab, size):
    async with open_lab("gradient-descent:7", size=size) as pilot:
        app = pilot.app
        await text_shown(pilot, "This step has not run yet: F5 runs it.", within=PlotArea)
        assert not on_screen(app, NO_RUN) and app.status.state == "idle"
        await run_step(pilot)
        theta = app.panel.plot_area.plot("theta")
        await wait_until(pilot, lambda: theta.points == 41, what="the run's 41 points")
        assert app.status.state == "completed" and plots_tab(app) == "PLOTS"

        await pilot.press("f8", "f8", "f8")  # steps 8 and 9 (find the error), then 10: another run step
        await wait_until(pilot, lambda: app.current == ("gradient-descent", 10), what="step 10")
        await text_shown(pilot, "This step has not run yet: F5 runs it.", within=PlotArea)
        assert app.panel.plot_area.plots() == []  # step 7's curves are not step 10's
        assert app.status.state == "idle" and "completed" not in app.status.text
        assert not on_screen(app, NO_RUN)

        await pilot.press("f7", "f7", "f7")
        await wait_until(pilot, lambda: app.current == ("gradient-descent", 7), what="step 7 again")
        theta = await wait_until_plot(pilot, "theta")
        await wait_until(pilot, lambda: theta.points == 41, what="the last run's points back")
        assert plots_tab(app).startswith("PLOTS · last run, ")
        assert app.status.state.startswith("last run, ") and app.status.state.endswith("completed")
        await text_shown(pilot, "Run completed", within=".feedback")


async def wait_until_plot(pilot, title: str):
    await wait_until(pilot, lambda: pilot.app.panel.plot_area.plot(title) is not None, what=f"the {title} plot")
    return pilot.app.panel.plot_area.plot(title)


@pytest.mark.parametrize("size", SIZES)
async def test_problems_count_what_is_wrong_on_this_step_now(open_lab, size):
    async with open_lab("selftest:3", size=size) as pilot:
        app = pilot.app
        assert problems_tab(app) == "PROBLEMS"
        for _ in range(2):  # the same failure twice is still one problem
            await run_step(pilot, state="failed")
            assert problems_tab(app) == "PROBLEMS 1" and app.panel.problems.row_count == 1
        await pilot.press("f7")  # a step whose run did not fail
        await wait_until(pilot, lambda: app.current == ("selftest", 2), what="step 2")
        assert problems_tab(app) == "PROBLEMS" and app.panel.problems.row_count == 0
        await pilot.press("f8")
        await wait_until(pilot, lambda: problems_tab(app) == "PROBLEMS 1", what="step 3's failure listed again")
        assert "crash requested" in str(app.panel.problems.get_row_at(0)[1])


@pytest.mark.parametrize("size", SIZES)
async def test_manual_stepping_counts_every_enter_and_stop_adds_none(open_lab, size):
    async with open_lab("gradient-descent:5", size=size) as pilot:
        app = pilot.app
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.screen.focused is not None and app.screen.focused.id == "next-iteration",
                         what="the keyboard on Next step")
        rows = app.screen.query_one("#rows", DataTable)
        await wait_until(pilot, lambda: rows.row_count == 1, what="θ₀ shown at the start")
        await pilot.press(*["enter"] * 4)
        await wait_until(pilot, lambda: app.session.step == 4, what="step 4 after four Enters")
        assert "step 4/30" in app.status.speed
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.step == 5, what="the fifth Enter's step")
        await pilot.press("f6")
        await wait_until(pilot, lambda: not app.session.active, what="the stop")
        assert app.session.state == "stopped" and app.session.step == 5
        assert rows.row_count == 6  # θ₀ and five steps
