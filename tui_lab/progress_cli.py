"""``tui-lab progress`` and ``tui-lab reset``: progress to hand in, class summaries, resets.

A student's export is JSON (or CSV) of every step: its state (new, seen, solved,
revealed), answer, attempts (tries, slips, hints opened, solved after hints) and the best
test accuracy of its runs; each lesson counts solved, solved after hints and revealed steps
(a revealed step is not solved). ``--share DIR`` puts that
JSON into a folder the class shares (``DIR/<user>.json``, written atomically); a teacher
runs ``tui-lab progress --dir DIR`` for one line per student.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import sys
import time
from pathlib import Path
from typing import IO, Any

from lessons import Catalog
from tui_lab.contract import EXIT_FAILED, EXIT_OK, UsageError, find_lesson
from tui_lab.progress import ProgressStore, atomic_write_text, current_entry

EXPORT_FORMAT = "tui-lab progress"


def export(catalog: Catalog, store: ProgressStore) -> dict[str, Any]:
    """Everything a teacher needs from one student, lesson by lesson."""
    lessons = []
    for lesson in catalog.lessons:
        steps = []
        for step in lesson.steps:
            entry = store.step(lesson.id, step.index)
            steps.append({
                "step": step.index, "title": step.title, "kind": step.kind,
                "state": entry.get("state", "new"), "answer": entry.get("answer"),
                "tries": entry.get("tries", 0), "slips": entry.get("slips", {}), "hints": entry.get("hints", 0),
                "hinted": bool(entry.get("hinted")), "runs": entry.get("runs", 0),
                "best_test_accuracy": entry.get("best_test_accuracy"),
                "at": _iso(entry.get("at")),
            })
        lessons.append({"id": lesson.id, "title": lesson.title, "total": len(steps), **counts(steps),
                        "steps": steps})
    return {"format": EXPORT_FORMAT, "version": 2, "user": getpass.getuser(),
            "exported_at": _iso(time.time()), "lessons": lessons}


def counts(steps: list[dict[str, Any]]) -> dict[str, int]:
    """Solved steps, those of them solved after hints, and revealed ones (version 1 exports
    said ``done``, + ``revealed``, for the last two states)."""
    states = [current_entry(step)["state"] for step in steps]
    return {"solved": states.count("solved"), "revealed": states.count("revealed"),
            "solved_after_hints": sum(1 for step, state in zip(steps, states) if state == "solved" and step.get("hinted"))}


def _iso(stamp: float | None) -> str | None:
    return None if stamp is None else time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(stamp))


def as_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    columns = ["user", "lesson", "step", "title", "kind", "state", "answer", "tries", "slips", "hints", "hinted",
               "runs", "best_test_accuracy", "at"]
    writer = csv.DictWriter(out, columns)
    writer.writeheader()
    for lesson in data["lessons"]:
        for step in lesson["steps"]:
            slips = " ".join(f"{slip}:{count}" for slip, count in step["slips"].items())  # e.g. "sign:2 half:1"
            writer.writerow({"user": data["user"], "lesson": lesson["id"], **step, "slips": slips})
    return out.getvalue()


def summary_lines(data: dict[str, Any]) -> list[str]:
    """A line per lesson: steps solved of all, then those solved after hints and those revealed."""
    lines = []
    for lesson in data["lessons"]:
        best = [s["best_test_accuracy"] for s in lesson["steps"] if s["best_test_accuracy"] is not None]
        extra = f"  best test accuracy {max(best):.2%}" if best else ""
        solved = lesson["solved"]
        lines.append(f"{lesson['id']:<18} {solved:>3}/{lesson['total']:<3} {_bar(solved, lesson['total'])}"
                     f"  {lesson['solved_after_hints']} after hints, {lesson['revealed']} revealed{extra}")
    return lines


def _bar(solved: int, total: int, width: int = 20) -> str:
    filled = round(width * solved / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def cmd_progress(catalog: Catalog, fmt: str | None, output: str | None, share: str | None,
                 shared_dir: str | None, out: IO[str]) -> int:
    if shared_dir:
        return class_summary(Path(shared_dir), out)
    data = export(catalog, ProgressStore())
    if share:
        folder = Path(share).expanduser()
        if not folder.is_dir():
            raise UsageError(f"The shared folder {folder} does not exist; ask your teacher for its path.")
        target = folder / f"{data['user']}.json"
        try:
            atomic_write_text(target, json.dumps(data, indent=1))
        except OSError as error:
            raise UsageError(f"Could not write {target}: {error.strerror or error}.") from None
        out.write(f"Your progress is in {target}.\n")
        return EXIT_OK
    text = json.dumps(data, indent=1) + "\n" if fmt == "json" else as_csv(data) if fmt == "csv" \
        else "\n".join(summary_lines(data)) + "\n"
    if output:
        try:
            atomic_write_text(Path(output).expanduser(), text)
        except OSError as error:
            raise UsageError(f"Could not write {output}: {error.strerror or error}.") from None
        out.write(f"Written to {output}.\n")
    else:
        out.write(text)
    return EXIT_OK


def class_summary(folder: Path, out: IO[str]) -> int:
    """One line per student file in a shared folder; unreadable files are named, not fatal."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder.")
    students, problems = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != EXPORT_FORMAT:
                raise ValueError("not a tui-lab progress export")
            students.append(data)
        except (OSError, ValueError) as error:
            problems.append(f"{path.name}: skipped ({error})")
    if not students:
        out.write(f"No progress files in {folder} yet (students write them with `tui-lab progress --share {folder}`).\n")
    else:
        _class_table(students, out)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return EXIT_OK if not problems else EXIT_FAILED


