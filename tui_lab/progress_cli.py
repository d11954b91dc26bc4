"""``tui-lab progress`` and ``tui-lab reset``: progress to hand in, class summaries, resets.

A student's export is JSON (or CSV) of every step: its state (new, seen, solved,
revealed), answer, attempts (tries, slips, hints opened, solved after hints, time) and the
best test accuracy of its runs; each lesson counts solved, solved after hints and revealed
steps (a revealed step is not solved). ``--share DIR`` puts that JSON into a folder the
class shares (tui_lab.sharing); a teacher runs ``tui-lab progress --dir DIR`` for a line per
student and the steps where the class is stuck (tui_lab.class_data).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import IO, Any

from lessons import Catalog
from tui_lab.class_data import (ClassData, StepStats, duration_text, hardest, lesson_ids, read_class, slips_text,
                                step_stats, student_rows)
from tui_lab.config import learner_variant, load_config
from tui_lab.contract import EXIT_FAILED, EXIT_OK, UsageError, find_lesson
from tui_lab.progress import ProgressStore, atomic_write_text
from tui_lab.progress_export import export
from tui_lab.sharing import ShareError, share_progress

WIDTH = 80  # the class summary fits a terminal this wide


def as_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    columns = ["user", "variant", "lesson", "step", "title", "kind", "state", "answer", "tries", "slips",
               "last_slip", "last_slip_at", "hints", "hinted", "seconds", "runs", "best_test_accuracy", "at"]
    writer = csv.DictWriter(out, columns)
    writer.writeheader()
    for lesson in data["lessons"]:
        for step in lesson["steps"]:
            slips = " ".join(f"{slip}:{count}" for slip, count in step["slips"].items())  # e.g. "sign:2 half:1"
            writer.writerow({"user": data["user"], "variant": data["variant"], "lesson": lesson["id"], **step,
                             "slips": slips})
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
                 shared_dir: str | None, out: IO[str], variant: int | None = None) -> int:
    """``variant``: the ``--variant`` option; without it, the settings' or the learner's own."""
    if shared_dir:
        return class_summary(Path(shared_dir), out)
    store = ProgressStore()
    if store.notice:
        print(f"warning: {store.notice}", file=sys.stderr)
    variant = learner_variant(variant, load_config(), store)
    if share:
        try:
            target = share_progress(catalog, store, Path(share), variant)
        except ShareError as error:
            raise UsageError(str(error)) from None
        out.write(f"Your progress is in {target}.\n")
        return EXIT_OK
    data = export(catalog, store, variant)
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
    """A line per student file in a shared folder, then where the class is stuck; files that
    cannot be used are named on stderr, not fatal (exit status 1)."""
    data = read_class(folder)
    if not data.students:
        out.write(f"No progress files in {folder} yet (students write them with `tui-lab progress --share {folder}`).\n")
    else:
        out.write("\n".join(_student_table(data) + [""] + _stuck_lines(step_stats(data), len(data.students))) + "\n")
    for problem in data.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return EXIT_OK if not data.problems else EXIT_FAILED


def _student_table(data: ClassData) -> list[str]:
    """A row per student: their variant, then a column per lesson (solved/total, h: after
    hints, r: revealed), then when they last shared."""
    columns = lesson_ids(data)
    rows = student_rows(data)
    name_width = max([len(row.user) for row in rows] + [len("student")])
    widths = [max([len(lesson_id)] + [len(row.cells[lesson_id]) for row in rows]) for lesson_id in columns]

    def line(name: str, variant: str, cells: list[str], when: str) -> str:
        lessons = " ".join(cell.ljust(width) for cell, width in zip(cells, widths))  # one space: 5 lessons fit 80
        return "  ".join([name.ljust(name_width), variant.rjust(3), lessons, when]).rstrip()

    lines = [line("student", "var", columns, "shared")]
    for row, student in zip(rows, data.students):
        when = (student.exported_at or "")[5:16].replace("T", " ")  # "01-31 10:05" of an ISO time
        lines.append(line(row.user, "—" if row.variant is None else str(row.variant),
                          [row.cells[lesson_id] for lesson_id in columns], when))
    lines.append("solved/steps; h: solved after hints, r: revealed (not solved); var: variant")
    return lines


def _stuck_lines(stats: list[StepStats], students: int) -> list[str]:
    """The hardest steps with their titles, then a row per step someone worked on."""
    worst = hardest(stats)
    lines = [f"Where the class is stuck ({students} student{'s' if students != 1 else ''})"]
    if not worst:
        lines.append("  nobody is stuck: no wrong answers, hints or revealed solutions yet")
    for step in worst:
        time = f", time {duration_text(step.median_seconds)}" if step.median_seconds is not None else ""
        lines.append(_fit(f"  {step.label}  {step.title}"))
        lines.append(_fit(f"    {step.stuck} stuck, {step.revealed} revealed, {step.solved} solved of {step.students};"
                          f" median tries {step.median_tries:g}{time}"))
        if step.slips:
            lines.append(_fit(f"    slips: {slips_text(step.slips)}"))
    active = [s for s in stats if s.students]
    if active:
        label_width = max(len(s.label) for s in active)
        lines += ["", f"{'step':<{label_width}}  solved  rev  stuck  tries   time  slips"]
        for s in active:
            lines.append(_fit(f"{s.label:<{label_width}}  {s.solved:>6}  {s.revealed:>3}  {s.stuck:>5}  "
                              f"{s.median_tries:>5g}  {duration_text(s.median_seconds):>5}  {slips_text(s.slips)}"))
        lines += ["Of the students who worked on a step: stuck = wrong answers or hints but not",
                  "solved or revealed; tries and time are medians; slips: how many made each."]
    return lines


def _fit(text: str) -> str:
    text = text.rstrip()
    return text if len(text) <= WIDTH else text[:WIDTH - 1] + "…"


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
