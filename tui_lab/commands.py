"""The command palette (Ctrl+P or F1): every lab action, each lesson and each device."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from lessons.translation import LANGUAGES

if TYPE_CHECKING:
    from tui_lab.app import LabApp


class LabCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app: LabApp = self.app  # type: ignore[assignment]
        actions = (
            ("Run", "Start the current run step's engine (F5)", "run"),
            ("Stop", "Stop the run that is going (F6)", "stop"),
            ("Next step", "Go to the next step (F8)", "next_step"),
            ("Previous step", "Go to the previous step (F7)", "previous_step"),
            ("Show a hint", "One more hint for this step", "hint"),
            ("Toggle sidebar", "Show or hide the explorer (Ctrl+B)", "toggle_sidebar"),
            ("Toggle panel", "Show or hide plots/output/problems (Ctrl+J)", "toggle_panel"),
            ("Focus explorer", "Move the keyboard to the lesson tree (F2)", "focus_explorer"),
            ("Switch editor tab", "Step ↔ engine source (F3)", "switch_editor_tab"),
            ("Next panel tab", "Plots → Output → Problems (F4)", "cycle_panel"),
            ("Toggle light/dark theme", "Switch between a light and a dark theme", "toggle_theme"),
            ("Reset this step", "Forget this step's answer and progress (r)", "reset_step"),
            ("Run again with a new seed", "A different random start (n); F5 repeats the same one", "new_seed"),
            ("Export plot data as CSV", "Every point behind the plots, to a file (e)", "export_csv"),
            ("Save screen as SVG", "A picture of the lab as it is now (S)", "save_svg"),
        )
        for title, help_text, action in actions:
            yield title, help_text, partial(app.run_action, action)
        for lesson in app.catalog.lessons:
            yield (
                f"Open lesson: {lesson.title}",
                f"{lesson.id} · {len(lesson.steps)} steps",
                partial(app.open_lesson_from_palette, lesson.id),
            )
        if app.current:
            yield ("Reset this lesson", "Forget all progress in the current lesson",
                   partial(app.reset_progress, app.current[0]))
        yield "Reset all progress", "Forget progress in every lesson", partial(app.reset_progress, None)
        yield ("Record the next run", "Write the next run's events to a file that can be replayed anywhere",
               partial(app.run_action, "toggle_recording"))
        for path in app.runs.recordings():
            for speed in (1.0, 10.0):
                label = "real time" if speed == 1 else f"{speed:g}× faster"
                yield (f"Replay: {path.stem} ({label})", f"Play {path} back in its step",
                       partial(app.replay, path, speed))
        for lang, name in LANGUAGES.items():
            if lang != app.lang:
                yield f"Language: {name}", "Show the lesson texts in this language", partial(app.set_language, lang)
        for name, label in app.runs.device_choices():
            yield f"Device: {label}", f"Run engines on {name} from the next run on", partial(app.runs.choose_device, name)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, command in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, text=title, help=help_text)

    async def discover(self) -> Hits:
        for title, help_text, command in self._commands():
            yield DiscoveryHit(title, command, text=title, help=help_text)
