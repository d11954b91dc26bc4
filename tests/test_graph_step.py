"""The graph step in the lab at 80×24: one scrolling view, the current node always in it."""

from tui_lab.widgets.graph_view import GraphView


def vertical_scrollers(widget) -> list:
    return [w for w in widget.ancestors_with_self
            if getattr(w, "styles", None) is not None and w.styles.overflow_y in ("auto", "scroll")
            and getattr(w, "max_scroll_y", 0) > 0]


async def test_the_network_graph_scrolls_with_the_step_and_shows_each_node_it_walks_to(open_lab):
    async with open_lab("backprop:22", size=(80, 24)) as pilot:
        app = pilot.app
        view = app.screen.query_one(GraphView)
        drawing, strip = view.query_one("#graph-drawing"), view.query_one("#graph-strip")
        step = app.step_view
        assert vertical_scrollers(drawing) == [step]  # the step's own scroll, nothing nested
        assert strip.max_scroll_y == 0 and drawing.size.height == view.drawing.height
        for _ in view.stops[1:]:
            await pilot.press("right")
            await pilot.pause()
            box = view.box_region(view.current.node)
            assert step.region.contains_region(box) and strip.region.contains_region(box), view.current.node
        assert view.current.node == "W1" and view.at_end
