"""Resets, jumps, hint tiers and the solutions policy, seeds, plot readout and export."""

import csv

import pytest
from textual.widgets import Input

from engines.core import registry
from engines.core.params import ParamError
from tui_lab.messages import RunCommand
from tui_lab.run_session import RunState
from tui_lab.widgets.steps.run import RunBody

from conftest import run_cli, wait_until
from mnist_fixtures import write_root
from pilot import lab_ready, shown_text, type_answer


def feedback(app) -> str:
    return shown_text(app.step_view.body.query_one(".feedback"))


async def started(pilot):
    await lab_ready(pilot)  # a run draws into the bottom panel, mounted after the first paint


async def test_reset_a_step_with_r_after_confirming(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await app.open_step("gradient-descent", 3)
        app.step_view.focus_first()
        await type_answer(pilot, "2.8")
        assert app.progress.state("gradient-descent", 3) == "solved"
        await pilot.press("tab", "r")  # off the answer field, r asks to reset
        await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", what="the question")
        await pilot.press("n")  # no: nothing happens
        assert app.progress.state("gradient-descent", 3) == "solved"
        await pilot.press("r")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", what="the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.progress.state("gradient-descent", 3) != "solved", what="the reset")
        assert app.progress.step("gradient-descent", 3).get("answer") is None
        assert app.step_view.body.query_one(Input).value == ""


async def test_reset_a_whole_lesson_from_the_palette(make_lab):
    from test_app import use_palette

    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("f8", "f8")
        assert app.progress.solved_count("gradient-descent", 11) >= 1
        await use_palette(pilot, "f1", "reset this lesson", lambda: type(app.screen).__name__ == "Confirm")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.progress.solved_count("gradient-descent", 11) <= 1, what="the reset")


def test_reset_all_from_the_command_line(tmp_path):
    from tui_lab.progress import ProgressStore

    store = ProgressStore()
    store.mark("gradient-descent", 2, "solved")
    refused = run_cli("reset", "--all")  # no terminal to confirm on
    assert refused.returncode == 2 and "add --yes" in refused.stderr
    assert ProgressStore().state("gradient-descent", 2) == "solved"
    done = run_cli("reset", "--all", "--yes")
    assert done.returncode == 0 and "Reset ALL your progress" in done.stdout
    assert ProgressStore().state("gradient-descent", 2) == "new"
    assert run_cli("reset", "nonsense", "--yes").returncode == 2


def test_start_from_is_checked_before_the_lab_opens():
    bad = run_cli("--start-from", "backprop:99")
    assert bad.returncode == 2 and "'backprop' has steps 1–" in bad.stderr
    assert "No lesson 'nope'" in run_cli("--start-from", "nope").stderr


async def test_the_lab_opens_where_start_from_says(make_lab):
    from tui_lab.app import parse_start

    app = make_lab()
    app.start_from = parse_start(app.catalog, "optimizers:5")
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert app.current == ("optimizers", 5)


