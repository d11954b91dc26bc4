"""Waiting on the lab with Pilot: every wait is for a condition, never for an amount of time.

A busy machine only makes the waits longer. Each wait still has a safety limit, far above
what any condition needs, so that a hang becomes a failure that names what never happened.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from textual.css.query import NoMatches
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

SAFETY_LIMIT = 60.0  # seconds; a hang guard, far above a loaded machine's slowest condition
W = TypeVar("W", bound=Widget)


async def wait_until(pilot, predicate: Callable[[], object], what: str = "condition",
                     timeout: float = SAFETY_LIMIT) -> None:
    """Let the app run until ``predicate()`` holds (events also come from engine processes).

    ``timeout`` only turns a hang into a failure: raise it for runs that train a network."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.05)


def _found(root, target: str | type[W]) -> W | None:
    """The first mounted match of ``target`` under ``root``, or None."""
    try:
        widget = root.query_one(target)
    except NoMatches:
        return None
    return widget if widget.is_mounted else None


async def widget_mounted(pilot, target: str | type[W], within: Widget | None = None,
                         timeout: float = SAFETY_LIMIT) -> W:
    """The widget matching a selector or type, once it is mounted (with all it composes).

    Parts mounted after the first paint (the bottom panel) or after a message are not
    there yet right after ``run_test`` starts or a key is pressed."""
    found: list[W] = []

    def mounted() -> bool:
        widget = _found(within or pilot.app.screen, target)
        found[:] = [widget] if widget is not None else []
        return bool(found)

    await wait_until(pilot, mounted, what=f"{getattr(target, '__name__', target)} to be mounted", timeout=timeout)
    return found[0]


def shown_text(widget: Widget) -> str:
    """What a widget shows: a Static's whole text (unwrapped), else its rendered lines."""
    plain = getattr(widget.visual, "plain", None) if isinstance(widget, Static) else None
    if isinstance(plain, str):
        return plain
    width, height = widget.outer_size  # border and padding included, as on screen
    return "\n".join(strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, width, height)))


def table_shown(widget: Widget, headers: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The rows of a drawn text table, cut at its headers' columns (wrapped cells joined)."""
    lines = shown_text(widget).splitlines()
    top = next(i for i, line in enumerate(lines) if all(h in line for h in headers))
    starts = [lines[top].index(h) for h in headers]
    rows: list[list[str]] = []
    for line in lines[top + 1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None])]
        if not any(cells):
            continue
        if cells[0] or not rows:
            rows.append(cells)
        else:  # a wrapped cell goes on under its row
            rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells)]
    return [tuple(row) for row in rows]


def _showing(root: Widget, text: str) -> Widget | None:
    """The first widget on screen, ``root`` or inside it, that shows ``text``."""
    for widget in (root, *root.query("*")):
        if widget.children or not widget.is_on_screen:  # containers draw only their background
            continue
        if text in shown_text(widget):
            return widget
    return None


async def text_shown(pilot, text: str, within: str | type[Widget] | Widget | None = None,
                     timeout: float = SAFETY_LIMIT) -> str:
    """Wait until ``text`` is on screen, in ``within`` (a widget, selector or type) or anywhere.

    Returns everything the widget showing it shows, for assertions on the rest."""
    showing: list[Widget] = []

    def shown() -> bool:
        root = within if isinstance(within, Widget) else (
            _found(pilot.app.screen, within) if within is not None else pilot.app.screen)
        widget = _showing(root, text) if root is not None else None
        showing[:] = [widget] if widget is not None else []
        return bool(showing)

    where = f" in {getattr(within, '__name__', within)}" if within is not None else ""
    await wait_until(pilot, shown, what=f"{text!r} on screen{where}", timeout=timeout)
    return shown_text(showing[0])


async def lab_ready(pilot) -> None:
    """The first step is shown with the keyboard in it, and the bottom panel is mounted."""
    from tui_lab.widgets.panel import BottomPanel

    app = pilot.app
    await widget_mounted(pilot, BottomPanel, within=app.main)

    def keyboard_in_step() -> bool:
        body = app.step_view.body
        return body.has_focus_within if body is not None else app.step_view.has_focus

    await wait_until(pilot, lambda: app.current is not None and keyboard_in_step(),
                     what="the first step, with the keyboard in it")


# --- what a student does --------------------------------------------------------------


async def type_answer(pilot, text: str) -> None:
    """Replace the focused field's text and press Enter."""
    await pilot.press("home", "ctrl+k", *text, "enter")


async def answer_judged(pilot, text: str) -> str:
    """Type a wrong answer into the focused field; wait until the feedback shows the judge's
    message for it (a slip's own, or how far off it is); returns the feedback."""
    from lessons.judge import judge_answer

    app = pilot.app
    await type_answer(pilot, text)
    return await feedback_shows(pilot, judge_answer(app.step_view.step, app.step_view.body.values, text).message)


async def feedback_shows(pilot, text: str) -> str:
    """Wait until the step's feedback line shows ``text``; returns the whole line."""
    return await text_shown(pilot, text, within=".feedback")


async def step_done(pilot) -> None:
    """The step on screen is saved as solved."""
    app = pilot.app
    await wait_until(pilot, lambda: app.progress.state(*app.current) == "solved", what=f"step {app.current} solved")


async def toggle_lines(pilot, lines) -> None:
    """On a find-the-error step with the keyboard in its lines: Space on each of these lines
    (marking it, or unmarking a marked one), then C to check the marked set."""
    await pilot.press("home")
    at = 1
    for line in sorted(lines):
        await pilot.press(*["down"] * (line - at), "space")
        at = line
    await pilot.press("c")


async def solved(pilot) -> None:
    """An answered step is done: saved, and its heading says so."""
    await step_done(pilot)
    await text_shown(pilot, "✓ done", within=".heading.-sub")


async def run_step(pilot, state: str = "completed", timeout: float = SAFETY_LIMIT) -> None:
    """F5 on the run step on screen, then wait until that run has ended in ``state``."""
    app = pilot.app
    before, index = app.session, app.current[1]
    await pilot.press("f5")
    await wait_until(pilot, lambda: app.session is not None and app.session is not before
                     and app.session.index == index and not app.session.active, what=f"the run of step {index}", timeout=timeout)
    assert app.session.state == state, f"{app.session.message}\n{app.session.hint}"


TRAINING = 300  # seconds: a hang guard for runs that train a network on a loaded machine


def set_fields(app, **values) -> None:
    """Fill the run step's form, as typing into each field would."""
    for name, value in values.items():
        app.step_view.body.form.set_value(name, value)


async def run_with_fields(pilot, state: str = "completed") -> None:
    """Run with the fields as set, from the step's first control, and wait for its end."""
    pilot.app.step_view.focus_first()
    await run_step(pilot, state=state, timeout=TRAINING)


async def find_the_errors(pilot) -> str:
    """On a find-the-error step: mark a correct line and check (it is refused), then mark
    exactly the step's wrong lines and check; returns the feedback of that last check."""
    step = pilot.app.step_view.step
    innocent = next(i for i in range(1, len(step.lines) + 1) if i not in step.wrong)
    await toggle_lines(pilot, [innocent])
    await feedback_shows(pilot, f"Line {innocent} is correct")
    await toggle_lines(pilot, [innocent, *step.wrong])  # unmarks it, marks the wrong ones
    return await feedback_shows(pilot, "Right")
