"""Recording a run from the lab and replaying recordings into their steps."""

from engines.core.recording import locate, read_recording
from tui_lab.widgets.panel import BottomPanel, ProblemsTable

from conftest import wait_until
from pilot import lab_ready, widget_mounted


async def test_record_the_next_run_then_replay_it(make_lab, isolated_home):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await app.open_step("gradient-descent", 7)
        app.action_toggle_recording()
        app.step_view.focus_first()
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "completed" and app.runs.recorder is None,
                         what="the recorded run")
        files = list((isolated_home / "home" / "recordings").glob("gradient-descent-step7-*.jsonl"))
        assert len(files) == 1
        recording = read_recording(files[0])
        assert recording.header["engine"] == "gd.iterate" and recording.header["params"]["lr"] == 0.1
        progress = [e for _, e in recording.events if type(e).__name__ == "Progress"]
        assert [p.step for p in progress] == list(range(41))
        assert recording.final.reason == "completed"

        # replayed into the same step, the plot gets the same points
        def thetas() -> list[float]:
            plot = app.panel.plot_area.plot("theta")
            return list(plot.series["theta"].ys) if plot is not None and "theta" in plot.series else []

        live = thetas()
        assert len(live) == 41
        await app.replay(files[0], speed=0)
        await wait_until(pilot, lambda: app.session.replay and app.session.state == "completed", what="the replay")
        await wait_until(pilot, lambda: thetas() == live, what="the replayed points on the plot")


async def test_a_shipped_recording_replays_without_changing_progress(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.current is not None, what="first step")
        await widget_mounted(pilot, BottomPanel)  # a replay draws into the panel, mounted after the first paint
        path = locate("gradient-descent-diverging")
        await app.replay(path, speed=0)
        await wait_until(pilot, lambda: app.session and app.session.replay and not app.session.active,
                         what="the replay")
        assert app.session.state == "diverged" and app.current == ("gradient-descent", 5)
        assert app.progress.state("gradient-descent", 5) != "solved"  # watching is not doing
        assert "replay of" in app.status.device


async def test_a_damaged_recording_is_a_sentence(make_lab, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "something else"}\n')
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.current is not None, what="first step")
        await widget_mounted(pilot, ProblemsTable)  # mounted after the first paint
        await app.replay(bad)
        assert app.panel.problems.row_count == 1
        assert "bad.jsonl" in str(app.panel.problems.get_row_at(0)[1])
        assert app.session is None  # nothing plays
