"""The backprop engine: its numbers, its three-way proofs, its runs and its lesson."""

import dataclasses
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engines.byhand import backprop, gradcheck
from engines.byhand import backprop_models as models
from engines.core.events import Artifact, Failed, Finished, Progress, Started
from engines.byhand.graph import Edge, Graph, Node
from engines.core.runtime import run_engine
from lessons.check import CROSS_CHECK_ATOL, CROSS_CHECK_RTOL, check_lesson
from lessons.loader import load_lesson

from conftest import ROOT

LESSON_DIR = ROOT / "lessons" / "backprop"


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def torch_network_gradients(x=(0.5, 0.5), b1=(0.1, 0.2, 0.3), b2=(0.1, 0.0, 0.2)):
    """The network written out again in torch (float64), independently of the engine."""
    import torch

    t = lambda v, grad=True: torch.tensor(v, dtype=torch.float64, requires_grad=grad)  # noqa: E731
    W1, W2 = t(models.ARTICLE.W1), t(models.ARTICLE.W2)
    b1, b2 = t(b1), t(b2)
    h = torch.relu(W1 @ t(x, False) + b1)
    yhat = torch.relu(W2 @ h + b2)
    loss = 0.5 * ((t(models.ARTICLE.net_y, False) - yhat) ** 2).sum()
    loss.backward()
    return loss.item(), {"W1": W1.grad.numpy(), "b1": b1.grad.numpy(), "W2": W2.grad.numpy(), "b2": b2.grad.numpy()}


# ------------------------------------------------------------------ the numbers

def test_neuron_values_are_the_curriculum_figures():
    v = backprop.values()
    assert v["z"] == pytest.approx(0.8, abs=1e-12)
    assert v["yhat"] == pytest.approx(0.689974, abs=1e-6)
    assert v["ce"] == pytest.approx(0.371101, abs=1e-6)
    assert v["dCE_dz"] == pytest.approx(-0.310026, abs=1e-6)
    assert v["dCE_db"] == pytest.approx(-0.310026, abs=1e-6)
    assert v["dCE_dw"] == pytest.approx([-0.031003, -0.062005, -0.093008, -0.124010], abs=1e-6)
    assert v["w_new"] == pytest.approx([0.103100, 0.206201, 0.309301, 0.412401], abs=1e-6)


def test_the_sigmoid_slope_cancels_to_prediction_minus_label():
    v = backprop.values()
    assert v["dCE_dyhat"] == pytest.approx(-1 / sigmoid(0.8), rel=1e-12)
    assert v["dyhat_dz"] == pytest.approx(sigmoid(0.8) * (1 - sigmoid(0.8)), rel=1e-12)
    assert v["dCE_dyhat"] * v["dyhat_dz"] == pytest.approx(sigmoid(0.8) - 1, rel=1e-12)


def test_network_hidden_layer_and_the_articles_loss_are_the_curriculum_figures():
    v = backprop.values()
    assert v["h"] == pytest.approx([0.25, 0.55, 0.85], abs=1e-12)
    assert v["article_loss_recomputed"] == pytest.approx(0.42255, abs=1e-12)
    assert v["article_loss"] == 0.0455 and v["article_h"] == [0.55, 0.65, 0.75]


def test_network_gradients_match_autograd_and_relu_blocks_the_dead_output():
    loss, auto = torch_network_gradients()
    p = models.network_pass()
    assert p.loss == pytest.approx(loss, rel=1e-12)
    for name, grad in auto.items():
        np.testing.assert_allclose(p.grads[name], grad, rtol=1e-12, atol=1e-15)
    assert p.z2[2] < 0 and p.y[2] - p.yhat[2] == pytest.approx(1.0)  # wrong by a whole 1 …
    assert p.grads["b2"][2] == 0 and not p.grads["W2"][2].any()  # … and no gradient at all


def test_cross_checks_prove_every_parameter_by_autograd_and_finite_differences():
    pairs = backprop.checks()
    labels = [label for label, _, _ in pairs]
    for model, params in (("neuron", models.neuron_params()), ("network", models.network_params())):
        for _, _, entry in gradcheck.entries(params):
            assert f"{model}: ∂/∂{entry} hand vs autograd" in labels
            assert f"{model}: ∂/∂{entry} hand vs finite difference" in labels
    bad = [(l, a, b) for l, a, b in pairs if not math.isclose(a, b, rel_tol=CROSS_CHECK_RTOL, abs_tol=CROSS_CHECK_ATOL)]
    assert bad == []


def test_a_wrong_hand_gradient_fails_the_cross_check(monkeypatch):
    """The proof has teeth: forget the sigmoid's slope (a classic slip) and it disagrees."""

    def without_slope(inp):
        p = models.neuron_pass(inp)
        return {"w": p.dce_dyhat * np.asarray(inp.x), "b": np.array(p.dce_dyhat)}

    monkeypatch.setitem(gradcheck.MODELS, "neuron", dataclasses.replace(gradcheck.MODELS["neuron"], hand=without_slope))
    pairs = [(a, b) for label, a, b in backprop.checks() if label.startswith("neuron: ∂/∂")]
    assert len(pairs) == 10
    assert not any(math.isclose(a, b, rel_tol=CROSS_CHECK_RTOL, abs_tol=CROSS_CHECK_ATOL) for a, b in pairs)