async def test_hints_come_in_tiers_and_unlock_the_solution(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await app.open_step("gradient-descent", 2)
        body = app.step_view.body
        body.query_one("#reveal").press()
        await pilot.pause()
        assert "unlocks after the last hint (3 more" in feedback(app)
        for tier in (1, 2, 3):
            body.query_one("#hint").press()
            await pilot.pause()
            assert f"Hint {tier}/3" in body.query_one(".hint").visual.plain
        assert "= −28." in body.query_one(".hint").visual.plain  # the last tier is the worked value
        body.query_one("#reveal").press()
        await pilot.pause()
        assert "The answer is −28 (revealed)" in feedback(app)
        assert app.progress.state("gradient-descent", 2) == "revealed"


async def test_a_teacher_can_hide_solutions(make_lab, monkeypatch):
    monkeypatch.setenv("TUI_LAB_HIDE_SOLUTIONS", "1")
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await app.open_step("gradient-descent", 8)  # a find-the-error step
        body = app.step_view.body
        for _ in range(len(app.step_view.step.hints) + 1):  # every hint, then one more
            body.query_one("#hint").press()
            await pilot.pause()
        await wait_until(pilot, lambda: "No more hints." in feedback(app), what="the hints read")
        assert "Reveal shows the solution" not in feedback(app)
        body.query_one("#reveal").press()  # hidden even after the last hint
        await wait_until(pilot, lambda: "Your teacher has hidden the solutions" in feedback(app), what="the refusal")
        assert app.progress.state("gradient-descent", 8) not in ("solved", "revealed")


def test_the_solutions_setting_can_come_from_a_shared_file(tmp_path, monkeypatch):
    from tui_lab.config import load_config

    shared = tmp_path / "class.toml"
    shared.write_text("hide_solutions = true\n")
    monkeypatch.setenv("TUI_LAB_CONFIG", str(shared))
    assert load_config().hide_solutions is True
    shared.write_text("hide_solutions = 'maybe'\n")
    config = load_config()
    assert config.hide_solutions is False and "must be true or false" in " ".join(config.problems)


@pytest.fixture
def mnist_lab(make_lab, tmp_path):
    root = tmp_path / "mnist-data"
    write_root(root, "mnist", train=200, test=100)
    return make_lab(data_dir=str(root))


async def _train(pilot, key: str) -> list[float]:
    """Press ``key`` (F5, or N for a new seed) and wait for that training run to end; returns
    its loss curve as plotted."""
    app = pilot.app
    before = app.session
    await pilot.press(key)
    await wait_until(pilot, lambda: app.session is not before and app.session.index == 5 and not app.session.active,
                     timeout=120, what="a training run")
    assert app.session.state == "completed", app.session.message
    plot = app.panel.plot_area.plot("training loss")
    await wait_until(pilot, lambda: len(plot.series.get("loss", ())) == len(app.session.losses),
                     what="every loss of the run on the plot")
    return list(plot.series["loss"].ys)


async def test_same_seed_same_curve_new_seed_another(mnist_lab):
    app = mnist_lab
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await app.open_step("mnist", 5)
        await pilot.pause()
        for name, value in (("epochs", "8"), ("batch_size", "20"), ("seed", "7")):
            app.screen.query_one(f"#param-{name}", Input).value = value
        app.step_view.focus_first()
        first = await _train(pilot, "f5")
        assert app.session.seed == 7 and "seed 7" in app.status.state
        second = await _train(pilot, "f5")  # the same initialisation again
        assert second == first and len(first) > 5
        third = await _train(pilot, "n")  # a new seed
        assert app.session.seed != 7 and third != first


async def test_plot_readout_and_csv_export(make_lab, isolated_home):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await app.open_step("gradient-descent", 7)
        app.step_view.focus_first()
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "completed", what="the run")
        plot = app.panel.plot_area.plot("theta")
        await wait_until(pilot, lambda: plot.points == 41, what="the run's 41 points on the plot")
        plot.focus()
        await pilot.press("end", "left")  # one point back from the newest
        assert plot.readout().startswith("step 39 · θ ")
        await pilot.press("home")
        assert plot.readout() == "step 0 · θ 0"
        app.step_view.focus_first()
        await pilot.press("e")
        exports = list((isolated_home / "home" / "exports").glob("gradient-descent-step7-*.csv"))
        assert len(exports) == 1
        rows = list(csv.DictReader(exports[0].open()))
        thetas = [r for r in rows if r["key"] == "theta"]
        assert len(thetas) == 41 and float(thetas[1]["y"]) == pytest.approx(0.1 * 28)  # α = 0.1: variant 0's own rate
        await pilot.press("S")
        assert list((isolated_home / "home" / "exports").glob("screen-*.svg"))


def test_the_live_lr_control_checks_with_the_engines_own_spec(make_lab):
    app = make_lab()
    step = app.catalog.get("mnist").step(5)
    body = RunBody(step, {}, {}, None)
    assert body.lr_control is registry.engine(step.engine).control("lr")  # not the run parameter's copy


