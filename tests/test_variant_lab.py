"""The lab gives the learner their own set of numbers: the text shows them, the answer box
judges against them, runs take them, and the status bar says which set it is. With a class
folder set, the learner's progress (time on steps included) is shared as it changes."""

import json
from pathlib import Path

from textual.geometry import Region
from textual.widgets import Markdown

from lessons import placeholders
from lessons.answers import is_close
from lessons.values import lesson_values
from tui_lab.widgets.status_bar import StatusBar

from pilot import answer_judged, step_done, text_shown, type_answer, wait_until

LESSON = "gradient-descent"
STEP = 3  # θ₁ = θ₀ − α · ∂L/∂θ(θ₀), with α in its text


async def test_the_lab_opened_with_variant_5_shows_and_judges_variant_5s_numbers(open_lab):
    async with open_lab(f"{LESSON}:{STEP}", size=(80, 24), variant=5) as pilot:
        app = pilot.app
        lesson = app.catalog.get(LESSON)
        step, five, articles = lesson.step(STEP), lesson_values(lesson, 5), lesson_values(lesson, 0)
        assert app.values_for(lesson) == five
        text = app.step_view.query_one(Markdown).source
        assert text == placeholders.fill(step.body, five) != placeholders.fill(step.body, articles)
        await text_shown(pilot, f"α = {placeholders.format_value(five['lr'])}")
        status = app.query_one(StatusBar)
        line = "".join(strip.text for strip in status.render_lines(Region(0, 0, *status.outer_size)))
        assert f"step {STEP}/{len(lesson.steps)} · set 5 │ idle" in line  # whole, at 80 columns

        assert not is_close(articles[step.answer], five[step.answer], step.tolerance)  # they differ here
        await answer_judged(pilot, repr(float(articles[step.answer])))
        assert app.progress.step(LESSON, STEP)["tries"] == 1
        await type_answer(pilot, repr(float(five[step.answer])))
        await step_done(pilot)


async def test_a_run_whose_engine_varies_gets_the_learners_numbers(open_lab):
    async with open_lab(f"{LESSON}:5", variant=5) as pilot:  # its form leaves α and θ₀ to the variant
        app = pilot.app
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session is not None, what="the run to start")
        assert app.session.params["variant"] == 5
        await pilot.press("f6")
        await wait_until(pilot, lambda: not app.session.active, what="the run to stop")


async def test_a_run_form_starts_at_the_learners_own_rates_and_hides_the_variant(open_lab):
    async with open_lab("optimizers:6", variant=5) as pilot:
        values = pilot.app.step_view.body.form.values()
        assert (values["lr"], values["momentum"]) == (0.2, 0.8)  # variant 5's α and γ; variant 0's are 0.1, 0.9
        assert "variant" not in values


async def test_the_articles_numbers_are_not_announced(open_lab):
    async with open_lab(f"{LESSON}:{STEP}", variant=0) as pilot:
        assert "· set" not in pilot.app.query_one(StatusBar).text


async def test_a_bad_variant_setting_is_told_in_problems_and_the_learners_own_set_is_used(open_lab, monkeypatch):
    monkeypatch.setenv("TUI_LAB_VARIANT", "-4")
    async with open_lab(f"{LESSON}:{STEP}") as pilot:
        app = pilot.app
        assert app.learner.variant == app.progress.variant() >= 1
        assert any("TUI_LAB_VARIANT was ignored" in str(app.panel.problems.get_row_at(row)[1])
                   for row in range(app.panel.problems.row_count))


def class_settings(monkeypatch, tmp_path, mode: int) -> Path:
    """A settings file naming a class folder with these permissions; the folder."""
    folder = tmp_path / "class"
    folder.mkdir()
    folder.chmod(mode)
    settings = tmp_path / "class.toml"
    settings.write_text(f'share_dir = "{folder}"\n', encoding="utf-8")
    monkeypatch.setenv("TUI_LAB_CONFIG", str(settings))
    return folder


async def test_progress_and_time_on_steps_are_shared_with_the_class_as_they_change(open_lab, monkeypatch, tmp_path):
    folder = class_settings(monkeypatch, tmp_path, 0o1770)

    def shared_step(index: int) -> dict:
        [student] = folder.glob("*.json")
        lesson = next(entry for entry in json.loads(student.read_text()).get("lessons", []) if entry["id"] == LESSON)
        return lesson["steps"][index - 1]

    async with open_lab(f"{LESSON}:{STEP}", variant=5) as pilot:
        await type_answer(pilot, "12345")
        await wait_until(pilot, lambda: shared_step(STEP)["tries"] == 1, what="the wrong try shared")
        assert "seconds" not in pilot.app.progress.step(LESSON, STEP)  # counted when the step is left
        await pilot.press("f8")
        await wait_until(pilot, lambda: pilot.app.current == (LESSON, STEP + 1), what="the next step")
        assert pilot.app.progress.step(LESSON, STEP)["seconds"] > 0
        assert shared_step(STEP + 1)["state"] == "seen"


async def test_a_class_folder_that_refuses_the_file_is_told_once_and_the_lab_goes_on(open_lab, monkeypatch, tmp_path):
    folder = class_settings(monkeypatch, tmp_path, 0o777)  # anyone could replace anyone's file: refused
    async with open_lab(f"{LESSON}:{STEP}") as pilot:
        app = pilot.app
        await type_answer(pilot, "12345")
        await pilot.press("f8")
        await wait_until(pilot, lambda: app.current == (LESSON, STEP + 1), what="the next step")
        rows = [app.panel.problems.get_row_at(row) for row in range(app.panel.problems.row_count)]
        assert [str(where) for where, message in rows if "chmod +t" in str(message)] == ["sharing"]
        assert list(folder.iterdir()) == []
