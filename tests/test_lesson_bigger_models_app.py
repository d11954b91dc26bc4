"""The sixth lesson with the keyboard, on the generated shapes: one test per thing a student does."""

from textual.widgets import DataTable

from pilot import answer_judged, run_with_fields, set_fields, shown_text, step_done, wait_until

LESSON = "bigger-models"
def lesson_lab(open_lab, step: int):
    return open_lab(f"{LESSON}:{step}", size=(120, 45))


async def test_overfitting_shows_both_curves_and_the_gap_in_the_runs_table(open_lab):
    async with lesson_lab(open_lab, 2) as pilot:
        app = pilot.app
        set_fields(app, dataset="synthetic", subset=100, epochs=4)
        await run_with_fields(pilot)
        plot = app.panel.plot_area.plot("accuracy per epoch")
        assert len(plot.series["train_accuracy"]) == len(plot.series["test_accuracy"]) == 4
        runs = app.step_view.body.query_one("#runs", DataTable)
        await wait_until(pilot, lambda: runs.row_count == 1, what="the run's row")
        train, test, gap = (str(cell) for cell in runs.get_row_at(0)[2:5])
        assert train.endswith("%") and test.endswith("%") and gap.endswith("%")  # the gap in points, as a share
        assert "a gap of" in app.session.message  # the engine's own sentence
        await step_done(pilot)


async def test_a_cure_is_named_in_its_row(open_lab):
    async with lesson_lab(open_lab, 4) as pilot:
        app = pilot.app
        set_fields(app, dataset="synthetic", subset=100, epochs=3, early_stopping=1)
        await run_with_fields(pilot)
        runs = app.step_view.body.query_one("#runs", DataTable)
        await wait_until(pilot, lambda: runs.row_count == 1, what="the run's row")
        assert "early_stopping=1" in str(runs.get_row_at(0)[1])
        assert any("Early stopping" in note for note in app.session.notes)


async def test_equal_weights_draw_identical_units(open_lab):
    async with lesson_lab(open_lab, 5) as pilot:
        app = pilot.app
        set_fields(app, dataset="synthetic", epochs=1)
        await run_with_fields(pilot)
        pictures = app.step_view.body.query_one("#artifact-images")
        await wait_until(pilot, lambda: "unit 8" in shown_text(pictures), what="the units drawn")
        runs = app.step_view.body.query_one("#runs", DataTable)
        await wait_until(pilot, lambda: runs.row_count == 1, what="the run's row")
        assert str(runs.get_row_at(0)[-1]) == "0"  # distinct units: none


async def test_transfer_draws_three_paths_against_labels_per_class(open_lab):
    async with lesson_lab(open_lab, 8) as pilot:
        app = pilot.app
        set_fields(app, dataset="synthetic", labels="2,4", pretrain_epochs=1, steps=10)
        await run_with_fields(pilot)
        plot = app.panel.plot_area.plot("accuracy vs labels per class")
        assert plot.log_x
        for way in ("scratch", "finetune", "probe"):
            assert plot.series[way].xs == [2.0, 4.0]
        assert "linear probe" in shown_text(app.step_view.body.query_one("#artifact-table"))  # a column


async def test_the_width_sweep_plots_each_model_and_the_fit_on_log_log_axes(open_lab):
    async with lesson_lab(open_lab, 10) as pilot:
        app = pilot.app
        set_fields(app, dataset="synthetic", widths="2,4,8", images=400, epochs=1)
        await run_with_fields(pilot)
        plot = app.panel.plot_area.plot("test loss vs parameters")
        assert plot.log_x and plot.log_y
        assert len(plot.series["parameters"]) == 3 and len(plot.series["fit"]) == 2
        assert any("models; about" in note for note in app.session.notes)  # the time it would take, said first


async def test_the_parameter_count_takes_a_slip_then_the_answer(open_lab):
    async with lesson_lab(open_lab, 9) as pilot:
        width = 64  # the question's layer: 784-64-10
        weights = 784 * width + width * 10
        said = await answer_judged(pilot, str(weights))  # the weights without the biases: a slip it names
        assert "bias" in said
        said = await answer_judged(pilot, str(weights + width + 10))
        assert "orrect" in said
