"""The tutor at the answer box, in the lab: each slip's own message, how far off otherwise,
hints that open as wrong tries add up, plain text that stays as typed, marking wrong lines,
and honest progress states (a revealed step is not solved)."""

import json

import pytest
from textual.widgets import Button, Input

from conftest import FIXTURE_LESSONS, run_cli
from lessons import placeholders
from lessons.judge import judge_answer
from tui_lab.progress import ProgressStore
from tui_lab.widgets.explorer import LessonTree
from tui_lab.widgets.steps.find_error import LineMarks

from pilot import (feedback_shows, lab_ready, shown_text, text_shown, toggle_lines, type_answer, wait_until,
                   widget_mounted)

LESSON = "gradient-descent"


def lesson_step(app, index: int):
    lesson = app.catalog.get(LESSON)
    return lesson.step(index), app.values_for(lesson)


@pytest.mark.parametrize("index", [2, 3, 4, 6])  # grad0, theta1, theta2, critical_lr
async def test_each_slip_of_a_compute_step_gets_its_own_message(open_lab, index):
    async with open_lab(f"{LESSON}:{index}") as pilot:
        step, values = lesson_step(pilot.app, index)
        assert len(step.slips) >= 2
        messages = set()
        for slip in step.slips:
            expected = placeholders.fill(slip.message, values)
            await type_answer(pilot, repr(float(values[slip.value])))
            assert await feedback_shows(pilot, expected) == expected
            messages.add(expected)
        assert len(messages) == len(step.slips)
        entry = pilot.app.progress.step(LESSON, index)
        assert entry["state"] == "seen" and entry["tries"] == len(step.slips)
        assert entry["slips"] == {slip.id: 1 for slip in step.slips}


async def test_a_wrong_value_that_is_no_slip_says_how_far_off_without_the_answer(open_lab):
    async with open_lab(f"{LESSON}:2") as pilot:
        step, values = lesson_step(pilot.app, 2)
        await type_answer(pilot, "-2800")  # -28 × 100
        shown = await feedback_shows(pilot, "100× too large")
        assert "28" not in shown and shown == judge_answer(step, values, "-2800").message


async def test_two_more_wrong_tries_open_the_next_hint(open_lab):
    async with open_lab(f"{LESSON}:2") as pilot:
        hint = pilot.app.step_view.body.query_one(".hint")
        await type_answer(pilot, "1")
        await text_shown(pilot, "Hint 1/3", within=hint)
        await type_answer(pilot, "abc")  # a typo is no wrong try
        await feedback_shows(pilot, "is not a number")
        await type_answer(pilot, "2")
        await feedback_shows(pilot, "The sign is wrong")
        assert "Hint 2/3" not in shown_text(hint)
        await type_answer(pilot, "-3")
        await text_shown(pilot, "Hint 2/3", within=hint)
        assert "Hint 3/3" not in shown_text(hint)
        await wait_until(pilot, lambda: pilot.app.progress.step(LESSON, 2) | {"at": 0}
                         == {"state": "seen", "tries": 4, "hints": 2, "at": 0}, what="4 tries, 2 hints saved")


async def reveal_with_the_keyboard(pilot) -> None:
    """From the answer field: Hint until every tier is open, then Reveal."""
    await pilot.press("tab", "tab")  # Check → Hint
    assert pilot.app.focused.id == "hint"
    button = pilot.app.focused
    for tier in (1, 2, 3):
        # a button takes no second press while it still shows the first
        await wait_until(pilot, lambda: not button.has_class("-active"), what="the Hint button released")
        await pilot.press("enter")
        await text_shown(pilot, f"Hint {tier}/3", within=".hint")
    await pilot.press("tab", "enter")  # Reveal


async def test_reveal_leaves_the_step_revealed_until_the_answer_is_typed(open_lab):
    async with open_lab(f"{LESSON}:2") as pilot:
        app = pilot.app
        await reveal_with_the_keyboard(pilot)
        await feedback_shows(pilot, "The answer is −28 (revealed).")
        await text_shown(pilot, "◇ revealed", within=".heading.-sub")
        assert app.step_view.query_one(".after").has_class("-shown")
        await wait_until(pilot, lambda: app.progress.state(LESSON, 2) == "revealed", what="the step revealed")
        await text_shown(pilot, "◇ 2. The gradient", within=LessonTree)
        await text_shown(pilot, "0/11 Gradient", within=LessonTree)  # revealed is not solved
        exported = json.loads(run_cli("progress", "--export", "json").stdout)
        gd = next(lesson for lesson in exported["lessons"] if lesson["id"] == LESSON)
        assert gd["steps"][1]["state"] == "revealed" and (gd["solved"], gd["revealed"]) == (0, 1)

        app.step_view.focus_first()
        await type_answer(pilot, "-28")  # typing it after all solves it
        await feedback_shows(pilot, "✓ Correct: −28.")
        await text_shown(pilot, "✓ done", within=".heading.-sub")
        await text_shown(pilot, "◐ 2. The gradient", within=LessonTree)  # solved, after hints
        await text_shown(pilot, "1/11 Gradient", within=LessonTree)
        assert app.progress.step(LESSON, 2)["hinted"] is True


async def test_a_solved_step_rechecked_with_a_wrong_value_stays_solved(open_lab):
    async with open_lab(f"{LESSON}:3") as pilot:
        await type_answer(pilot, "2.8")
        await feedback_shows(pilot, "✓ Correct: 2.8.")
        await text_shown(pilot, "✓ 3. One step", within=LessonTree)  # solved without a hint
        await type_answer(pilot, "-2.8")
        shown = await feedback_shows(pilot, "The step stays solved.")
        assert "Correct" not in shown
        assert pilot.app.progress.state(LESSON, 3) == "solved"


