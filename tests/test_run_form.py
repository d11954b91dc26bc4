"""The run settings form, driven with the keyboard at 80×24 and 120×40: lists, fields checked
as they are typed, edits kept with progress, defaults, Tab, F5, letter keys and their twins."""

import pytest
from textual.widgets import Input, Select

from engines.core import registry
from engines.core.events import Failed, alternative_run
from engines.core.params import ParamError
from tui_lab.messages import RunCommand
from tui_lab.progress import ProgressStore
from tui_lab.run_session import RunSession

from mnist_fixtures import write_root
from pilot import feedback_shows, lab_ready, shown_text, wait_until

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def form(app):
    return app.step_view.body.form


def focused_id(app) -> str | None:
    return app.focused.id if app.focused is not None else None


def mark(app, name: str) -> str:
    return shown_text(form(app).query_one(f"#mark-{name}")).strip()


async def tab_to(pilot, name: str) -> None:
    """Tab from the step's first control until the keyboard is on ``name``'s row."""
    for _ in range(len(form(pilot.app).params) + 1):
        if focused_id(pilot.app) == f"param-{name}":
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached {name}")


@pytest.fixture
def mnist_here(tmp_path):
    """A data folder with (tiny) MNIST in it: MNIST is what this computer has."""
    write_root(tmp_path / "data-here", "mnist", train=60, test=20)
    return str(tmp_path / "data-here")


@pytest.mark.parametrize("size", SIZES)
async def test_a_choice_is_picked_from_its_list_with_the_keyboard(open_lab, mnist_here, size):
    choices = next(p for p in registry.engine("mnist").params if p.name == "model").choices
    async with open_lab("mnist:5", size=size, data_dir=mnist_here) as pilot:
        app = pilot.app
        model = form(app).control("model")
        assert isinstance(model, Select) and model.value == "mlp-128"
        await tab_to(pilot, "model")
        await pilot.press("enter", "down", "enter")
        following = choices[choices.index("mlp-128") + 1]
        await wait_until(pilot, lambda: model.value == following, what="the next model chosen")
        assert mark(app, "model") == "●"
        assert app.progress.step_params("mnist", 5) == {"model": following}


@pytest.mark.parametrize("size", SIZES)
async def test_the_lessons_dataset_changes_in_four_keys_and_holds_for_every_step(open_lab, mnist_here, size):
    async with open_lab("mnist:5", size=size, data_dir=mnist_here) as pilot:
        app = pilot.app
        assert focused_id(app) == "run"  # the step's first focus
        dataset = form(app).control("dataset")
        assert dataset.value == "mnist"  # what is on this computer
        assert "MNIST: it is on this computer." in shown_text(form(app).query_one(".note"))
        await pilot.press("tab", "enter", "down", "enter")
        await wait_until(pilot, lambda: dataset.value == "fashion-mnist", what="Fashion-MNIST chosen")
        await wait_until(pilot, lambda: app.progress.lesson_params("mnist") == {"dataset": "fashion-mnist"},
                         what="the lesson's choice kept")
        assert "your choice for every step of this lesson" in shown_text(form(app).query_one(".note"))
        await pilot.press("f8", "f8", "f8", "f8")  # on to step 9, another run step
        await wait_until(pilot, lambda: app.current == ("mnist", 9), what="step 9")
        assert form(app).control("dataset").value == "fashion-mnist"
        assert app.progress.step_params("mnist", 5) == {}  # a lesson's choice, not one step's edit


@pytest.mark.parametrize("size", SIZES)
async def test_a_by_hand_steps_defaults_are_the_learners_variants(open_lab, monkeypatch, size):
    from engines.byhand.optimizer_variants import inputs

    variant = next(v for v in range(1, 100) if inputs(v).lr != inputs(0).lr)  # one with its own α
    monkeypatch.setenv("TUI_LAB_VARIANT", str(variant))
    async with open_lab("optimizers:6", size=size) as pilot:
        app = pilot.app
        assert "variant" not in form(app).params  # the lab fills it, the learner does not type it
        assert float(form(app).control("lr").value) == inputs(variant).lr
        assert float(form(app).control("momentum").value) == inputs(variant).momentum
        assert mark(app, "lr") == "" and mark(app, "momentum") == ""


