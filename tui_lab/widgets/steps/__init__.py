"""The step view and one widget per step kind (compute, find-error, run, graph, draw).

Widgets show and ask; the app owns state. A solved step posts ``StepSolved``, a run
button posts ``RunRequested`` with parameters already validated by the engine's spec.
"""

from tui_lab.widgets.steps.base import SessionBody, StepBody, fill_placeholders
from tui_lab.widgets.steps.compute import ComputeBody
from tui_lab.widgets.steps.draw import DrawBody
from tui_lab.widgets.steps.find_error import FindErrorBody
from tui_lab.widgets.steps.graph import GraphBody
from tui_lab.widgets.steps.run import RunBody
from tui_lab.widgets.steps.view import StepView

__all__ = ["ComputeBody", "DrawBody", "FindErrorBody", "GraphBody", "RunBody", "SessionBody", "StepBody",
           "StepView", "fill_placeholders"]