async def test_the_lab_opens_a_lesson_at_the_first_step_neither_solved_nor_revealed(make_lab):
    store = ProgressStore()
    store.mark(LESSON, 1, "solved")
    store.mark(LESSON, 2, "revealed")
    store.mark(LESSON, 3, "seen")
    app = make_lab(start=LESSON)
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        assert app.current == (LESSON, 3)


# --- plain text -------------------------------------------------------------------------

BRACKETS_LESSON = """
id = "brackets"
title = "Brackets [b]stay[/b]"
group = "Tests"
order = 901
values = "gd.values"

[[steps]]
title = "θ₁ for z₁[i]"
kind = "compute"
text = "step.md"
answer = "theta1"
prompt = "z₁[i] ="
tolerance = 1e-6
hints = ["Index z₁[i] [/i] before [bold]anything[/bold]."]
slips = [{ id = "sign", value = "theta1_slip_sign", message = "{{ theta1_slip_sign:g }} flips z₁[i] [/i]." }]
"""


@pytest.fixture
def brackets_lab(make_lab, tmp_path):
    folder = tmp_path / "lessons" / "brackets"
    folder.mkdir(parents=True)
    (folder / "lesson.toml").write_text(BRACKETS_LESSON, encoding="utf-8")
    (folder / "step.md").write_text("Type θ₁.\n", encoding="utf-8")
    return make_lab(start="brackets:1", lesson_dirs=[str(FIXTURE_LESSONS), str(tmp_path / "lessons")])


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_typed_markup_neither_crashes_nor_disappears(make_lab, size):
    app = make_lab(start=f"{LESSON}:2")
    async with app.run_test(size=size) as pilot:
        await lab_ready(pilot)
        await type_answer(pilot, "[/i]")
        await feedback_shows(pilot, "[/i]")
        await type_answer(pilot, "[b]2[/b]")
        await feedback_shows(pilot, "[b]2[/b]")
        assert app.screen.query_one("#answer", Input).value == "[b]2[/b]"


async def test_lesson_text_with_brackets_shows_as_written(brackets_lab):
    async with brackets_lab.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await text_shown(pilot, "θ₁ for z₁[i]", within=".heading.-title")
        await text_shown(pilot, "z₁[i] =", within=".prompt")
        await text_shown(pilot, "Brackets [b]stay", within=LessonTree)
        await type_answer(pilot, "-2.8")  # the sign slip
        await feedback_shows(pilot, "−2.8 flips z₁[i] [/i].")
        await text_shown(pilot, "Hint 1/1: Index z₁[i] [/i] before [bold]anything[/bold].", within=".hint")


# --- find the error ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_find_the_error_accepts_exactly_the_lines_the_explanation_names(make_lab, size):
    app = make_lab(start=f"{LESSON}:8")
    async with app.run_test(size=size) as pilot:
        await lab_ready(pilot)
        step, values = lesson_step(app, 8)
        wrong = sorted(step.wrong)
        named = f"{', '.join(map(str, wrong[:-1]))} and {wrong[-1]}"
        assert f"Lines {named} are wrong." in placeholders.fill(step.after, values)  # the explanation
        innocent = next(i for i in range(1, len(step.lines) + 1) if i not in wrong)
        lines = await widget_mounted(pilot, LineMarks)
        assert lines.has_focus and lines.region.right <= size[0]

        await toggle_lines(pilot, [innocent, wrong[0]])  # one right, one wrong
        await feedback_shows(pilot, f"Line {innocent} is correct as written")
        await text_shown(pilot, f"[✗] {innocent} ", within=lines)
        await text_shown(pilot, f"[✓] {wrong[0]} ", within=lines)
        assert app.progress.state(LESSON, 8) == "seen"
        await text_shown(pilot, "Hint 1/", within=".hint")  # the first wrong check opens a hint

        await toggle_lines(pilot, [innocent, *wrong[1:]])  # now exactly the wrong lines
        assert await feedback_shows(pilot, "✓ Right: line") == f"✓ Right: lines {named}."
        await wait_until(pilot, lambda: app.progress.state(LESSON, 8) == "solved", what="the step solved")
        for line in wrong:
            await text_shown(pilot, f"[✓] {line} ", within=lines)
        assert app.progress.step(LESSON, 8)["answer"] == ",".join(map(str, wrong))
        await text_shown(pilot, "As published", within="#compare")
        assert app.step_view.query_one(".after").has_class("-shown")


async def test_find_the_error_checks_with_the_button_too(open_lab):
    async with open_lab(f"{LESSON}:9", size=(80, 24)) as pilot:
        app = pilot.app
        await pilot.press("tab")  # lines → Check
        assert isinstance(app.focused, Button) and app.focused.id == "check"
        await pilot.press("enter")  # nothing marked yet
        await feedback_shows(pilot, "Mark the wrong lines first")
        await wait_until(pilot, lambda: app.progress.step(LESSON, 9).get("tries") == 1, what="the try counted")
        assert not app.step_view.body.query_one(".hint").visual.plain  # no hint for an empty check


async def test_a_judged_answer_speaks_the_lessons_language(make_lab):
    app = make_lab(start=f"{LESSON}:2", lang="zh")
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        step, values = lesson_step(app, 2)
        await type_answer(pilot, "-2800")
        assert await feedback_shows(pilot, "100") == judge_answer(step, values, "-2800", "zh").message
