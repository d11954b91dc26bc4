"""The MNIST lesson with the keyboard, on a tiny dataset in MNIST's own format: one test per thing a student does."""

import pytest
from textual.widgets import Input, OptionList

from tui_lab.progress import ProgressStore

from mnist_fixtures import write_root
from pilot import answer_judged, feedback_shows, find_the_errors, run_step, solved, step_done, text_shown, type_answer, wait_until

LESSON = "mnist"
TRAINING = 300  # seconds: a hang guard for runs that train a network on a loaded machine


@pytest.fixture
def mnist_lab(open_lab, tmp_path):
    """``async with mnist_lab(STEP) as pilot``: the lab at that MNIST step, on the tiny dataset."""
    root = tmp_path / "mnist-data"
    write_root(root, "mnist", train=200, test=100)
    return lambda step: open_lab(f"{LESSON}:{step}", size=(120, 45), data_dir=str(root))


async def test_meet_the_digits_draws_samples_and_the_class_balance(mnist_lab):
    async with mnist_lab(2) as pilot:
        app = pilot.app
        await run_step(pilot, timeout=TRAINING)
        samples = app.session.latest["samples"]
        assert len(samples["images"]) == 10 and sum(samples["class_counts"]) > 0
        await text_shown(pilot, "Class balance", within="#artifact-samples")
        await step_done(pilot)


async def test_counting_the_parameters_a_wrong_try_then_right(mnist_lab):
    async with mnist_lab(3) as pilot:
        await answer_judged(pilot, "101")
        await type_answer(pilot, "101770")
        assert (await feedback_shows(pilot, "Correct")).startswith("✓ Correct")
        await solved(pilot)


async def test_training_the_mlp_shows_live_plots_a_confusion_matrix_and_health(mnist_lab):
    async with mnist_lab(5) as pilot:
        app = pilot.app
        await run_step(pilot, timeout=TRAINING)
        assert app.session.evaluations and 0 <= app.session.evaluations[-1]["test_accuracy"] <= 1
        accuracy = app.panel.plot_area.plot("accuracy per epoch")
        assert len(accuracy.series["test_accuracy"]) == 3  # one point per epoch
        assert app.panel.plot_area.plot("training loss").points > 0
        await text_shown(pilot, "Confusion matrix", within="#artifact-confusion_matrix")
        await text_shown(pilot, "Network health", within="#artifact-health")
        await step_done(pilot)


async def test_find_the_error_in_the_softmax_claim(mnist_lab):
    async with mnist_lab(6) as pilot:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen.focused, OptionList),
                         what="the keyboard in the lines")
        assert (await find_the_errors(pilot)).startswith("✓ Right: lines")
        await solved(pilot)


async def test_find_the_error_in_the_from_logits_claim(mnist_lab):
    async with mnist_lab(7) as pilot:
        assert (await find_the_errors(pilot)).startswith("✓ Right: lines")
        await solved(pilot)


async def test_softmax_twice_is_measured(mnist_lab):
    async with mnist_lab(8) as pilot:
        await run_step(pilot, timeout=TRAINING)
        await step_done(pilot)


async def train_the_cnn(pilot) -> None:
    """Step 9 with a batch the tiny training set can fill."""
    pilot.app.screen.query_one("#param-batch_size", Input).value = "50"
    await run_step(pilot, timeout=TRAINING)


async def test_a_batch_larger_than_the_training_set_is_refused_then_the_cnn_trains(mnist_lab):
    async with mnist_lab(9) as pilot:
        app = pilot.app
        await run_step(pilot, state="failed", timeout=TRAINING)  # batch 256 > 200 training images
        assert "batch" in app.session.message.lower()
        await train_the_cnn(pilot)
        assert any(n.startswith("Checkpoint saved") for n in app.session.notes)
        await step_done(pilot)


async def test_a_drawn_digit_gets_probabilities_and_leaving_the_pad_stops_its_engine(mnist_lab):
    async with mnist_lab(9) as pilot:
        app = pilot.app
        await train_the_cnn(pilot)  # the pad's engine answers with this network
        await pilot.press("f8")
        await wait_until(pilot, lambda: app.session.index == 10 and app.session.state == "running",
                         timeout=TRAINING, what="the drawing engine")
        pad = app.screen.query_one("#pad")
        assert app.screen.focused is pad
        await pilot.press("space", "down", "down", "down", "down", "space")  # a short stroke
        await wait_until(pilot, lambda: "probabilities" in app.session.latest, what="a prediction")
        probs = app.session.latest["probabilities"]["probs"]
        assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-4
        await step_done(pilot)
        await pilot.press("f8")  # 11: the recap
        await wait_until(pilot, lambda: not app.session.active, what="the drawing engine to stop")


async def test_the_recap_completes_the_lesson(mnist_lab):
    store = ProgressStore()
    for index in range(1, 11):
        store.mark(LESSON, index, "solved")
    async with mnist_lab(10) as pilot:
        await pilot.press("f8")
        assert pilot.app.current == (LESSON, 11)
        assert pilot.app.progress.solved_count(LESSON, 11) == 11


async def test_live_controls_change_a_running_training(mnist_lab):
    async with mnist_lab(5) as pilot:
        app = pilot.app
        app.screen.query_one("#param-epochs", Input).value = "1000"  # long enough to steer
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "running" and app.session.evaluations,
                         timeout=TRAINING, what="a running training")
        body = app.step_view.body
        app.screen.query_one("#param-lr", Input).value = "0.0005"
        body.query_one("#set-lr").press()
        body.query_one("#one-more-epoch").press()
        await wait_until(pilot, lambda: any("Learning rate set to 0.0005" in n for n in app.session.notes)
                         and any("One more epoch" in n for n in app.session.notes), what="the engine's answers")
        assert app.session.total_steps > 1000 * 4  # the ETA now counts the extra epoch
        pause = body.query_one("#pause")
        pause.press()
        await text_shown(pilot, "Resume", within="#pause")
        pause.press()
        await pilot.press("f6")
        await wait_until(pilot, lambda: not app.session.active, what="the stop")
        assert app.session.state == "stopped"
        assert "terminated" not in app.session.message  # it stopped itself, keeping its work
        # The newest checkpoint is the stop's own, or the epoch-end one when the stop
        # arrived during the epoch's evaluation (the model had not changed since).
        checkpoint = [n for n in app.session.notes if n.startswith("Checkpoint saved")]
        assert checkpoint and ("stopped)" in checkpoint[-1] or "epoch end)" in checkpoint[-1])
