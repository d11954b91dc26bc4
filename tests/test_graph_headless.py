"""`run --graph`: the headless output draws the computational graph the lab draws."""

import io

from engines.byhand.backprop_models import network_graph
from engines.core.events import Artifact, Finished, Started
from lessons import load_catalog
from tui_lab.graph_drawing import draw_graph
from tui_lab.options import build_parser
from tui_lab.run_output import TerminalView, lesson_graphs


def shown(view_out: io.StringIO) -> str:
    return view_out.getvalue()


def test_the_flag_is_part_of_run():
    args = build_parser().parse_args(["run", "backprop", "--graph"])
    assert args.graph is True
    assert build_parser().parse_args(["run", "backprop"]).graph is False


def test_a_graph_the_run_sends_is_drawn_whole_with_its_gradients():
    graph = network_graph()
    out = io.StringIO()
    view = TerminalView(out, "backprop · step 25", graphs=[])
    view.show(Started(device="cpu", config={}, total_steps=1))
    view.show(Artifact("graph", graph.to_dict()))
    view.show(Finished("completed", {"message": "done"}))
    text = shown(out)
    expected = draw_graph(graph, with_grad={n.id for n in graph.nodes}).lines
    assert all(line in text.splitlines() for line in expected if line.strip())  # not wrapped, not cut
    assert "ReLU network" in text and "∂" in text


def test_without_the_flag_nothing_is_drawn():
    out = io.StringIO()
    view = TerminalView(out, "backprop · step 25")
    view.show(Artifact("graph", network_graph().to_dict()))
    assert "┌" not in shown(out)


def test_a_run_that_sends_no_graph_draws_the_lessons_graphs_after_it():
    lesson = next(l for l in load_catalog([]).lessons if l.id == "backprop")
    graphs = lesson_graphs(lesson, 0)
    assert [g.name for g in graphs] == ["neuron", "network"]
    out = io.StringIO()
    view = TerminalView(out, "backprop · step 24", graphs=graphs)
    view.show(Started(device="cpu", config={}, total_steps=1))
    view.show(Finished("completed", {"message": "Largest relative error"}))
    text = shown(out)
    assert text.index("Largest relative error") < text.index("Logistic neuron") < text.index("ReLU network")
    assert "CE = −y·log ŷ" in text and "L = ½ Σ (y − ŷ)²" in text
