"""What a teacher sees of a class: the students' shared progress files, read and summed up.

Students' files are only read here, never written. A file that cannot be used (unreadable,
half-written, not a progress export, malformed) becomes one sentence naming it, never an
error; temp files of a share in progress (hidden ``.*.tmp``) are not looked at. Exports
of versions 1 to 3 are read (see tui_lab.progress_export); what an older one lacks
(variant, where the student is, time, the latest slip) is left out of the figures.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_lab.contract import UsageError
from tui_lab.progress import STATES, current_entry
from tui_lab.progress_export import EXPORT_FORMAT, EXPORT_VERSION, counts
from lab_i18n import _


class FolderMissing(UsageError, FileNotFoundError):
    """The class folder itself is missing (bad files in it are never an error)."""


@dataclass
class Student:
    user: str
    variant: int | None  # None: an export from before variants
    exported_at: str | None
    current: tuple[str, int] | None  # the step they last opened
    lessons: list[dict[str, Any]]  # the export's lessons, steps in today's states
    file: str = ""


@dataclass
class ClassData:
    students: list[Student] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one sentence per skipped file


@dataclass
class StepStats:
    """The class on one step. ``students``: how many worked on it (opened it, or have tries,
    hints or time on it); of them ``solved`` and ``revealed`` are those in that state, and
    ``stuck`` those with a wrong try or a hint opened who have neither solved it nor had it
    revealed (merely reading a step is not being stuck). ``median_tries`` is over the
    students who worked on it, ``median_seconds`` over those of them with time counted
    (None if none); ``slips``: (slip id, how many students made it), commonest first."""

    lesson: str
    step: int
    title: str
    students: int = 0
    solved: int = 0
    revealed: int = 0
    stuck: int = 0
    median_tries: float = 0
    slips: list[tuple[str, int]] = field(default_factory=list)
    median_seconds: float | None = None

    @property
    def label(self) -> str:
        return step_label(self.lesson, self.step)

    @property
    def struggling(self) -> int:
        return self.stuck + self.revealed


@dataclass
class StudentRow:
    user: str
    variant: int | None
    current: str  # "lesson:step", or "—" when unknown
    state: str  # the current step's state, "" when unknown
    last_slip: str | None  # the latest slip's id …
    last_slip_step: str | None  # … and the step it was made on
    cells: dict[str, str]  # lesson id -> "5/11 1h 2r", for every lesson of the class


def read_class(folder: Path) -> ClassData:
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FolderMissing(_("{folder} is not a folder.").format(folder=folder))
    data = ClassData()
    try:
        paths = sorted(path for path in folder.iterdir() if path.suffix == ".json" and not path.name.startswith("."))
    except OSError as error:
        data.problems.append(_("The folder {folder} could not be listed ({reason}).").format(
            folder=folder, reason=error.strerror or error))
        return data
    for path in paths:
        try:
            data.students.append(read_student(path))
        except ValueError as error:
            data.problems.append(_("{file} was skipped: {reason}.").format(file=path.name, reason=error))
    return data


def read_student(path: Path) -> Student:
    """One student's file; ValueError (with the reason, as a clause) if it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(_("it could not be read ({reason})").format(reason=getattr(error, "strerror", None) or error)) \
            from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(_("it is not complete JSON, perhaps half-written ({problem} at line {line})").format(
            problem=error.msg, line=error.lineno)) from None
    if not isinstance(raw, dict) or raw.get("format") != EXPORT_FORMAT:
        raise ValueError(_("it is not a tui-lab progress file"))
    version = raw.get("version")
    if not isinstance(version, int) or not 1 <= version <= EXPORT_VERSION:
        raise ValueError(_("its version {version} is not one this tui-lab reads (1 to {newest})").format(
            version=repr(version), newest=EXPORT_VERSION))
    lessons = raw.get("lessons")
    if not isinstance(lessons, list) or not all(_is_lesson(lesson) for lesson in lessons):
        raise ValueError(_("its lessons are malformed"))
    current = raw.get("current")
    if isinstance(current, dict) and isinstance(current.get("lesson"), str) and isinstance(current.get("step"), int):
        position = (current["lesson"], current["step"])
    else:
        position = None
    variant, exported_at = raw.get("variant"), raw.get("exported_at")
    return Student(user=str(raw.get("user") or path.stem), variant=variant if isinstance(variant, int) else None,
                   exported_at=exported_at if isinstance(exported_at, str) else None, current=position, file=path.name,
                   lessons=[{**lesson, "steps": [current_entry(step) for step in lesson["steps"]]}
                            for lesson in lessons])


def _is_lesson(lesson: Any) -> bool:
    return isinstance(lesson, dict) and isinstance(lesson.get("id"), str) and isinstance(lesson.get("steps"), list) \
        and all(_is_step(step) for step in lesson["steps"])


