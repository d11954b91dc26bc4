"""A student walks the whole gradient-descent lesson with the keyboard only."""

from textual.widgets import DataTable, Input, OptionList

from tui_lab.widgets.steps import ComputeStep, FindErrorStep, RunStep

from conftest import wait_until

LESSON = "gradient-descent"


def feedback(app) -> str:
    return app.step_view.body.query_one(".feedback").visual.plain


async def type_answer(pilot, text: str) -> None:
    await pilot.press("home", "ctrl+k", *text, "enter")


async def test_walk_the_gradient_descent_lesson_with_the_keyboard(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.current is not None, what="first step")
        assert app.current == (LESSON, 1)

        # 2: the gradient at θ₀ — a wrong answer (the article's sign), a hint, then right
        await pilot.press("f8")
        assert isinstance(app.screen.focused, Input) and isinstance(app.step_view.body, ComputeStep)
        await type_answer(pilot, "28")
        assert "is not it" in feedback(app)
        hints = app.step_view.body.query_one(".hint").visual.plain
        assert hints.startswith("Hint 1/3:") and "chain rule" in hints
        await pilot.press("tab", "tab", "enter")  # Check → Hint: the second tier
        assert "Hint 2/3" in app.step_view.body.query_one(".hint").visual.plain
        await pilot.press("shift+tab", "shift+tab")  # back to the answer field
        await type_answer(pilot, "-28")
        assert feedback(app).startswith("✓ Correct")

        # 3 and 4: θ₁ and θ₂, with a typo on the way
        await pilot.press("f8")
        await type_answer(pilot, "2.8")
        assert feedback(app).startswith("✓ Correct: 2.8")
        await pilot.press("f8")
        await type_answer(pilot, "one point six")
        assert "is not a number" in feedback(app)
        await type_answer(pilot, "1.68")
        assert feedback(app).startswith("✓ Correct")

        # 5: iterate one key press at a time — one table row per Enter
        await pilot.press("f8", "f5")
        step = app.step_view.body
        assert isinstance(step, RunStep) and step.step.manual
        await wait_until(pilot, lambda: app.session and app.session.state == "running", what="the paused run")
        await wait_until(pilot, lambda: app.screen.focused.id == "next-iteration", what="focus on Next")
        rows = step.query_one(DataTable)
        for presses in (1, 2, 3):
            await pilot.press("enter")
            await wait_until(pilot, lambda: rows.row_count == presses, what=f"row {presses}")
        assert [str(c) for c in rows.get_row_at(1)][:2] == ["1", "2.8"]
        assert [str(c) for c in rows.get_row_at(2)][:2] == ["2", "1.68"]
        assert "1 − αΣx² = -0.4" in step.query_one(".notes").visual.plain
        await pilot.press("tab", "enter")  # To the end
        await wait_until(pilot, lambda: app.session.state == "completed", what="the rest of the run")
        await wait_until(pilot, lambda: rows.row_count == 31, what="all rows")

        # 6: predict the critical learning rate, typed as a fraction
        await pilot.press("f8")
        await type_answer(pilot, "1/7")
        assert feedback(app).startswith("✓ Correct")

        # 7: the learning-rate explorer — a negative α is refused, a large one diverges
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("shift+tab", "shift+tab", "shift+tab")  # Run → steps → theta0 → lr
        assert app.screen.focused.id == "param-lr"
        await type_answer(pilot, "-0.1")
        assert feedback(app) == "lr must be a number greater than 0 and at most 10, not -0.1."
        await type_answer(pilot, "0.15")
        await wait_until(pilot, lambda: app.session and app.session.index == 7 and not app.session.active,
                         what="the divergent run")
        assert app.session.state == "diverged"
        assert feedback(app).startswith("Diverged: after 40 steps the loss grew from 28") and "pick α below 0.142857" in feedback(app)
        assert "so the run diverges" in app.step_view.body.query_one(".notes").visual.plain

        # 8 and 9: find the error — a wrong pick, then the right line
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen.focused, OptionList)
        await pilot.press("down", "down", "down", "enter")  # line 4: follows from line 3
        assert "Line 4 is correct" in feedback(app)
        await pilot.press("home", "down", "enter")  # line 2: the dropped sign
        assert feedback(app).startswith("✓ Right: line 2")
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # line 3: the lost factor x
        assert isinstance(app.step_view.body, FindErrorStep)
        assert feedback(app).startswith("✓ Right: line 3")
        after = app.step_view.query_one(".after")
        assert after.has_class("-shown")

        # 10: batch vs SGD, two series on each plot
        await pilot.press("f8", "f5")
        await wait_until(pilot, lambda: app.session.index == 10 and app.session.state == "completed",
                         what="batch vs SGD")
        await pilot.pause(0.3)
        losses = app.panel.plot_area.plot("loss on all points")
        assert set(losses.series) == {"batch_loss", "sgd_loss"}
        assert len(losses.series["batch_loss"]) == 151

        # 11: the recap, and every step is done
        await pilot.press("f8")
        assert app.current == (LESSON, 11)
        assert app.progress.done_count(LESSON, 11) == 11
        label = str(app.explorer._tree_nodes[(LESSON, 0)].label)
        assert label.startswith("✓ 11/11")
