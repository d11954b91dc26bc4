"""The gradient-descent lesson with the keyboard only: one test for each thing a student does."""

from textual.widgets import DataTable, Input, OptionList

from engines.byhand import gradient_descent as gd
from tui_lab.progress import ProgressStore
from tui_lab.widgets.explorer import LessonTree

from pilot import (answer_judged, feedback_shows, find_the_errors, lab_ready, solved, step_done, text_shown, type_answer,
                   wait_until)

LESSON = "gradient-descent"


async def test_a_new_student_starts_at_the_first_step(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        assert app.current == (LESSON, 1)
        await text_shown(pilot, "Step 1/11")


async def test_a_wrong_gradient_gets_a_hint_and_hint_shows_the_next_tier(open_lab):
    async with open_lab(f"{LESSON}:1") as pilot:
        app = pilot.app
        await pilot.press("f8")
        assert isinstance(app.screen.focused, Input)
        await text_shown(pilot, "Step 2/11 · compute", within=".heading.-sub")
        await answer_judged(pilot, "28")  # the article's sign
        hints = await text_shown(pilot, "Hint 1/3:", within=".hint")
        assert hints.startswith("Hint 1/3:") and "chain rule" in hints
        await pilot.press("tab", "tab", "enter")  # Check → Hint: the second tier
        await text_shown(pilot, "Hint 2/3", within=".hint")
        await pilot.press("shift+tab", "shift+tab")  # back to the answer field
        assert app.screen.focused.id == "answer"


async def test_the_right_gradient_solves_the_step(open_lab):
    async with open_lab(f"{LESSON}:2") as pilot:
        await type_answer(pilot, "-28")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct")
        await solved(pilot)


async def test_theta_one_is_correct(open_lab):
    async with open_lab(f"{LESSON}:3") as pilot:
        await type_answer(pilot, "2.8")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct: 2.8")
        await solved(pilot)


async def test_a_typo_is_not_a_number_then_theta_two_is_correct(open_lab):
    async with open_lab(f"{LESSON}:4") as pilot:
        await type_answer(pilot, "one point six")
        await feedback_shows(pilot, "is not a number")
        await type_answer(pilot, "1.68")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct")
        await solved(pilot)


async def test_each_enter_runs_one_iteration_into_the_table_then_to_the_end(open_lab):
    async with open_lab(f"{LESSON}:5") as pilot:
        app = pilot.app
        await text_shown(pilot, "Step 5/11 · run", within=".heading.-sub")
        await text_shown(pilot, "Start ▶ F5", within="#run")  # a manual run: started, then stepped
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "running", what="the paused run")
        await wait_until(pilot, lambda: app.screen.focused.id == "next-iteration", what="focus on Next")
        rows = app.screen.query_one("#rows", DataTable)
        await wait_until(pilot, lambda: rows.row_count == 1, what="θ₀ in row 0, before any Enter")
        for presses in (1, 2, 3):
            await pilot.press("enter")
            await wait_until(pilot, lambda: rows.row_count == presses + 1, what=f"row {presses}")
        assert [str(c) for c in rows.get_row_at(1)][:2] == ["1", "2.8"]
        assert [str(c) for c in rows.get_row_at(2)][:2] == ["2", "1.68"]
        await text_shown(pilot, "1 − αΣx² = −0.4", within=".notes")
        await pilot.press("tab", "enter")  # To the end
        await wait_until(pilot, lambda: app.session.state == "completed", what="the rest of the run")
        await wait_until(pilot, lambda: rows.row_count == 31, what="all rows")
        await step_done(pilot)


