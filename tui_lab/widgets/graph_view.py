"""A computational graph in the terminal, walked node by node with the keyboard.

The graph (``engines.byhand.graph.Graph``, plain data from an engine) is drawn by
``tui_lab.graph_drawing``: boxes joined by edges, left to right, each edge carrying the
value that flows forward along it and, in the backward pass, the gradient that flows
back. Above the drawing, the current node's card spells out its definition and, in the
backward pass, the chain rule applied at it. The walk moves the highlight:

- ``forward``: the computed nodes in evaluation order; values appear as they are computed.
- ``backward``: from the loss back to the parameters; at each node the edges to the
  nodes that use it show their local derivative, and the node shows its accumulated
  gradient ∂L/∂node (the chain rule applied once).
- ``both``: the forward walk, then the backward one.

Keys: → / n / space next, ← / p / backspace back, Home / End first / last, Shift+→ /
Shift+← scroll the drawing sideways; ↑ / ↓ scroll the step around it. The view has no
vertical scroll of its own: it grows to the drawing's height inside the step, and only
the drawing scrolls sideways, following the current node. It posts
``GraphView.Moved`` on every move and ``GraphView.EndReached`` when a move lands on the
last position.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from engines.byhand.graph import WALKS, Graph, Node, Value
from lab_i18n import N_, _
from tui_lab import graph_drawing
from tui_lab.graph_drawing import Drawing, draw_graph
from tui_lab.widgets.key_hints import translate_bindings

MODES = WALKS
DIGITS = 4  # significant digits on the card; the lesson text has the full values
SIDEWAYS = 8  # columns one Shift+arrow scrolls the drawing


@dataclass(frozen=True)
class Stop:
    """One position of the walk: a node, in the forward or the backward pass."""

    phase: str  # "forward" | "backward"
    node: str


def walk(graph: Graph, mode: str) -> tuple[Stop, ...]:
    return tuple(Stop(phase, node) for phase, node in graph.walk_order(mode))


def value_lines(value: Value) -> list[str]:
    """A value as the card writes it: four significant digits, a vector as [a, b, c]."""
    return graph_drawing.value_lines(value, DIGITS, ", ")


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
    lines = [Line(2, node.label, "bold" if current else "", note=_(node.op), marker="▶ " if current else "  ")]
    if computed:
        lines += _labelled(2, _("value"), node.value)
    else:
        lines.append(Line(2, _("value = ?  (not computed yet)"), "dim"))
    if not with_grad or node.grad is None:
        return lines
    if node.id == graph.loss:
        lines.append(Line(2, _("∂{loss}/∂{loss} = 1: the backward pass starts here").format(loss=loss), "bold"))
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
            term = f"∂{loss}/∂{target.name} · ∂{target.name}/∂{node.name}"
            lines += _labelled(6, _("passes back {term}").format(term=term), edge.grad)
    rule = f"∂{loss}/∂{node.name}" + (f" = {_(node.grad_rule)}" if node.grad_rule else "")
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


def plain_card(lines: list[Line]) -> str:
    return "\n".join(line.marker + _text(line).plain for line in lines)


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
    GraphView > #graph-card { height: auto; margin: 1 0; padding: 0 1 0 0; background: $accent 15%; }
    GraphView > #graph-strip { height: auto; overflow-x: auto; overflow-y: hidden; }
    GraphView #graph-drawing { width: auto; height: auto; }
    """

    BINDINGS = [
        Binding("right,n,space", "advance", N_("Next node")),
        Binding("left,p,backspace", "back", N_("Previous node")),
        Binding("home", "first", N_("First node"), show=False),
        Binding("end", "last", N_("Last node"), show=False),
        Binding("shift+right", "sideways(1)", N_("Scroll the graph right"), show=False),
        Binding("shift+left", "sideways(-1)", N_("Scroll the graph left"), show=False),
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
        translate_bindings(self)  # the keys' words in the current language
        self.graph = graph
        self.mode = mode
        self.stops = stops
        self.drawing: Drawing | None = None
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

    def action_sideways(self, direction: int) -> None:
        strip = self.query_one("#graph-strip", ScrollableContainer)
        strip.scroll_relative(x=direction * SIDEWAYS, animate=False)

    def watch_position(self, old: int, new: int) -> None:
        if self.is_mounted:  # before that, on_mount draws
            self._redraw()
        self.post_message(self.Moved(self, new))
        if new == self.last:
            self.post_message(self.EndReached(self))

    # ------------------------------------------------------------------ drawing
    def compose(self) -> ComposeResult:
        yield Static("", classes="graph-header")
        yield Static("", id="graph-card")
        with ScrollableContainer(id="graph-strip", can_focus=False):
            yield Static("", id="graph-drawing")

    def on_mount(self) -> None:
        self._redraw()

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

    def card_text(self, node_id: str) -> str:
        """What the card of a node says at the current position (shown for the current node)."""
        computed, with_grad = self.state()
        node = self.graph.node(node_id)
        return plain_card(card_lines(self.graph, node, computed=node_id in computed,
                                     with_grad=node_id in with_grad, current=node_id == self.current.node))

    def box_region(self, node_id: str) -> Region:
        """Where a node's box is on the screen (it may be scrolled out of sight)."""
        box = self.drawing.boxes[node_id]
        origin = self.query_one("#graph-drawing", Static).region.offset
        return Region(origin.x + box.x, origin.y + box.y, box.width, box.height)

    def _redraw(self) -> None:
        computed, with_grad = self.state()
        stop = self.current
        node = self.graph.node(stop.node)
        self.drawing = draw_graph(self.graph, computed=computed, with_grad=with_grad, current=stop.node,
                                  reserve_grads=self.mode != "forward")
        self.query_one("#graph-drawing", Static).update(self.drawing.text)
        lines = card_lines(self.graph, node, computed=True, with_grad=stop.node in with_grad, current=True)
        self.query_one("#graph-card", Static).update(render_card(lines))
        self.query_one(".graph-header", Static).update(Text(self._header(stop, node)))
        # After the refresh: the new drawing must be laid out before a box can be scrolled to.
        self.call_after_refresh(self._show_current)

    def _header(self, stop: Stop, node: Node) -> str:
        where = {"at": self.position + 1, "of": len(self.stops), "node": node.name, "title": _(self.graph.title)}
        if stop.phase == "forward":
            text = _("{title} · forward pass · {at}/{of}: {node}").format(**where)
        else:
            text = _("{title} · backward pass · {at}/{of}: {node}").format(**where)
        keys = _("→ next · ← back") if not self.at_end else _("← back · end of the pass")
        return f"{text}   ({keys})"

    def on_resize(self) -> None:
        # The first layout (and a resized terminal): the drawing's strip follows the current
        # node, but the step is left where it is, its text first when it opens.
        self._show_current(step_too=False)

    def _show_current(self, step_too: bool = True) -> None:
        """Bring the header, then the current node's box and the text on its edge, into
        view: sideways in the drawing's strip and, with ``step_too``, up or down in
        whatever scrolls the step."""
        if self.drawing is None or not self.is_attached:
            return
        if step_too:
            self.query_one(".graph-header", Static).scroll_visible(animate=False, immediate=True)
        drawing = self.query_one("#graph-drawing", Static)
        x, y, width, height = self.drawing.focus(self.current.node)
        scroll_region_into_view(drawing, Region(x, y, width, height), levels=None if step_too else 1)


def scroll_region_into_view(widget: Widget, region: Region, levels: int | None = None) -> None:
    """Scroll every container around ``widget`` so that ``region`` (in the widget's own
    coordinates) is in view, as ``scroll_to_widget`` does for a whole widget. Each
    container scrolls only along the axes its overflow allows. (``scroll_to_widget`` itself
    would misplace the region in a container already scrolled: it subtracts only the
    distance it scrolled, not the container's whole offset.) ``levels``: how many
    containers up to go (None: all)."""
    region = region.translate(widget.virtual_region_with_margin.offset)
    while isinstance(widget.parent, Widget) and region and levels != 0:
        levels = None if levels is None else levels - 1
        container = widget.parent
        container.scroll_to_region(region, animate=False, immediate=True)
        region = (
            region.translate(-container.scroll_offset)
            .translate(container.styles.margin.top_left)
            .translate(container.styles.border.spacing.top_left)
            .translate(container.virtual_region_with_margin.offset)
            .grow(container.styles.margin)
            .intersection(container.virtual_region_with_margin)
        )
        widget = container
