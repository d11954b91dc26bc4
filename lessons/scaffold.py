"""``tui-lab new-lesson NAME``: a lesson folder from a template that passes ``tui-lab check``.

The template uses only engines that exist (the gradient-descent value table and its
``gd.iterate`` run), so the new lesson loads, checks and opens at once; the author then
replaces its texts and names. The lesson format is described in ``lessons/README.md``.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from lessons.loader import BUILTIN_DIR, LESSON_FILE, LESSON_ID, load_catalog

LESSON_TOML = '''\
# A lesson: this file (metadata and steps) and one Markdown file per step.
# Every key is described in lessons/README.md; `tui-lab check` verifies the lesson.
id = "{name}"
title = "{title}"
group = "My course"      # the explorer heading it is listed under
order = 100              # lessons are listed by order, then id
summary = "One gradient-descent step on y = θx, by hand, by the engine, and in a flawed example."
values = "gd.values"     # the engine value table behind every {{{{ placeholder }}}} and answer

# Values the engine must reproduce: `tui-lab check` fails if the engine disagrees.
[expect]
theta1 = 2.8

[[steps]]
title = "The problem"
kind = "read"
text = "01-problem.md"

[[steps]]
title = "One step by hand"
kind = "compute"
text = "02-first-step.md"
answer = "theta1"        # the value-table entry the student must type
prompt = "θ₁ ="
tolerance = 1e-6
hints = [
  "The rule is θ₁ = θ₀ − α · ∂L/∂θ(θ₀), and the slope at θ₀ is {{{{ grad0:g }}}}.",
  "θ₁ = {{{{ theta0:g }}}} − {{{{ lr }}}} · ({{{{ grad0:g }}}}) = {{{{ theta1 }}}}.",
]

[[steps]]
title = "Let the engine iterate"
kind = "run"
text = "03-iterate.md"
engine = "gd.iterate"    # a run engine from engines/core/registry.py
params = {{ lr = 0.1, theta0 = 0.0, steps = 20 }}
plots = ["loss", "theta"]
table = ["theta", "loss", "grad"]

[[steps]]
title = "Find the error"
kind = "find-error"
text = "04-find-error.md"
lines = [
  "∂L/∂θ = −Σ (yᵢ − θxᵢ) xᵢ",
  "θ₁ = θ₀ + α · ∂L/∂θ(θ₀)",
  "θ₁ = {{{{ theta0:g }}}} + {{{{ lr }}}} · ({{{{ grad0:g }}}})",
]
wrong = [2]
correct = [
  "∂L/∂θ = −Σ (yᵢ − θxᵢ) xᵢ",
  "θ₁ = θ₀ − α · ∂L/∂θ(θ₀)",
  "θ₁ = {{{{ theta0:g }}}} − {{{{ lr }}}} · ({{{{ grad0:g }}}}) = {{{{ theta1 }}}}",
]
hints = ["Does a gradient step go with the slope or against it?"]
'''

MARKDOWN = {
    "01-problem.md": """\
Three points, x = {{ x:g }} and y = {{ y:g }}, are fitted by **y = θx** with the squared error

```text
L(θ) = ½ Σ (yᵢ − θxᵢ)²
```

Gradient descent starts at θ₀ = {{ theta0:g }} and steps against the slope with learning
rate α = {{ lr }}. Every number on this page comes from the engine's value table.
Press **F8** for the next step.
""",
    "02-first-step.md": """\
Where does θ land after one step? The slope at θ₀ is ∂L/∂θ = −Σ (yᵢ − θxᵢ)·xᵢ.

```text
θ₁ = θ₀ − α · ∂L/∂θ(θ₀)
```
<!-- after -->
**θ₁ = {{ theta1 }}.** It overshoots the best fit θ* = {{ theta_star:g }};
the next step comes back from the other side.
""",
    "03-iterate.md": """\
Press **F5**: the engine takes the steps, fills the table and plots the loss and θ.
Change **lr** and run again: above 2/Σx² = {{ critical_lr:.4f }} the steps diverge.
""",
    "04-find-error.md": """\
A worked example of the same first step. Mark **every wrong line** (**Space**), then
check (**C**). A line that correctly follows a wrong line above it is not wrong itself.
<!-- after -->
**Line 2 is wrong:** it adds the gradient, so the step climbs the loss. The correct
first step gives θ₁ = {{ theta1 }}.
""",
}


class ScaffoldError(Exception):
    """The lesson cannot be created; the message is one sentence."""


def default_parent() -> Path:
    """``./lessons`` when the current folder has one (a course's layout), else ``.``."""
    return Path("lessons") if Path("lessons").is_dir() else Path(".")


def render(name: str) -> dict[str, str]:
    """The template's files for a lesson called ``name``: file name -> text."""
    title = name.replace("-", " ").capitalize()
    return {LESSON_FILE: LESSON_TOML.format(name=name, title=title), **MARKDOWN}


def create_lesson(name: str, parent: str | Path | None = None) -> Path:
    """Write ``parent/name`` from the template and return it; all or nothing."""
    if not LESSON_ID.fullmatch(name):
        raise ScaffoldError(
            f"{name!r} cannot be a lesson name: use lowercase letters, digits and dashes, "
            "starting with a letter or digit (for example linear-regression)."
        )
    parent = Path(parent) if parent is not None else default_parent()
    folder = parent / name
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists; choose another name or move it away first.")
    if parent.exists() and not parent.is_dir():
        raise ScaffoldError(f"{parent} is a file, not a folder for lessons.")
    taken = load_catalog([parent] if parent.is_dir() else []).get(name)
    if taken is not None:
        where = "a built-in lesson" if taken.path.parent == BUILTIN_DIR else f"the lesson in {taken.path}"
        raise ScaffoldError(f"The id {name!r} is already used by {where}; choose another name.")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # Written into a hidden temporary folder, then renamed: never half a lesson.
        staging = parent / f".{name}.{os.getpid()}.tmp"
        staging.mkdir()
        try:
            for file, text in render(name).items():
                (staging / file).write_text(text, encoding="utf-8")
            os.rename(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except OSError as error:
        raise ScaffoldError(f"Cannot create {folder}: {error.strerror or error}.") from None
    return folder


def next_steps(folder: Path) -> str:
    """What to do after ``new-lesson``: check it, open it, edit it."""
    parent, name = folder.parent, folder.name
    shown = os.path.relpath(parent) if not os.path.relpath(parent).startswith("..") else str(parent)
    option = "" if parent.resolve() == BUILTIN_DIR else f" --lessons {shlex.quote(shown)}"
    guide = BUILTIN_DIR / "README.md"
    lines = [
        f"Created {os.path.normpath(os.path.join(shown, name))}: {LESSON_FILE} and {len(MARKDOWN)} step texts "
        "(read, compute, run, find-error).",
        "Next:",
        f"  tui-lab check {name}{option}    # verify it (it passes as created)",
        f"  tui-lab{option}    # open the lab; the lesson is listed under \"My course\"",
        f"  then edit {os.path.normpath(os.path.join(shown, name, LESSON_FILE))} and its Markdown files; "
        f"the format is described in {guide if guide.is_file() else 'lessons/README.md'}.",
    ]
    return "\n".join(lines)

