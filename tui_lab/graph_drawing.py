"""A computational graph drawn as text: nodes in boxes, joined by box-drawing edges.

Pure (Rich ``Text`` only, no Textual), so the graph step of the lab and the headless
``run --graph`` output draw the same picture. The layout reads left to right:

- every node sits in the column of its depth (a computed node one column right of its
  deepest input; an input, parameter or target just left of its first use), so each
  edge points rightwards, into the box of the node that uses the value;
- the edge out of a node carries the node's forward value above the line and, once the
  backward pass has reached the node, the gradient that flows back along it below the
  line, marked ``∂``; a node that feeds no other (the loss) gets an edge of its own;
- the current node has a heavy border (┏━┓), a glyph that reads without colour, and a
  highlighted label.

The drawing never wraps: it is as wide as the graph needs, and a narrow window scrolls
it sideways. Space for the gradients is reserved whether or not they are shown yet, so
the picture keeps its shape while a walk reveals them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from rich.cells import cell_len
from rich.text import Text

from engines.byhand.graph import Edge, Graph, Value

DIGITS = 3  # significant digits on the drawing; the step's text and the node's card have more
GAP = 1  # blank rows between two boxes in a column
PENDING = "?"  # the value of a node the forward pass has not reached yet
GRAD = "∂ "

STYLE_PENDING = "dim"
STYLE_CURRENT = "bold reverse"
STYLE_GRAD = "bold"

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
JOINS = {
    LEFT | RIGHT: "─", UP | DOWN: "│", UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤",
    LEFT | RIGHT | DOWN: "┬", LEFT | RIGHT | UP: "┴", UP | DOWN | LEFT | RIGHT: "┼",
    RIGHT | DOWN: "┌", RIGHT | UP: "└", LEFT | DOWN: "┐", LEFT | UP: "┘",
    LEFT: "─", RIGHT: "─", UP: "│", DOWN: "│",
}
LIGHT = dict(tl="┌", tr="┐", bl="└", br="┘", h="─", v="│", out="├")
HEAVY = dict(tl="┏", tr="┓", bl="┗", br="┛", h="━", v="┃", out="┣")
ARROW = "▶"


# --------------------------------------------------------------------------- numbers

def number(value: float, digits: int = DIGITS) -> str:
    text = f"{value:.{digits}g}"
    return "0" if text == "-0" else text


def value_lines(value: Value, digits: int = DIGITS, sep: str = " ") -> list[str]:
    """A scalar on one line, a vector as [a b c], a matrix one aligned row per line."""
    if not isinstance(value, tuple):
        return [number(value, digits)]
    if not value or not isinstance(value[0], tuple):
        return ["[" + sep.join(number(v, digits) for v in value) + "]"]
    cells = [[number(v, digits) for v in row] for row in value]
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    return ["[" + "  ".join(c.rjust(w) for c, w in zip(row, widths)) + "]" for row in cells]


def _marked(mark: str, lines: list[str], note: str = "") -> list[str]:
    """``mark`` before the first line (the rest indented under it), ``note`` after it."""
    pad = " " * cell_len(mark)
    return [(mark if i == 0 else pad) + line + (note if i == 0 else "") for i, line in enumerate(lines)]


# --------------------------------------------------------------------------- layout

@dataclass(frozen=True)
class Box:
    """Where a node's box is in the drawing (cells from the top left)."""

    node: str
    x: int
    y: int
    width: int
    height: int = 3

    @property
    def middle(self) -> int:
        return self.y + 1


@dataclass
class _Slot:
    """A place in a column: a node's box, or an edge passing through on its way right."""

    key: str
    column: int
    node: str | None  # None for a pass-through
    width: int = 0
    above: int = 0  # rows the slot needs above its edge row (box border, value lines)
    below: int = 0  # … and below it (box border, gradient lines)
    label: int = 0  # width of the text on the edge leaving it
    middle: int = 0  # the row its edges leave (and enter) on
    sources: list[str] = field(default_factory=list)  # slots whose edges end here


