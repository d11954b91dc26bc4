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
from lab_i18n import _

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
        solved = lesson["solved"]
        counts = _("{hints} after hints, {revealed} revealed").format(hints=lesson["solved_after_hints"],
                                                                     revealed=lesson["revealed"])
        if best:
            counts += "  " + _("best test accuracy {accuracy}").format(accuracy=f"{max(best):.2%}")
        lines.append(f"{lesson['id']:<18} {solved:>3}/{lesson['total']:<3} {_bar(solved, lesson['total'])}  {counts}")
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
        print(_("warning: {problem}").format(problem=store.notice), file=sys.stderr)
    variant = learner_variant(variant, load_config(), store)
    if share:
        try:
            target = share_progress(catalog, store, Path(share), variant)
        except ShareError as error:
            raise UsageError(str(error)) from None
        out.write(_("Your progress is in {path}.").format(path=target) + "\n")
        return EXIT_OK
    data = export(catalog, store, variant)
    text = json.dumps(data, indent=1) + "\n" if fmt == "json" else as_csv(data) if fmt == "csv" \
        else "\n".join(summary_lines(data)) + "\n"
    if output:
        try:
            atomic_write_text(Path(output).expanduser(), text)
        except OSError as error:
            raise UsageError(_("Could not write {path}: {reason}.").format(path=output,
                                                                           reason=error.strerror or error)) from None
        out.write(_("Written to {path}.").format(path=output) + "\n")
    else:
        out.write(text)
    return EXIT_OK


def class_summary(folder: Path, out: IO[str]) -> int:
    """A line per student file in a shared folder, then where the class is stuck; files that
    cannot be used are named on stderr, not fatal (exit status 1)."""
    data = read_class(folder)
    if not data.students:
        out.write(_("No progress files in {folder} yet (students write them with `tui-lab progress --share {folder}`).")
                  .format(folder=folder) + "\n")
    else:
        out.write("\n".join(_student_table(data) + [""] + _stuck_lines(step_stats(data), len(data.students))) + "\n")
    for problem in data.problems:
        print(_("warning: {problem}").format(problem=problem), file=sys.stderr)
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
    lines.append(_("solved/steps; h: solved after hints, r: revealed (not solved); var: variant"))
    return lines


def _stuck_lines(stats: list[StepStats], students: int) -> list[str]:
    """The hardest steps with their titles, then a row per step someone worked on."""
    worst = hardest(stats)
    lines = [(_("Where the class is stuck ({count} student)") if students == 1 else
              _("Where the class is stuck ({count} students)")).format(count=students)]
    if not worst:
        lines.append("  " + _("nobody is stuck: no wrong answers, hints or revealed solutions yet"))
    for step in worst:
        figures = dict(stuck=step.stuck, revealed=step.revealed, solved=step.solved, students=step.students,
                       tries=f"{step.median_tries:g}", time=duration_text(step.median_seconds))
        lines.append(_fit(f"  {step.label}  {step.title}"))
        lines.append(_fit("    " + (_("{stuck} stuck, {revealed} revealed, {solved} solved of {students}; median tries "
                                      "{tries}, time {time}") if step.median_seconds is not None else
                                    _("{stuck} stuck, {revealed} revealed, {solved} solved of {students}; median tries "
                                      "{tries}")).format(**figures)))
        if step.slips:
            lines.append(_fit("    " + _("slips: {slips}").format(slips=slips_text(step.slips))))
    active = [s for s in stats if s.students]
    if active:
        label_width = max(len(s.label) for s in active)
        lines += ["", f"{'step':<{label_width}}  solved  rev  stuck  tries   time  slips"]
        for s in active:
            lines.append(_fit(f"{s.label:<{label_width}}  {s.solved:>6}  {s.revealed:>3}  {s.stuck:>5}  "
                              f"{s.median_tries:>5g}  {duration_text(s.median_seconds):>5}  {slips_text(s.slips)}"))
        lines += _("Of the students who worked on a step: stuck = wrong answers or hints but not\nsolved or revealed; "
                   "tries and time are medians; slips: how many made each.").split("\n")
    return lines


def _fit(text: str) -> str:
    text = text.rstrip()
    return text if len(text) <= WIDTH else text[:WIDTH - 1] + "…"


def cmd_reset(catalog: Catalog, lesson_id: str | None, everything: bool, yes: bool, out: IO[str]) -> int:
    if everything == bool(lesson_id):
        raise UsageError(_("Name one lesson to reset, or --all for every lesson (not both)."))
    lesson = find_lesson(catalog, lesson_id) if lesson_id else None
    what = _("all progress in {lesson}").format(lesson=repr(lesson.id)) if lesson else \
        _("ALL your progress in every lesson")
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(_("Not resetting {what} without confirmation: add --yes.").format(what=what))
        answer = input(_("Reset {what}? This cannot be undone. [y/N] ").format(what=what)).strip().lower()
        if answer not in ("y", "yes"):
            out.write(_("Nothing was reset.") + "\n")
            return EXIT_OK
    store = ProgressStore()
    store.reset(lesson.id if lesson else None)
    if store.error:
        out.write(store.error + "\n")
        return EXIT_FAILED
    out.write(_("Reset {what}.").format(what=what) + "\n")
    return EXIT_OK
