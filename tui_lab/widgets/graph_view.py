"""A computational graph in the terminal, walked node by node with the keyboard.

The graph (``engines.byhand.graph.Graph``, plain data from an engine) is drawn as a column of
node cards in forward order: inputs and parameters first, the loss last. Each card
shows the node's definition and forward value. The walk moves a highlight:

- ``forward``: the computed nodes in evaluation order; values appear as they are computed.
- ``backward``: from the loss back to the parameters; at each node the edges to the
  nodes that use it show their local derivative, and the node shows its accumulated
  gradient ∂L/∂node (the chain rule applied once).
- ``both``: the forward walk, then the backward one.

Keys: → / n / space next, ← / p / backspace back, Home / End first / last, ↑ / ↓ scroll.
The view posts ``GraphView.Moved`` on every move and ``GraphView.EndReached`` when a
move lands on the last position. Only plain box-drawing and arrow characters are used,
and every line wraps with its indentation, so a narrow editor gets a taller card, not a
cut-off one.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from engines.byhand.graph import WALKS, Graph, Node, Value

MODES = WALKS
DIGITS = 4  # significant digits on the cards; the lesson text has the full values
MIN_BODY_ROWS = 6  # below this the cards scroll inside a window too small to read them


@dataclass(frozen=True)
class Stop:
    """One position of the walk: a node, in the forward or the backward pass."""

    phase: str  # "forward" | "backward"
    node: str


def walk(graph: Graph, mode: str) -> tuple[Stop, ...]:
    return tuple(Stop(phase, node) for phase, node in graph.walk_order(mode))


def number(value: float) -> str:
    text = f"{value:.{DIGITS}g}"
    return "0" if text == "-0" else text


def value_lines(value: Value) -> list[str]:
    """A scalar on one line, a vector as [a, b, c], a matrix one aligned row per line."""
    if not isinstance(value, tuple):
        return [number(value)]
    if not value or not isinstance(value[0], tuple):
        return ["[" + ", ".join(number(v) for v in value) + "]"]
    cells = [[number(v) for v in row] for row in value]
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    return ["[" + "  ".join(c.rjust(w) for c, w in zip(row, widths)) + "]" for row in cells]


@dataclass(frozen=True)
class Line:
    indent: int
    text: str
    style: str = ""
    note: str = ""  # dim words after the text (a node's operation)
    marker: str = ""  # drawn in the indent, e.g. "▶ " for the current node


def _labelled(indent: int, label: str, value: Value, style: str = "") -> list[Line]:
    """'label = value' on one line, or the label and then one line per matrix row."""
    rows = value_lines(value)
    if len(rows) == 1:
        return [Line(indent, f"{label} = {rows[0]}", style)]
    return [Line(indent, f"{label} =", style)] + [Line(indent + 2, row, style) for row in rows]


def card_lines(graph: Graph, node: Node, *, computed: bool, with_grad: bool, current: bool) -> list[Line]:
    """The text of one node's card in the given state (pure: the widget only draws it)."""
    loss = graph.node(graph.loss).name
    lines = [Line(2, node.label, "bold" if current else "", note=node.op, marker="▶ " if current else "  ")]
    if computed:
        lines += _labelled(2, "value", node.value)
    else:
        lines.append(Line(2, "value = ?  (not computed yet)", "dim"))
    if not with_grad or node.grad is None:
        return lines
    if node.id == graph.loss:
        lines.append(Line(2, f"∂{loss}/∂{loss} = 1: the backward pass starts here", "bold"))
        return lines
    uses = [e for e in graph.consumers(node.id) if e.grad is not None]
    for edge in uses:
        target = graph.node(edge.target)
        edge_line = f"{node.name} ─▶ {target.name}:  {edge.local}"
        local = value_lines(edge.local_value) if edge.local_value is not None else []
        if len(local) == 1:
            lines.append(Line(2, f"{edge_line} = {local[0]}"))
        else:
            lines.append(Line(2, edge_line + (" =" if local else "")))
            lines += [Line(6, row) for row in local]
        if len(uses) > 1:  # one term of the sum; with a single use the term is the total
            lines += _labelled(6, f"passes back ∂{loss}/∂{target.name} · ∂{target.name}/∂{node.name}", edge.grad)
    rule = f"∂{loss}/∂{node.name}" + (f" = {node.grad_rule}" if node.grad_rule else "")
    lines += _labelled(2, rule, node.grad, "bold")
    return lines