@pytest.mark.parametrize("size", SIZES)
async def test_n_in_a_number_field_is_neither_typed_nor_a_new_seed_and_outside_it_reseeds(open_lab, size):
    async with open_lab("gradient-descent:10", size=size) as pilot:
        app = pilot.app
        seed = form(app).control("seed")
        await tab_to(pilot, "seed")
        await pilot.press("n")
        assert seed.value == "0" and app.session is None
        app.step_view.focus_first()  # the Run button: not a text field
        await pilot.press("n")
        await wait_until(pilot, lambda: app.session is not None, what="a run with a new seed")
        assert app.session.seed == int(seed.value) != 0
        await wait_until(pilot, lambda: not app.session.active, what="the end of the run")
        before = app.session
        await tab_to(pilot, "seed")
        await pilot.press("ctrl+n")  # the twin acts in a field too
        await wait_until(pilot, lambda: app.session is not before, what="another run with a new seed")
        assert app.session.seed == int(seed.value)


@pytest.mark.parametrize("size", SIZES)
async def test_edited_values_survive_a_restart_and_show_as_changed(make_lab, size):
    first = make_lab(start="gradient-descent:7")
    async with first.run_test(size=size) as pilot:
        await lab_ready(pilot)
        await tab_to(pilot, "lr")
        await pilot.press(*"0.05")
        await wait_until(pilot, lambda: first.progress.step_params("gradient-descent", 7) == {"lr": 0.05},
                         what="the edit kept")
    assert ProgressStore().step_params("gradient-descent", 7) == {"lr": 0.05}
    second = make_lab(start="gradient-descent:7")
    async with second.run_test(size=size) as pilot:
        await lab_ready(pilot)
        assert form(second).control("lr").value == "0.05"
        assert mark(second, "lr") == "●" and mark(second, "steps") == ""


@pytest.mark.parametrize("size", SIZES)
async def test_ctrl_z_sets_every_row_back_to_the_steps_defaults(open_lab, size):
    async with open_lab("gradient-descent:7", size=size) as pilot:
        app = pilot.app
        await tab_to(pilot, "theta0")
        await pilot.press("ctrl+a", "ctrl+k", *"2.5", "tab", *"12")
        await wait_until(pilot, lambda: app.progress.step_params("gradient-descent", 7) == {"theta0": 2.5,
                                                                                            "steps": 12},
                         what="both edits kept")
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: app.progress.step_params("gradient-descent", 7) == {}, what="edits forgotten")
        # variant 0's own α and θ₀ (the tests' learner), and the step's 40 steps
        for name, default in {"lr": 0.1, "theta0": 0.0, "steps": 40}.items():
            assert float(form(app).control(name).value) == default
            assert mark(app, name) == ""


@pytest.mark.parametrize("size", SIZES)
async def test_a_refused_number_gets_the_engines_sentence_and_run_does_not_start(open_lab, size):
    lr = next(p for p in registry.engine("gd.iterate").params if p.name == "lr")
    with pytest.raises(ParamError) as refusal:
        lr.parse("-0.1")
    async with open_lab("gradient-descent:7", size=size) as pilot:
        app = pilot.app
        await tab_to(pilot, "lr")
        await pilot.press(*"-0.1")
        under_the_row = form(app).query_one("#problem-lr")
        await wait_until(pilot, lambda: shown_text(under_the_row) == str(refusal.value), what="the sentence")
        app.step_view.focus_first()
        await pilot.press("f5")
        await feedback_shows(pilot, str(refusal.value))
        assert app.session is None
        assert app.focused is form(app).control("lr")
        assert app.progress.step_params("gradient-descent", 7) == {}  # a refused value is not kept


@pytest.mark.parametrize("size", SIZES)
async def test_tab_goes_round_the_form_then_run_and_stays_in_the_step(open_lab, size):
    async with open_lab("gradient-descent:7", size=size) as pilot:
        app = pilot.app
        seen = []
        for _ in range(8):
            await pilot.press("tab")
            seen.append(focused_id(app))
        assert seen == ["param-lr", "param-theta0", "param-steps", "run"] * 2
        await pilot.press("shift+tab")
        assert focused_id(app) == "param-steps"


