"""What a learner asks of the lab itself, as a part of the app: forget a step's or a lesson's
progress (after a confirmation), and speak another language."""

from __future__ import annotations

import lab_i18n
from lab_i18n import _
from lessons import load_catalog
from tui_lab.widgets.confirm import Confirm
from tui_lab.widgets.key_hints import translate_bindings


class LearnerActions:
    """Mixed into ``LabApp``."""

    def action_reset_step(self) -> None:
        if self.current is None:
            return
        lesson_id, index = self.current

        async def answered(yes: bool) -> None:
            if yes:
                self.progress.reset_step(lesson_id, index)
                await self.open_step(lesson_id, index)
                self.step_view.focus_first()
                self.notify(_("Step {index} reset.").format(index=index))

        question = _("Reset step {index} of “{lesson}”? Its answer and progress are forgotten.").format(
            index=index, lesson=self.current_lesson().title)
        self.push_screen(Confirm(question), answered)

    def reset_progress(self, lesson_id: str | None) -> None:
        """Forget a lesson's progress, or everything (after a confirmation)."""
        lesson = self.catalog.get(lesson_id) if lesson_id else None

        async def answered(yes: bool) -> None:
            if yes:
                self.progress.reset(lesson_id)
                self._progress_changed()
                if self.current:
                    await self.open_step(*self.current)
                self.notify(_("Progress reset."))

        question = _("Reset all progress in “{lesson}”? This cannot be undone.").format(lesson=lesson.title) \
            if lesson else _("Reset ALL your progress in every lesson? This cannot be undone.")
        self.push_screen(Confirm(question), answered)

    async def set_language(self, lang: str) -> None:
        """Show the lab in another language: its own words at once (keys, buttons, status bar),
        the lessons from their translations (English where a lesson has none).

        Widgets that show words of their own outside a step have a ``relabel()`` method and
        are asked to say them again; the step on screen is shown anew."""
        lab_i18n.set_language(lang)
        self.lang = lang
        translate_bindings(self)
        self.refresh_bindings()
        self.catalog = load_catalog(self.lesson_dirs, lang=lang)
        self.explorer.set_catalog(self.catalog)
        for node in (self.main, *self.main.walk_children()):
            relabel = getattr(node, "relabel", None)
            if callable(relabel):
                relabel()
        if self.current:
            focused_in_step = self.step_view.has_focus_within
            await self.open_step(*self.current)
            if focused_in_step:
                self.step_view.focus_first()
        name = lab_i18n.LANGUAGES.get(lang, lang)
        self.notify(_("Lessons in {language}.").format(language=name) if lang == "en"
                    else _("Lessons in {language} (English where not translated).").format(language=name))