def test_central_differences_of_a_known_function():
    params = {"p": np.array([0.5, -2.0, 3.0])}
    numeric = gradcheck.central_differences(lambda q: np.sum(q["p"] ** 3), params, 1e-5)
    np.testing.assert_allclose(numeric["p"], 3 * params["p"] ** 2, rtol=1e-8)
    assert params["p"].tolist() == [0.5, -2.0, 3.0]  # the caller's arrays are left alone


def test_relative_error():
    assert gradcheck.relative_error(0.0, 0.0) == 0.0
    assert gradcheck.relative_error(1.0, 1.1) == pytest.approx(0.1 / 1.1)
    assert gradcheck.relative_error(-2.0, 2.0) == pytest.approx(2.0)


def test_gradient_check_is_sharp_in_float64_and_coarse_in_float32():
    rows64 = gradcheck.gradient_check("both", 1e-6, "float64")
    assert len(rows64) == 4 + 1 + 6 + 3 + 9 + 3
    assert max(r.rel_error for r in rows64) < 1e-6
    rows32 = gradcheck.gradient_check("both", 1e-3, "float32")
    assert max(r.rel_error for r in rows32) > 1e-5  # what the lesson says float32 cannot do
    tiny_h32 = gradcheck.gradient_check("both", 1e-6, "float32")
    assert max(r.rel_error for r in tiny_h32) > max(r.rel_error for r in rows32)  # rounding wins


def test_values_are_computed_without_torch():
    code = "import sys\nfrom engines.byhand import backprop\nbackprop.values()\nprint('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ the graphs

@pytest.mark.parametrize("build", [models.neuron_graph, models.network_graph])
def test_graph_gradients_are_the_sum_of_what_their_edges_pass_back(build):
    graph = build()
    assert graph.backward_order[0] == graph.loss
    for node in graph.nodes:
        if node.grad is None or node.id == graph.loss:
            continue
        passed = [np.asarray(e.grad) for e in graph.consumers(node.id)]
        np.testing.assert_allclose(np.sum(passed, axis=0), np.asarray(node.grad), rtol=1e-12)
    assert Graph.from_dict(graph.to_dict()) == graph


def test_network_graph_carries_autograd_gradients():
    graph = models.network_graph()
    _, auto = torch_network_gradients()
    for name, grad in auto.items():
        np.testing.assert_allclose(np.asarray(graph.node(name).grad), grad, rtol=1e-12, atol=1e-15)
    assert graph.node("h").value == pytest.approx((0.25, 0.55, 0.85))
    assert [s for s in graph.backward_order] == ["L", "yhat", "z2", "b2", "W2", "h", "z1", "b1", "W1"]


def test_a_graph_out_of_forward_order_is_refused():
    nodes = (Node("b", "b", "b", "parameter", 1.0), Node("a", "a", "a = 2b", "scale", 2.0))
    with pytest.raises(ValueError, match="forward order"):
        Graph("g", "G", nodes, (Edge("a", "b", "∂"),), loss="a")
    with pytest.raises(ValueError, match="unknown node"):
        Graph("g", "G", nodes, (Edge("b", "c", "∂"),), loss="a")


# ------------------------------------------------------------------ the runs

def events_of(spec, params):
    return list(run_engine(spec, params))


def test_gradcheck_run_emits_one_row_per_parameter():
    events = events_of(backprop.GRADCHECK, {"model": "network", "autograd": "true"})
    assert isinstance(events[0], Started) and events[0].total_steps == 21
    rows = [e for e in events if isinstance(e, Progress)]
    assert [r.step for r in rows] == list(range(1, 22))
    _, auto = torch_network_gradients()
    flat_auto = np.concatenate([auto[n].ravel() for n in ("W1", "b1", "W2", "b2")])
    assert [r.values["autograd"] for r in rows] == pytest.approx(flat_auto.tolist(), abs=1e-12)
    assert all(r.values["rel_error"] < 1e-6 and r.values["digits"] > 6 for r in rows)
    artifact = next(e for e in events if isinstance(e, Artifact))
    assert artifact.kind == "gradcheck" and artifact.payload["rows"][0]["label"] == "W₁[1,1]"
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert "hand-derived gradients are right" in events[-1].summary["message"]


def test_gradcheck_in_float32_says_it_proves_nothing():
    events = events_of(backprop.GRADCHECK, {"dtype": "float32", "h": "1e-6", "autograd": "false"})
    assert events[-1].reason == "completed"
    assert "too large to prove anything" in events[-1].summary["message"]
    assert all("autograd" not in e.values for e in events if isinstance(e, Progress))


