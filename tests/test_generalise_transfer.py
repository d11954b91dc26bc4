"""The transfer engine (gen.transfer): three ways of learning new classes from few labels,
and the cached pretrained network they start from."""

from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch")

from engines.core.device import cpu_device  # noqa: E402
from engines.core.events import Artifact, Failed, Finished, Progress, Started  # noqa: E402
from engines.core.params import ParamError  # noqa: E402
from engines.core.runtime import Control, run_engine  # noqa: E402
from engines.generalise import data, defaults, pretrain, transfer  # noqa: E402

TINY = {"dataset": "synthetic", "labels": "3", "pretrain_epochs": 1, "steps": 5}


def events(overrides: dict, ctl: Control | None = None) -> list:
    # One thread: the test machine's other processes make two threads wait on each other.
    return list(run_engine(transfer.ENGINE, {**TINY, **overrides}, ctl or Control(device=cpu_device(1))))


def notes(run: list) -> list[str]:
    return [e.payload for e in run if isinstance(e, Artifact) and e.kind == "note"]


def pretraining_steps(run: list) -> list:
    return [e for e in run if isinstance(e, Progress) and not e.values]


def synthetic_targets(count: int, seed: int = 0):
    images = data.synthetic()
    index = data.per_class(images.train_labels, defaults.TARGET_CLASSES, count, seed)
    tensors = data.to_tensors(images, "cpu", index, index[:0])
    return tensors.train_x, tensors.train_y - min(defaults.TARGET_CLASSES)


def random_pretrained() -> pretrain.Pretrained:
    torch.manual_seed(1)
    state = pretrain.build(len(defaults.PRETRAIN_CLASSES)).state_dict()
    return pretrain.Pretrained(state, 0.0, 0.0, 0, 0.0, 1.0, False, pretrain.cache_path("synthetic", (0,), 1, 0))


def changed_parameters(way: str) -> set[str]:
    model = transfer.start_model(way, random_pretrained(), 5, 0, "cpu")
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    x, y = synthetic_targets(4)
    transfer.fit(model, way, x, y, {"lr": 1e-2, "seed": 0, "steps": 10}, Control())
    return {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}


def test_the_linear_probe_changes_only_the_head():
    head = {f"{pretrain.HEAD}.weight", f"{pretrain.HEAD}.bias"}
    assert changed_parameters("probe") == head
    # Fine-tuning, from the same start, moves the body too: the comparison can tell them apart.
    assert changed_parameters("finetune") > head


def test_fine_tuning_and_the_probe_start_from_the_pretrained_body_with_the_same_new_head():
    pretrained = random_pretrained()
    tuned, probe, scratch = (transfer.start_model(way, pretrained, 5, 0, "cpu")
                             for way in ("finetune", "probe", "scratch"))
    body = [name for name in pretrained.state if not name.startswith(pretrain.HEAD + ".")]
    assert all(torch.equal(tuned.state_dict()[n], pretrained.state[n]) for n in body)
    assert not torch.equal(scratch.state_dict()["conv1.weight"], pretrained.state["conv1.weight"])
    assert torch.equal(tuned.out.weight, probe.out.weight) and tuned.out.out_features == 5


def test_a_run_reports_three_paths_a_table_and_its_summary():
    run = events({"labels": "2,4"})
    assert isinstance(run[0], Started) and run[0].total_steps == len(pretraining_steps(run)) + 6
    points = [e.values for e in run if isinstance(e, Progress) and e.values]
    for way in transfer.WAYS:
        assert [p[f"{way}_x"] for p in points if way in p] == [2, 4]
    table = next(e.payload for e in run if isinstance(e, Artifact) and e.kind == "table")
    assert [row[0] for row in table["rows"]] == [2, 4] and len(table["columns"]) == 4
    finished = run[-1]
    assert isinstance(finished, Finished) and finished.reason == "completed"
    summary = finished.summary
    assert summary["labels"] == [2, 4] and summary["steps"] == run[-3].step
    for way in transfer.WAYS:
        assert summary[way] == [p[way] for p in points if way in p]
        assert all(0.0 <= a <= 1.0 for a in summary[way])
    assert 0.5 < summary["pretrain_accuracy"] <= 1.0 and summary["pretrain_seconds"] > 0


def test_the_pretrained_network_is_cached_and_reused():
    first, second = events({}), events({})
    assert first[-1].summary["pretrain_cached"] is False and len(pretraining_steps(first)) == 1
    assert second[-1].summary["pretrain_cached"] is True and not pretraining_steps(second)
    path = pretrain.cache_path("synthetic", defaults.PRETRAIN_CLASSES, 1, 0)
    assert path.is_file() and any(str(path) in note for note in notes(second))
    assert second[-1].summary["pretrain_accuracy"] == first[-1].summary["pretrain_accuracy"]
    # Another seed is another network: trained, not read.
    assert events({"seed": 1})[-1].summary["pretrain_cached"] is False


