"""The CIFAR-10 lesson with the keyboard, on generated CIFAR-shaped data: one test per thing a student does."""

from textual.widgets import DataTable, OptionList

from tui_lab.progress import ProgressStore

from pilot import (answer_judged, feedback_shows, find_the_errors, run_with_fields, set_fields, solved, step_done,
                   type_answer, wait_until)

LESSON = "cifar10"
def cifar_lab(open_lab, step: int):
    return open_lab(f"{LESSON}:{step}", size=(120, 45))


async def test_the_pictures_in_colour_say_when_they_are_a_stand_in(open_lab):
    async with cifar_lab(open_lab, 2) as pilot:
        app = pilot.app
        set_fields(app, dataset="synthetic")
        await run_with_fields(pilot)
        image = app.session.latest["samples"]["images"][0]["pixels"]
        assert len(image) == 32 and len(image[0]) == 32 and len(image[0][0]) == 3
        assert any("not CIFAR-10" in note for note in app.session.notes)  # the stand-in says what it is
        await step_done(pilot)


async def test_counting_the_articles_optimizer_steps(open_lab):
    async with cifar_lab(open_lab, 4) as pilot:
        await answer_judged(pilot, "12500")  # one epoch only
        await type_answer(pilot, "25000")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct")
        await solved(pilot)


async def test_the_first_line_that_works_against_the_pretrained_weights(open_lab):
    async with cifar_lab(open_lab, 5) as pilot:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen.focused, OptionList),
                         what="the keyboard in the lines")
        assert (await find_the_errors(pilot)).startswith("✓ Right: line")
        await solved(pilot)


async def test_offline_the_missing_pretrained_weights_are_said_then_trained_from_scratch(open_lab):
    async with cifar_lab(open_lab, 6) as pilot:
        app = pilot.app
        set_fields(app, dataset="synthetic", subset=40)
        await run_with_fields(pilot)
        assert any("pretrained" in note.lower() for note in app.session.notes)
        await step_done(pilot)


async def test_the_small_cnn_plots_accuracy_per_epoch(open_lab):
    async with cifar_lab(open_lab, 7) as pilot:
        app = pilot.app
        set_fields(app, dataset="synthetic", subset=1000, epochs=2, batch_size=100)
        await run_with_fields(pilot)
        assert len(app.panel.plot_area.plot("accuracy per epoch").series["test_accuracy"]) == 2
        await step_done(pilot)


async def test_the_runs_table_collects_the_recipe_and_one_trick_off(open_lab):
    async with cifar_lab(open_lab, 8) as pilot:
        app = pilot.app
        set_fields(app, dataset="synthetic", subset=512, epochs=1, tta="off")
        await run_with_fields(pilot)
        set_fields(app, flip="off")
        await run_with_fields(pilot)
        runs = app.step_view.body.query_one("#runs", DataTable)
        await wait_until(pilot, lambda: runs.row_count == 2, what="a row per run")
        assert "flip=off" in str(runs.get_row_at(1)[1]) and "flip" not in str(runs.get_row_at(0)[1])
        assert str(runs.get_row_at(1)[2]).endswith("%")  # the test accuracy of that run
        await step_done(pilot)


async def test_a_bad_process_count_is_refused(open_lab):
    async with cifar_lab(open_lab, 9) as pilot:
        set_fields(pilot.app, dataset="synthetic", subset=1000, epochs=1, batch_size=100, processes="zero")
        pilot.app.step_view.focus_first()
        await pilot.press("f5")
        await feedback_shows(pilot, "processes must be a whole number")
        assert pilot.app.session is None  # nothing started


async def test_two_processes_train_together(open_lab):
    async with cifar_lab(open_lab, 9) as pilot:
        app = pilot.app
        set_fields(app, dataset="synthetic", subset=1000, epochs=1, batch_size=100, processes=2)
        await run_with_fields(pilot)
        assert app.session.summary.get("processes") == 2
        await step_done(pilot)


async def test_the_recap_completes_the_lesson(open_lab):
    store = ProgressStore()
    for index in range(1, 10):
        store.mark(LESSON, index, "solved")
    async with cifar_lab(open_lab, 9) as pilot:
        await pilot.press("f8")
        assert pilot.app.progress.solved_count(LESSON, 10) == 10
