"""The shell's own keys, as a part of the app: palette, sidebar, panel, editor tabs,
scrolling the step, theme. They change what is shown, never a lesson or a run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.command import CommandPalette

from tui_lab.widgets.explorer import LessonTree

if TYPE_CHECKING:
    from tui_lab.workbench import MainScreen


class ShellActions:
    """Mixed into ``LabApp`` (an ``App`` whose ``main`` is the workbench screen)."""

    main: MainScreen
    panel_pinned: bool | None = None  # the student's choice of panel shown/hidden (None: not made)

    def action_command_palette(self) -> None:
        """F1 / Ctrl+P open the palette, and close it again (Esc alone may not arrive over SSH)."""
        if CommandPalette.is_open(self):
            self.screen.dismiss()
        else:
            super().action_command_palette()

    def action_scroll_step(self, direction: int) -> None:
        step_view = self.main.step_view
        if direction > 0:
            step_view.scroll_page_down(animate=False)
        else:
            step_view.scroll_page_up(animate=False)

    def action_toggle_sidebar(self) -> None:
        """Show or hide the explorer; below 80 columns it is hidden unless asked for."""
        explorer = self.main.explorer
        shown = explorer.display
        self.main.set_class(shown, "-hide-sidebar")
        self.main.set_class(not shown, "-show-sidebar")
        if shown and explorer.has_focus_within:
            self.main.step_view.focus_first()

    def action_focus_explorer(self) -> None:
        self.main.remove_class("-hide-sidebar")
        self.main.add_class("-show-sidebar")
        self.main.query_one(LessonTree).focus()

    def action_toggle_panel(self) -> None:
        self.panel_pinned = self.main.has_class("-hide-panel")
        self.main.show_panel(self.panel_pinned)

    def show_panel_for(self, wanted: bool) -> None:
        """Unless the student chose, the panel is open on run steps and closed elsewhere."""
        self.main.show_panel(wanted if self.panel_pinned is None else self.panel_pinned)

    def action_cycle_panel(self) -> None:
        self.panel_pinned = True
        self.main.show_panel()
        self.main.panel.cycle()

    def action_switch_editor_tab(self) -> None:
        editor = self.main.editor
        to_source = editor.active == "tab-step"
        # Move the focus at once, before the switch: a focused widget that gets hidden hands
        # the focus to a sibling in its (hidden) tab, and the keys went nowhere visible.
        self.screen.set_focus(self.main.source_view if to_source else None)
        editor.active = "tab-source" if to_source else "tab-step"
        if not to_source:
            self.main.step_view.focus_first()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"