def _class_table(students: list[dict[str, Any]], out: IO[str]) -> None:
    """A row per student, a column per lesson, from the first student's lessons: solved/total,
    then how many of those after hints (h) and how many revealed (r)."""
    lesson_ids = [lesson["id"] for lesson in students[0]["lessons"]]
    rows = []
    for data in students:
        by_id = {lesson["id"]: lesson for lesson in data["lessons"]}
        rows.append([_cell(by_id.get(lesson_id)) for lesson_id in lesson_ids])
    widths = [max([len(i), 7] + [len(row[n]) for row in rows]) + 2 for n, i in enumerate(lesson_ids)]
    name_width = max([len(str(data.get("user", "?"))) for data in students] + [7]) + 2
    out.write("student".ljust(name_width) + "".join(i.ljust(w) for i, w in zip(lesson_ids, widths)) + "last export\n")
    for data, row in zip(students, rows):
        cells = "".join(cell.ljust(width) for cell, width in zip(row, widths))
        out.write(str(data.get("user", "?")).ljust(name_width) + cells + str(data.get("exported_at", "")) + "\n")
    out.write("solved/steps; h: solved after hints, r: revealed (not solved)\n")


def _cell(lesson: dict[str, Any] | None) -> str:
    """'5/11 1h 2r' (hints and reveals only when there are some); '—' for a lesson not in the file."""
    if lesson is None:
        return "—"
    found = counts(lesson["steps"])
    cell = f"{found['solved']}/{lesson['total']}"
    if found["solved_after_hints"]:
        cell += f" {found['solved_after_hints']}h"
    if found["revealed"]:
        cell += f" {found['revealed']}r"
    return cell


def cmd_reset(catalog: Catalog, lesson_id: str | None, everything: bool, yes: bool, out: IO[str]) -> int:
    if everything == bool(lesson_id):
        raise UsageError("Name one lesson to reset, or --all for every lesson (not both).")
    lesson = find_lesson(catalog, lesson_id) if lesson_id else None
    what = f"all progress in {lesson.id!r}" if lesson else "ALL your progress in every lesson"
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"Not resetting {what} without confirmation: add --yes.")
        answer = input(f"Reset {what}? This cannot be undone. [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            out.write("Nothing was reset.\n")
            return EXIT_OK
    store = ProgressStore()
    store.reset(lesson.id if lesson else None)
    if store.error:
        out.write(store.error + "\n")
        return EXIT_FAILED
    out.write(f"Reset {what}.\n")
    return EXIT_OK