def depths(graph: Graph) -> dict[str, int]:
    """The column of each node: computed nodes right of their inputs, sources just left of
    the first node that uses them."""
    depth: dict[str, int] = {}
    for node in graph.nodes:  # forward order: every input has its depth already
        inputs = graph.inputs(node.id)
        depth[node.id] = 1 + max(depth[e.source] for e in inputs) if inputs else 0
    for node in graph.nodes:
        uses = graph.consumers(node.id)
        if not graph.inputs(node.id) and uses:
            depth[node.id] = min(depth[e.target] for e in uses) - 1
    return depth


def _edge_labels(graph: Graph, node_id: str, *, value: bool, grads: bool) -> tuple[list[str], list[str]]:
    """(lines above, lines below) the edge that leaves a node: its value, then what flows back."""
    node = graph.node(node_id)
    above = value_lines(node.value) if value else [PENDING]
    if not grads:
        return above, []
    uses = [e for e in graph.consumers(node_id) if e.grad is not None]
    if not uses:
        return above, (_marked(GRAD, value_lines(node.grad)) if node.grad is not None and node.id == graph.loss else [])
    if len(uses) == 1:
        return above, _marked(GRAD, value_lines(uses[0].grad))
    below: list[str] = []
    for edge in uses:  # one term of the sum per use, each named by where it comes back from
        below += _marked(GRAD, value_lines(edge.grad), f"  (← {graph.node(edge.target).name})")
    return above, below


def _has_exit(graph: Graph, node_id: str) -> bool:
    """A node whose value goes nowhere else (the loss) gets an edge out of its own."""
    return not graph.consumers(node_id) and bool(graph.inputs(node_id))


@dataclass
class _Layout:
    slots: dict[str, _Slot]
    columns: list[list[str]]  # slot keys, top to bottom
    segments: list[tuple[str, str, Edge]]  # (from slot, to slot, the edge it belongs to)
    x: list[int] = field(default_factory=list)  # where each column starts
    width: list[int] = field(default_factory=list)  # its boxes' width
    zone: list[int] = field(default_factory=list)  # width of the label zone after it
    lanes: list[list[str]] = field(default_factory=list)  # the slots fed from it, one lane each
    height: int = 0
    total_width: int = 0


def _layout(graph: Graph, reserve_grads: bool) -> _Layout:
    depth = depths(graph)
    count = max(depth.values()) + 1
    slots: dict[str, _Slot] = {}
    for node in graph.nodes:
        above, below = _edge_labels(graph, node.id, value=True, grads=reserve_grads)
        leaves = bool(graph.consumers(node.id)) or _has_exit(graph, node.id)
        slots[node.id] = _Slot(
            node.id, depth[node.id], node.id, width=cell_len(node.label) + 4,
            above=max(1, len(above) if leaves else 0), below=max(1, len(below)),
            label=max((cell_len(line) for line in above + below), default=0) if leaves else 0,
        )
    segments: list[tuple[str, str, Edge]] = []
    for index, edge in enumerate(graph.edges):
        previous = edge.source
        for column in range(depth[edge.source] + 1, depth[edge.target]):
            key = f"{index}@{column}"
            slots[key] = _Slot(key, column, None)
            segments.append((previous, key, edge))
            previous = key
        segments.append((previous, edge.target, edge))
    for source, target, _ in segments:
        slots[target].sources.append(source)

    # Order each column by where its inputs are (fewer crossings); sources after the rest.
    columns: list[list[str]] = [[] for _ in range(count)]
    order = {node.id: i for i, node in enumerate(graph.nodes)}
    for key, slot in slots.items():
        columns[slot.column].append(key)
    rank: dict[str, float] = {}
    for c, keys in enumerate(columns):
        def place(key: str) -> tuple[float, float]:
            slot = slots[key]
            if slot.sources:
                return (sum(rank[s] for s in slot.sources) / len(slot.sources), order.get(slot.node, -1))
            return (float("inf") if c else 0.0, order.get(slot.node, len(order)))
        keys.sort(key=place)
        rank.update((key, float(i)) for i, key in enumerate(keys))

    # Rows: each slot as near the middle of its inputs as the slots above it allow.
    height = 0
    for keys in columns:
        bottom = -1 - GAP
        for key in keys:
            slot = slots[key]
            wanted = round(sum(slots[s].middle for s in slot.sources) / len(slot.sources)) if slot.sources else 0
            slot.middle = max(wanted, bottom + GAP + 1 + slot.above)
            bottom = slot.middle + slot.below
        height = max(height, bottom + 1)

    lay = _Layout(slots, columns, segments, height=height)
    x = 0
    for c, keys in enumerate(columns):
        lay.x.append(x)
        lay.width.append(max([slots[k].width for k in keys] + [1]))
        lay.zone.append(max([slots[k].label for k in keys] + [0]) + 3)
        fed = {t for s, t, _ in segments if slots[s].column == c}
        lay.lanes.append([k for k in columns[c + 1] if k in fed] if c + 1 < count else [])
        x += lay.width[c] + lay.zone[c] + len(lay.lanes[c]) + (2 if lay.lanes[c] else 0)
    lay.total_width = x
    return lay


