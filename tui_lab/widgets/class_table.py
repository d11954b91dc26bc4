"""The class view's table: a row per student, a mark per step of one lesson.

Five fixed columns say where each student is (they stay put when the step columns
scroll sideways at 80 columns); then one narrow column per step of the lesson shown.
Rows are keyed by the student's file: refreshing updates cells in place, and a rebuilt
table (a student added, another lesson shown) puts the cursor back on its student.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from lab_i18n import N_, _
from tui_lab.class_data import ClassData, Student, StudentRow, student_rows

# A step's mark, by what the student did (hinted: solved after hints), in the legend's order.
MARKS = {
    "solved": ("✓", "green"), "hinted": ("◐", "yellow"), "revealed": ("◇", "magenta"),
    "stuck": ("●", "red"), "seen": ("·", "dim"), "new": (" ", ""),
}
# What the legend and the state column call each mark.
WORDS = {"solved": N_("solved"), "hinted": N_("hinted"), "revealed": N_("revealed"), "stuck": N_("stuck"),
         "seen": N_("seen"), "new": N_("new")}
# key, header, most characters shown (a longer value is cut with "…")
FIXED = (("user", N_("student"), 10), ("variant", N_("var"), 3), ("current", N_("at"), 8), ("state", N_("state"), 8),
         ("slip", N_("last slip"), 14))
STEP_WIDTH = 3  # a mark between spaces, or a two-digit step number


def legend() -> Text:
    text = Text()
    for word, (mark, style) in MARKS.items():
        if word != "new":
            text.append(mark, style).append(f" {_(WORDS[word])}  ")
    return text


def step_kind(step: dict[str, Any] | None) -> str:
    """Which mark a step of a student's file gets (stuck: wrong tries or hints, not solved)."""
    step = step or {}
    state = step.get("state", "new")
    if state == "solved":
        return "hinted" if step.get("hinted") else "solved"
    if state == "revealed":
        return "revealed"
    if step.get("tries") or step.get("hints"):
        return "stuck"
    return "seen" if state == "seen" else "new"


def short_id(lesson_id: str) -> str:
    """'gd' for gradient-descent, the first five letters of a one-word id."""
    parts = [part for part in lesson_id.split("-") if part]
    return "".join(part[0] for part in parts) if len(parts) > 1 else lesson_id[:5]


def short_label(label: str | None) -> str:
    """'gd:3' for the label 'gradient-descent:3'."""
    if not label or ":" not in label:
        return label or ""
    lesson, _colon, step = label.rpartition(":")
    return f"{short_id(lesson)}:{step}"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def lesson_steps(data: ClassData, lesson: str | None) -> list[int]:
    """The lesson's step numbers, from the first student file that has it."""
    for student in data.students:
        for found in student.lessons:
            if found["id"] == lesson:
                return [step["step"] for step in found["steps"]]
    return []


class ClassTable(DataTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, cell_padding=0, **kwargs)
        self.fixed_columns = len(FIXED)
        self._steps: list[int] | None = None

    def show(self, data: ClassData, lesson: str | None) -> None:
        """The class's rows with the step columns of ``lesson``; cells change in place when the
        students and steps are those already shown, else the table is rebuilt."""
        steps = lesson_steps(data, lesson)
        rows = {student.file: self._cells(row, student, lesson, steps)
                for row, student in zip(student_rows(data), data.students)}
        if steps == self._steps and list(rows) == [key.value for key in self.rows]:
            for key, cells in rows.items():
                for column, value in zip(self.columns, cells):
                    if self.get_cell(key, column) != value:
                        self.update_cell(key, column, value)
            return
        self._rebuild(steps, rows)

    def _rebuild(self, steps: list[int], rows: dict[str, list]) -> None:
        selected = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value if self.row_count else None
        self.clear(columns=True)
        for key, header, width in FIXED:
            self.add_column(_(header), key=key, width=width + 1)  # one space to the next column
        for number in steps:
            self.add_column(Text(str(number), justify="center"), key=f"step-{number}", width=STEP_WIDTH)
        for key, cells in rows.items():
            self.add_row(*cells, key=key)
        self._steps = steps
        if selected in rows:
            self.move_cursor(row=list(rows).index(selected), animate=False)

    @staticmethod
    def _cells(row: StudentRow, student: Student, lesson: str | None, steps: list[int]) -> list:
        widths = {key: width for key, _header, width in FIXED}
        kind = step_kind(_step_of(student, *student.current)) if student.current else ""
        mark, style = MARKS.get(kind, ("", ""))
        state = Text.assemble((mark, style), " ", _(WORDS["solved" if kind == "hinted" else kind])) if kind else ""
        slip = f"{row.last_slip} {short_label(row.last_slip_step)}" if row.last_slip else ""
        fixed = [_fit(row.user, widths["user"]), "" if row.variant is None else str(row.variant),
                 _fit(short_label(row.current), widths["current"]), state, _fit(slip, widths["slip"])]
        return fixed + [_mark(step_kind(_step_of(student, lesson, number))) for number in steps]


def _step_of(student: Student, lesson: str | None, number: int) -> dict[str, Any] | None:
    found = next((entry for entry in student.lessons if entry["id"] == lesson), {"steps": []})
    return next((step for step in found["steps"] if step["step"] == number), None)


def _mark(kind: str) -> Text:
    mark, style = MARKS[kind]
    return Text(mark, style=style, justify="center")
