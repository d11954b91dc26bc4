"""A graph step: walk a computational graph; the step is done when the walk reaches its end."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from lab_i18n import _
from tui_lab.widgets.steps.base import StepBody


class GraphBody(StepBody):
    def compose(self) -> ComposeResult:
        from engines.byhand.graph import Graph
        from tui_lab.widgets.graph_view import GraphView

        try:
            graph = Graph.from_dict(self.values[self.step.graph])
            yield GraphView(graph, self.step.show, position=-1 if self.passed else 0)
        except (KeyError, TypeError, ValueError) as error:
            yield Static(_("This step's graph {name} could not be drawn ({error}).").format(
                name=repr(self.step.graph), error=error), classes="hint")
        yield Static("", classes="feedback")

    def focus_first(self) -> None:
        from tui_lab.widgets.graph_view import GraphView

        views = self.query(GraphView)
        if views:
            views.first().focus()

    def on_graph_view_end_reached(self, message) -> None:
        if not self.passed and not self.has_class("-walked"):
            self.add_class("-walked")
            self.say(_("✓ You walked the whole pass. ← goes back through it; F8 is the next step."), ok=True)
            self.solved()
