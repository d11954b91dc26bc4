"""A teacher's view of the class, from the students' shared files (written here by hand)."""

import io
import json

import pytest

from tui_lab.class_data import FolderMissing, hardest, read_class, step_stats, student_rows
from tui_lab.contract import UsageError
from tui_lab.progress_cli import class_summary

TITLES = {1: "The problem", 2: "The gradient at θ₀", 3: "One step: θ₁", 4: "Another step: θ₂"}


def step(n, state="new", tries=0, slips=None, hints=0, seconds=0, last_slip=None, last_slip_at=None):
    return {"step": n, "title": TITLES[n], "kind": "compute", "state": state, "answer": None, "tries": tries,
            "slips": slips or {}, "hints": hints, "hinted": False, "runs": 0, "best_test_accuracy": None,
            "seconds": seconds, "last_slip": last_slip, "last_slip_at": last_slip_at, "at": None}


def write_student(folder, user, steps, variant=7, current=None):
    numbered = {s["step"]: s for s in steps}
    data = {"format": "tui-lab progress", "version": 3, "user": user, "variant": variant,
            "current": {"lesson": "gd", "step": current} if current else None,
            "exported_at": "2026-01-31T10:05:00",
            "lessons": [{"id": "gd", "title": "Gradient descent", "total": 4,
                         "steps": [numbered.get(n, step(n)) for n in TITLES]}]}
    (folder / f"{user}.json").write_text(json.dumps(data))


@pytest.fixture
def classroom(tmp_path):
    """Five students: step 2 is easy; on step 3 three make the slip "sign" and one "half"."""
    folder = tmp_path / "class"
    folder.mkdir()
    write_student(folder, "ada", [step(1, "solved"), step(2, "solved", seconds=60),
                                  step(3, "solved", 1, {"sign": 1}, seconds=200)], current=3)
    write_student(folder, "ben", [step(2, "solved", seconds=90), step(3, "revealed", 4, {"sign": 3}, hints=3,
                                                                      seconds=600)], current=3)
    write_student(folder, "cai", [step(2, "solved", 1, {"half": 1}, seconds=120, last_slip="half",
                                       last_slip_at="2026-01-31T09:45:00"),
                                  step(3, "seen", 2, {"sign": 1, "half": 1}, seconds=400, last_slip="sign",
                                       last_slip_at="2026-01-31T09:30:00")], current=3)
    write_student(folder, "dev", [step(2, "solved", seconds=30), step(3, "seen", seconds=10)], current=3)
    write_student(folder, "eve", [step(2, "solved", seconds=45), step(3, "solved", 0, seconds=100),
                                  step(4, "seen", 1, hints=1, seconds=300)], current=4)
    return folder


def test_each_step_counts_solved_revealed_stuck_tries_time_and_slips(classroom):
    data = read_class(classroom)
    assert [s.user for s in data.students] == ["ada", "ben", "cai", "dev", "eve"] and data.problems == []
    stats = {s.step: s for s in step_stats(data)}
    three = stats[3]
    assert (three.title, three.students, three.solved, three.revealed, three.stuck) == ("One step: θ₁", 5, 2, 1, 1)
    assert three.median_tries == 1 and three.median_seconds == 200
    assert three.slips == [("sign", 3), ("half", 1)]  # how many students made each, commonest first
    assert stats[1].students == 1 and stats[1].stuck == 0  # a read step: solved by reading it
    assert stats[1].median_seconds is None  # no time counted on it
    assert stats[2].stuck == 0 and stats[2].median_tries == 0


def test_the_hardest_steps_come_first(classroom):
    worst = hardest(step_stats(read_class(classroom)))
    # step 3: two stuck or revealed; step 4: one; step 2: all solved, after one slip; step 1: no trouble at all
    assert [s.step for s in worst] == [3, 4, 2]
    assert [s.step for s in hardest(step_stats(read_class(classroom)), n=1)] == [3]


