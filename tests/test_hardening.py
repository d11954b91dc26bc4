"""Bad situations a class meets, each with one clear sentence and nothing lost."""

import os
import signal

import pytest

from tui_lab.messages import RunRequested

from conftest import run_cli
from pilot import feedback_shows, lab_ready, wait_until
from test_loader import write_lesson


def visible(app, selector):
    widget = app.main.query_one(selector)
    return widget.display and widget.region.area > 0


async def test_a_60x20_terminal_is_usable_and_resizing_mid_run_loses_nothing(make_lab):
    app = make_lab()
    async with app.run_test(size=(60, 20)) as pilot:
        await lab_ready(pilot)
        await wait_until(pilot, lambda: visible(app, "#step-view"), what="the step laid out")
        assert not visible(app, "#too-small")
        assert not visible(app, "#explorer")  # narrow: the explorer waits behind Ctrl+B / F2
        await pilot.press("f2")
        await wait_until(pilot, lambda: visible(app, "#explorer"), what="the explorer shown")
        await app.open_step("selftest", 2)
        app.post_message(RunRequested("selftest", 2, {"mode": "ok", "steps": 60, "step_seconds": 0.02}))
        await wait_until(pilot, lambda: app.session and app.session.step > 5, what="a running run")
        for size in ((120, 40), (50, 15), (80, 24), (60, 20)):  # bigger, too small, back again
            await pilot.resize_terminal(*size)
            await pilot.pause()
        await wait_until(pilot, lambda: app.session.state == "completed", what="the end of the run")
        assert app.panel.plot_area.plot("loss").points == 60  # every step reached the plot
        await wait_until(pilot, lambda: visible(app, "#step-view"), what="the step laid out again")


async def test_no_color_is_honoured(make_lab, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_lab()
    async with app.run_test(size=(80, 24)) as pilot:
        await lab_ready(pilot)
        from textual.filter import Monochrome

        assert app.no_color and any(isinstance(f, Monochrome) for f in app.get_line_filters())
        assert app.current == ("gradient-descent", 1)  # and the lab works as ever


def test_dumb_terminal_gets_plain_text_from_the_command_line():
    result = run_cli("run", "gradient-descent", "--param", "steps=3", env={"TERM": "dumb"})
    assert result.returncode == 0 and "\x1b[" not in result.stdout


async def test_an_engine_killed_mid_run_is_reported_and_the_lab_goes_on(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await app.open_step("selftest", 2)
        app.post_message(RunRequested("selftest", 2, {"mode": "ok", "steps": 100000, "step_seconds": 0.01}))
        await wait_until(pilot, lambda: app.session and app.session.step > 3, what="a running run")
        os.kill(app.host.engine_pid, signal.SIGKILL)
        await wait_until(pilot, lambda: app.session.state == "failed", what="the report")
        assert "killed by SIGKILL" in app.session.message
        assert "killed by SIGKILL" in str(app.panel.problems.get_row_at(0)[1])
        await app.open_step("gradient-descent", 7)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session.state == "completed", what="the next run")


async def test_a_gpu_out_of_memory_suggests_a_smaller_batch(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await app.open_step("selftest", 2)
        app.post_message(RunRequested("selftest", 2, {"mode": "oom", "fail_at": 2}))
        await wait_until(pilot, lambda: app.session and app.session.state == "failed", what="the failure")
        assert app.session.message == "The GPU ran out of memory."
        assert "Lower batch_size" in app.session.hint
        await feedback_shows(pilot, "Lower batch_size")


def test_a_full_disk_is_named_not_thrown():
    from engines.core.runtime import explain_exception

    failed = explain_exception(OSError(28, "No space left on device", "/data/ckpt.pt"))
    assert failed.message == "The disk is full: /data/ckpt.pt could not be written."
    assert "Free some disk space" in failed.hint


async def test_a_malformed_lesson_folder_shows_in_problems_and_hides_nothing(make_lab, tmp_path):
    write_lesson(tmp_path, "broken", 'id = "broken"\ntitle = "t"\n[[steps]]\nkind = "quiz"\n')
    app = make_lab(lesson_dirs=[str(tmp_path)])
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        table = app.panel.problems  # filled once the panel is ready, with what went wrong before
        await wait_until(pilot, lambda: table.row_count > 0, what="the start-up problems")
        problems = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert any("broken/lesson.toml:4" in p for p in problems)
        assert "gradient-descent" in app.catalog.ids() and "broken" not in app.catalog.ids()


@pytest.mark.parametrize("param, sentence", [
    ("lr=1e9", "lr must be a number greater than 0 and at most 10, not 1e+09."),
    ("batch_size=0", "batch_size must be a whole number at least 1"),
    ("epochs=-1", "epochs must be a whole number at least 1"),
    ("epochs=many", "epochs must be a whole number at least 1 and at most 1000, not 'many'."),
])
def test_absurd_training_parameters_are_refused_before_anything_starts(param, sentence):
    result = run_cli("run", "mnist", "--param", param, "--param", "download=false")
    assert result.returncode == 2 and sentence in result.stderr and "Traceback" not in result.stderr


def test_a_data_root_that_cannot_exist_is_a_sentence(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_cli("run", "mnist", "--data-dir", str(blocker / "data"), "--param", "dataset=mnist", "--param",
                     "download=false", "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    import json

    final = json.loads(result.stdout.splitlines()[-1])
    assert final["type"] == "failed" and str(blocker / "data") in final["message"] + final["hint"]
