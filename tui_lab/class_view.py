"""``tui-lab class DIR``: the teacher's live view of a class's shared progress folder.

A row per student (where they are, the state of that step, their latest slip, a mark per
step of one lesson) and, below it, the steps where the class is stuck. The folder is
polled every few seconds in a thread; it is read again only when a file in it changed.
Students' files are only read, never written.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from lab_i18n import N_, _
from tui_lab.class_data import (ClassData, FolderMissing, duration_text, hardest, lesson_ids, read_class, slips_text,
                                step_stats)
from tui_lab.contract import EXIT_OK, EXIT_USAGE
from tui_lab.widgets.class_table import ClassTable, legend, short_label
from tui_lab.widgets.key_hints import translate_bindings


class FolderWatch:
    """The class folder, read again only when a progress file in it was added, removed or
    replaced (students' files are written atomically: a new file each time)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seen: dict[str, tuple[int, int, int]] | None = None
        self._lock = threading.Lock()  # a forced read and a poll may overlap

    def read(self, force: bool = False) -> tuple[ClassData, list[str]] | None:
        """The class and the names of the files it skipped, or None when nothing changed since
        the last read (and not ``force``)."""
        with self._lock:
            files = self._files()
            if not force and files is not None and files == self._seen:
                return None
            self._seen = files
            try:
                data = read_class(self.folder)
            except FolderMissing as error:
                data = ClassData(problems=[str(error)])
            return data, sorted(set(files or ()) - {student.file for student in data.students})

    def _files(self) -> dict[str, tuple[int, int, int]] | None:
        try:
            with os.scandir(self.folder) as entries:
                stats = {entry.name: entry.stat() for entry in entries
                         if entry.name.endswith(".json") and not entry.name.startswith(".")}
        except OSError:
            return None  # read_class says what is wrong with the folder
        return {name: (stat.st_ino, stat.st_mtime_ns, stat.st_size) for name, stat in stats.items()}


def default_lesson(data: ClassData) -> str | None:
    """The lesson most students are in (else the first lesson of the files)."""
    where = Counter(student.current[0] for student in data.students if student.current)
    if where:
        return where.most_common(1)[0][0]
    lessons = lesson_ids(data)
    return lessons[0] if lessons else None


STUCK_STEPS = 8  # the hardest steps listed, hardest first (the panel scrolls)


def stuck_text(data: ClassData) -> Text:
    """Two lines per hard step: which one and its commonest slips; how the class fares on it."""
    worst = hardest(step_stats(data), STUCK_STEPS)
    if not worst:
        return Text(_("Nobody is stuck anywhere yet."), style="dim")
    text = Text()
    for stats in worst:
        if text:
            text.append("\n")
        text.append(f"{short_label(stats.label)} {stats.title}", style="bold")
        if stats.slips:
            text.append("  ").append(slips_text(stats.slips), style="red")
        tries = _("1 try") if stats.median_tries == 1 else _("{count} tries").format(count=f"{stats.median_tries:g}")
        figures = dict(stuck=stats.stuck, revealed=stats.revealed, solved=stats.solved, students=stats.students,
                       tries=tries)
        if stats.median_seconds is None:
            line = _("{stuck} stuck · {revealed} revealed · {solved} solved of {students} · median {tries}")
        else:
            line = _("{stuck} stuck · {revealed} revealed · {solved} solved of {students} · median {tries}"
                     " · {time} on it")
            figures["time"] = duration_text(stats.median_seconds)
        text.append("\n  " + line.format(**figures), style="dim")
    return text


def notice_text(problems: list[str], skipped: list[str]) -> str:
    """One line: the one problem's sentence, or the names of the files skipped."""
    if len(problems) == 1:
        return problems[0]
    if skipped:
        return _("{count} files were skipped: {names}.").format(count=len(problems), names=", ".join(skipped))
    return _("{count} files were skipped.").format(count=len(problems))


class ClassViewApp(App):
    CSS_PATH = "class_view.tcss"
    TITLE = "TUI Lab · class"
    ENABLE_COMMAND_PALETTE = False  # read-only: nothing to run, no screenshots written where it is served
    BINDINGS = [
        Binding("q", "quit", N_("Quit")),
        Binding("r", "read_now", N_("Refresh")),
        Binding("l", "next_lesson", N_("Next lesson")),
    ]

    def __init__(self, folder: str | Path, interval: float = 2.0) -> None:
        super().__init__()
        translate_bindings(self)  # the footer's words, in the current language
        self.folder = Path(folder).expanduser()
        self.interval = interval
        self.watch = FolderWatch(self.folder)
        self.data = ClassData()
        self.skipped: list[str] = []  # the names of the files not shown
        self.chosen_lesson: str | None = None  # None: follow where most students are
        self.read_at = "…"

    def compose(self) -> ComposeResult:
        yield Static(id="class-header")
        yield Static(id="class-notice")
        yield Static(id="lesson-bar")
        yield ClassTable(id="class-table")
        with VerticalScroll(id="stuck"):
            yield Static(id="stuck-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#stuck").border_title = _("Where the class is stuck")
        self._show_header()
        self.read_folder(force=True)
        self.set_interval(self.interval, self.read_folder)

    @property
    def lesson(self) -> str | None:
        return self.chosen_lesson if self.chosen_lesson in lesson_ids(self.data) else default_lesson(self.data)

    @work(thread=True, group="read")
    def read_folder(self, force: bool = False) -> None:
        self.call_from_thread(self._show, self.watch.read(force), time.strftime("%H:%M:%S"))

    def action_read_now(self) -> None:
        self.read_folder(force=True)

    def action_next_lesson(self) -> None:
        lessons = lesson_ids(self.data)
        if lessons:
            at = lessons.index(self.lesson) if self.lesson in lessons else -1
            self.chosen_lesson = lessons[(at + 1) % len(lessons)]
            self._show_class()

    def _show(self, reading: tuple[ClassData, list[str]] | None, read_at: str) -> None:
        self.read_at = read_at
        if reading is not None:
            self.data, self.skipped = reading
            self._show_class()
        self._show_header()

    def _show_class(self) -> None:
        lesson = self.lesson
        self.query_one(ClassTable).show(self.data, lesson)
        bar = Text.assemble((lesson, "bold"), "  ", legend()) if lesson else \
            Text(_("No progress files yet: students share with `tui-lab progress --share {folder}`.").format(
                folder=self.folder), style="dim")
        self.query_one("#lesson-bar", Static).update(bar)
        self.query_one("#stuck-text", Static).update(stuck_text(self.data))
        notice = self.query_one("#class-notice", Static)
        notice.set_class(bool(self.data.problems), "-shown")
        notice.update(notice_text(self.data.problems, self.skipped) if self.data.problems else "")
        notice.tooltip = "\n".join(self.data.problems) or None

    def _show_header(self) -> None:
        count = len(self.data.students)
        students = _("1 student") if count == 1 else _("{count} students").format(count=count)
        read = _("read {time}, every {seconds} s").format(time=self.read_at, seconds=f"{self.interval:g}")
        header = Text.assemble((str(self.folder), "bold"), f" · {students}", (f" · {read}", "dim"))
        self.query_one("#class-header", Static).update(header)


def run_class_view(folder: str, interval: float = 2.0) -> int:
    """The view until q; 2 with a sentence when the folder is missing or the interval is not positive."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        print("tui-lab: " + _("{path} is not a folder; give the class's shared progress folder.").format(path=path),
              file=sys.stderr)
        return EXIT_USAGE
    if not interval > 0:
        print("tui-lab: " + _("--interval must be a number of seconds above 0, not {interval}.").format(
            interval=f"{interval:g}"), file=sys.stderr)
        return EXIT_USAGE
    ClassViewApp(path, interval).run()
    return EXIT_OK
