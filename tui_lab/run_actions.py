"""The keys that act on the run step shown, as a part of the app: run (F5), a new seed (n,
Ctrl+N), the advice or a failed run's alternative (a, d, F9), the settings back to their
defaults (Ctrl+Z); and the settings a learner edits, kept with their progress.

A letter acts wherever the keyboard is not in a text field (a field takes its letters);
each letter's Ctrl or F-key twin acts everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab_i18n import _

if TYPE_CHECKING:
    from lessons.model import RunStep
    from tui_lab.run_settings import RunSettings
    from tui_lab.widgets.run_form import RunForm
    from tui_lab.widgets.steps.run import RunBody


class RunActions:
    """Mixed into ``LabApp``."""

    def _run_body(self, missing: str | None = None) -> RunBody | None:
        """The run step shown, or None (and ``missing`` said)."""
        body = self.step_view.body
        if body is not None and body.step.kind == "run":
            return body
        self.notify(missing or _("This step has nothing to run."))
        return None

    def action_run(self) -> None:
        body = self.step_view.body
        if body is not None and body.step.kind == "run":
            body.request_run()
            return
        lesson = self.current_lesson()
        run_steps = [str(s.index) for s in lesson.steps if s.kind == "run"] if lesson else []
        if run_steps:
            self.notify(_("This step has nothing to run (this lesson's run steps: {steps}).").format(
                steps=", ".join(run_steps)), severity="warning")
        else:
            self.notify(_("This step has nothing to run."), severity="warning")

    def action_new_seed(self) -> None:
        """Run the step again from a different random start (F5 repeats the same one)."""
        body = self._run_body(_("Only run steps have seeds."))
        refused = body.new_seed() if body is not None else None
        if refused:
            self.notify(refused)

    def action_apply_advice(self) -> None:
        body = self._run_body()
        if body is not None and not body.apply_advice():
            self.notify(_("There is no advice to apply: the lab gives some when a training run looks wrong."))

    def action_run_alternative(self) -> None:
        body = self._run_body()
        if body is not None and not body.run_alternative():
            self.notify(_("Nothing to rerun instead: d answers a failed run that offers another way."))

    def action_take_offer(self) -> None:
        """F9: what the step offers under its run — a failed run's alternative, else the advice."""
        body = self._run_body()
        if body is not None and not body.run_alternative() and not body.apply_advice():
            self.notify(_("Nothing is offered under the run just now (F9 applies advice or a way round a failure)."))

    def action_default_settings(self) -> None:
        body = self._run_body(_("Only run steps have settings."))
        if body is not None:
            body.form.reset()
            self.notify(_("The run settings are back to this step's defaults."))

    def run_settings(self, step: RunStep) -> RunSettings:
        """The settings of a run step for this learner, on this computer."""
        from tui_lab.run_settings import run_settings

        return run_settings(step, self.catalog.get(step.lesson_id), self.progress, self.learner.variant,
                            self.runs.data_dir)

    def on_run_form_edited(self, message: RunForm.Edited) -> None:
        """A setting changed: kept with the step (or, lab-wide, with its lesson)."""
        settings = message.settings
        step_edits, lesson_choices = settings.edits(message.values)
        self.progress.set_step_params(settings.lesson_id, settings.index, step_edits)
        if lesson_choices:
            self.progress.set_lesson_params(settings.lesson_id, lesson_choices)
        self._progress_changed(marks=False)