@pytest.mark.parametrize("size", SIZES)
async def test_f5_in_a_field_starts_the_run_and_leaves_the_field(open_lab, size):
    async with open_lab("gradient-descent:7", size=size) as pilot:
        app = pilot.app
        await tab_to(pilot, "steps")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session is not None, what="the run")
        assert not isinstance(app.focused, Input) and app.step_view.body.has_focus_within
        await wait_until(pilot, lambda: not app.session.active, what="the end of the run")
        assert app.session.state == "completed"


@pytest.mark.parametrize("size", SIZES)
async def test_every_enter_after_f5_is_a_step_of_a_manual_run(make_lab, size):
    app = make_lab(start="gradient-descent:5")
    steps: list[RunCommand] = []

    def hook(message) -> None:  # each message once (the hook sees it at every widget it bubbles to)
        if isinstance(message, RunCommand) and message.command == {"cmd": "step"} \
                and not any(message is seen for seen in steps):
            steps.append(message)

    async with app.run_test(size=size, message_hook=hook) as pilot:
        await lab_ready(pilot)
        await tab_to(pilot, "steps")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session is not None and app.session.state == "running",
                         what="the manual run")
        await pilot.press("enter", "enter", "enter")
        assert len(steps) == 3
        await pilot.press("f6")


@pytest.mark.parametrize("size", SIZES)
async def test_d_reruns_a_failed_run_the_way_it_offers(open_lab, mnist_here, size):
    async with open_lab("mnist:2", size=size, data_dir=mnist_here) as pilot:
        app = pilot.app
        started = []

        async def start(lesson, step, params, processes=1):
            started.append(params)

        app.runs.start = start  # the engine itself is not needed: what it is asked to run is
        session = RunSession("mnist", 2, "mnist", {"dataset": "mnist"})
        app.runs.session = session
        app.step_view.body.attach(session)
        offer = alternative_run("train on Fashion-MNIST, which is on this computer", {"dataset": "fashion-mnist"})
        app.runs.apply_events([Failed("MNIST is not on this computer.", "To fix it, connect.", alternative=offer)])
        await feedback_shows(pilot, "Press d (or F9) to train on Fashion-MNIST, which is on this computer.")
        await pilot.press("d")
        await wait_until(pilot, lambda: started, what="the rerun")
        assert started[0]["dataset"] == "fashion-mnist" and started[0]["subset"] == 1000
        assert form(app).control("dataset").value == "fashion-mnist"
        await wait_until(pilot, lambda: app.progress.lesson_params("mnist") == {"dataset": "fashion-mnist"},
                         what="the alternative kept as the lesson's choice")


@pytest.mark.parametrize("size", SIZES)
async def test_a_applies_the_advice_from_outside_the_step_and_f9_from_inside_a_field(open_lab, mnist_here, size):
    from tui_lab.advisor import Advice

    async with open_lab("mnist:5", size=size, data_dir=mnist_here) as pilot:
        app = pilot.app
        body = app.step_view.body
        body.advice = Advice("The loss blew up.", params={"lr": 0.0001})
        await pilot.press("f2")  # the keyboard in the explorer, not in the step
        await pilot.press("a")
        await wait_until(pilot, lambda: form(app).control("lr").value == "0.0001", what="the advice applied")
        await wait_until(pilot, lambda: app.progress.step_params("mnist", 5) == {"lr": 0.0001}, what="kept")
        body.advice = Advice("The loss blew up.", params={"batch_size": 32})
        app.step_view.focus_first()
        await tab_to(pilot, "epochs")
        await pilot.press("a")  # refused by the number field, and not the advice either
        assert form(app).control("epochs").value == "3" and body.advice is not None
        await pilot.press("f9")
        await wait_until(pilot, lambda: form(app).control("batch_size").value == "32", what="F9 applied it")


@pytest.mark.parametrize("size", SIZES)
async def test_without_mnist_the_lesson_starts_on_fashion_mnist_and_says_why(open_lab, tmp_path, size):
    write_root(tmp_path / "data-here", "fashion-mnist", train=60, test=20)  # no MNIST in this folder
    async with open_lab("mnist:5", size=size, data_dir=str(tmp_path / "data-here")) as pilot:
        app = pilot.app
        assert form(app).control("dataset").value == "fashion-mnist"
        note = shown_text(form(app).query_one(".note"))
        assert "Fashion-MNIST: it is on this computer" in note and "MNIST is not" in note
        assert mark(app, "dataset") == ""  # the default here, not an edit
