"""What a student sees on a shared server: a run that waits for its turn says its place and
starts by itself (F6 cancels the wait), and a run that runs out of memory says so, names the
class settings and its last checkpoint, and the lab goes on."""

from __future__ import annotations

import pytest

from engines.core.admission import Turn
from engines.core.class_settings import RunSettings
from tui_lab.messages import RunRequested

from pilot import feedback_shows, lab_ready, wait_until


@pytest.fixture
def class_file(tmp_path, monkeypatch):
    """The class settings a teacher shares, pointed at by TUI_LAB_CONFIG."""
    monkeypatch.delenv("TUI_LAB_RUNS_PER_DEVICE", raising=False)

    def write(text: str):
        path = tmp_path / "class.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("TUI_LAB_CONFIG", str(path))
        return path

    return write


async def test_a_run_waits_for_its_turn_then_starts_by_itself_and_f6_cancels_a_wait(make_lab, class_file, tmp_path):
    class_file('[runs]\nper_device = 1\nqueue_dir = "queue"\n')
    other_lab = Turn(RunSettings(per_device=1, queue_dir=tmp_path / "queue"), "cpu")  # holds the CPU's one place
    assert list(other_lab.wait(lambda seconds: False)) == []
    app = make_lab()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await lab_ready(pilot)
            await app.open_step("selftest", 2)
            app.post_message(RunRequested("selftest", 2, {"mode": "ok", "steps": 5}))
            await feedback_shows(pilot, "Waiting for the CPU: 1st in line")
            assert "waiting for the CPU: 1st in line" in app.status.shown
            other_lab.release()  # the other lab's run ended
            await wait_until(pilot, lambda: app.session.state == "completed", what="the run after its wait")

            assert list(other_lab.wait(lambda seconds: False)) == []
            app.post_message(RunRequested("selftest", 2, {"mode": "ok", "steps": 5}))
            await wait_until(pilot, lambda: app.session.active and app.session.queued is not None, what="the wait")
            await pilot.press("f6")
            await wait_until(pilot, lambda: app.session.state == "stopped", what="the cancelled wait")
            assert app.session.step == 0 and "did not start" in app.session.message
    finally:
        other_lab.release()


async def test_out_of_memory_keeps_the_checkpoint_names_the_class_settings_and_the_lab_goes_on(
        make_lab, class_file, tmp_path):
    class_file('[runs]\nper_device = 2\nmemory_share = 0.5\nqueue_dir = "queue"\n')
    saved = tmp_path / "selftest.ckpt"
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await app.open_step("selftest", 2)
        app.post_message(RunRequested("selftest", 2, {"mode": "oom", "fail_at": 3, "checkpoint": str(saved)}))
        await wait_until(pilot, lambda: app.session and app.session.state == "failed", what="the failure")
        session = app.session
        assert session.message == "The GPU ran out of memory." and session.reason == "out_of_memory"
        assert "Lower batch_size" in session.hint and "runs.per_device" in session.hint \
            and "runs.memory_share" in session.hint
        assert f"Your last checkpoint is kept: {saved}." in session.hint and saved.exists()
        await feedback_shows(pilot, "Your last checkpoint is kept")
        table = app.panel.problems
        assert any("The GPU ran out of memory." in str(table.get_row_at(i)[1]) for i in range(table.row_count))
        app.post_message(RunRequested("selftest", 2, {"mode": "ok", "steps": 5}))
        await wait_until(pilot, lambda: app.session is not session and app.session.state == "completed",
                         what="the next run")