def _is_step(step: Any) -> bool:
    """The fields the figures use have the right types (absent ones count as zero)."""
    if not isinstance(step, dict) or not isinstance(step.get("step"), int):
        return False
    numbers = all(isinstance(step.get(key, 0), (int, float)) for key in ("tries", "hints", "seconds"))
    slips = step.get("slips", {})
    return numbers and current_entry(step).get("state", "new") in STATES and isinstance(slips, dict) \
        and all(isinstance(count, int) for count in slips.values())


def step_label(lesson: str, step: int) -> str:
    return f"{lesson}:{step}"


def worked_on(step: dict[str, Any]) -> bool:
    return step.get("state", "new") != "new" or any(step.get(key) for key in ("tries", "hints", "seconds"))


def step_stats(data: ClassData) -> list[StepStats]:
    """Every step any student's file has, in lesson and step order (as the first file that has it)."""
    found: dict[tuple[str, int], StepStats] = {}
    tries: dict[tuple[str, int], list[float]] = {}
    seconds: dict[tuple[str, int], list[float]] = {}
    slips: dict[tuple[str, int], Counter[str]] = {}
    for student in data.students:
        for lesson in student.lessons:
            for step in lesson["steps"]:
                key = (lesson["id"], step["step"])
                stats = found.setdefault(key, StepStats(lesson["id"], step["step"], str(step.get("title", ""))))
                if not worked_on(step):
                    continue
                stats.students += 1
                state = step.get("state", "new")
                stats.solved += state == "solved"
                stats.revealed += state == "revealed"
                stats.stuck += state not in ("solved", "revealed") and bool(step.get("tries") or step.get("hints"))
                tries.setdefault(key, []).append(step.get("tries", 0))
                if step.get("seconds"):
                    seconds.setdefault(key, []).append(step["seconds"])
                slips.setdefault(key, Counter()).update(slip for slip, count in step.get("slips", {}).items() if count)
    for key, stats in found.items():
        stats.median_tries = statistics.median(tries[key]) if key in tries else 0
        stats.median_seconds = statistics.median(seconds[key]) if key in seconds else None
        stats.slips = sorted(slips.get(key, Counter()).items(), key=lambda item: (-item[1], item[0]))
    return list(found.values())


def hardest(stats: list[StepStats], n: int = 3) -> list[StepStats]:
    """The ``n`` steps where the class struggles most: most students stuck or shown the
    solution, then the most median tries, then the most slips made; steps nobody struggled
    on (none stuck or revealed, no tries) are never listed."""
    struggled = [s for s in stats if s.struggling or s.median_tries or s.slips]
    return sorted(struggled, key=lambda s: (-s.struggling, -s.median_tries, -sum(c for _slip, c in s.slips)))[:n]


def lesson_ids(data: ClassData) -> list[str]:
    """The class's lessons, in the order their files list them."""
    return list(dict.fromkeys(lesson["id"] for student in data.students for lesson in student.lessons))


def student_rows(data: ClassData) -> list[StudentRow]:
    columns = lesson_ids(data)
    rows = []
    for student in data.students:
        by_id = {lesson["id"]: lesson for lesson in student.lessons}
        state = ""
        if student.current:
            lesson = by_id.get(student.current[0], {"steps": []})
            state = next((s.get("state", "new") for s in lesson["steps"] if s["step"] == student.current[1]), "")
        slip = _last_slip(student)
        rows.append(StudentRow(
            user=student.user, variant=student.variant,
            current=step_label(*student.current) if student.current else "—", state=state,
            last_slip=slip[0] if slip else None, last_slip_step=slip[1] if slip else None,
            cells={lesson_id: lesson_cell(by_id.get(lesson_id)) for lesson_id in columns}))
    return rows


def _last_slip(student: Student) -> tuple[str, str] | None:
    """The slip the student made last, and its step label (by the time each step's was made)."""
    made = [(step.get("last_slip_at") or "", step["last_slip"], step_label(lesson["id"], step["step"]))
            for lesson in student.lessons for step in lesson["steps"] if isinstance(step.get("last_slip"), str)]
    if not made:
        return None
    slip, label = max(made)[1:]
    return slip, label


def lesson_cell(lesson: dict[str, Any] | None) -> str:
    """'5/11 1h 2r': solved of all steps, then solved after hints (h) and revealed (r) when
    there are some; '—' for a lesson not in the student's file."""
    if lesson is None:
        return "—"
    found = counts(lesson["steps"])
    cell = f"{found['solved']}/{lesson.get('total', len(lesson['steps']))}"
    if found["solved_after_hints"]:
        cell += f" {found['solved_after_hints']}h"
    if found["revealed"]:
        cell += f" {found['revealed']}r"
    return cell


def slips_text(slips: list[tuple[str, int]], limit: int = 3) -> str:
    """'sign ×4, half ×2' (the commonest ``limit``); '' when none."""
    return ", ".join(f"{slip} ×{count}" for slip, count in slips[:limit])


def duration_text(seconds: float | None) -> str:
    """'45s', '4m10s', '1h05m'; '—' when unknown."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
