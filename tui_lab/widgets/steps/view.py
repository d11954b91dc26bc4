"""The editor's step tab: heading, the step's Markdown, its kind's widget, then the 'after' text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from lab_i18n import N_, _
from lessons.sayings import say
from tui_lab.progress import ANSWERED
from tui_lab.run_session import RunSession
from tui_lab.widgets.steps.base import SessionBody, StepBody, fill_placeholders

if TYPE_CHECKING:
    from lessons.model import Step

# A step kind as its heading names it ("Step 2/11 · compute").
KIND_NAMES = {"read": N_("read"), "compute": N_("compute"), "find-error": N_("find-error"), "run": N_("run"),
              "graph": N_("graph"), "draw": N_("draw")}


def body_class_of(kind: str) -> type[StepBody] | None:
    """The widget of a step kind, or None for a read step (its text alone). Each is imported
    when a step of its kind is first shown: none is needed for the lab's first paint."""
    if kind == "compute":
        from tui_lab.widgets.steps.compute import ComputeBody as body
    elif kind == "find-error":
        from tui_lab.widgets.steps.find_error import FindErrorBody as body
    elif kind == "run":
        from tui_lab.widgets.steps.run import RunBody as body
    elif kind == "graph":
        from tui_lab.widgets.steps.graph import GraphBody as body
    elif kind == "draw":
        from tui_lab.widgets.steps.draw import DrawBody as body
    else:
        return None
    return body


class StepView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    StepView { padding: 0 2 1 2; }
    StepView > .heading { color: $text-muted; margin: 1 0 1 0; }
    StepView > .heading.-title { color: $text; text-style: bold; margin: 1 0 0 0; }
    StepView > Markdown { margin: 0; padding: 0; }
    StepView > .after { display: none; }
    StepView > .after.-shown { display: block; }
    StepView > .nav { color: $text-muted; margin: 1 0 0 0; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.step: Step | None = None
        self.body: StepBody | None = None
        self._heading = ""
        self._lang = "en"

    def compose(self) -> ComposeResult:
        yield Static(_("Open a lesson in the explorer (Enter), or press F1 for commands."), classes="heading")

    async def show_step(
        self, step: Step, total: int, values: dict[str, Any], saved: dict[str, Any], session: RunSession | None,
        lang: str = "en",
    ) -> None:
        """Replace what is shown with this step (``session``: the run going, if any, to follow;
        ``lang``: the language the lesson's texts are in)."""
        from textual.widgets import Markdown  # markdown-it costs ~30 ms: not before the first paint

        self.step, self._lang = step, lang
        await self.remove_children()
        state = saved.get("state", "new")
        kind = _(KIND_NAMES[step.kind]) if step.kind in KIND_NAMES else step.kind
        self._heading = _("Step {index}/{total} · {kind}").format(index=step.index, total=total, kind=kind)
        widgets: list = [
            Static(Text(step.title), classes="heading -title"),
            Static(self._heading + self._answered(state), classes="heading -sub"),
            Markdown(fill_placeholders(step.body, values)),
        ]
        body_class = body_class_of(step.kind)
        if body_class is None:
            self.body = None
        elif issubclass(body_class, SessionBody):
            self.body = body_class(step, values, saved, session)
        else:
            self.body = body_class(step, values, saved, lang)
        if self.body is not None:
            widgets.append(self.body)
        if step.after:
            after = Markdown(fill_placeholders(step.after, values), classes="after")
            after.set_class(state in ANSWERED or not step.solvable, "-shown")
            widgets.append(after)
        prev_next = _("F7 ◀ previous step · next step ▶ F8") if step.index < total else _("F7 ◀ previous step · last step")
        widgets.append(Static(prev_next, classes="nav"))
        await self.mount_all(widgets)
        self.scroll_home(animate=False)

    def mark_answered(self, outcome: str) -> None:
        """The step was solved or revealed: its 'after' text shows, its heading says which."""
        for after in self.query(".after"):
            after.add_class("-shown")
        self.query_one(".heading.-sub", Static).update(self._heading + self._answered(outcome))

    def _answered(self, state: str) -> str:
        """What the heading adds once a step is answered."""
        if state == "solved":
            return "  " + _("✓ done")
        return f"  {say('heading_revealed', self._lang)}" if state == "revealed" else ""

    def focus_first(self) -> None:
        if self.body is not None:
            self.body.focus_first()
        else:
            self.focus()