async def test_apply_lr_now_accepts_and_refuses_what_the_engine_does(make_lab, tmp_path):
    root = tmp_path / "mnist-data"
    write_root(root, "mnist", train=200, test=100)
    app = make_lab(data_dir=str(root))
    posted: list[RunCommand] = []  # each once (the hook sees a message at every widget it bubbles to)

    def hook(message) -> None:
        if isinstance(message, RunCommand) and not any(message is seen for seen in posted):
            posted.append(message)
            sent.append(message.command)

    sent: list[dict] = []

    lr = registry.engine("mnist").control("lr")
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await started(pilot)
        await app.open_step("mnist", 5)
        await pilot.pause()
        app.screen.query_one("#param-epochs", Input).value = "200"  # still going while we try values
        app.step_view.focus_first()
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == RunState.RUNNING, timeout=120,
                         what="the training run")
        body = app.step_view.body
        body.query_one("#pause").press()
        await wait_until(pilot, lambda: str(body.query_one("#pause").label) == "Resume", what="the paused run")
        assert {"cmd": "pause"} in sent
        field, apply = body.query_one("#param-lr", Input), body.query_one("#set-lr")
        for refused in ("0", "20"):
            with pytest.raises(ParamError) as error:
                lr.parse(refused)
            field.value = refused
            apply.press()
            await wait_until(pilot, lambda: feedback(app) == str(error.value), what=f"lr {refused} refused")
        field.value = "0.5"
        apply.press()
        await wait_until(pilot, lambda: {"cmd": "set_lr", "lr": lr.parse("0.5")} in sent, what="the set_lr command")
        assert [c for c in sent if c["cmd"] == "set_lr"] == [{"cmd": "set_lr", "lr": 0.5}]
        await pilot.press("f6")
        await wait_until(pilot, lambda: not app.session.active, timeout=60, what="the stop")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_paced_controls_step_says_paused_and_marks_an_lr_change(open_lab, tmp_path, size):
    root = tmp_path / "mnist-data"
    write_root(root, "mnist", train=200, test=100)
    async with open_lab("mnist:5", size=size, data_dir=str(root)) as pilot:
        app = pilot.app
        body = app.step_view.body
        body.form.set_value("epochs", 200)  # still going while the controls are tried
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == RunState.RUNNING and app.session.step,
                         timeout=120, what="the training run")
        assert app.session.params["step_seconds"] > 0  # the step runs paced, to be steerable on a CPU
        body.query_one("#pause").press()
        await wait_until(pilot, lambda: app.status.state == "paused", what="the status bar saying paused")
        assert "running" not in app.status.text
        await wait_until(pilot, lambda: "Paused at step" in shown_text(body.query_one(".notes")), what="its note")
        body.query_one("#pause").press()
        await wait_until(pilot, lambda: app.status.state.startswith("running"), what="running again")
        body.form.set_value("lr", 0.05)
        body.query_one("#set-lr").press()
        plot = app.panel.plot_area.plot("training loss")
        await wait_until(pilot, lambda: [label for _, label in plot.markers] == ["lr 0.05"], what="the lr marker")
        await wait_until(pilot, lambda: "Learning rate set to 0.05 from step" in shown_text(body.query_one(".notes")),
                         what="the engine's confirmation")
        await pilot.press("f6")
        await wait_until(pilot, lambda: not app.session.active, timeout=60, what="the stop")


def test_a_paced_run_waits_after_every_step_from_its_start(tmp_path):
    """``step_seconds`` as a run parameter paces the run from its start, as slow motion does
    mid-run: each step is reported (an unpaced run reports every ``log_every`` steps)."""
    from engines.core.events import Progress
    from engines.core.runtime import run_engine
    from engines.mnist.engine import TRAIN

    from conftest import cpu_control

    write_root(tmp_path / "data", "mnist", train=200, test=100)
    quick = {"dataset": "mnist", "epochs": 1, "batch_size": 50, "checkpoint": "off", "log_every": 10}
    steps = {}
    for pace in (0.0, 0.05):
        events = run_engine(TRAIN, {**quick, "step_seconds": pace}, cpu_control(str(tmp_path / "data")))
        steps[pace] = [e.step for e in events if isinstance(e, Progress)]
    assert steps[0.0] == [4]  # one report: the epoch's end
    assert steps[0.05] == [1, 2, 3, 4]
