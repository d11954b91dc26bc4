"""A read-only, syntax-highlighted view of the engine code a step runs.

The file is read, never imported: looking at an engine must not start torch.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from engines import registry


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


def highlighted(path: Path, first: int, last: int) -> Text:
    """The file as highlighted text with line numbers, lines first..last marked.

    Highlighting happens once here; a rich ``Syntax`` would lex the file again on
    every repaint, which made switching to this tab take tens of milliseconds.
    """
    from rich.syntax import Syntax  # pygments: not on the start-up path

    source = path.read_text(encoding="utf-8")
    lines = Syntax(source, "python", theme="ansi_dark").highlight(source).split("\n", allow_blank=True)
    width = len(str(len(lines)))
    out = Text(no_wrap=True, overflow="ellipsis")
    for number, line in enumerate(lines, 1):
        marked = first <= number <= last
        out.append(f"{number:>{width}} ", style="bold yellow" if marked else "dim")
        out.append("▌ " if marked else "  ", style="yellow")
        out.append_text(line)
        out.append("\n")
    return out


class SourceView(VerticalScroll, can_focus=True):
    location: tuple[Path, int, int] | None = None  # what is shown: file, first and last line

    DEFAULT_CSS = """
    SourceView { padding: 0 1; }
    SourceView > .caption { color: $text-muted; }
    """

    def compose(self):
        yield Static("", classes="caption")
        yield Static("", id="code")

    def show(self, kind: str | None, name: str | None) -> str:
        """Show the code behind a name; returns a short title for the tab."""
        found = locate(kind, name) if kind and name else None
        self.location = found
        caption, code = self.query_one(".caption", Static), self.query_one("#code", Static)
        if found is None:
            caption.update("This step runs no engine code.")
            code.update("")
            return "Engine"
        path, first, last = found
        caption.update(f"{path.name} · lines {first}–{last} run for this step (read-only)")
        code.update(highlighted(path, first, last))
        self.call_after_refresh(self.scroll_to, y=max(0, first - 2), animate=False)
        return f"Engine: {path.name}"
