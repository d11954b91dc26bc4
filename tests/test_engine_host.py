"""The engine host with real child processes: events, crashes, kills and stops."""

import subprocess
import sys
import threading

import pytest

from engines.core.events import Failed, Finished, ProgressBatch, Started
from tui_lab.engine_host import EngineHost, WorkerReady

from conftest import ROOT


class Watched(EngineHost):
    """An engine host whose relay thread wakes the test when something arrives."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        super().__init__(device="cpu", warm_torch=False, on_wake=self.arrived.set)

    def wait_for(self, predicate, timeout: float = 30.0) -> list:
        items: list = []
        while not predicate(items):
            assert self.arrived.wait(timeout), f"nothing arrived; got {items[-5:]}"
            self.arrived.clear()
            items += self.drain()
        return items


def collect(host: Watched) -> list:
    """Everything of the current run up to its terminal event."""
    return host.wait_for(lambda items: any(isinstance(i, (Finished, Failed)) for i in items))


def final_event(host: Watched) -> Finished | Failed:
    """The run's terminal event (the engine's stderr lines may still arrive after it)."""
    return next(i for i in reversed(collect(host)) if isinstance(i, (Finished, Failed)))


def first_progress(host: Watched) -> list:
    return host.wait_for(lambda items: any(isinstance(i, ProgressBatch) for i in items))


@pytest.fixture
def host():
    h = Watched()
    yield h
    h.close()


def test_a_run_streams_started_progress_and_finished(host):
    host.start("gd.iterate", {"lr": 0.1, "steps": 4})
    items = collect(host)
    ready = [i for i in items if isinstance(i, WorkerReady)]
    assert ready and ready[0].device.label.startswith("cpu · ")
    events = [i for i in items if not isinstance(i, (WorkerReady, str))]
    assert isinstance(events[0], Started)
    batches = [e for e in events if isinstance(e, ProgressBatch)]
    assert [step for batch in batches for step in batch.step] == [0, 1, 2, 3, 4]
    assert batches[0].values["theta"][:2] == [0.0, 2.8000000000000003]
    assert events[-1].reason == "completed" and events[-1].summary["steps"] == 4


def test_an_exception_in_the_engine_arrives_as_failed(host):
    host.start("selftest", {"mode": "crash", "fail_at": 2})
    final = final_event(host)
    assert isinstance(final, Failed) and "selftest crash requested" in final.message


def test_a_killed_engine_process_is_reported_with_its_signal(host):
    host.start("selftest", {"mode": "exit", "fail_at": 2})
    final = final_event(host)
    assert isinstance(final, Failed)
    assert "killed by SIGKILL" in final.message
    assert not host.running


def test_stop_ends_a_cooperative_run(host):
    host.start("selftest", {"steps": 1_000_000, "step_seconds": 0.01})
    first_progress(host)
    host.stop()
    final = final_event(host)
    assert final.reason == "stopped"
    assert "terminated" not in final.summary.get("message", "")


def test_stop_terminates_an_engine_that_ignores_it(host):
    host.start("selftest", {"mode": "stubborn", "steps": 1_000_000, "step_seconds": 0.01})
    first_progress(host)
    host.stop()
    final = final_event(host)
    assert isinstance(final, Finished) and final.reason == "stopped"
    assert "terminated" in final.summary["message"]


def test_a_prewarmed_worker_takes_the_next_job_and_a_new_one_follows(host):
    host.prewarm()
    warmed = host.wait_for(lambda items: any(isinstance(i, WorkerReady) for i in items))
    spare = next(i for i in warmed if isinstance(i, WorkerReady))
    host.start("gd.iterate", {"steps": 1})
    first = collect(host)
    assert isinstance(first[-1], Finished) and not any(isinstance(i, WorkerReady) for i in first)  # the spare ran it
    host.start("gd.iterate", {"steps": 1})  # no spare now: a fresh worker is started
    second = collect(host)
    fresh = [i for i in second if isinstance(i, WorkerReady)]
    assert len(fresh) == 1 and fresh[0].pid != spare.pid
    assert isinstance(second[-1], Finished)


def test_an_unknown_engine_name_is_a_sentence(host):
    host.start("no-such-engine", {})
    final = final_event(host)
    assert isinstance(final, Failed) and "No engine named 'no-such-engine'" in final.message


def test_worker_stops_its_run_when_the_ui_goes_away():
    """End of stdin (the UI died or the SSH link dropped) stops the run cleanly."""
    process = subprocess.Popen(
        [sys.executable, "-m", "engines.core.worker", "--device", "cpu"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    process.stdin.write('{"engine": "selftest", "params": {"steps": 1000000, "step_seconds": 0.01}}\n')
    process.stdin.flush()
    assert '"ready"' in process.stdout.readline()
    assert '"started"' in process.stdout.readline()
    process.stdin.close()
    remaining = process.stdout.read().splitlines()
    assert process.wait(timeout=10) == 0
    assert '"reason":"stopped"' in remaining[-1]
