"""A student walks the CIFAR-10 lesson with the keyboard, on generated CIFAR-shaped data."""

from textual.widgets import DataTable, Input, OptionList

from conftest import wait_until
from test_lesson_gradient_descent import feedback, type_answer

LESSON = "cifar10"


def set_fields(app, **values) -> None:
    for name, value in values.items():
        app.screen.query_one(f"#param-{name}" if name != "processes" else "#processes", Input).value = str(value)


async def run_and_wait(pilot, index: int, state: str = "completed") -> None:
    app = pilot.app
    app.step_view.focus_first()
    await pilot.press("f5")
    await wait_until(pilot, lambda: app.session and app.session.index == index and not app.session.active,
                     timeout=180, what=f"the run of step {index}")
    assert app.session.state == state, f"{app.session.message}\n{app.session.hint}"
    await pilot.pause(0.3)


async def test_walk_the_cifar10_lesson_with_the_keyboard(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 45)) as pilot:
        await wait_until(pilot, lambda: app.current is not None, what="first step")
        await app.open_lesson_from_palette(LESSON)
        await pilot.pause()

        # 2: the pictures, in colour
        await pilot.press("f8")
        await pilot.pause()
        set_fields(app, data="synthetic")
        await run_and_wait(pilot, 2)
        image = app.session.latest["samples"]["images"][0]["pixels"]
        assert len(image) == 32 and len(image[0]) == 32 and len(image[0][0]) == 3
        assert any("not CIFAR-10" in note for note in app.session.notes)  # the stand-in says what it is

        # 4: count the article's optimizer steps
        await pilot.press("f8", "f8")
        await type_answer(pilot, "12500")  # one epoch only
        assert "is not it" in feedback(app)
        await type_answer(pilot, "25000")
        assert feedback(app).startswith("✓ Correct")

        # 5: the first line that works against the pretrained weights
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen.focused, OptionList)
        await pilot.press("down", "down", "enter")
        assert "Line 3 is correct" not in feedback(app) or "earlier" in feedback(app)
        await pilot.press("home", "enter")
        assert feedback(app).startswith("✓ Right: line 1")

        # 6: the article's recipe — offline, the pretrained weights are missing: said, then trained from scratch
        await pilot.press("f8")
        await pilot.pause()
        set_fields(app, data="synthetic", subset=40)
        await run_and_wait(pilot, 6)
        assert any("pretrained" in note.lower() for note in app.session.notes)

        # 7: the small CNN with live plots
        await pilot.press("f8")
        await pilot.pause()
        set_fields(app, data="synthetic", subset=1000, epochs=2, batch_size=100)
        await run_and_wait(pilot, 7)
        assert len(app.panel.plot_area.plot("accuracy per epoch").series["test_accuracy"]) == 2

        # 8: the fast recipe, then one trick off: the table collects both runs
        await pilot.press("f8")
        await pilot.pause()
        set_fields(app, data="synthetic", subset=512, epochs=1, tta="off")
        await run_and_wait(pilot, 8)
        set_fields(app, flip="off")
        await run_and_wait(pilot, 8)
        runs = app.step_view.body.query_one("#runs", DataTable)
        assert runs.row_count == 2
        assert "flip=off" in str(runs.get_row_at(1)[1]) and "flip" not in str(runs.get_row_at(0)[1])
        assert str(runs.get_row_at(1)[2]).endswith("%")  # the test accuracy of that run

        # 9: several processes — a bad count is refused, two processes train together
        await pilot.press("f8")
        await pilot.pause()
        set_fields(app, data="synthetic", subset=1000, epochs=1, batch_size=100, processes="zero")
        app.step_view.focus_first()
        await pilot.press("f5")
        assert "processes must be a whole number" in feedback(app)
        set_fields(app, processes=2)
        await run_and_wait(pilot, 9)
        assert app.session.summary.get("processes") == 2

        await pilot.press("f8")
        assert app.progress.done_count(LESSON, 10) == 10
