"""The EXPLORER sidebar: lessons grouped, their steps, and progress marks."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static, Tree

from lab_i18n import _
from lessons import Catalog
from tui_lab.messages import OpenStep
from tui_lab.progress import ProgressStore

# One cell per step: solved by the student, solved after hints, revealed, seen, new.
MARKS = {"solved": "✓", "hinted": "◐", "revealed": "◇", "seen": "●", "new": "○"}


class LessonTree(Tree[tuple[str, int]]):
    """Tree nodes carry (lesson id, step index); index 0 is the lesson itself."""

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        if event.node.data is not None:
            lesson_id, index = event.node.data
            self.post_message(OpenStep(lesson_id, index))


class Explorer(Vertical):
    DEFAULT_CSS = """
    Explorer { width: 30; }
    Explorer > .title { color: $text-muted; text-style: bold; padding: 0 1; }
    Explorer LessonTree { background: transparent; padding: 0 0; overflow-x: hidden; }
    Explorer #lesson-progress { padding: 0 1; height: 1; }
    Explorer #lesson-progress Bar { width: 1fr; }
    """

    def __init__(self, catalog: Catalog, progress: ProgressStore, id: str | None = None) -> None:
        super().__init__(id=id)
        self.catalog = catalog
        self.progress = progress
        self._tree_nodes: dict[tuple[str, int], object] = {}

    def compose(self) -> ComposeResult:
        yield Static(_("EXPLORER"), classes="title")
        yield ProgressBar(id="lesson-progress", show_eta=False, show_percentage=False)
        tree: LessonTree = LessonTree(_("Lessons"), id="lesson-tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree

    def on_mount(self) -> None:
        self.set_catalog(self.catalog)

    def set_catalog(self, catalog: Catalog) -> None:
        """(Re)build the tree, e.g. after the language changed."""
        self.catalog = catalog
        self.query_one(".title", Static).update(_("EXPLORER"))
        tree = self.tree
        tree.clear()
        self._tree_nodes.clear()
        groups: dict[str, object] = {}
        for lesson in self.catalog.lessons:
            group = groups.get(lesson.group)
            if group is None:
                group = groups[lesson.group] = tree.root.add(lesson.group, expand=True)
            self._tree_nodes[(lesson.id, 0)] = node = group.add("", data=(lesson.id, 0))
            for step in lesson.steps:
                self._tree_nodes[(lesson.id, step.index)] = node.add_leaf("", data=(lesson.id, step.index))
        for problem in self.catalog.problems:
            tree.root.add_leaf(_("⚠ {lesson}: broken (see Problems)").format(lesson=problem.path.parent.name))
        self.refresh_marks()

    @property
    def tree(self) -> LessonTree:
        return self.query_one(LessonTree)

    def refresh_marks(self, current: tuple[str, int] | None = None) -> None:
        """Re-label nodes from the progress store; the tree's cursor stays where it is."""
        for lesson in self.catalog.lessons:
            entries = [self.progress.step(lesson.id, s.index) for s in lesson.steps]
            states = [entry.get("state", "new") for entry in entries]
            solved = states.count("solved")
            mark = "✓" if solved == len(states) else ("●" if any(s != "new" for s in states) else "○")
            self._tree_nodes[(lesson.id, 0)].set_label(Text(f"{mark} {solved}/{len(states)} {lesson.title}"))
            for step, state, entry in zip(lesson.steps, states, entries):
                pointer = "▸" if current == (lesson.id, step.index) else " "
                shown = "hinted" if state == "solved" and entry.get("hinted") else state
                self._tree_nodes[(lesson.id, step.index)].set_label(
                    Text(f"{pointer}{MARKS[shown]} {step.index}. {step.title}")
                )
        if current and (current[0], 0) in self._tree_nodes:
            self._tree_nodes[(current[0], 0)].expand()
            lesson = self.catalog.get(current[0])
            bar = self.query_one("#lesson-progress", ProgressBar)
            bar.update(total=len(lesson.steps), progress=self.progress.solved_count(lesson.id, len(lesson.steps)))
            bar.tooltip = _("{lesson}: {solved}/{total} steps solved").format(
                lesson=lesson.title, solved=int(bar.progress), total=len(lesson.steps))

    def select(self, lesson_id: str, index: int) -> None:
        """Move the tree cursor to a step, without opening anything."""
        node = self._tree_nodes.get((lesson_id, index))
        if node is not None:
            self.tree.move_cursor(node)
