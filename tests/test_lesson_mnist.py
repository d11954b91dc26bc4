"""A student walks the MNIST lesson with the keyboard, on a tiny dataset in MNIST's own format."""

import pytest
from textual.widgets import Input, OptionList

from conftest import wait_until
from mnist_fixtures import write_root
from test_lesson_gradient_descent import feedback, type_answer

LESSON = "mnist"


@pytest.fixture
def mnist_lab(make_lab, tmp_path):
    root = tmp_path / "mnist-data"
    write_root(root, "mnist", train=200, test=100)
    return make_lab(data_dir=str(root))


def artifact_text(app, kind: str) -> str:
    """The drawn artifact as plain text, as a terminal without colour shows it."""
    from rich.console import Console

    console = Console(width=120, no_color=True, record=True, file=open("/dev/null", "w"))
    console.print(app.step_view.body.query_one(f"#artifact-{kind}").content)
    return console.export_text()


async def run_and_wait(pilot, index: int, state: str = "completed", timeout: float = 120) -> None:
    app = pilot.app
    await pilot.press("f5")
    await wait_until(pilot, lambda: app.session and app.session.index == index and not app.session.active,
                     timeout=timeout, what=f"the run of step {index}")
    assert app.session.state == state, app.session.message
    await pilot.pause(0.3)  # the last drain reaches the step view


async def test_walk_the_mnist_lesson_with_the_keyboard(mnist_lab):
    app = mnist_lab
    async with app.run_test(size=(120, 45)) as pilot:
        await wait_until(pilot, lambda: app.current is not None, what="first step")
        await app.open_lesson_from_palette(LESSON)
        await pilot.pause()

        # 2: meet the digits — samples drawn, class balance
        await pilot.press("f8")
        await run_and_wait(pilot, 2)
        samples = app.session.latest["samples"]
        assert len(samples["images"]) == 10 and sum(samples["class_counts"]) > 0
        assert "Class balance" in artifact_text(app, "samples")

        # 3: count the parameters, a wrong try first
        await pilot.press("f8")
        await type_answer(pilot, "101")
        assert "is not it" in feedback(app)
        await type_answer(pilot, "101770")
        assert feedback(app).startswith("✓ Correct")

        # 5: train the MLP with live loss and accuracy, confusion matrix, health
        await pilot.press("f8", "f8")
        await run_and_wait(pilot, 5)
        assert app.session.evaluations and 0 <= app.session.evaluations[-1]["test_accuracy"] <= 1
        accuracy = app.panel.plot_area.plot("accuracy per epoch")
        assert len(accuracy.series["test_accuracy"]) == 3  # one point per epoch
        assert app.panel.plot_area.plot("training loss").points > 0
        assert "Confusion matrix" in artifact_text(app, "confusion_matrix")
        assert "Network health" in artifact_text(app, "health")

        # 6 and 7: the articles' claims
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen.focused, OptionList)
        await pilot.press("enter")
        assert "Line 1 is correct" in feedback(app)
        await pilot.press("down", "down", "down", "down", "enter")
        assert feedback(app).startswith("✓ Right: line 5, 6")
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        assert feedback(app).startswith("✓ Right: line 3, 4")

        # 8: softmax twice, measured
        await pilot.press("f8")
        await run_and_wait(pilot, 8)

        # 9: the CNN — batch 256 is larger than this tiny training set: refused, then fixed
        await pilot.press("f8")
        await pilot.pause()
        await run_and_wait(pilot, 9, state="failed")
        assert "batch" in app.session.message.lower()
        field = app.screen.query_one("#param-batch_size", Input)
        field.value = "50"
        await run_and_wait(pilot, 9)
        assert any(n.startswith("Checkpoint saved") for n in app.session.notes)

        # 10: draw a digit for the CNN just trained
        await pilot.press("f8")
        await wait_until(pilot, lambda: app.session.index == 10 and app.session.state == "running",
                         timeout=60, what="the drawing engine")
        pad = app.screen.query_one("#pad")
        assert app.screen.focused is pad
        await pilot.press("space", "down", "down", "down", "down", "space")  # a short stroke
        await wait_until(pilot, lambda: "probabilities" in app.session.latest, timeout=30, what="a prediction")
        probs = app.session.latest["probabilities"]["probs"]
        assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-4
        await wait_until(pilot, lambda: app.progress.state(LESSON, 10) == "done", what="the drawing step done")

        # 11: leaving the pad stops its engine; the lesson is complete
        await pilot.press("f8")
        await wait_until(pilot, lambda: not app.session.active, what="the drawing engine to stop")
        assert app.progress.done_count(LESSON, 11) == 11


async def test_live_controls_change_a_running_training(mnist_lab):
    app = mnist_lab
    async with app.run_test(size=(120, 45)) as pilot:
        await wait_until(pilot, lambda: app.current is not None, what="first step")
        await app.open_step(LESSON, 5)
        await pilot.pause()
        app.screen.query_one("#param-epochs", Input).value = "1000"  # long enough to steer
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "running" and app.session.evaluations,
                         timeout=60, what="a running training")
        body = app.step_view.body
        app.screen.query_one("#param-lr", Input).value = "0.0005"
        body.query_one("#set-lr").press()
        body.query_one("#one-more-epoch").press()
        await wait_until(pilot, lambda: any("Learning rate set to 0.0005" in n for n in app.session.notes)
                         and any("One more epoch" in n for n in app.session.notes), what="the engine's answers")
        assert app.session.total_steps > 1000 * 4  # the ETA now counts the extra epoch
        pause = body.query_one("#pause")
        pause.press()
        await pilot.pause()
        assert str(pause.label) == "Resume"
        pause.press()
        await pilot.press("f6")
        await wait_until(pilot, lambda: not app.session.active, what="the stop")
        assert app.session.state == "stopped"
        assert "terminated" not in app.session.message  # it stopped itself, keeping its work
        # The newest checkpoint is the stop's own, or the epoch-end one when the stop
        # arrived during the epoch's evaluation (the model had not changed since).
        checkpoint = [n for n in app.session.notes if n.startswith("Checkpoint saved")]
        assert checkpoint and ("stopped)" in checkpoint[-1] or "epoch end)" in checkpoint[-1])
