"""The computational-graph view, driven from the keyboard in a small host app."""

import math
import re

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region

from engines.byhand.backprop_models import network_graph, neuron_graph
from engines.byhand.graph import Edge, Graph, Node
from tui_lab.widgets.graph_view import GraphView

EDITOR = (50, 14)  # roughly the step editor of the lab at 80×24


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def shown(value: float) -> str:
    """How the cards print a number: four significant digits."""
    return f"{value:.4g}"


class Host(App):
    CSS = f"#editor {{ width: {EDITOR[0]}; height: {EDITOR[1]}; }}"

    def __init__(self, graph, mode: str = "backward", position: int = 0) -> None:
        super().__init__()
        self.graph, self.mode, self.position = graph, mode, position
        self.moves: list[int] = []
        self.ends: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="editor"):
            yield GraphView(self.graph, self.mode, self.position)

    def on_mount(self) -> None:
        self.query_one(GraphView).focus()

    def on_graph_view_moved(self, message: GraphView.Moved) -> None:
        self.moves.append(message.position)

    def on_graph_view_end_reached(self, message: GraphView.EndReached) -> None:
        self.ends.append((message.graph_name, message.mode))


def card_shown(view: GraphView) -> str:
    """The current node's card as the terminal gets it."""
    card = view.query_one("#graph-card")
    width, height = card.size
    return "\n".join(strip.text for strip in card.render_lines(Region(0, 0, width, height)))


def drawn(view: GraphView) -> str:
    return view.drawing.text.plain


def heavy_box_around(view: GraphView, node_id: str) -> bool:
    """The drawing marks a node as current with a heavy border (a glyph, not only a colour)."""
    box = view.drawing.boxes[node_id]
    lines = drawn(view).split("\n")
    return lines[box.y][box.x] == "┏" and lines[box.y + 2][box.x] == "┗"