# --------------------------------------------------------------------------- the picture

class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.chars = [[" "] * width for _ in range(height)]
        self.styles: list[list[str]] = [[""] * width for _ in range(height)]
        self.joins = [[0] * width for _ in range(height)]

    def text(self, x: int, y: int, text: str, style: str = "") -> None:
        for char in text:
            if cell_len(char) == 0 and x > 0:  # a combining mark joins the cell before it
                self.chars[y][x - 1] += char
                continue
            self.chars[y][x], self.styles[y][x] = char, style
            x += 1

    def join(self, x: int, y: int, bits: int) -> None:
        self.joins[y][x] |= bits

    def hline(self, y: int, start: int, end: int) -> None:
        """A line from column start to end, both ends open to go on."""
        for x in range(start, end + 1):
            self.join(x, y, LEFT | RIGHT)

    def vline(self, x: int, top: int, bottom: int) -> None:
        for y in range(top, bottom + 1):
            self.join(x, y, (UP if y > top else 0) | (DOWN if y < bottom else 0))

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="ignore", end="")
        for y, row in enumerate(self.chars):
            if y:
                out.append("\n")
            line = [JOINS.get(self.joins[y][x], ch) if self.joins[y][x] and ch == " " else ch for x, ch in enumerate(row)]
            last = max((x for x, ch in enumerate(line) if ch != " "), default=-1)
            run, style = "", None
            for x in range(last + 1):
                if self.styles[y][x] != style:
                    out.append(run, style or "")
                    run, style = "", self.styles[y][x]
                run += line[x]
            out.append(run, style or "")
        return out


@dataclass(frozen=True)
class Drawing:
    """The picture, and where each box and the text on each node's edge ended up."""

    text: Text
    boxes: dict[str, Box]
    labels: dict[str, tuple[int, int, int, int]]  # node → (x, y, width, height) of its edge's text

    @property
    def lines(self) -> list[str]:
        return self.text.plain.split("\n")

    @property
    def width(self) -> int:
        return max((cell_len(line) for line in self.lines), default=0)

    @property
    def height(self) -> int:
        return len(self.lines)

    def focus(self, node_id: str) -> tuple[int, int, int, int]:
        """(x, y, width, height) of a node's box and the text on its edge: what to scroll to."""
        box = self.boxes[node_id]
        x, y, w, h = self.labels.get(node_id, (box.x, box.y, box.width, box.height))
        top, bottom = min(box.y, y), max(box.y + box.height, y + h)
        return box.x, top, max(box.x + box.width, x + w) - box.x, bottom - top