async def test_a_student_with_other_numbers_steps_and_iterates_their_own_problem(open_lab, monkeypatch):
    monkeypatch.setenv("TUI_LAB_VARIANT", "5")
    mine = gd.values(5)
    assert mine["theta1"] != gd.values(0)["theta1"]
    async with open_lab(f"{LESSON}:3") as pilot:
        app = pilot.app
        await type_answer(pilot, "2.8")  # the article's θ₁ is not this student's
        await feedback_shows(pilot, "but not it")
        await type_answer(pilot, f"{mine['theta1']:g}")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct")
        await pilot.press("f8", "f8")  # past step 4 to the iterations
        await text_shown(pilot, "Step 5/11 · run", within=".heading.-sub")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.screen.focused.id == "next-iteration", what="focus on Next")
        rows = app.screen.query_one("#rows", DataTable)
        await pilot.press("enter")
        await wait_until(pilot, lambda: rows.row_count == 2, what="θ₀ and one step")
        assert [str(c) for c in rows.get_row_at(0)][:2] == ["0", f"{mine['theta0']:g}"]
        assert [str(c) for c in rows.get_row_at(1)][:2] == ["1", f"{mine['theta1']:g}"]
        await text_shown(pilot, f"1 − αΣx² = {mine['factor']:.4g}".replace("-", "−"), within=".notes")  # as lessons write it


async def test_the_critical_learning_rate_typed_as_a_fraction(open_lab):
    async with open_lab(f"{LESSON}:6") as pilot:
        await type_answer(pilot, "1/7")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct")
        await solved(pilot)


async def focus_lr(pilot) -> None:
    await pilot.press("shift+tab", "shift+tab", "shift+tab")  # Run → steps → theta0 → lr
    assert pilot.app.screen.focused.id == "param-lr"


async def test_a_negative_learning_rate_is_refused_with_a_sentence(open_lab):
    async with open_lab(f"{LESSON}:7") as pilot:
        await focus_lr(pilot)
        await type_answer(pilot, "-0.1")
        shown = await feedback_shows(pilot, "lr must be")
        assert shown == "lr must be a number greater than 0 and at most 10, not -0.1."
        assert pilot.app.session is None  # nothing started


async def test_a_large_learning_rate_diverges_and_says_below_what(open_lab):
    async with open_lab(f"{LESSON}:7") as pilot:
        app = pilot.app
        await focus_lr(pilot)
        await type_answer(pilot, "0.15")
        await wait_until(pilot, lambda: app.session and app.session.index == 7 and not app.session.active,
                         what="the divergent run")
        assert app.session.state == "diverged"
        shown = await feedback_shows(pilot, "Diverged")
        assert shown.startswith("Diverged: after 40 steps the loss grew from 28") and "pick α below 0.142857" in shown
        await text_shown(pilot, "so the run diverges", within=".notes")
        await step_done(pilot)  # a diverged run is the lesson's point: the step is done


async def test_find_the_error_a_correct_line_is_refused_the_wrong_ones_solve(open_lab):
    async with open_lab(f"{LESSON}:8") as pilot:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen.focused, OptionList), what="the keyboard in the lines")
        assert (await find_the_errors(pilot)).startswith("✓ Right: line")
        await solved(pilot)


async def test_find_the_lost_factor_shows_the_explanation_after(open_lab):
    async with open_lab(f"{LESSON}:9") as pilot:
        app = pilot.app
        await text_shown(pilot, "Step 9/11 · find-error", within=".heading.-sub")
        assert (await find_the_errors(pilot)).startswith("✓ Right: line")
        after = app.step_view.query_one(".after")
        assert after.has_class("-shown")
        await wait_until(pilot, lambda: after.is_on_screen, what="the text after the step")
        await solved(pilot)


async def test_batch_and_sgd_draw_two_series_on_each_plot(open_lab):
    async with open_lab(f"{LESSON}:10") as pilot:
        app = pilot.app
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.index == 10 and app.session.state == "completed",
                         what="batch vs SGD")
        losses = app.panel.plot_area.plot("loss on all points")
        assert set(losses.series) == {"batch_loss", "sgd_loss"}
        assert len(losses.series["batch_loss"]) == 151
        await step_done(pilot)


async def test_the_recap_completes_the_lesson_in_the_explorer(open_lab):
    store = ProgressStore()
    for index in range(1, 11):
        store.mark(LESSON, index, "solved")
    async with open_lab(f"{LESSON}:10") as pilot:
        app = pilot.app
        await pilot.press("f8")
        assert app.current == (LESSON, 11)
        assert app.progress.solved_count(LESSON, 11) == 11
        await text_shown(pilot, "✓ 11/11", within=LessonTree)

