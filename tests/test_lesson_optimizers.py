"""The optimizers lesson with the keyboard only: one test for each thing a student does."""

from textual.widgets import DataTable, Input, OptionList

from engines.core import registry
from tui_lab.progress import ProgressStore

from pilot import answer_judged, feedback_shows, find_the_errors, lab_ready, run_step, solved, step_done, table_shown, text_shown, type_answer, wait_until

LESSON = "optimizers"
TORCH_RUN = 180  # seconds: a hang guard for runs that start torch in the engine process


async def test_the_lesson_opens_from_the_palette_at_its_first_step(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await app.open_lesson_from_palette(LESSON)
        await wait_until(pilot, lambda: app.current == (LESSON, 1), what="the lesson's first step")


async def test_plain_gradient_descents_answer_is_not_momentums_then_right(open_lab):
    async with open_lab(f"{LESSON}:1", variant=0) as pilot:
        await pilot.press("f8")
        assert isinstance(pilot.app.screen.focused, Input)
        await answer_judged(pilot, "1.68")
        await text_shown(pilot, "Hint 1/3", within=".hint")
        await type_answer(pilot, "4.2")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct")
        await solved(pilot)


async def test_the_articles_ema_momentum_is_correct(open_lab):
    async with open_lab(f"{LESSON}:3", variant=0) as pilot:
        await type_answer(pilot, "0.28")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct")
        await solved(pilot)


async def test_a_learner_computes_on_their_own_numbers(open_lab):
    own, article = registry.values("opt.values")(4), registry.values("opt.values")(0)
    async with open_lab(f"{LESSON}:3", variant=4) as pilot:
        await text_shown(pilot, f"θ₀ = {own['theta0']:g}")
        await answer_judged(pilot, f"{article['ema_theta1']:.6g}")  # variant 0's answer is not theirs
        await type_answer(pilot, f"{own['ema_theta1']:.6g}")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct")
        await solved(pilot)


async def test_an_empty_answer_asks_for_a_number_then_adams_first_step_is_alpha(open_lab):
    async with open_lab(f"{LESSON}:5", variant=0) as pilot:
        await type_answer(pilot, "")
        await feedback_shows(pilot, "Type a number first")
        await type_answer(pilot, "0.1")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct")
        await solved(pilot)


async def test_the_formulas_match_torch_optim_step_by_step(open_lab):
    async with open_lab(f"{LESSON}:6") as pilot:
        app = pilot.app
        await run_step(pilot, timeout=TORCH_RUN)
        assert app.session.summary["max_abs_diff"] < 1e-9
        table = app.step_view.body.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 11, what="the comparison table")
        await step_done(pilot)


async def test_find_the_error_in_the_articles_adam(open_lab):
    async with open_lab(f"{LESSON}:7") as pilot:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen.focused, OptionList),
                         what="the keyboard in the lines")
        assert (await find_the_errors(pilot)).startswith("✓ Right: line")
        await solved(pilot)


async def race_with_lr(pilot, lr: str) -> None:
    await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab", "shift+tab")  # Run → … → lr
    assert pilot.app.screen.focused.id == "param-lr"
    await type_answer(pilot, lr)


async def test_too_large_a_learning_rate_diverges_the_race(open_lab):
    async with open_lab(f"{LESSON}:8") as pilot:
        app = pilot.app
        await race_with_lr(pilot, "0.01")
        await wait_until(pilot, lambda: app.session and app.session.index == 8 and not app.session.active,
                         what="a divergent race")
        assert app.session.state == "diverged"
        await feedback_shows(pilot, "sgd")


async def test_the_race_at_the_default_rate_ends_with_adam_at_the_minimum(open_lab):
    async with open_lab(f"{LESSON}:8") as pilot:
        app = pilot.app
        await race_with_lr(pilot, "0.001")
        await wait_until(pilot, lambda: app.session and app.session.index == 8 and app.session.state == "completed",
                         what="the race")
        paths = app.panel.plot_area.plot("path in (x, y)")
        assert set(paths.series) == {"sgd", "momentum", "adam"}
        adam = paths.series["adam"]
        assert abs(adam.xs[-1] - 1) < 0.01 and abs(adam.ys[-1] - 1) < 0.01  # Adam found the minimum
        await step_done(pilot)


async def test_the_published_loop_runs(open_lab):
    async with open_lab(f"{LESSON}:9") as pilot:
        await run_step(pilot, timeout=TORCH_RUN)
        await step_done(pilot)


async def test_find_the_missing_zero_grad(open_lab):
    async with open_lab(f"{LESSON}:10") as pilot:
        app = pilot.app
        await wait_until(pilot, lambda: isinstance(app.screen.focused, OptionList), what="the keyboard in the lines")
        assert (await find_the_errors(pilot)).startswith("✓ Right: line 4")
        await text_shown(pilot, "zero_grad", within="#compare")
        _, published, correct = zip(*table_shown(app.screen.query_one("#compare"), ("#", "As published", "Correct")))
        differs = [a.replace(" ", "") != b.replace(" ", "") for a, b in zip(published, correct)]
        assert "zero_grad" in correct[3] and differs[3] and not any(differs[:3])
        await solved(pilot)


async def test_the_published_loop_swings_while_the_fixed_one_converges(open_lab):
    async with open_lab(f"{LESSON}:11") as pilot:
        app = pilot.app
        await run_step(pilot, timeout=TORCH_RUN)
        curves = app.panel.plot_area.plot("loss: published loop vs fixed").series
        fixed, buggy = curves["fixed_loss"].ys, curves["buggy_loss"].ys
        assert fixed[0] == buggy[0]  # the same start
        assert fixed[-1] < fixed[0] / 10 and max(buggy[-10:]) > 10 * fixed[-1]  # one converges, one swings
        await step_done(pilot)


async def test_the_recap_completes_the_lesson(open_lab):
    store = ProgressStore()
    for index in range(1, 12):
        store.mark(LESSON, index, "solved")
    async with open_lab(f"{LESSON}:11") as pilot:
        await pilot.press("f8")
        assert pilot.app.current == (LESSON, 12)
        assert pilot.app.progress.solved_count(LESSON, 12) == 12
