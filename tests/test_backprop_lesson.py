"""The backprop lesson in the lab with the keyboard: graphs, answers, errors, runs, one test each."""

from textual.widgets import Input, OptionList

from tui_lab.widgets.graph_view import GraphView

from pilot import (answer_judged, feedback_shows, find_the_errors, run_step, solved, step_done, table_shown, text_shown, type_answer,
                   wait_until)

LESSON = "backprop"


async def test_the_forward_walk_is_done_at_its_end_and_left_walks_back(open_lab):
    async with open_lab(f"{LESSON}:2", size=(80, 24)) as pilot:
        app = pilot.app
        view = app.screen.query_one(GraphView)
        assert app.focused is view and view.current.node == "z"
        await pilot.press("right", "right")
        assert view.current.node == "ce"
        await step_done(pilot)
        assert app.screen.query_one(".after").has_class("-shown")
        await pilot.press("left")
        await pilot.pause()
        box = view.drawing.boxes["yhat"]
        assert view.current.node == "yhat" and view.drawing.lines[box.y][box.x] == "┏"  # drawn as current


async def test_bad_input_gets_a_sentence_a_wrong_value_a_hint_the_right_one_passes(open_lab):
    async with open_lab(f"{LESSON}:3", size=(80, 24)) as pilot:
        assert isinstance(pilot.app.focused, Input)
        await type_answer(pilot, "")
        await feedback_shows(pilot, "Type a number first")
        await type_answer(pilot, "nan")
        await feedback_shows(pilot, "NaN is not an answer")
        await answer_judged(pilot, "-0.371101")  # the article's sign slip
        await text_shown(pilot, "Hint 1/3", within=".hint")
        await type_answer(pilot, "0.3711")
        await feedback_shows(pilot, "Correct")
        await solved(pilot)


async def test_the_error_not_the_gradient_is_asked_for(open_lab):
    async with open_lab(f"{LESSON}:19", size=(80, 24)) as pilot:
        await answer_judged(pilot, "-1")  # the error, not the gradient
        await type_answer(pilot, "0")
        await feedback_shows(pilot, "Correct: 0")
        await solved(pilot)


async def test_the_backward_walk_through_the_network_forwards_and_back(open_lab):
    async with open_lab(f"{LESSON}:22", size=(80, 24)) as pilot:
        app = pilot.app
        view = app.screen.query_one(GraphView)
        assert view.current.node == "L"
        await pilot.press(*["right"] * 8)
        assert view.current.node == "W1"
        await step_done(pilot)
        assert "∂L/∂W₁ = ∂L/∂z₁ · xᵀ" in view.card_text("W1")
        await pilot.press("left", "left")
        assert view.current.node == "z1" and "∂L/∂W₁" not in view.card_text("W1")


async def test_find_the_error_a_correct_line_is_refused_a_wrong_one_solves(open_lab):
    async with open_lab(f"{LESSON}:17", size=(80, 24)) as pilot:
        app = pilot.app
        assert isinstance(app.focused, OptionList)
        assert (await find_the_errors(pilot)).startswith("✓ Right: line")
        await text_shown(pilot, "0.42255", within="#compare")
        _, published, correct = zip(*table_shown(app.screen.query_one("#compare"), ("#", "As published", "Correct")))
        assert published[4] == "L = 0.0455" and correct[4].endswith("= 0.42255")
        await solved(pilot)


async def test_the_gradient_check_fills_its_table_and_says_the_gradients_are_right(open_lab):
    async with open_lab(f"{LESSON}:24") as pilot:
        await run_step(pilot, timeout=120)
        rows = pilot.app.screen.query_one("#rows")
        await wait_until(pilot, lambda: rows.row_count == 26, what="a row per parameter")
        await feedback_shows(pilot, "hand-derived gradients are right")
        await step_done(pilot)


async def test_the_explorer_refuses_a_bad_bias_then_shows_a_dead_unit(open_lab):
    async with open_lab(f"{LESSON}:25") as pilot:
        app = pilot.app
        app.screen.query_one("#param-db1_1", Input).value = "abc"
        await pilot.press("f5")
        shown = await feedback_shows(pilot, "db1_1 must be")
        assert shown == "db1_1 must be a number at least -10 and at most 10, not 'abc'."
        app.screen.query_one("#param-db1_1", Input).value = "-0.6"
        await run_step(pilot, timeout=120)
        assert app.session.engine == "backprop.explore"
        await feedback_shows(pilot, "hidden unit 1 is off")
