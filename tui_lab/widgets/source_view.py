"""A read-only, syntax-highlighted view of the engine code a step runs.

The file is read, never imported: looking at an engine must not start torch.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from engines.core import registry
from lab_i18n import _


def locate(kind: str, name: str) -> tuple[Path, int, int] | None:
    """(file, first line, last line) of the code behind a registry name."""
    where = registry.source_location(kind, name)
    if where is None:
        return None
    module, attribute = where
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    definitions = {
        node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    }
    target = definitions.get(attribute)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == attribute for t in node.targets):
            target = node
            # An EngineSpec: show the generator it runs, which is what the student reads.
            if isinstance(node.value, ast.Call):
                for keyword in node.value.keywords:
                    if keyword.arg == "run" and isinstance(keyword.value, ast.Name):
                        target = definitions.get(keyword.value.id, node)
    if target is None:
        return path, 1, 1
    return path, target.lineno, target.end_lineno or target.lineno


def highlighted(path: Path, first: int, last: int) -> list[Text]:
    """The file as highlighted lines with line numbers, lines first..last marked.

    Highlighting happens once here; a rich ``Syntax`` would lex the file again on
    every repaint, which made switching to this tab take tens of milliseconds.
    """
    from rich.syntax import Syntax  # pygments: not on the start-up path

    source = path.read_text(encoding="utf-8")
    lines = Syntax(source, "python", theme="ansi_dark").highlight(source).split("\n", allow_blank=True)
    width = len(str(len(lines)))
    out = []
    for number, line in enumerate(lines, 1):
        marked = first <= number <= last
        text = Text(no_wrap=True)
        text.append(f"{number:>{width}} ", style="bold yellow" if marked else "dim")
        text.append("▌ " if marked else "  ", style="yellow")
        text.append_text(line)
        out.append(text)
    return out


def file_label(path: Path) -> str:
    """The engine file as a tab names it: a by-hand lesson's file says which lesson it is
    (``backprop.py``); a dataset engine's files are named within their package (``mnist/engine.py``)."""
    return path.name if path.parent.name == "byhand" else f"{path.parent.name}/{path.name}"


class SourceView(ScrollView, can_focus=True):
    """Draws only the lines in view (Textual's line API), so showing the tab costs the
    same for a 30-line file as for a 3,000-line one."""

    location: tuple[Path, int, int] | None = None  # what is shown: file, first and last line

    DEFAULT_CSS = """
    SourceView { padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines: list[Text] = []
        self._strips: dict[int, Strip] = {}  # rendered lines, by index; cleared on new content
        self._strips_style: Style | None = None  # the widget style they were drawn with
        self._scroll_target: int | None = None  # the first marked line, brought into view when shown

    def _scroll_to_target(self) -> None:
        """Bring the marked lines into view once per new content (then the reader scrolls)."""
        if self._scroll_target is None or not self.size.height:
            return
        if self.max_scroll_y > 0:
            self.scroll_to(y=max(0, self._scroll_target - 1), animate=False, immediate=True)
        elif self.virtual_size.height > self.size.height:
            return  # laid out, but its scroll range not yet known
        self._scroll_target = None  # done, or everything fits

    def show_code(self, kind: str | None, name: str | None) -> str:
        """Show the code behind a name; returns a short title for the tab."""
        found = locate(kind, name) if kind and name else None
        self.location = found
        if found is None:
            self._set_lines([Text(_("This step runs no engine code."), style="italic")])
            self._scroll_target = 0
            return _("Engine")
        path, first, last = found
        name = file_label(path)
        caption = Text(_("{file} · lines {first}–{last} run for this step (read-only)").format(
            file=name, first=first, last=last), style="dim")
        self._set_lines([caption, *highlighted(path, first, last)])
        self._scroll_target = first  # line 0 is the caption
        return _("Engine: {file}").format(file=name)

    def text(self) -> str:
        """Everything shown, as plain text (for tests and copying)."""
        return "\n".join(line.plain for line in self._lines)

    def _set_lines(self, lines: list[Text]) -> None:
        self._lines, self._strips = lines, {}
        self.virtual_size = Size(max((line.cell_len for line in lines), default=0), len(lines))
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        if y == 0 and self._scroll_target is not None:
            # Drawn, so shown and laid out: scroll now, before this frame's lines are
            # drawn, so that the first thing shown (and the first key read) is the marked
            # lines. A hidden tab cannot scroll, and Show and Resize can both come before
            # the size settles.
            self._scroll_to_target()
        scroll_x, scroll_y = self.scroll_offset
        index, width, style = scroll_y + y, self.size.width, self.rich_style
        if style != self._strips_style:  # a new theme; focus alone leaves the style as it is
            self._strips, self._strips_style = {}, style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        strip = self._strips.get(index)
        if strip is None:
            segments = self._lines[index].render(self.app.console)
            strip = self._strips[index] = Strip(segments).apply_style(style)
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_offsets(scroll_x, index)
