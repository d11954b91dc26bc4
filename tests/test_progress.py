import json
import os
import stat

import pytest

from lessons import load_catalog
from tui_lab.progress import ProgressStore
from tui_lab.progress_export import export
from tui_lab.sharing import share_progress


def test_progress_survives_a_restart(tmp_path):
    path = tmp_path / "p.json"
    store = ProgressStore(path)
    store.mark("gd", 2, "solved", answer="-28")
    store.set_last("gd", 3)
    again = ProgressStore(path)
    assert again.state("gd", 2) == "solved" and again.step("gd", 2)["answer"] == "-28"
    assert again.last_position() == ("gd", 3)
    assert again.solved_count("gd", 5) == 1


def test_solved_is_never_downgraded(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    store.mark("gd", 1, "solved")
    store.mark("gd", 1, "revealed")
    store.mark("gd", 1, "seen")
    assert store.state("gd", 1) == "solved"


def test_two_windows_keep_each_others_progress(tmp_path):
    path = tmp_path / "p.json"
    left, right = ProgressStore(path), ProgressStore(path)
    left.mark("gd", 1, "solved")
    right.mark("gd", 2, "solved")  # right never read left's change, yet must keep it
    merged = ProgressStore(path)
    assert merged.state("gd", 1) == "solved" and merged.state("gd", 2) == "solved"


def test_no_temporary_files_are_left_behind(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    for i in range(5):
        store.mark("gd", i + 1, "solved")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json", "p.lock"]
    json.loads((tmp_path / "p.json").read_text())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder_is_a_sentence_not_a_crash(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    store = ProgressStore(folder / "p.json")
    store.mark("gd", 1, "solved")
    assert store.state("gd", 1) == "solved"  # kept in memory
    assert store.error.startswith(f"Progress could not be saved to {folder / 'p.json'}")


def test_a_path_that_cannot_be_a_folder_is_a_sentence_not_a_crash(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = ProgressStore(blocker / "sub" / "p.json")  # a file where a folder must be
    store.mark("gd", 1, "solved")
    assert store.state("gd", 1) == "solved"
    assert "Progress could not be saved" in store.error and "kept for this session only" in store.error


def test_a_revealed_step_is_not_solved_until_its_answer_is_typed(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    store.mark("gd", 2, "seen")
    store.record_hints("gd", 2, 3)
    store.mark("gd", 2, "revealed")
    store.mark("gd", 2, "seen")  # reopening it
    assert store.state("gd", 2) == "revealed" and store.solved_count("gd", 5) == 0
    store.mark("gd", 2, "solved", answer="-28")
    entry = ProgressStore(tmp_path / "p.json").step("gd", 2)
    assert entry["state"] == "solved" and entry["hinted"] is True and entry["hints"] == 3


def test_tries_slips_and_hints_are_counted(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    store.mark("gd", 2, "seen")
    store.record_try("gd", 2, "sign")
    store.record_try("gd", 2, "sign")
    store.record_try("gd", 2)  # a wrong value that is no known slip
    store.record_hints("gd", 2, 2)
    store.record_hints("gd", 2, 1)  # the step reopened: the most ever opened is kept
    store.mark("gd", 2, "solved")
    entry = ProgressStore(tmp_path / "p.json").step("gd", 2)
    assert (entry["tries"], entry["slips"], entry["hints"], entry["hinted"]) == (3, {"sign": 2}, 2, True)
    store.mark("gd", 3, "solved")  # no hint opened
    assert store.step("gd", 3)["hinted"] is False


def test_old_done_entries_read_as_solved_or_revealed(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"lessons": {"gd": {"steps": {
        "2": {"state": "done", "answer": "-28"}, "3": {"state": "done", "revealed": True}}}}}))
    store = ProgressStore(path)
    assert store.state("gd", 2) == "solved" and store.state("gd", 3) == "revealed"
    store.mark("gd", 3, "seen")  # written back in today's terms, still revealed
    saved = json.loads(path.read_text())["lessons"]["gd"]["steps"]
    assert saved["3"]["state"] == "revealed" and "revealed" not in saved["3"]
    assert saved["2"] == {"state": "done", "answer": "-28"}  # untouched entries stay as they were


def test_the_variant_is_drawn_once_and_kept_across_sessions_and_resets(tmp_path):
    path = tmp_path / "p.json"
    first, other_window = ProgressStore(path), ProgressStore(path)
    variant = first.variant()
    assert 1 <= variant <= 999 and json.loads(path.read_text())["variant"] == variant
    assert other_window.variant() == variant  # it had not read the file since, yet both agree
    assert ProgressStore(path).variant() == variant
    first.mark("gd", 1, "solved")
    first.reset()
    again = ProgressStore(path)
    assert again.variant() == variant and again.state("gd", 1) == "new"


def test_a_stored_variant_is_used_as_it_is(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"variant": 0}))  # e.g. set by hand for a lecture demo
    assert ProgressStore(path).variant() == 0


def test_time_on_a_step_adds_up_across_sessions(tmp_path):
    path = tmp_path / "p.json"
    ProgressStore(path).add_time("gd", 2, 30.5)
    store = ProgressStore(path)
    store.add_time("gd", 2, 12)
    store.add_time("gd", 2, 0)  # nothing spent: nothing written
    assert ProgressStore(path).step("gd", 2)["seconds"] == 42.5
    assert store.state("gd", 3) == "new" and "seconds" not in store.step("gd", 3)


def test_the_latest_slip_is_kept_with_its_time(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    store.record_try("gd", 2, "sign")
    store.record_try("gd", 2, "half")
    store.record_try("gd", 2)  # no known slip: the latest slip stays
    last = ProgressStore(tmp_path / "p.json").step("gd", 2)["last_slip"]
    assert last["id"] == "half" and isinstance(last["at"], float)


def test_run_settings_of_a_step_and_a_lesson_are_kept_across_windows_and_restarts(tmp_path):
    path = tmp_path / "p.json"
    left, right = ProgressStore(path), ProgressStore(path)
    left.set_step_params("mnist", 2, {"epochs": 3, "lr": 0.05, "augment": True})
    right.set_lesson_params("mnist", {"dataset": "fashion-mnist"})  # right never read left's change
    right.mark("mnist", 2, "seen")
    again = ProgressStore(path)
    assert again.step_params("mnist", 2) == {"epochs": 3, "lr": 0.05, "augment": True}
    assert again.lesson_params("mnist") == {"dataset": "fashion-mnist"}
    assert again.state("mnist", 2) == "seen"  # settings are not progress, and progress is not lost
    assert again.step_params("mnist", 5) == {} and again.lesson_params("cifar10") == {}


def test_an_empty_dict_forgets_a_steps_settings_and_none_forgets_one_lesson_choice(tmp_path):
    path = tmp_path / "p.json"
    store = ProgressStore(path)
    store.set_step_params("mnist", 2, {"epochs": 3})
    store.set_step_params("mnist", 2, {"batch_size": 64})  # a step's settings are replaced as a whole
    assert ProgressStore(path).step_params("mnist", 2) == {"batch_size": 64}
    store.set_step_params("mnist", 2, {})
    store.set_lesson_params("mnist", {"dataset": "fashion-mnist", "model": "cnn"})
    store.set_lesson_params("mnist", {"dataset": None, "seed": 7})  # lesson choices are merged
    again = ProgressStore(path)
    assert again.step_params("mnist", 2) == {} and again.lesson_params("mnist") == {"model": "cnn", "seed": 7}
    assert "params" not in json.loads(path.read_text())["lessons"]["mnist"]["steps"]["2"]


def test_the_returned_settings_are_copies(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    store.set_step_params("mnist", 2, {"epochs": 3})
    store.step_params("mnist", 2)["epochs"] = 99
    store.lesson_params("mnist")["dataset"] = "mnist"
    assert store.step_params("mnist", 2) == {"epochs": 3} and store.lesson_params("mnist") == {}


@pytest.mark.parametrize("params", [{"shape": [1, 2]}, {"more": {"a": 1}}, {3: "x"}])
def test_a_setting_that_is_not_a_name_and_a_scalar_is_refused(tmp_path, params):
    store = ProgressStore(tmp_path / "p.json")
    with pytest.raises(TypeError, match="a run setting is a name and a str, int, float or bool"):
        store.set_step_params("mnist", 2, params)
    with pytest.raises(TypeError):
        store.set_lesson_params("mnist", params)
    assert not (tmp_path / "p.json").exists()


def test_resetting_a_step_or_a_lesson_forgets_its_settings(tmp_path):
    path = tmp_path / "p.json"
    store = ProgressStore(path)
    store.set_step_params("mnist", 2, {"epochs": 3})
    store.set_step_params("mnist", 5, {"epochs": 4})
    store.set_lesson_params("mnist", {"dataset": "fashion-mnist"})
    store.set_step_params("cifar10", 1, {"dataset": "synthetic"})
    store.reset_step("mnist", 2)
    after = ProgressStore(path)
    assert after.step_params("mnist", 2) == {} and after.step_params("mnist", 5) == {"epochs": 4}
    store.reset("mnist")
    again = ProgressStore(path)
    assert again.step_params("mnist", 5) == {} and again.lesson_params("mnist") == {}
    assert again.step_params("cifar10", 1) == {"dataset": "synthetic"}  # another lesson keeps its own


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_exports_and_the_class_share_leave_run_settings_out(tmp_path, catalog):
    store = ProgressStore(tmp_path / "p.json")
    lesson = catalog.lessons[0]
    secret = "/home/ann/private-folder/cnn.pt"
    store.mark(lesson.id, 1, "solved", answer="-28")
    store.set_step_params(lesson.id, 1, {"checkpoint": secret})
    store.set_lesson_params(lesson.id, {"data_root": secret})
    exported = json.dumps(export(catalog, store, 3))
    shared = share_progress(catalog, store, tmp_path, 3).read_text()
    for text in (exported, shared):
        assert "-28" in text  # the progress is there
        assert "private-folder" not in text and '"params"' not in text
