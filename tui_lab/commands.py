"""The command palette (Ctrl+P or F1): every lab action, each lesson, recording and device.

Textual adds its own system commands; ``system_commands`` keeps those the lab does not
offer itself (quit, keys, maximize), in the learner's language, and leaves out its theme
picker and screenshot, which the lab's "Light or dark theme" and "Save screen as SVG"
already are.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from textual.app import SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider

from lab_i18n import N_, _
from lessons.translation import LANGUAGES
from tui_lab.replay_labels import label

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui_lab.app import LabApp

# (title, help, action): the lab's actions, with the key that does the same.
ACTIONS = (
    (N_("Run"), N_("Start the current run step's engine (F5)"), "run"),
    (N_("Stop"), N_("Stop the run that is going (F6)"), "stop"),
    (N_("Next step"), N_("Go to the next step (F8)"), "next_step"),
    (N_("Previous step"), N_("Go to the previous step (F7)"), "previous_step"),
    (N_("Show a hint"), N_("One more hint for this step"), "hint"),
    (N_("Toggle sidebar"), N_("Show or hide the explorer (Ctrl+B)"), "toggle_sidebar"),
    (N_("Toggle panel"), N_("Show or hide plots/output/problems (Ctrl+J)"), "toggle_panel"),
    (N_("Focus explorer"), N_("Move the keyboard to the lesson tree (F2)"), "focus_explorer"),
    (N_("Switch editor tab"), N_("Step ↔ engine source (F3)"), "switch_editor_tab"),
    (N_("Next panel tab"), N_("Plots → Output → Problems (F4)"), "cycle_panel"),
    (N_("Toggle light/dark theme"), N_("Switch between a light and a dark theme"), "toggle_theme"),
    (N_("Reset this step"), N_("Forget this step's answer and progress (r)"), "reset_step"),
    (N_("Run again with a new seed"), N_("A different random start (n); F5 repeats the same one"), "new_seed"),
    (N_("Export plot data as CSV"), N_("Every point behind the plots, to a file (e)"), "export_csv"),
    (N_("Save screen as SVG"), N_("A picture of the lab as it is now (S)"), "save_svg"),
)
REPLAY_SPEEDS = ((1.0, N_("Replay: {what}")), (10.0, N_("Replay 10× faster: {what}")))


class LabCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app: LabApp = self.app  # type: ignore[assignment]
        for title, help_text, action in ACTIONS:
            yield _(title), _(help_text), partial(app.run_action, action)
        for lesson in app.catalog.lessons:
            yield (_("Open lesson: {title}").format(title=lesson.title),
                   _("{count} steps").format(count=len(lesson.steps)),
                   partial(app.open_lesson_from_palette, lesson.id))
        if app.current:
            yield (_("Reset this lesson"), _("Forget all progress in the current lesson"),
                   partial(app.reset_progress, app.current[0]))
        yield _("Reset all progress"), _("Forget progress in every lesson"), partial(app.reset_progress, None)
        yield (_("Record the next run"), _("Write the next run's events to a file that can be replayed anywhere"),
               partial(app.run_action, "toggle_recording"))
        yield from self._replays(app)
        for lang, name in LANGUAGES.items():
            if lang != app.lang:
                yield (_("Language: {name}").format(name=name), _("Show the lab in this language"),
                       partial(app.set_language, lang))
        for name, device in app.runs.device_choices():
            yield (_("Device: {device}").format(device=device),
                   _("Run engines on {name} from the next run on").format(name=name),
                   partial(app.runs.choose_device, name))

    def _replays(self, app: LabApp) -> Iterator[tuple[str, str, Callable[[], object]]]:
        for path in app.runs.recordings():
            words = label(path, app.catalog)
            for speed, title in REPLAY_SPEEDS:
                yield _(title).format(what=words.what), words.about, partial(app.replay, path, speed)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, command in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, text=title, help=help_text)

    async def discover(self) -> Hits:
        for title, help_text, command in self._commands():
            yield DiscoveryHit(title, command, text=title, help=help_text)


def system_commands(app: LabApp, screen: Screen) -> Iterable[SystemCommand]:
    """Textual's system commands the lab keeps, in the learner's language (for
    ``App.get_system_commands``): no theme picker or screenshot, the lab has its own."""
    yield SystemCommand(_("Quit"), _("Quit the lab (Ctrl+Q)"), app.action_quit)
    if screen.query("HelpPanel"):
        yield SystemCommand(_("Keys"), _("Hide the keys and widget help panel"), app.action_hide_help_panel)
    else:
        yield SystemCommand(_("Keys"), _("Show help for the focused widget and a summary of available keys"),
                            app.action_show_help_panel)
    if screen.maximized is not None:
        yield SystemCommand(_("Minimize"), _("Minimize the widget and restore to normal size"),
                            screen.action_minimize)
    elif screen.focused is not None and screen.focused.allow_maximize:
        yield SystemCommand(_("Maximize"), _("Maximize the focused widget"), screen.action_maximize)
