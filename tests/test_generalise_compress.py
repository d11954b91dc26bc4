"""gen.compress: pruning reaches the sparsity asked for, int8 is smaller than dense."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from engines.core.events import Artifact, Evaluated, Failed, Finished, Progress, Started  # noqa: E402
from engines.core.runtime import Control, run_engine  # noqa: E402
from engines.generalise.compress import (ENGINE, int8_copy, parse_sparsities, prune_copy,  # noqa: E402
                                         quantise_int8, sparse_bytes)
from engines.generalise.symmetry import build_mlp  # noqa: E402

QUICK = {"dataset": "synthetic", "subset": 600, "epochs": 1, "batch_size": 32}


def _run(**overrides):
    return list(ENGINE.run(ENGINE.config({**QUICK, **overrides}), Control()))


def test_pruning_reports_the_sparsity_it_was_asked_for_at_each_level():
    events = _run(sparsities="0.3,0.6,0.9,0.97")
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.reason == "completed"
    assert finished.summary["sparsities"] == pytest.approx([0.0, 0.3, 0.6, 0.9, 0.97], abs=1e-3)
    pruned = [e.values for e in events if isinstance(e, Progress) and "pruned" in e.values]
    assert [v["sparsity"] for v in pruned] == pytest.approx([0.0, 0.3, 0.6, 0.9, 0.97], abs=1e-3)
    sizes = [v["pruned_x"] for v in pruned]
    assert sizes[0] == finished.summary["dense_bytes"]
    assert all(later < earlier for earlier, later in zip(sizes[1:], sizes[2:]))  # sparser stores smaller


def test_int8_is_smaller_than_dense_and_keeps_the_accuracy():
    events = _run(sparsities="0.5")
    summary = events[-1].summary
    assert summary["int8_bytes"] < summary["dense_bytes"] / 3
    assert summary["int8_accuracy"] >= summary["dense_accuracy"] - 0.05
    (int8,) = [e.values for e in events if isinstance(e, Progress) and "int8" in e.values]
    assert int8 == {"int8_x": summary["int8_bytes"], "int8": summary["int8_accuracy"]}
    assert events[0].total_steps == summary["steps"] == 3  # dense, 50 %, int8
    (table,) = [e.payload for e in events if isinstance(e, Artifact) and e.kind == "table"]
    assert len(table["rows"]) == 3


def test_global_pruning_removes_the_smallest_weights_of_both_layers():
    torch.manual_seed(1)
    model = build_mlp(16)
    pruned, share = prune_copy(model, 0.75)
    before = torch.cat([model.fc1.weight.flatten(), model.out.weight.flatten()]).abs()
    after = torch.cat([pruned.fc1.weight.flatten(), pruned.out.weight.flatten()])
    zeroed = after == 0
    assert share == pytest.approx(0.75, abs=1e-3)
    assert before[zeroed].max() <= before[~zeroed].min()
    assert torch.equal(pruned.fc1.bias, model.fc1.bias)
    assert model.fc1.weight.ne(0).all()  # the trained model itself is untouched


def test_sparse_size_counts_values_indices_and_row_offsets():
    model = build_mlp(4)
    with torch.no_grad():
        model.fc1.weight.zero_()
        model.fc1.weight[0, :10] = 1.0  # 10 nonzeros: CSR = 10·(4 + 2) + 5·4 = 80 bytes
        model.out.weight.fill_(1.0)  # dense is smaller: 10·4·4 = 160 bytes
    assert sparse_bytes(model) == 80 + 160 + 4 * (4 + 10)


def test_int8_rounding_is_per_output_unit_and_within_half_a_step():
    weight = torch.tensor([[0.5, -1.0, 0.25], [100.0, 3.0, -50.0], [0.0, 0.0, 0.0]])
    q, scale = quantise_int8(weight)
    assert q.dtype == torch.int8 and q.abs().max() == 127
    assert scale[:2].tolist() == pytest.approx([1.0 / 127, 100.0 / 127])
    assert ((q.float() * scale[:, None] - weight).abs() <= scale[:, None] / 2 + 1e-7).all()
    model = build_mlp(8)
    _, size = int8_copy(model)
    assert size == (784 * 8 + 8 * 10) + 4 * (8 + 10) + 4 * (8 + 10)  # weights, scales, biases


def test_a_stop_request_ends_the_run_as_stopped():
    ctl = Control()
    events = []
    for event in ENGINE.run(ENGINE.config({**QUICK, "epochs": 3}), ctl):
        events.append(event)
        if isinstance(event, Evaluated):
            ctl.stop()
    assert isinstance(events[-1], Finished) and events[-1].reason == "stopped"
    assert sum(isinstance(e, Evaluated) for e in events) == 1


@pytest.mark.parametrize("text", ["0.5,1.5", "half", "-0.1"])
def test_bad_sparsities_are_refused_in_one_sentence(text):
    events = list(run_engine(ENGINE, {**QUICK, "sparsities": text}))
    assert isinstance(events[-1], Failed) and not any(isinstance(e, Started) for e in events)
    message = events[-1].message
    assert "sparsities" in message and message.endswith(".") and message.count(". ") == 0


def test_sparsities_always_start_with_the_dense_model():
    assert parse_sparsities("0.9, 0.5,0.9") == [0.0, 0.5, 0.9]
