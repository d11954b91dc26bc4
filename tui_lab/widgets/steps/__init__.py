"""The step view and one widget per step kind (compute, find-error, run, graph, draw).

Widgets show and ask; the app owns state. A solved step posts ``StepSolved``, a run
button posts ``RunRequested`` with parameters already validated by the engine's spec.
"""

from tui_lab.widgets.steps.base import SessionBody, StepBody, fill_placeholders
from tui_lab.widgets.steps.view import StepView

# Each kind's widget is in its own module (compute, find_error, run, graph, draw), imported
# when a step of that kind is first shown (see view.body_class_of).
__all__ = ["SessionBody", "StepBody", "StepView", "fill_placeholders"]
