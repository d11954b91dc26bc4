import json
import os
import stat

import pytest

from tui_lab.progress import ProgressStore


def test_progress_survives_a_restart(tmp_path):
    path = tmp_path / "p.json"
    store = ProgressStore(path)
    store.mark("gd", 2, "done", answer="-28")
    store.set_last("gd", 3)
    again = ProgressStore(path)
    assert again.state("gd", 2) == "done" and again.step("gd", 2)["answer"] == "-28"
    assert again.last_position() == ("gd", 3)
    assert again.done_count("gd", 5) == 1


def test_done_is_never_downgraded_to_seen(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    store.mark("gd", 1, "done")
    store.mark("gd", 1, "seen")
    assert store.state("gd", 1) == "done"


def test_two_windows_keep_each_others_progress(tmp_path):
    path = tmp_path / "p.json"
    left, right = ProgressStore(path), ProgressStore(path)
    left.mark("gd", 1, "done")
    right.mark("gd", 2, "done")  # right never read left's change, yet must keep it
    merged = ProgressStore(path)
    assert merged.state("gd", 1) == "done" and merged.state("gd", 2) == "done"


def test_no_temporary_files_are_left_behind(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    for i in range(5):
        store.mark("gd", i + 1, "done")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json", "p.lock"]
    json.loads((tmp_path / "p.json").read_text())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder_is_a_sentence_not_a_crash(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    store = ProgressStore(folder / "p.json")
    store.mark("gd", 1, "done")
    assert store.state("gd", 1) == "done"  # kept in memory
    assert store.error.startswith(f"Progress could not be saved to {folder / 'p.json'}")


def test_a_path_that_cannot_be_a_folder_is_a_sentence_not_a_crash(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = ProgressStore(blocker / "sub" / "p.json")  # a file where a folder must be
    store.mark("gd", 1, "done")
    assert store.state("gd", 1) == "done"
    assert "Progress could not be saved" in store.error and "kept for this session only" in store.error


def test_a_corrupt_file_is_reported_and_replaced_on_the_next_save(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{not json")
    store = ProgressStore(path)
    assert "could not be read" in store.error
    store.mark("gd", 1, "done")
    assert ProgressStore(path).state("gd", 1) == "done"
