"""``tui-lab class DIR``: the teacher's live view, over students' files written here as the
lab's export (version 3) writes them, and rewritten while the view is open."""

from __future__ import annotations

import json
import os

import pytest

from conftest import run_cli
from pilot import shown_text, text_shown, wait_until
from tui_lab.class_view import ClassViewApp
from tui_lab.widgets.class_table import ClassTable

TITLES = {"gradient-descent": ["The problem", "The gradient at θ₀", "One step: θ₁", "Another step: θ₂"],
          "backprop": ["The neuron", "The loss", "Its gradient"]}


def step(n, title, state="new", tries=0, slips=None, hints=0, last_slip=None, last_slip_at=None):
    return {"step": n, "title": title, "kind": "compute", "state": state, "answer": None, "tries": tries,
            "slips": slips or {}, "hints": hints, "hinted": hints > 0 and state == "solved", "runs": 0,
            "best_test_accuracy": None, "seconds": 60 if state != "new" else 0, "last_slip": last_slip,
            "last_slip_at": last_slip_at, "at": None}


def share(folder, user, done, current, variant=7):
    """Write ``folder/<user>.json`` atomically, as a student's share does. ``done``: (lesson,
    step) -> the step's fields other than its number and title."""
    lessons = [{"id": lesson, "title": lesson, "total": len(titles),
                "steps": [step(n, title, **done.get((lesson, n), {})) for n, title in enumerate(titles, 1)]}
               for lesson, titles in TITLES.items()]
    data = {"format": "tui-lab progress", "version": 3, "user": user, "variant": variant,
            "current": {"lesson": current[0], "step": current[1]}, "exported_at": "2026-02-02T10:00:00",
            "lessons": lessons}
    part = folder / f".{user}.json.part"
    part.write_text(json.dumps(data), encoding="utf-8")
    os.replace(part, folder / f"{user}.json")


ADA = {("gradient-descent", 1): {"state": "solved"}, ("gradient-descent", 2): {"state": "solved"},
       ("gradient-descent", 3): {"state": "seen", "tries": 2, "slips": {"sign": 2}, "last_slip": "sign",
                                 "last_slip_at": "2026-02-02T09:58:00"}}
BEN = {("gradient-descent", 1): {"state": "solved"},
       ("gradient-descent", 2): {"state": "seen", "tries": 1, "slips": {"sign": 1}, "last_slip": "sign",
                                 "last_slip_at": "2026-02-02T09:50:00"}}


@pytest.fixture
def classroom(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    share(folder, "ada", ADA, ("gradient-descent", 3))
    share(folder, "ben", BEN, ("gradient-descent", 2))
    return folder


def row_of(app, user: str) -> str:
    """The table's line on screen that starts with the student's name ('' if none)."""
    lines = shown_text(app.query_one(ClassTable)).splitlines()
    return next((line for line in lines if line.startswith(user + " ")), "")


async def rows_shown(pilot, *users: str) -> None:
    await wait_until(pilot, lambda: all(row_of(pilot.app, user) for user in users), what=f"rows of {users}")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_row_per_student_says_where_they_are(classroom, size):
    app = ClassViewApp(classroom, interval=3600)
    async with app.run_test(size=size) as pilot:
        await rows_shown(pilot, "ada", "ben")
        ada, ben = row_of(app, "ada"), row_of(app, "ben")
        assert "gd:3" in ada and "● stuck" in ada and "sign gd:3" in ada
        assert "gd:2" in ben and "● stuck" in ben and "sign gd:2" in ben
        assert ada.split()[-3:] == ["✓", "✓", "●"]  # the marks of steps 1-3 of gradient descent
        await text_shown(pilot, f"{classroom} · 2 students", within="#class-header")
        assert not app.query_one("#class-notice").display


async def test_a_rewritten_file_shows_at_the_next_poll(classroom):
    app = ClassViewApp(classroom, interval=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await rows_shown(pilot, "ada", "ben")
        ben = {**BEN, ("gradient-descent", 2): {**BEN[("gradient-descent", 2)], "state": "solved"},
               ("gradient-descent", 3): {"state": "seen", "tries": 1, "slips": {"no_lr": 1}, "last_slip": "no_lr",
                                         "last_slip_at": "2026-02-02T10:01:00"}}
        share(classroom, "ben", ben, ("gradient-descent", 3))
        await wait_until(pilot, lambda: "no_lr gd:3" in row_of(app, "ben"), what="ben's new slip")
        assert "gd:3" in row_of(app, "ben") and row_of(app, "ben").split()[-3:] == ["✓", "✓", "●"]


async def test_r_reads_the_folder_now_and_the_cursor_stays_on_its_student(classroom):
    app = ClassViewApp(classroom, interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await rows_shown(pilot, "ada", "ben")
        table = app.query_one(ClassTable)
        await pilot.press("down")
        share(classroom, "aaron", {}, ("gradient-descent", 1))  # a new student, listed first
        share(classroom, "ada", {**ADA, ("gradient-descent", 3): {**ADA[("gradient-descent", 3)], "state": "solved"}},
              ("gradient-descent", 4))
        await pilot.press("r")
        await wait_until(pilot, lambda: "gd:4" in row_of(app, "ada") and row_of(app, "aaron"), what="the new files")
        assert row_of(app, "ada").split()[-3:] == ["✓", "✓", "✓"]
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == "ben.json"


async def test_a_malformed_file_is_named_and_the_others_stay(classroom):
    (classroom / "carl.json").write_text('{"format": "tui-lab progress", "version": 3, "lessons": [',
                                         encoding="utf-8")
    app = ClassViewApp(classroom, interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        notice = await text_shown(pilot, "carl.json", within="#class-notice")
        assert "half-written" in notice
        await rows_shown(pilot, "ada", "ben")
        assert not row_of(app, "carl")
        (classroom / "dora.json").write_text('{"saved": "something else"}', encoding="utf-8")
        await pilot.press("r")
        await text_shown(pilot, "2 files were skipped: carl.json, dora.json", within="#class-notice")
        assert row_of(app, "ada") and row_of(app, "ben")


async def test_the_stuck_panel_lists_the_commonest_slip_with_its_count(classroom):
    app = ClassViewApp(classroom, interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        stuck = await text_shown(pilot, "sign ×1", within="#stuck-text")
        # ada is stuck on step 3 after two tries, ben on step 2 after one: step 3 first
        assert stuck.index("gd:3 One step: θ₁") < stuck.index("gd:2 The gradient at θ₀")
        assert "1 stuck · 0 revealed · 0 solved of 1 · median 2 tries" in stuck


async def test_l_shows_another_lessons_steps_and_tab_reaches_the_panel(classroom):
    app = ClassViewApp(classroom, interval=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await text_shown(pilot, "gradient-descent", within="#lesson-bar")  # where both students are
        await rows_shown(pilot, "ada", "ben")
        assert len(app.query_one(ClassTable).columns) == 5 + 4
        await pilot.press("l")
        await text_shown(pilot, "backprop", within="#lesson-bar")
        assert len(app.query_one(ClassTable).columns) == 5 + 3
        assert app.focused is app.query_one(ClassTable)
        await pilot.press("tab")
        assert app.focused is app.query_one("#stuck")


def test_a_missing_folder_or_a_bad_interval_is_one_sentence(tmp_path):
    missing = run_cli("class", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "nowhere is not a folder" in missing.stderr
    never = run_cli("class", str(tmp_path), "--interval", "0")
    assert never.returncode == 2 and never.stderr == "tui-lab: --interval must be a number of seconds above 0, not 0.\n"
