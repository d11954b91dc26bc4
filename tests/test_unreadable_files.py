"""Files the lab cannot read: a damaged progress file is kept under a dated name and the lab
starts afresh, saying so in one sentence; a broken settings file is named with its line and
left exactly as it is (a teacher may share it with the whole class)."""

import errno
import io
import json
import os
import re
import stat

import pytest

from pilot import lab_ready, wait_until
from tui_lab import progress
from tui_lab.config import load_config
from tui_lab.progress import ProgressStore

DAMAGED = {
    "cut short": (b'{"lessons": {"gd": {"steps": {"2": {"state": "sol', "it is not valid JSON"),
    "not an object": (b"[1, 2, 3]", "it holds no progress"),
    "not text": (b'{"variant": \xff\xfe}', "it is not text"),
    "empty": (b"", "it is empty"),
}


def kept_files(folder):
    return sorted(path for path in folder.iterdir() if ".unreadable-" in path.name)


@pytest.mark.parametrize("content, why", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_progress_file_is_kept_under_a_dated_name_and_the_lab_starts_afresh(tmp_path, content, why):
    path = tmp_path / "progress.json"
    path.write_bytes(content)
    store = ProgressStore(path)
    [kept] = kept_files(tmp_path)
    assert re.fullmatch(r"progress\.json\.unreadable-\d{8}-\d{6}", kept.name)
    assert kept.read_bytes() == content  # the student's file, byte for byte
    assert store.notice == (f"Your progress file could not be read ({why}), so it is kept as {kept} "
                            "and the lab starts afresh.")
    assert store.error is None
    store.mark("gd", 1, "solved")
    again = ProgressStore(path)  # the next start
    assert again.state("gd", 1) == "solved" and again.notice is None
    assert kept_files(tmp_path) == [kept]  # nothing moved a second time


def test_a_taken_dated_name_gets_a_number(tmp_path, monkeypatch):
    monkeypatch.setattr(progress.time, "strftime", lambda fmt, *when: "20250102-030405")
    path = tmp_path / "progress.json"
    (tmp_path / "progress.json.unreadable-20250102-030405").write_text("older")
    (tmp_path / "progress.json.unreadable-20250102-030405-2").write_text("old")
    path.write_text("{")
    store = ProgressStore(path)
    assert str(tmp_path / "progress.json.unreadable-20250102-030405-3") in store.notice
    assert (tmp_path / "progress.json.unreadable-20250102-030405-3").read_text() == "{"
    assert (tmp_path / "progress.json.unreadable-20250102-030405").read_text() == "older"


def test_a_file_damaged_while_the_lab_runs_is_kept_and_the_progress_in_memory_is_saved(tmp_path):
    path = tmp_path / "progress.json"
    store = ProgressStore(path)
    store.mark("gd", 1, "solved")
    path.write_text('{"half a cop')  # e.g. a sync tool copying an old file over it
    store.mark("gd", 2, "solved")
    [kept] = kept_files(tmp_path)
    assert kept.read_text() == '{"half a cop' and str(kept) in store.notice
    again = ProgressStore(path)
    assert again.state("gd", 1) == "solved" and again.state("gd", 2) == "solved"


def test_a_damaged_file_that_cannot_be_moved_is_left_alone_and_progress_kept_in_memory(tmp_path, monkeypatch):
    def refuse(*args):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(progress.os, "rename", refuse)
    path = tmp_path / "progress.json"
    path.write_text("{not json")
    store = ProgressStore(path)
    assert store.notice == store.error == (
        f"Your progress file {path} could not be read (it is not valid JSON) nor moved aside "
        "(read-only file system); it is left as it is and progress is kept for this session only.")
    store.mark("gd", 1, "solved")
    store.set_step_params("gd", 1, {"lr": 0.1})
    assert store.state("gd", 1) == "solved" and store.step_params("gd", 1) == {"lr": 0.1}
    assert path.read_text() == "{not json" and kept_files(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may rename in a read-only folder")
def test_in_a_read_only_folder_the_damaged_file_is_untouched_and_that_is_said(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "progress.json").write_text("{not json")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        store = ProgressStore(folder / "progress.json")
        store.mark("gd", 1, "solved")
        assert "nor moved aside (permission denied)" in store.notice and store.error == store.notice
        assert store.state("gd", 1) == "solved"
        assert [p.name for p in folder.iterdir()] == ["progress.json"]
        assert (folder / "progress.json").read_text() == "{not json"
    finally:
        folder.chmod(stat.S_IRWXU)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_lab_started_on_a_damaged_progress_file_says_so_in_problems_and_a_notification(
        make_lab, tmp_path, size):
    home = tmp_path / "home"
    home.mkdir()
    (home / "progress.json").write_text('{"lessons": {"gradient-desc')
    app = make_lab(start="selftest:1")
    told: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kwargs: (told.append(message), notify(message, **kwargs))
    async with app.run_test(size=size) as pilot:
        await lab_ready(pilot)
        table = app.panel.problems
        await wait_until(pilot, lambda: table.row_count > 0, what="the start-up problems")
        [kept] = kept_files(home)
        said = [str(table.get_row_at(row)[1]) for row in range(table.row_count)]
        assert [s for s in said if str(kept) in s] == [app.progress.notice]
        assert app.progress.notice in told
        assert "PROBLEMS 1" in str(app.panel.tabs.get_tab("problems").label)


@pytest.mark.parametrize("text, line, what", [
    ('variant = 3\nhide_solutions = yes please\n', 2, "invalid value"),
    ('share_dir = "/srv/class\nvariant = 1\n', 1, "illegal character"),
    ('[class\n', 1, "expected ']' at the end of a table declaration"),
])
def test_a_broken_settings_file_is_named_with_its_line_and_left_as_it_is(tmp_path, monkeypatch, text, line, what):
    (tmp_path / "class").mkdir()
    path = tmp_path / "class" / "class.toml"
    path.write_text(text)
    monkeypatch.setenv("TUI_LAB_CONFIG", str(path))
    config = load_config()
    [problem] = config.problems
    assert problem.startswith(f"The settings file {path} was ignored because of line {line}: {what}")
    assert problem.endswith(".") and problem.count(". ") == 0
    assert config.variant == 0 and config.share_dir is None  # TUI_LAB_VARIANT still counts
    assert path.read_text() == text and [p.name for p in path.parent.iterdir()] == ["class.toml"]


def test_a_settings_file_that_is_not_text_names_the_line(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_bytes(b"variant = 3\n\n# caf\xe9 = the teacher's note\n")
    monkeypatch.setenv("TUI_LAB_CONFIG", str(path))
    assert load_config().problems == (f"The settings file {path} was ignored because line 3 is not UTF-8 text.",)


def test_the_progress_command_says_what_it_did_with_a_damaged_file(tmp_path, capsys):
    from lessons import load_catalog
    from tui_lab.progress_cli import cmd_progress

    home = tmp_path / "home"
    home.mkdir()
    (home / "progress.json").write_text("{")
    out = io.StringIO()
    cmd_progress(load_catalog(), "json", None, None, None, out)
    [kept] = kept_files(home)
    assert f"so it is kept as {kept}" in capsys.readouterr().err
    assert json.loads(out.getvalue())["format"] == "tui-lab progress"
