"""The computational-graph view, driven from the keyboard in a small host app."""

import math

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region

from engines.byhand.backprop_models import network_graph, neuron_graph
from engines.byhand.graph import Edge, Graph, Node
from tui_lab.widgets.graph_view import GraphView, NodeCard

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


def rendered(card: NodeCard) -> list[str]:
    """The card's lines as the terminal gets them."""
    width, height = card.size
    return [strip.text for strip in card.render_lines(Region(0, 0, width, height))]


async def test_backward_walk_moves_the_highlight_and_reveals_gradients_both_ways():
    app = Host(neuron_graph(), "backward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        await pilot.pause()
        assert view.current.node == "ce" and view.card("ce").has_class("-current")
        assert "∂CE/∂ŷ" not in view.card("yhat").plain

        await pilot.press("right")
        assert view.position == 1 and view.card("yhat").has_class("-current")
        assert not view.card("ce").has_class("-current")
        assert f"∂CE/∂ŷ = ∂CE/∂CE · ∂CE/∂ŷ = {shown(-1 / sigmoid(0.8))}" in view.card("yhat").plain

        await pilot.press("n")
        z_card = view.card("z").plain
        assert f"∂ŷ/∂z = ŷ(1 − ŷ) = {shown(sigmoid(0.8) * (1 - sigmoid(0.8)))}" in z_card  # on the edge
        assert f"= ŷ − y = {shown(sigmoid(0.8) - 1)}" in z_card  # accumulated at the node

        await pilot.press("left")
        assert view.current.node == "yhat" and view.card("yhat").has_class("-current")
        assert "∂CE/∂z" not in view.card("z").plain  # going back hides it again
        await pilot.press("p", "left")
        assert view.position == 0  # and stops at the start
        assert app.moves == [1, 2, 1, 0]


async def test_forward_walk_computes_values_in_order():
    app = Host(neuron_graph(), "forward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        await pilot.pause()
        assert "value = 0.8" in view.card("z").plain
        assert "value = ?" in view.card("yhat").plain and view.card("yhat").has_class("-pending")
        assert "value = [0.1, 0.2, 0.3, 0.4]" in view.card("w").plain  # leaves are known from the start
        await pilot.press("right")
        assert f"value = {shown(sigmoid(0.8))}" in view.card("yhat").plain
        assert "value = ?" in view.card("ce").plain
        assert not any("∂" in view.card(n.id).plain for n in view.graph.nodes)  # no gradients forward


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
        card = view.card("a").plain
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


async def test_the_network_fits_the_editor_at_80x24_and_scrolls_to_the_current_node():
    app = Host(network_graph(), "backward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        body = view.query_one("#graph-body")
        for _ in view.stops[1:]:
            await pilot.press("right")
        await pilot.pause()
        assert view.current.node == "W1"

        editor = app.query_one("#editor")
        assert editor.region.contains_region(view.region)  # header and cards fit the editor's window
        assert body.max_scroll_x == 0 and body.max_scroll_y > 0  # it scrolls, it does not spill over
        current = view.card("W1")
        assert body.region.contains_point(current.region.offset)  # the highlight is in view, top first

        # Every line of every card reaches the terminal whole: wrapped, never cut off.
        for card in view.query(NodeCard):
            assert card.region.width <= body.region.width
            lines = rendered(card)
            assert all(len(line) <= card.size.width for line in lines)
            words = " ".join(lines).split()
            for expected in card.plain.split():
                assert expected in words, (card.node.id, expected)
        # ∂L/∂W₁, computed here by hand: ∂L/∂z₁ = W₂ᵀ(ŷ − y)·1[z₂ > 0], times x = 0.5.
        dL_dz1 = [0.2 * -0.345 + 0.1 * 0.17, 0.3 * -0.345 - 0.2 * 0.17, 0.4 * -0.345 + 0.3 * 0.17]
        text = " ".join(rendered(current))
        for value in dL_dz1:
            assert shown(value * 0.5) in text


async def test_the_last_forward_node_is_in_view_with_the_header():
    app = Host(network_graph(), "forward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        await pilot.press("end")
        await pilot.pause()
        header, body, loss = view.query_one(".graph-header"), view.query_one("#graph-body"), view.card("L")
        editor = app.query_one("#editor").region
        assert editor.contains_region(header.region) and editor.contains_region(loss.region)
        assert body.region.contains_region(loss.region)
        assert "forward pass · 5/5: L" in str(header.render())


async def test_arrow_keys_scroll_a_long_card_without_moving_the_walk():
    app = Host(network_graph(), "backward")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        body = view.query_one("#graph-body")
        await pilot.press("end")
        await pilot.pause()
        before = body.scroll_y
        await pilot.press("up", "up")
        await pilot.pause()
        assert body.scroll_y < before and view.at_end


def test_an_unknown_mode_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="mode must be one of forward, backward, both, not 'sideways'"):
        GraphView(neuron_graph(), "sideways")