async def test_backward_walk_moves_the_highlight_and_reveals_gradients_both_ways():
    app = Host(neuron_graph(), "backward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        await pilot.pause()
        assert view.current.node == "ce" and heavy_box_around(view, "ce")
        assert "∂CE/∂ŷ" not in view.card_text("yhat")

        await pilot.press("right")
        await pilot.pause()
        assert view.position == 1 and heavy_box_around(view, "yhat")
        assert not heavy_box_around(view, "ce")
        expected = f"∂CE/∂ŷ = ∂CE/∂CE · ∂CE/∂ŷ = {shown(-1 / sigmoid(0.8))}"
        assert expected in view.card_text("yhat") and expected in card_shown(view)
        assert f"∂ {-1 / sigmoid(0.8):.3g}" in drawn(view)  # on the edge out of ŷ

        await pilot.press("n")
        z_card = view.card_text("z")
        assert f"∂ŷ/∂z = ŷ(1 − ŷ) = {shown(sigmoid(0.8) * (1 - sigmoid(0.8)))}" in z_card  # on the edge
        assert f"= ŷ − y = {shown(sigmoid(0.8) - 1)}" in z_card  # accumulated at the node

        await pilot.press("left")
        await pilot.pause()
        assert view.current.node == "yhat" and heavy_box_around(view, "yhat")
        assert "∂CE/∂z" not in view.card_text("z")  # going back hides it again
        assert f"∂ {sigmoid(0.8) - 1:.3g}" not in drawn(view)
        await pilot.press("p", "left")
        assert view.position == 0  # and stops at the start
        assert app.moves == [1, 2, 1, 0]


async def test_forward_walk_computes_values_in_order():
    app = Host(neuron_graph(), "forward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        await pilot.pause()
        assert "value = 0.8" in view.card_text("z")
        assert "value = ?" in view.card_text("yhat")
        assert "value = [0.1, 0.2, 0.3, 0.4]" in view.card_text("w")  # leaves are known from the start
        assert "?" in drawn(view)  # ŷ and CE are not computed yet
        await pilot.press("right")
        assert f"value = {shown(sigmoid(0.8))}" in view.card_text("yhat")
        assert f"{sigmoid(0.8):.3g}" in drawn(view)
        assert "value = ?" in view.card_text("ce")
        assert not any("∂" in view.card_text(n.id) for n in view.graph.nodes)  # no gradients forward
        assert "∂" not in drawn(view)


def two_paths() -> Graph:
    """L = 2a + a² at a = 3: a feeds two nodes, so its gradient is a sum, 2 + 2a = 8."""
    nodes = (
        Node("a", "a", "a", "parameter", 3.0, 8.0, "∂L/∂b · 2 + ∂L/∂c · 2a"),
        Node("b", "b", "b = 2a", "scale", 6.0, 1.0, "1"),
        Node("c", "c", "c = a²", "square", 9.0, 1.0, "1"),
        Node("L", "L", "L = b + c", "sum", 15.0, 1.0),
    )
    edges = (
        Edge("a", "b", "∂b/∂a = 2", 2.0, 2.0), Edge("a", "c", "∂c/∂a = 2a", 6.0, 6.0),
        Edge("b", "L", "∂L/∂b = 1", 1.0, 1.0), Edge("c", "L", "∂L/∂c = 1", 1.0, 1.0),
    )
    return Graph("two-paths", "Two paths", nodes, edges, loss="L")


async def test_a_node_used_twice_adds_what_both_edges_pass_back():
    app = Host(two_paths(), "backward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        await pilot.press("end")
        card = view.card_text("a")
        assert "a ─▶ b:  ∂b/∂a = 2 = 2" in card and "passes back ∂L/∂b · ∂b/∂a = 2" in card
        assert "a ─▶ c:  ∂c/∂a = 2a = 6" in card and "passes back ∂L/∂c · ∂c/∂a = 6" in card
        assert "∂L/∂a = ∂L/∂b · 2 + ∂L/∂c · 2a = 8" in card


async def test_the_end_is_announced_once_and_the_walk_stops_there():
    app = Host(neuron_graph(), "both")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        steps = len(view.graph.forward_order) + len(view.graph.backward_order)
        await pilot.press(*["right"] * (steps - 2))
        assert app.ends == [] and not view.at_end
        await pilot.press("right")
        assert view.at_end and app.ends == [("neuron", "both")]
        await pilot.press("right", "space")
        assert view.position == steps - 1 and app.ends == [("neuron", "both")]
        assert view.advance() is False and view.back() is True
        await pilot.press("home")
        assert view.position == 0
        await pilot.press("end")
        assert view.at_end and len(app.ends) == 2


async def test_a_view_opened_at_its_end_does_not_announce_it_again():
    app = Host(network_graph(), "backward", position=-1)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        await pilot.pause()
        assert view.at_end and view.current.node == "W1" and app.ends == []


def scrolls_vertically(widget) -> bool:
    return widget.styles.overflow_y in ("auto", "scroll") and widget.max_scroll_y > 0


async def test_the_network_scrolls_as_one_view_and_follows_the_current_node():
    app = Host(network_graph(), "backward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        editor, strip = app.query_one("#editor"), view.query_one("#graph-strip")
        for stop in view.stops[1:]:
            await pilot.press("right")
            await pilot.pause()
            # The current box is on screen after every move, in the editor's window and the strip's.
            box = view.box_region(stop.node)
            assert editor.region.contains_region(box) and strip.region.contains_region(box), stop.node
        assert view.current.node == "W1"

        drawing = view.query_one("#graph-drawing")
        scrolling = [w for w in [drawing, *drawing.ancestors_with_self] if hasattr(w, "max_scroll_y")
                     and scrolls_vertically(w)]
        assert scrolling == [editor]  # one vertical scroll: the editor's; the graph has none of its own
        assert strip.max_scroll_y == 0 and strip.max_scroll_x > 0  # the drawing scrolls sideways, whole
        assert drawing.size.height == view.drawing.height

        # ∂L/∂W₁, computed here by hand: ∂L/∂z₁ = W₂ᵀ(ŷ − y)·1[z₂ > 0], times x = 0.5.
        dL_dz1 = [0.2 * -0.345 + 0.1 * 0.17, 0.3 * -0.345 - 0.2 * 0.17, 0.4 * -0.345 + 0.3 * 0.17]
        card = card_shown(view)
        x, y, width, height = view.drawing.labels["W1"]
        below_the_edge = [line[x:x + width] for line in drawn(view).split("\n")[view.drawing.boxes["W1"].middle + 1:y + height]]
        on_the_edge = [float(n) for n in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", " ".join(below_the_edge))]
        assert "∂" in below_the_edge[0]
        for value in dL_dz1:
            assert shown(value * 0.5) in card
            assert any(math.isclose(n, value * 0.5, rel_tol=2e-3) for n in on_the_edge), (value, on_the_edge)


async def test_the_last_forward_node_is_in_view():
    app = Host(network_graph(), "forward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        await pilot.press("end")
        await pilot.pause()
        editor, strip = app.query_one("#editor").region, view.query_one("#graph-strip").region
        loss = view.box_region("L")
        assert editor.contains_region(loss) and strip.contains_region(loss)
        assert "forward pass · 5/5: L" in str(view.query_one(".graph-header").render())


async def test_up_and_down_scroll_the_editor_without_moving_the_walk():
    app = Host(network_graph(), "backward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        editor = app.query_one("#editor")
        await pilot.press("end")
        await pilot.pause()
        before = editor.scroll_y
        await pilot.press("up", "up")
        await pilot.pause()
        assert editor.scroll_y < before and view.at_end and app.focused is view


async def test_shift_arrows_scroll_the_drawing_sideways():
    app = Host(network_graph(), "backward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        strip = view.query_one("#graph-strip")
        await pilot.pause()
        before = strip.scroll_x
        await pilot.press("shift+left")
        await pilot.pause()
        assert strip.scroll_x < before and view.position == 0


def test_an_unknown_mode_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="mode must be one of forward, backward, both, not 'sideways'"):
        GraphView(neuron_graph(), "sideways")
