"""A student walks the optimizers lesson with the keyboard only."""

from textual.widgets import DataTable, Input, OptionList

from conftest import wait_until
from test_lesson_gradient_descent import feedback, type_answer

LESSON = "optimizers"


async def test_walk_the_optimizers_lesson_with_the_keyboard(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.current is not None, what="first step")
        await app.open_lesson_from_palette(LESSON)
        await pilot.pause()
        assert app.current == (LESSON, 1)

        # 2: momentum's θ₂ — plain gradient descent's answer is wrong here
        await pilot.press("f8")
        assert isinstance(app.screen.focused, Input)
        await type_answer(pilot, "1.68")
        assert "is not it" in feedback(app)
        assert "Hint 1/3" in app.step_view.body.query_one(".hint").visual.plain
        await type_answer(pilot, "4.2")
        assert feedback(app).startswith("✓ Correct")

        # 3: the article's EMA momentum, 5: Adam's first step (its size is α)
        await pilot.press("f8")
        await type_answer(pilot, "0.28")
        assert feedback(app).startswith("✓ Correct")
        await pilot.press("f8", "f8")
        await type_answer(pilot, "")
        assert "Type a number first" in feedback(app)
        await type_answer(pilot, "0.1")
        assert feedback(app).startswith("✓ Correct")

        # 6: the formulas against torch.optim, step by step
        await pilot.press("f8", "f5")
        await wait_until(pilot, lambda: app.session and app.session.index == 6 and not app.session.active,
                         timeout=90, what="the comparison run")
        assert app.session.state == "completed", app.session.message
        assert app.session.summary["max_abs_diff"] < 1e-9
        table = app.step_view.body.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 11, what="the comparison table")

        # 7: find the error in the article's Adam: a wrong pick, then the ε line
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen.focused, OptionList)
        await pilot.press("enter")  # line 1 is fine
        assert "Line 1 is correct" in feedback(app) and "later line" in feedback(app)
        await pilot.press("end", "enter")
        assert feedback(app).startswith("✓ Right: line 5")

        # 8: the race — too large a learning rate diverges, the default finishes
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab", "shift+tab")  # … → lr
        assert app.screen.focused.id == "param-lr"
        await type_answer(pilot, "0.01")
        await wait_until(pilot, lambda: app.session.index == 8 and not app.session.active, what="a divergent race")
        assert app.session.state == "diverged" and "sgd" in feedback(app)
        await type_answer(pilot, "0.001")
        await wait_until(pilot, lambda: app.session.index == 8 and app.session.state == "completed",
                         what="the race")
        await pilot.pause(0.3)
        paths = app.panel.plot_area.plot("path in (x, y)")
        assert set(paths.series) == {"sgd", "momentum", "adam"}
        adam = paths.series["adam"]
        assert abs(adam.xs[-1] - 1) < 0.01 and abs(adam.ys[-1] - 1) < 0.01  # Adam found the minimum

        # 9–11: the classic bug — the published loop's curve, the missing line, both curves
        await pilot.press("f8", "f5")
        await wait_until(pilot, lambda: app.session.index == 9 and app.session.state == "completed",
                         timeout=90, what="the published loop")
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("end", "enter")  # line 5, optimizer.step(), is not the culprit
        assert "Line 5 is correct" in feedback(app) and "earlier line" in feedback(app)
        await pilot.press("up", "enter")
        assert feedback(app).startswith("✓ Right: line 4")
        published, correct, differs = zip(*app.step_view.body.comparison)
        assert "zero_grad" in correct[3] and differs[3] and not any(differs[:3])
        await pilot.press("f8", "f5")
        await wait_until(pilot, lambda: app.session.index == 11 and app.session.state == "completed",
                         timeout=90, what="both loops")
        await pilot.pause(0.3)
        curves = app.panel.plot_area.plot("loss: published loop vs fixed").series
        fixed, buggy = curves["fixed_loss"].ys, curves["buggy_loss"].ys
        assert fixed[0] == buggy[0]  # the same start
        assert fixed[-1] < fixed[0] / 10 and max(buggy[-10:]) > 10 * fixed[-1]  # one converges, one swings

        # 12: the recap; every step done
        await pilot.press("f8")
        assert app.progress.done_count(LESSON, 12) == 12