def test_a_row_per_student_says_where_they_are_and_their_latest_slip(classroom):
    rows = {row.user: row for row in student_rows(read_class(classroom))}
    cai = rows["cai"]
    assert (cai.variant, cai.current, cai.state) == (7, "gd:3", "seen")
    assert (cai.last_slip, cai.last_slip_step) == ("half", "gd:2")  # the later slip, on the earlier step
    assert rows["dev"].last_slip is None
    assert rows["ada"].cells == {"gd": "3/4"} and rows["ben"].cells == {"gd": "1/4 1r"}


def test_the_summary_lists_the_hardest_step_first_with_its_commonest_slip(classroom, capsys):
    out = io.StringIO()
    assert class_summary(classroom, out) == 0
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any(line.startswith("ben") and "1/4 1r" in line for line in lines)  # the table per student stays
    stuck = lines[next(i for i, line in enumerate(lines) if line.startswith("Where the class is stuck")):]
    assert "gd:3" in stuck[1] and "One step: θ₁" in stuck[1]  # the hardest step first, with its title
    assert "sign ×3, half ×1" in "\n".join(stuck[2:4])
    row = next(line for line in stuck if line.startswith("gd:2 "))  # every step worked on has a row
    assert row.split()[1:4] == ["5", "0", "0"] and "half ×1" in row
    assert capsys.readouterr().err == ""


def test_bad_files_are_each_named_in_a_sentence_and_skipped(classroom, capsys):
    (classroom / "half.json").write_text('{"format": "tui-lab progress", "version": 3, "lessons": [{"id"')
    (classroom / "odd.json").write_text(json.dumps({"format": "tui-lab progress", "version": 3,
                                                    "lessons": [{"id": "gd", "steps": [{"step": "two"}]}]}))
    (classroom / "notes.json").write_text(json.dumps({"shopping": ["milk"]}))
    (classroom / ".fay.json.x1y2.tmp").write_text('{"format"')  # a share in progress
    (classroom / ".fay.json").write_text("{")  # hidden: not a student's file
    data = read_class(classroom)
    assert len(data.students) == 5 and len(data.problems) == 3
    half, notes, odd = sorted(data.problems)
    assert half.startswith("half.json was skipped: it is not complete JSON")
    assert notes == "notes.json was skipped: it is not a tui-lab progress file."
    assert odd == "odd.json was skipped: its lessons are malformed."
    assert class_summary(classroom, io.StringIO()) == 1  # the summary still comes, the problems on stderr
    assert capsys.readouterr().err.count("was skipped") == 3


def test_exports_from_before_variants_and_time_are_read(tmp_path):
    old = {"format": "tui-lab progress", "version": 2, "user": "ada", "exported_at": "2026-01-01T10:00:00",
           "lessons": [{"id": "gd", "title": "GD", "total": 2, "solved": 1, "revealed": 0, "solved_after_hints": 0,
                        "steps": [{"step": 1, "title": "A", "state": "solved", "tries": 2, "slips": {"sign": 1},
                                   "hints": 0, "hinted": False},
                                  {"step": 2, "title": "B", "state": "new", "tries": 0, "slips": {}, "hints": 0}]}]}
    (tmp_path / "ada.json").write_text(json.dumps(old))
    data = read_class(tmp_path)
    assert data.problems == [] and (data.students[0].variant, data.students[0].current) == (None, None)
    (first,) = [s for s in step_stats(data) if s.students]
    assert (first.median_tries, first.median_seconds, first.slips) == (2, None, [("sign", 1)])
    row = student_rows(data)[0]
    assert (row.current, row.state, row.last_slip) == ("—", "", None)


def test_a_missing_class_folder_is_a_usage_error(tmp_path):
    with pytest.raises(FolderMissing, match="is not a folder") as missing:
        read_class(tmp_path / "nowhere")
    assert isinstance(missing.value, UsageError) and isinstance(missing.value, FileNotFoundError)