def render_card(lines: list[Line]) -> Group:
    """Each line padded on the left, so wrapped text keeps its indentation."""
    return Group(*(_marked(line) if line.marker else Padding(_text(line), (0, 0, 0, line.indent))
                   for line in lines))


def _marked(line: Line) -> Table:
    """The marker in the indent and the text beside it, wrapping under itself."""
    grid = Table.grid(expand=True)
    grid.add_column(width=line.indent, no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row(line.marker, _text(line))
    return grid


def _text(line: Line) -> Text:
    text = Text(line.text, style=line.style, overflow="fold")
    if line.note:
        text.append(f"  ({line.note})", style="dim")
    return text


class NodeCard(Static):
    DEFAULT_CSS = """
    NodeCard { height: auto; padding: 0 1 0 0; margin: 0 0 1 0; }
    NodeCard.-pending { color: $text-muted; }
    NodeCard.-current { background: $accent 20%; }
    """

    def __init__(self, node: Node, id: str) -> None:
        super().__init__(id=id)
        self.node = node
        self.lines: list[Line] = []

    def show_lines(self, lines: list[Line], *, current: bool, pending: bool) -> None:
        self.lines = lines
        self.set_class(current, "-current")
        self.set_class(pending, "-pending")
        self.update(render_card(lines))

    @property
    def plain(self) -> str:
        return "\n".join(line.marker + _text(line).plain for line in self.lines)


class GraphView(Vertical, can_focus=True):
    """Walk a computational graph forward or backward, one node per key press.

    ``GraphView(graph, mode="backward", position=0)``; ``position`` (0-based) may be -1
    for the last position (a step the student already finished). ``advance()`` and
    ``back()`` move by one and return whether they moved.
    """

    DEFAULT_CSS = """
    GraphView { height: auto; border-left: blank; margin: 1 0 0 0; }
    GraphView:focus { border-left: thick $accent; }
    GraphView > .graph-header { height: auto; color: $text-muted; padding: 0 1 0 0; }
    GraphView:focus > .graph-header { color: $text; }
    GraphView > #graph-body { height: auto; max-height: 60vh; }
    """

    BINDINGS = [
        Binding("right,n,space", "advance", "Next node"),
        Binding("left,p,backspace", "back", "Previous node"),
        Binding("home", "first", "First node", show=False),
        Binding("end", "last", "Last node", show=False),
        Binding("down", "scroll_body(1)", "Scroll down", show=False),
        Binding("up", "scroll_body(-1)", "Scroll up", show=False),
    ]

    position: reactive[int] = reactive(0, init=False)

    class Moved(Message):
        def __init__(self, view: "GraphView", position: int) -> None:
            super().__init__()
            self.view = view
            self.position = position

        @property
        def control(self) -> "GraphView":
            return self.view

    class EndReached(Message):
        """The walk arrived at its last position (the step's work is done)."""

        def __init__(self, view: "GraphView") -> None:
            super().__init__()
            self.view = view
            self.graph_name = view.graph.name
            self.mode = view.mode

        @property
        def control(self) -> "GraphView":
            return self.view

    def __init__(self, graph: Graph, mode: str = "backward", position: int = 0, *,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        stops = walk(graph, mode)
        if not stops:
            raise ValueError(f"graph {graph.name!r} has nothing to walk in {mode} mode")
        super().__init__(name=name, id=id, classes=classes)
        self.graph = graph
        self.mode = mode
        self.stops = stops
        self.set_reactive(GraphView.position, self._clamp(position if position >= 0 else len(stops) - 1))

    # ------------------------------------------------------------------ the walk
    @property
    def last(self) -> int:
        return len(self.stops) - 1

    @property
    def at_end(self) -> bool:
        return self.position == self.last

    @property
    def current(self) -> Stop:
        return self.stops[self.position]

    def advance(self) -> bool:
        if self.position >= self.last:
            return False
        self.position += 1
        return True

    def back(self) -> bool:
        if self.position <= 0:
            return False
        self.position -= 1
        return True

    def _clamp(self, position: int) -> int:
        return max(0, min(position, len(self.stops) - 1))

    def validate_position(self, position: int) -> int:
        return self._clamp(position)

    def action_advance(self) -> None:
        self.advance()

    def action_back(self) -> None:
        self.back()

    def action_first(self) -> None:
        self.position = 0

    def action_last(self) -> None:
        self.position = self.last

    def action_scroll_body(self, lines: int) -> None:
        body = self.query_one("#graph-body", VerticalScroll)
        if (lines < 0 and body.scroll_y <= 0) or (lines > 0 and body.scroll_y >= body.max_scroll_y):
            raise SkipAction()  # at the edge: let the step view around us scroll instead
        body.scroll_relative(y=lines, animate=False)

    def watch_position(self, old: int, new: int) -> None:
        if self.is_mounted:  # before that, on_mount draws
            self._redraw()
        self.post_message(self.Moved(self, new))
        if new == self.last:
            self.post_message(self.EndReached(self))

    # ------------------------------------------------------------------ drawing
    def compose(self) -> ComposeResult:
        yield Static("", classes="graph-header")
        with VerticalScroll(id="graph-body", can_focus=False):
            for i, node in enumerate(self.graph.nodes):
                yield NodeCard(node, id=f"node-{i}")

    def on_mount(self) -> None:
        self._redraw()

    def card(self, node_id: str) -> NodeCard:
        index = next(i for i, n in enumerate(self.graph.nodes) if n.id == node_id)
        return self.query_one(f"#node-{index}", NodeCard)

    def state(self, position: int | None = None) -> tuple[set[str], set[str]]:
        """(nodes whose value is shown, nodes whose gradient is shown) at a position."""
        position = self.position if position is None else position
        seen = self.stops[: position + 1]
        leaves = {n.id for n in self.graph.nodes if n.is_leaf}
        if self.stops[position].phase == "backward":
            computed = {n.id for n in self.graph.nodes}
        else:
            computed = leaves | {s.node for s in seen}
        with_grad = {s.node for s in seen if s.phase == "backward"}
        return computed, with_grad

    def _redraw(self) -> None:
        computed, with_grad = self.state()
        stop = self.current
        for node in self.graph.nodes:
            is_current = node.id == stop.node
            lines = card_lines(self.graph, node, computed=node.id in computed,
                               with_grad=node.id in with_grad, current=is_current)
            self.card(node.id).show_lines(lines, current=is_current, pending=node.id not in computed)
        name = self.graph.node(stop.node).name
        keys = "→ next · ← back" if not self.at_end else "← back · end of the pass"
        self.query_one(".graph-header", Static).update(
            f"{self.graph.title} · {stop.phase} pass · {self.position + 1}/{len(self.stops)}: {name}   ({keys})"
        )
        self._fit_host()
        # After the refresh: the card's new height must be laid out before it can be shown whole.
        self.call_after_refresh(self._show_current)

    def on_resize(self) -> None:
        self._fit_host()

    def _fit_host(self) -> None:
        """Keep the whole view inside the window of the container that scrolls it (a step
        view a dozen rows tall), so header and current card are on screen together."""
        host = next((a for a in self.ancestors
                     if isinstance(a, Widget) and a.styles.overflow_y in ("auto", "scroll")), None)
        if host is None or not host.scrollable_content_region.height:
            return
        header = self.query_one(".graph-header", Static).outer_size.height or 1
        room = host.scrollable_content_region.height - header - self.styles.margin.height
        body = self.query_one("#graph-body", VerticalScroll)
        body.styles.max_height = max(MIN_BODY_ROWS, room)

    def _show_current(self) -> None:
        """Put the current card right under the header (in the backward pass the node its
        gradient came from stays visible below it), then show this view in whatever
        scrolls around it. (Scrolling the card through both levels at once would misplace
        it: Textual's scroll_to_widget ignores an inner container's existing offset.)"""
        card = self.card(self.current.node)
        body = self.query_one("#graph-body", VerticalScroll)
        body.scroll_to_widget(card, animate=False, top=True, immediate=True)
        self.scroll_visible(animate=False, immediate=True)
