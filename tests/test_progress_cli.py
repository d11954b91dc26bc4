"""Progress to hand in, class summaries, and progress that survives a dropped connection."""

import csv
import io
import json

from textual.widgets import Input

from conftest import run_cli, wait_until
from lessons import load_catalog
from mnist_fixtures import write_root
from pilot import lab_ready
from tui_lab.progress import ProgressStore
from tui_lab.progress_cli import export


def some_progress():
    store = ProgressStore()
    store.mark("gradient-descent", 2, "solved", answer="-28")
    store.mark("gradient-descent", 3, "revealed")
    store.record_hints("gradient-descent", 4, 1)
    store.record_try("gradient-descent", 4, "sign")
    store.add_time("gradient-descent", 4, 61.6)
    store.mark("gradient-descent", 4, "solved", answer="1.68")
    store.set_last("gradient-descent", 5)
    store.record_run("mnist", 5, {"reason": "completed", "test_accuracy": 0.91})
    store.record_run("mnist", 5, {"reason": "completed", "test_accuracy": 0.95})


def test_export_json_and_csv_carry_every_step():
    some_progress()
    data = json.loads(run_cli("progress", "--export", "json").stdout)
    assert data["version"] == 3
    assert data["current"] == {"lesson": "gradient-descent", "step": 5}
    lessons = {l["id"]: l for l in data["lessons"]}
    gd = lessons["gradient-descent"]
    assert (gd["solved"], gd["solved_after_hints"], gd["revealed"], gd["total"]) == (2, 1, 1, 11)
    assert gd["steps"][1]["answer"] == "-28" and gd["steps"][2]["state"] == "revealed"
    assert gd["steps"][3]["last_slip_at"].startswith(gd["steps"][3]["at"][:10])  # an ISO time, like "at"
    assert gd["steps"][3] | {"at": None, "last_slip_at": None} == {
        "step": 4, "title": gd["steps"][3]["title"], "kind": "compute", "state": "solved", "answer": "1.68",
        "tries": 1, "slips": {"sign": 1}, "last_slip": "sign", "last_slip_at": None, "hints": 1, "hinted": True,
        "seconds": 62, "runs": 0, "best_test_accuracy": None, "at": None}
    assert gd["steps"][1]["last_slip"] is None and gd["steps"][1]["seconds"] == 0
    assert lessons["mnist"]["steps"][4]["best_test_accuracy"] == 0.95 and lessons["mnist"]["steps"][4]["runs"] == 2
    rows = list(csv.DictReader(io.StringIO(run_cli("progress", "--export", "csv").stdout)))
    assert len(rows) == sum(l["total"] for l in data["lessons"])
    states = {r["step"]: (r["state"], r["hinted"], r["slips"], r["last_slip"], r["seconds"])
              for r in rows if r["lesson"] == "gradient-descent"}
    assert [states[n] for n in "234"] == [("solved", "False", "", "", "0"), ("revealed", "False", "", "", "0"),
                                          ("solved", "True", "sign:1", "sign", "62")]
    assert {r["variant"] for r in rows} == {str(data["variant"])}
    text = run_cli("progress").stdout
    assert any(line.startswith("gradient-descent") and "2/11" in line and "1 after hints, 1 revealed" in line
               for line in text.splitlines())


