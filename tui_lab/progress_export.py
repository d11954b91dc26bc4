"""What a student hands in or shares: their progress as one JSON-ready dict (version 3).

It holds only the user name, the variant, where they are, and each step's progress and
attempts: state, answer, tries, slips (+ the latest), hints, time, runs and their best test
accuracy. Never a path (a run's checkpoint or data folder) and nothing of the environment,
so a shared file tells classmates and the teacher nothing else about the student.

Version 2 files (still read) lack ``variant``, ``current``, ``seconds`` and ``last_slip``;
version 1 files said ``done`` (+ ``revealed``) for the solved and revealed states.
"""

from __future__ import annotations

import getpass
import time
from typing import TYPE_CHECKING, Any

from tui_lab.progress import ProgressStore, current_entry

if TYPE_CHECKING:
    from lessons import Catalog

EXPORT_FORMAT = "tui-lab progress"
EXPORT_VERSION = 3


def export(catalog: Catalog, store: ProgressStore, variant: int) -> dict[str, Any]:
    """Everything a teacher needs from one student, lesson by lesson."""
    lessons = []
    for lesson in catalog.lessons:
        steps = []
        for step in lesson.steps:
            entry = store.step(lesson.id, step.index)
            last_slip = entry.get("last_slip") or {}
            steps.append({
                "step": step.index, "title": step.title, "kind": step.kind,
                "state": entry.get("state", "new"), "answer": entry.get("answer"),
                "tries": entry.get("tries", 0), "slips": entry.get("slips", {}), "hints": entry.get("hints", 0),
                "hinted": bool(entry.get("hinted")), "runs": entry.get("runs", 0),
                "best_test_accuracy": entry.get("best_test_accuracy"),
                "seconds": round(entry.get("seconds", 0)),
                "last_slip": last_slip.get("id"), "last_slip_at": iso(last_slip.get("at")),
                "at": iso(entry.get("at")),
            })
        lessons.append({"id": lesson.id, "title": lesson.title, "total": len(steps), **counts(steps),
                        "steps": steps})
    position = store.last_position()
    current = {"lesson": position[0], "step": position[1]} if position else None
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "user": getpass.getuser(), "variant": variant,
            "current": current, "exported_at": iso(time.time()), "lessons": lessons}


def counts(steps: list[dict[str, Any]]) -> dict[str, int]:
    """Solved steps, those of them solved after hints, and revealed ones."""
    states = [current_entry(step)["state"] for step in steps]
    return {"solved": states.count("solved"), "revealed": states.count("revealed"),
            "solved_after_hints": sum(1 for step, state in zip(steps, states) if state == "solved" and step.get("hinted"))}


def iso(stamp: float | None) -> str | None:
    return None if stamp is None else time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(stamp))