def test_explore_run_recomputes_every_gradient_for_new_inputs():
    events = events_of(backprop.EXPLORE, {"db1_1": "-0.6", "dx2": "0.2"})  # b₁[1] = −0.5, x[2] = 0.7
    rows = [e for e in events if isinstance(e, Progress)]
    loss, auto = torch_network_gradients(x=(0.5, 0.7), b1=(-0.5, 0.2, 0.3))
    flat_auto = np.concatenate([auto[n].ravel() for n in ("W1", "b1", "W2", "b2")])
    assert [r.values["grad"] for r in rows] == pytest.approx(flat_auto.tolist(), abs=1e-12)
    assert [r.values["numeric"] for r in rows] == pytest.approx(flat_auto.tolist(), abs=1e-8)
    assert rows[0].loss == pytest.approx(loss)
    assert rows[6].values == {"value": -0.5, "grad": 0.0, "numeric": 0.0}  # b₁[1]: switched off
    graph = Graph.from_dict(next(e for e in events if isinstance(e, Artifact)).payload)
    assert graph.node("b1").value == pytest.approx((-0.5, 0.2, 0.3))
    message = events[-1].summary["message"]
    assert "hidden unit 1 is off" in message and "output unit 3 is off" in message


def test_explore_run_names_a_pre_activation_on_the_kink():
    events = events_of(backprop.EXPLORE, {"db1_1": "-0.25"})  # z₁[1] = 0.1·0.5 + 0.2·0.5 + 0.1 − 0.25
    assert "hidden unit 1 sits on ReLU's kink" in events[-1].summary["message"]


@pytest.mark.parametrize("spec, params, sentence", [
    (backprop.EXPLORE, {"dx1": "abc"}, "dx1 must be a number at least -10 and at most 10, not 'abc'."),
    (backprop.EXPLORE, {"dx2": "nan"}, "dx2 must be a finite number, not nan."),
    (backprop.EXPLORE, {"db2_3": "11"}, "db2_3 must be a number at least -10 and at most 10, not 11."),
    (backprop.EXPLORE, {"db1_1": ""}, "db1_1 is empty; it must be a number at least -10 and at most 10."),
    (backprop.EXPLORE, {"variant": "-1"}, "variant must be a whole number at least 0, not -1."),
    (backprop.GRADCHECK, {"variant": "1.5"}, "variant must be a whole number at least 0, not '1.5'."),
    (backprop.EXPLORE, {"w9": "1"}, "Unknown parameter 'w9'"),
    (backprop.GRADCHECK, {"h": "0"}, "h must be a number greater than 0 and at most 0.1, not 0."),
    (backprop.GRADCHECK, {"dtype": "float16"}, "dtype must be one of float64, float32, not 'float16'."),
])
def test_bad_parameters_get_a_sentence(spec, params, sentence):
    events = events_of(spec, params)
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert events[0].message.startswith(sentence)


# ------------------------------------------------------------------ the lesson

def loadable_copy(tmp_path: Path) -> Path:
    """The lesson with its graph steps read as text, for a loader that predates them."""
    folder = tmp_path / "backprop"
    shutil.copytree(LESSON_DIR, folder)
    text = (folder / "lesson.toml").read_text(encoding="utf-8")
    text = re.sub(r'^(graph|show) = .*\n', "", text.replace('kind = "graph"', 'kind = "read"'), flags=re.M)
    (folder / "lesson.toml").write_text(text, encoding="utf-8")
    return folder


def graph_steps() -> list[dict]:
    import tomllib

    data = tomllib.loads((LESSON_DIR / "lesson.toml").read_text(encoding="utf-8"))
    return [s for s in data["steps"] if s["kind"] == "graph"]


def test_the_lesson_passes_the_checker(tmp_path):
    lesson = load_lesson(loadable_copy(tmp_path))
    cases = list(check_lesson(lesson, smoke=True))
    failed = [f"{c.name}: {c.message}" for c in cases if not c.ok]
    assert failed == []
    names = {c.name for c in cases}
    assert {"expect yhat", "expect ce", "expect dCE_dz", "expect w_new_4", "expect h_3"} <= names
    assert any(n.startswith("cross-checks") for n in names)
    assert sum(n.endswith("smoke run (backprop.gradcheck)") or n.endswith("smoke run (backprop.explore)")
               for n in names) == 2


def test_graph_steps_name_graphs_from_the_value_table():
    steps = graph_steps()
    assert {(s["graph"], s["show"]) for s in steps} == {
        ("neuron_graph", "forward"), ("neuron_graph", "backward"),
        ("network_graph", "forward"), ("network_graph", "backward"),
    }
    values = backprop.values()
    for step in steps:
        graph = Graph.from_dict(values[step["graph"]])
        assert graph.forward_order and graph.backward_order


def test_lesson_text_quotes_no_decimal_number_by_hand():
    """Numbers come from the engine: outside placeholders, no decimal figure is typed."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(LESSON_DIR.glob("*.md"))]
    toml = (LESSON_DIR / "lesson.toml").read_text(encoding="utf-8")
    texts.append(toml.split("[[steps]]", 1)[1])  # the steps; [expect] holds reference figures
    for text in texts:
        without = re.sub(r"\{\{.*?\}\}", "", text)
        without = re.sub(r"^\s*(params|tolerance) = .*$", "", without, flags=re.M)
        assert re.findall(r"\d+\.\d+|\d+e-\d+", without) == []
