"""The computational graph as a text drawing: boxes, edges, values and gradients on the edges."""

import io

from rich.console import Console

from engines.byhand.backprop_models import network_graph, neuron_graph
from engines.byhand.graph import Edge, Graph, Node
from tui_lab.graph_drawing import draw_graph

# Which way each line character reaches out: the picture's own grammar, read back here.
REACH = {
    "─": "lr", "━": "lr", "│": "ud", "┃": "ud", "├": "udr", "┣": "udr", "┤": "udl", "┬": "lrd", "┴": "lru",
    "┼": "udlr", "┌": "rd", "└": "ru", "┐": "ld", "┘": "lu", "▶": "l",
}
STEP = {"l": (-1, 0), "r": (1, 0), "u": (0, -1), "d": (0, 1)}
BACK = {"l": "r", "r": "l", "u": "d", "d": "u"}


def two_paths() -> Graph:
    """L = 2a + a²: a feeds two nodes, so two edges leave it."""
    nodes = (
        Node("a", "a", "a", "parameter", 3.0, 8.0),
        Node("b", "b", "b = 2a", "scale", 6.0, 1.0),
        Node("c", "c", "c = a²", "square", 9.0, 1.0),
        Node("L", "L", "L = b + c", "sum", 15.0, 1.0),
    )
    edges = (Edge("a", "b", "2", 2.0, 2.0), Edge("a", "c", "2a", 6.0, 6.0),
             Edge("b", "L", "1", 1.0, 1.0), Edge("c", "L", "1", 1.0, 1.0))
    return Graph("two-paths", "Two paths", nodes, edges, loss="L")


def cell(lines: list[str], x: int, y: int) -> str:
    return lines[y][x] if 0 <= y < len(lines) and 0 <= x < len(lines[y]) else " "


def reached_from(drawing, node_id: str) -> set[str]:
    """The boxes whose arrowhead the lines leaving a box lead to, followed cell by cell."""
    lines = drawing.lines
    box = drawing.boxes[node_id]
    start = (box.x + box.width, box.middle)
    seen, todo, found = {start}, [start], set()
    arrows = {(b.x - 1, b.middle): other for other, b in drawing.boxes.items()}
    while todo:
        x, y = todo.pop()
        char = cell(lines, x, y)
        if char == "▶" and (x, y) in arrows:
            found.add(arrows[(x, y)])
        for way in REACH.get(char, ""):
            dx, dy = STEP[way]
            nxt = (x + dx, y + dy)
            if nxt not in seen and BACK[way] in REACH.get(cell(lines, *nxt), ""):
                seen.add(nxt)
                todo.append(nxt)
    return found


def right_of(drawing, node_id: str, row: int) -> str:
    """The text just right of a box on a row (the edge's label above or below it), up to
    the next line or box."""
    box = drawing.boxes[node_id]
    rest = drawing.lines[row][box.x + box.width:]
    end = next((i for i, char in enumerate(rest) if char in REACH or char in "┌┐└┘"), len(rest))
    return rest[:end].strip()


def test_every_node_is_a_box_with_its_label():
    graph = network_graph()
    drawing = draw_graph(graph)
    for node in graph.nodes:
        box = drawing.boxes[node.id]
        lines = drawing.lines
        assert cell(lines, box.x, box.y) == "┌" and cell(lines, box.x, box.y + 2) == "└"
        inside = lines[box.middle][box.x:box.x + box.width]
        assert inside.startswith("│") and inside[1:-1].strip() == node.label


def test_edges_lead_from_each_node_to_the_nodes_that_use_it_left_to_right():
    for graph in (neuron_graph(), network_graph(), two_paths()):
        drawing = draw_graph(graph)
        for node in graph.nodes:
            uses = {e.target for e in graph.consumers(node.id)}
            assert reached_from(drawing, node.id) == uses, (graph.name, node.id)
            for target in uses:
                assert drawing.boxes[target].x > drawing.boxes[node.id].x + drawing.boxes[node.id].width


def test_values_sit_above_the_edges_and_gradients_below_once_the_backward_pass_reached_them():
    graph = neuron_graph()
    forward = draw_graph(graph, computed={"x", "w", "b", "y", "z"}, with_grad=())
    z, yhat = forward.boxes["z"], forward.boxes["yhat"]
    assert right_of(forward, "z", z.middle - 1).split()[0] == "0.8"
    assert right_of(forward, "yhat", yhat.middle - 1).split()[0] == "?"  # not computed yet
    assert "∂" not in forward.text.plain

    backward = draw_graph(graph, with_grad={"ce", "yhat", "z"})
    z_grad = graph.node("z").grad
    assert right_of(backward, "z", z.middle + 1).startswith(f"∂ {z_grad:.3g}")
    assert right_of(backward, "yhat", yhat.middle - 1).split()[0] == f"{graph.node('yhat').value:.3g}"
    w = backward.boxes["w"]
    assert "∂" not in right_of(backward, "w", w.middle + 1)  # the backward pass has not reached w


def test_a_node_used_twice_shows_what_comes_back_along_each_use():
    drawing = draw_graph(two_paths(), with_grad={"L", "b", "c", "a"})
    a = drawing.boxes["a"]
    below = [right_of(drawing, "a", a.middle + i) for i in (1, 2)]
    assert below[0].startswith("∂ 2") and "b" in below[0]
    assert below[1].startswith("∂ 6") and "c" in below[1]


def test_the_current_node_is_marked_with_a_glyph_and_a_style():
    graph = neuron_graph()
    plain = draw_graph(graph)
    assert "┏" not in plain.text.plain
    drawing = draw_graph(graph, current="z")
    box = drawing.boxes["z"]
    assert cell(drawing.lines, box.x, box.y) == "┏" and drawing.lines[box.middle][box.x] == "┃"
    assert drawing.text.plain.count("┏") == 1
    offset = sum(len(line) + 1 for line in drawing.lines[:box.middle]) + box.x + 2
    styles = [str(span.style) for span in drawing.text.spans if span.start <= offset < span.end]
    assert any("reverse" in style or "bold" in style for style in styles)


def test_the_network_is_wider_than_a_terminal_and_never_wraps():
    drawing = draw_graph(network_graph(), with_grad={n.id for n in network_graph().nodes})
    assert drawing.width > 80
    console = Console(file=io.StringIO(), width=60, color_system=None)
    window = console.render_lines(drawing.text, console.options)  # what a 60-column view shows
    shown = ["".join(segment.text for segment in line) for line in window]
    assert len(shown) == drawing.height  # as many rows as the drawing: cut at the edge, not wrapped
    for row, line in zip(shown, drawing.lines):
        assert line.startswith(row.rstrip()), row


def test_space_for_gradients_is_kept_so_the_walk_does_not_reshape_the_picture():
    graph = network_graph()
    before = draw_graph(graph, with_grad=())
    after = draw_graph(graph, with_grad={n.id for n in graph.nodes})
    assert before.boxes == after.boxes
    tight = draw_graph(graph, reserve_grads=False)
    assert tight.height < before.height
