"""The backprop lesson in the lab, walked with the keyboard: graphs, answers, errors, runs."""

from textual.widgets import Input, OptionList

from tui_lab.widgets.graph_view import GraphView
from tui_lab.widgets.steps import ComputeStep, FindErrorStep, RunStep

from conftest import wait_until


async def open_step(pilot, index: int) -> None:
    await pilot.app.open_step("backprop", index)
    await pilot.pause()
    pilot.app.step_view.focus_first()
    await pilot.pause()


async def answer(pilot, text: str) -> str:
    step = pilot.app.screen.query_one(ComputeStep)
    step.query_one(Input).value = ""
    await pilot.press(*text, "enter")
    return step.query_one(".feedback").visual.plain


async def test_the_lesson_walked_with_the_keyboard(make_lab):
    app = make_lab()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.current is not None, what="first step")
        # A forward walk: the step is done at its end, and ← walks back.
        await open_step(pilot, 2)
        view = app.screen.query_one(GraphView)
        assert app.focused is view and view.current.node == "z"
        await pilot.press("right", "right")
        assert view.current.node == "ce" and app.progress.state("backprop", 2) == "done"
        assert app.screen.query_one(".after").has_class("-shown")
        await pilot.press("left")
        assert view.current.node == "yhat" and view.card("yhat").has_class("-current")

        # Compute steps: bad input gets a sentence, a wrong value a hint, the right one passes.
        await open_step(pilot, 3)
        assert "Type a number first" in await answer(pilot, "")
        assert "NaN is not an answer" in await answer(pilot, "nan")
        assert "is not it" in await answer(pilot, "-0.371101")  # the article's sign slip
        assert "Hint 1/3" in app.screen.query_one(ComputeStep).query_one(".hint").visual.plain
        assert "Correct" in await answer(pilot, "0.3711")
        await open_step(pilot, 19)
        assert "is not it" in await answer(pilot, "-1")  # the error, not the gradient
        assert "Correct: 0" in await answer(pilot, "0")

        # The backward walk through the network, forwards and back.
        await open_step(pilot, 22)
        view = app.screen.query_one(GraphView)
        assert view.current.node == "L"
        await pilot.press(*["right"] * 8)
        assert view.current.node == "W1" and app.progress.state("backprop", 22) == "done"
        assert "∂L/∂W₁ = ∂L/∂z₁ · xᵀ" in view.card("W1").plain
        await pilot.press("left", "left")
        assert view.current.node == "z1" and "∂L/∂W₁" not in view.card("W1").plain

        # Find the error: a correct line is refused, a wrong one solves the step.
        await open_step(pilot, 17)
        assert isinstance(app.focused, OptionList)
        await pilot.press("enter")
        feedback = app.screen.query_one(FindErrorStep).query_one(".feedback").visual.plain
        assert "Line 1 is correct" in feedback
        await pilot.press("down", "down", "down", "down", "enter")
        assert "Right: line 5" in app.screen.query_one(FindErrorStep).query_one(".feedback").visual.plain
        published, correct, _ = zip(*app.screen.query_one(FindErrorStep).comparison)
        assert published[4] == "L = 0.0455" and correct[4].endswith("= 0.42255")


async def test_the_gradient_check_and_the_explorer_run_in_the_lab(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.current is not None, what="first step")
        await open_step(pilot, 24)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "completed", timeout=60, what="the check")
        await pilot.pause(0.2)
        assert app.screen.query_one("#rows").row_count == 26
        assert "hand-derived gradients are right" in app.screen.query_one(RunStep).query_one(".feedback").visual.plain

        await open_step(pilot, 25)
        app.screen.query_one("#param-b1_1", Input).value = "abc"
        await pilot.press("f5")
        feedback = app.screen.query_one(RunStep).query_one(".feedback").visual.plain
        assert feedback == "b1_1 must be a number at least -10 and at most 10, not 'abc'."
        app.screen.query_one("#param-b1_1", Input).value = "-0.5"
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.engine == "backprop.explore"
                         and app.session.state == "completed", timeout=60, what="the explorer")
        await pilot.pause(0.2)
        assert "hidden unit 1 is off" in app.screen.query_one(RunStep).query_one(".feedback").visual.plain
