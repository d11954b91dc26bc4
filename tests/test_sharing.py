"""A student's progress in the class's shared folder: written whole, never over someone else's."""

import json
import os
import stat

import pytest

from lessons import load_catalog
from tui_lab import sharing
from tui_lab.progress import ProgressStore
from tui_lab.sharing import ShareError, share_name, share_progress


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def store():
    store = ProgressStore()
    store.mark("gradient-descent", 2, "solved", answer="-28")
    return store


def test_sharing_writes_one_whole_readable_file_named_after_the_user(tmp_path, catalog, store, monkeypatch):
    monkeypatch.setattr(sharing, "export", lambda *args: {"user": "ann", "note": "x" * 100_000})
    folder = tmp_path / "class"
    folder.mkdir(mode=0o700)
    folder.chmod(0o1773)  # as a teacher sets it up: the whole class writes, only owners rename
    target = share_progress(catalog, store, folder, 12)
    assert target == folder / "ann.json" and json.loads(target.read_text())["note"] == "x" * 100_000
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # the teacher can read it
    share_progress(catalog, store, folder, 12)  # sharing again replaces the student's own file
    assert [path.name for path in folder.iterdir()] == ["ann.json"]  # no temp file left behind


def test_the_shared_file_is_the_export_with_the_variant(tmp_path, catalog, store):
    target = share_progress(catalog, store, tmp_path, 12)
    data = json.loads(target.read_text())
    assert data["variant"] == 12 and data["user"] in target.stem
    gd = next(lesson for lesson in data["lessons"] if lesson["id"] == "gradient-descent")
    assert gd["steps"][1]["answer"] == "-28"


def test_a_file_of_another_user_is_never_replaced(tmp_path, catalog, store, monkeypatch):
    monkeypatch.setattr(sharing, "export", lambda *args: {"user": "ann"})
    theirs = tmp_path / "ann.json"
    theirs.write_text("their progress")
    monkeypatch.setattr(sharing.os, "getuid", lambda: theirs.stat().st_uid + 1)  # we are someone else
    with pytest.raises(ShareError, match="ann.json belongs to another user"):
        share_progress(catalog, store, tmp_path, 1)
    assert theirs.read_text() == "their progress"


def test_a_folder_anyone_can_rename_in_is_refused_with_the_fix(tmp_path, catalog, store):
    folder = tmp_path / "class"
    folder.mkdir()
    folder.chmod(0o775)  # group-writable, no sticky bit
    with pytest.raises(ShareError) as refused:
        share_progress(catalog, store, folder, 1)
    assert f"chmod +t {folder}" in str(refused.value) and list(folder.iterdir()) == []


def test_a_missing_folder_or_a_file_in_its_place_is_a_sentence(tmp_path, catalog, store):
    with pytest.raises(ShareError, match="does not exist; ask your teacher"):
        share_progress(catalog, store, tmp_path / "nowhere", 1)
    (tmp_path / "file").write_text("")
    with pytest.raises(ShareError, match="is not a folder"):
        share_progress(catalog, store, tmp_path / "file", 1)


@pytest.mark.parametrize("user", ["../../etc/passwd", ".hidden", "ann smith", "名前", ""])
def test_a_user_name_becomes_a_plain_visible_file_name(user):
    name = share_name(user)
    assert name and os.sep not in name and not name.startswith(".") and name.isascii()