def test_a_damaged_cache_file_is_trained_again_with_a_note():
    path = pretrain.cache_path("synthetic", defaults.PRETRAIN_CLASSES, 1, 0)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint at all")
    run = events({})
    assert run[-1].reason == "completed" and run[-1].summary["pretrain_cached"] is False
    assert pretraining_steps(run) and len(notes(run)) == 3
    assert any(str(path) in note for note in notes(run)[1:2])
    assert pretrain.read_cached(path, "synthetic", defaults.PRETRAIN_CLASSES, 1, 0)[0] is not None


def test_a_cache_file_of_other_settings_is_not_used(tmp_path):
    events({})
    path = pretrain.cache_path("synthetic", defaults.PRETRAIN_CLASSES, 1, 0)
    other = pretrain.cache_path("synthetic", defaults.PRETRAIN_CLASSES, 1, 5)
    other.write_bytes(path.read_bytes())  # seed 0's network under seed 5's name
    cached, problem = pretrain.read_cached(other, "synthetic", defaults.PRETRAIN_CLASSES, 1, 5)
    assert cached is None and str(other) in problem


def test_a_missing_source_dataset_is_refused_in_one_sentence(monkeypatch):
    from engines.mnist import data as mnist_data

    mnist = mnist_data.DATASETS["mnist"]
    monkeypatch.setitem(mnist_data.DATASETS, "mnist", dataclasses.replace(mnist, system_dirs=()))
    run = events({"source": "mnist"})
    assert len(run) == 1 and isinstance(run[0], Failed)
    message = run[0].message
    assert "mnist" in message and message.endswith(".") and message.count(". ") == 0
    assert run[0].alternative["params"] == {"source": "same"}


def test_a_stop_request_ends_the_run_as_stopped():
    ctl = Control(device=cpu_device(1))
    seen = []
    for event in run_engine(transfer.ENGINE, {**TINY, "labels": "2,4"}, ctl):
        seen.append(event)
        if isinstance(event, Progress) and event.values:
            ctl.stop()
    assert isinstance(seen[-1], Finished) and seen[-1].reason == "stopped"
    assert len([e for e in seen if isinstance(e, Progress) and e.values]) == 1


def test_a_stop_during_pretraining_writes_no_cache():
    ctl = Control(device=cpu_device(1))
    ctl.stop()
    run = events({}, ctl)
    assert run[-1].reason == "stopped" and not pretraining_steps(run)
    assert not pretrain.cache_path("synthetic", defaults.PRETRAIN_CLASSES, 1, 0).exists()


@pytest.mark.parametrize("text", ["0", "ten", "10,,50", "1001", "-5"])
def test_label_counts_outside_1_to_1000_are_refused(text):
    with pytest.raises(ParamError, match="labels"):
        transfer.parse_labels(text)


def test_label_counts_are_sorted_once_each():
    assert transfer.parse_labels(" 200, 10,50,10") == [10, 50, 200]


def test_fine_tuning_beats_scratch_at_the_smallest_label_count_for_every_seed():
    for seed in range(5):
        summary = events({"labels": "3", "steps": 50, "pretrain_epochs": 2, "seed": seed})[-1].summary
        assert summary["finetune"][0] > summary["scratch"][0], seed


def test_the_cross_dataset_variant_pretrains_on_the_other_dataset(tmp_path):
    """With both datasets on the computer: pretrain on MNIST's classes 0–4, learn
    Fashion-MNIST's 5–9 (generated files in each dataset's own on-disk format)."""
    from mnist_fixtures import write_root

    for name in ("mnist", "fashion-mnist"):
        write_root(tmp_path / "data", name, train=300, test=100)
    ctl = Control(device=cpu_device(1), data_dir=str(tmp_path / "data"))
    run = events({"dataset": "fashion-mnist", "source": "mnist", "labels": "2"}, ctl)
    finished = run[-1]
    assert isinstance(finished, Finished) and finished.reason == "completed", finished
    assert notes(run)[0].startswith("Pretraining on MNIST, classes 0, 1, 2, 3, 4; learning Fashion-MNIST, classes Sandal")
    assert pretrain.cache_path("mnist", defaults.PRETRAIN_CLASSES, 1, 0).exists()  # cached under the source's name
    assert not pretrain.cache_path("fashion-mnist", defaults.PRETRAIN_CLASSES, 1, 0).exists()