def draw_graph(graph: Graph, *, computed: Iterable[str] | None = None, with_grad: Iterable[str] = (),
               current: str | None = None, reserve_grads: bool = True) -> Drawing:
    """The graph as boxes and edges. ``computed``: nodes whose value is known (default:
    all); ``with_grad``: nodes the backward pass has reached (their edges show ∂);
    ``current``: the node to highlight; ``reserve_grads``: keep rows for gradients (a walk
    that never shows them can draw tighter)."""
    known = {n.id for n in graph.nodes} if computed is None else set(computed)
    reached = set(with_grad)
    lay = _layout(graph, reserve_grads or bool(reached))
    canvas = _Canvas(lay.total_width + 1, lay.height)
    boxes: dict[str, Box] = {}
    labels: dict[str, tuple[int, int, int, int]] = {}

    for source, target, _ in lay.segments:
        src, dst = lay.slots[source], lay.slots[target]
        c = src.column
        lane = lay.x[c] + lay.width[c] + lay.zone[c] + lay.lanes[c].index(target)
        start = lay.x[c] + (src.width if src.node else 0)
        canvas.hline(src.middle, start, lane - 1)
        canvas.join(lane, src.middle, LEFT)
        canvas.vline(lane, min(src.middle, dst.middle), max(src.middle, dst.middle))
        canvas.join(lane, dst.middle, RIGHT)
        canvas.hline(dst.middle, lane + 1, lay.x[dst.column] - 1)
        if dst.node is None:  # passing through a column on the way to a later one
            canvas.hline(dst.middle, lay.x[dst.column], lay.x[dst.column] + lay.width[dst.column] - 1)

    for key, slot in lay.slots.items():
        if slot.node is None:
            continue
        node = graph.node(slot.node)
        c, x = slot.column, lay.x[slot.column]
        exits = bool(graph.consumers(node.id))
        if _has_exit(graph, node.id):
            end = x + lay.width[c] + lay.zone[c] - 1
            canvas.hline(slot.middle, x + slot.width, end - 1)
            canvas.text(end, slot.middle, ARROW)
            exits = True
        box = Box(node.id, x, slot.middle - 1, slot.width)
        boxes[node.id] = box
        pending = node.id not in known
        _box(canvas, box, node.label, current=node.id == current, pending=pending, exits=exits)
        if exits:
            above, below = _edge_labels(graph, node.id, value=not pending, grads=node.id in reached)
            left = x + slot.width + 1
            for i, line in enumerate(above):
                canvas.text(left, slot.middle - len(above) + i, line, STYLE_PENDING if pending else "")
            for i, line in enumerate(below):
                canvas.text(left, slot.middle + 1 + i, line, STYLE_GRAD)
            width = max((cell_len(line) for line in above + below), default=0)
            labels[node.id] = (left, slot.middle - len(above), width, len(above) + 1 + len(below))

    for source, target, _ in lay.segments:  # arrowheads last: they sit on the joined lines
        dst = lay.slots[target]
        if dst.node is not None:
            canvas.text(lay.x[dst.column] - 1, dst.middle, ARROW)
    return Drawing(canvas.render(), boxes, labels)


def _box(canvas: _Canvas, box: Box, label: str, *, current: bool, pending: bool, exits: bool) -> None:
    line = HEAVY if current else LIGHT
    border = "bold" if current else (STYLE_PENDING if pending else "")
    inner = box.width - 2
    canvas.text(box.x, box.y, line["tl"] + line["h"] * inner + line["tr"], border)
    canvas.text(box.x, box.middle, line["v"], border)
    canvas.text(box.x + 1, box.middle, " " + label + " " * (inner - 1 - cell_len(label)),
                STYLE_CURRENT if current else (STYLE_PENDING if pending else ""))
    canvas.text(box.x + box.width - 1, box.middle, line["out"] if exits else line["v"], border)
    canvas.text(box.x, box.y + 2, line["bl"] + line["h"] * inner + line["br"], border)