def test_students_share_and_a_teacher_reads_the_class(tmp_path):
    shared = tmp_path / "class"
    shared.mkdir()
    some_progress()
    shared_run = run_cli("progress", "--share", str(shared))
    assert shared_run.returncode == 0 and "Your progress is in" in shared_run.stdout
    (shared / "zoe.json").write_text(json.dumps({**json.loads((next(shared.glob("*.json"))).read_text()),
                                                "user": "zoe"}))
    (shared / "junk.json").write_text("{ not json")
    summary = run_cli("progress", "--dir", str(shared))
    lines = summary.stdout.splitlines()
    assert lines[0].startswith("student") and "gradient-descent" in lines[0]
    assert any(line.startswith("zoe") and "2/11 1h 1r" in line for line in lines)
    assert summary.returncode == 1 and "junk.json was skipped" in summary.stderr  # named, not fatal
    missing = run_cli("progress", "--share", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    shared.chmod(0o777)  # anyone could rename over anyone's file
    unsafe = run_cli("progress", "--share", str(shared))
    assert unsafe.returncode == 2 and f"chmod +t {shared}" in unsafe.stderr


def test_the_export_names_the_variant_the_learner_works_with(tmp_path, monkeypatch):
    monkeypatch.delenv("TUI_LAB_VARIANT", raising=False)  # nothing fixes the variant but what each run says
    own = ProgressStore().variant()
    assert json.loads(run_cli("--variant", "5", "progress", "--export", "json").stdout)["variant"] == 5
    settings = tmp_path / "class.toml"
    settings.write_text("variant = 0\n")  # a lecture: everyone on the articles' numbers
    lecture = run_cli("progress", "--export", "json", env={"TUI_LAB_CONFIG": str(settings)})
    assert json.loads(lecture.stdout)["variant"] == 0
    assert json.loads(run_cli("progress", "--export", "json").stdout)["variant"] == own


def test_an_export_holds_no_path_and_nothing_of_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_LAB_SECRET_SETTING", "do-not-share")
    store = ProgressStore()
    data_dir, checkpoint = str(tmp_path / "datasets" / "mnist"), str(tmp_path / "home" / "checkpoints" / "m.pt")
    store.record_run("mnist", 5, {"reason": "completed", "test_accuracy": 0.9, "checkpoint": checkpoint,
                                  "data_dir": data_dir})
    store.mark("gradient-descent", 2, "solved", answer="-28")
    text = json.dumps(export(load_catalog(), store, 7))
    mnist = next(lesson for lesson in json.loads(text)["lessons"] if lesson["id"] == "mnist")
    assert mnist["steps"][4]["best_test_accuracy"] == 0.9  # the run is there …
    for secret in (data_dir, checkpoint, str(store.path), str(tmp_path), "do-not-share"):
        assert secret not in text  # … but none of its paths, the store's, or the environment


async def test_a_dropped_connection_mid_run_keeps_partial_results_and_checkpoint(make_lab, tmp_path, isolated_home):
    root = tmp_path / "mnist-data"
    write_root(root, "mnist", train=200, test=100)
    app = make_lab(data_dir=str(root))
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)  # a run draws into the bottom panel, mounted after the first paint
        await app.open_step("mnist", 5)
        await pilot.pause()
        app.screen.query_one("#param-epochs", Input).value = "1000"
        app.step_view.focus_first()
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and len(app.session.evaluations) >= 2, timeout=90,
                         what="two epochs")
        worker = app.host._active.process
    # The lab is gone (as when an SSH link drops): the engine sees its input end and stops.
    assert worker.wait(timeout=30) == 0
    entry = ProgressStore().step("mnist", 5)
    assert entry["last_run"]["reason"] == "interrupted" and 0 <= entry["last_run"]["test_accuracy"] <= 1
    checkpoint = isolated_home / "home" / "checkpoints" / "mnist-mnist-mlp-128.pt"
    assert checkpoint.is_file()
    import torch

    saved = torch.load(checkpoint, weights_only=True)
    assert saved["epoch"] >= 2  # at least the epochs the lab saw


def test_the_class_summary_reads_exports_from_before_solved_and_revealed(tmp_path):
    shared = tmp_path / "class"
    shared.mkdir()
    steps = [{"step": 1, "state": "done", "revealed": False}, {"step": 2, "state": "done", "revealed": True},
             {"step": 3, "state": "seen", "revealed": False}]
    old = {"format": "tui-lab progress", "version": 1, "user": "ada", "exported_at": "2026-01-01T10:00:00",
           "lessons": [{"id": "gradient-descent", "title": "GD", "total": 3, "done": 2, "steps": steps}]}
    (shared / "ada.json").write_text(json.dumps(old))
    summary = run_cli("progress", "--dir", str(shared))
    assert summary.returncode == 0
    assert any(line.startswith("ada") and "1/3 1r" in line for line in summary.stdout.splitlines())
