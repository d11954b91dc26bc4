"""Admission on one server: with ``[runs] per_device = 1`` runs of separate labs (separate
processes, as separate students' labs are) take turns on a device, first come first served,
and a lab killed while it waits leaves no place behind.

The first run holds its place until the test lets it go (the self-test engine's ``wait_for``
file), so what is checked never depends on how fast anything runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import FIXTURE_LESSONS, ROOT

DEADLINE_S = 60


class Lab:
    """``tui-lab run selftest --json`` in its own process; its events as they arrive."""

    def __init__(self, config: Path, *params: str) -> None:
        args = [sys.executable, "-m", "tui_lab", "--lessons", str(FIXTURE_LESSONS), "run", "selftest", "--step", "2",
                "--json", "--param", "steps=3", "--param", "step_seconds=0"]
        for param in params:
            args += ["--param", param]
        env = {**os.environ, "TUI_LAB_CONFIG": str(config)}
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self.events: list[dict] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.events.append(json.loads(line))

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def positions(self) -> list[int]:
        return [e["position"] for e in self.events if e["type"] == "queued"]

    def wait_for(self, condition, what: str) -> None:
        end = time.monotonic() + DEADLINE_S
        while not condition(self):
            if time.monotonic() > end:
                pytest.fail(f"no {what} within {DEADLINE_S} s; events: {self.events}")
            if self.process.poll() is not None and not self.reader.is_alive() and not condition(self):
                pytest.fail(f"the lab ended before {what}: {self.process.stderr.read()} events: {self.events}")
            time.sleep(0.02)  # polls a condition with a deadline

    def finish(self) -> int:
        code = self.process.wait(timeout=DEADLINE_S)
        self.reader.join(timeout=DEADLINE_S)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=DEADLINE_S)


@pytest.fixture
def class_settings(tmp_path):
    """A class settings file with one run at a time per device, and the held run's release file."""
    config = tmp_path / "class.toml"
    config.write_text('[runs]\nper_device = 1\nqueue_dir = "queue"\n', encoding="utf-8")
    labs: list[Lab] = []

    def start(*params: str) -> Lab:
        labs.append(Lab(config, *params))
        return labs[-1]

    yield start, tmp_path / "go", tmp_path / "queue"
    for lab in labs:
        lab.kill()


def live_tickets(queue: Path) -> list[str]:
    return sorted(p.name for p in queue.iterdir() if ".ticket." in p.name and not p.name.startswith("."))


def test_the_second_run_waits_for_the_first_then_starts_by_itself(class_settings):
    start, go, queue = class_settings
    first = start(f"wait_for={go}")
    first.wait_for(lambda lab: "started" in lab.types(), "start of the first run")
    second = start()
    second.wait_for(lambda lab: lab.positions(), "place in line")
    assert second.positions() == [1] and "started" not in second.types()
    assert len(live_tickets(queue)) == 1  # the second run's ticket: it has not been admitted
    assert (queue.stat().st_mode & 0o7777) == 0o1777  # shared by every user, sticky like /tmp
    go.touch()
    assert first.finish() == 0 and second.finish() == 0
    assert first.types()[0] == "started" and first.types()[-1] == "finished"  # admitted at once: no wait
    assert second.types()[0] == "queued" and second.types()[1] == "started"
    assert second.events[-1] == {**second.events[-1], "type": "finished", "reason": "completed"}
    assert live_tickets(queue) == []


def test_a_lab_killed_while_waiting_frees_its_place(class_settings):
    start, go, queue = class_settings
    holder = start(f"wait_for={go}")
    holder.wait_for(lambda lab: "started" in lab.types(), "start of the holder")
    waiter_a = start()
    waiter_a.wait_for(lambda lab: lab.positions(), "A's place")
    waiter_b = start()
    waiter_b.wait_for(lambda lab: lab.positions(), "B's place")
    assert (waiter_a.positions(), waiter_b.positions()) == ([1], [2])
    waiter_a.process.send_signal(signal.SIGKILL)
    waiter_a.kill()
    waiter_b.wait_for(lambda lab: lab.positions()[-1:] == [1], "B's move to first in line")
    go.touch()
    assert holder.finish() == 0 and waiter_b.finish() == 0
    assert waiter_b.types()[-1] == "finished" and "started" in waiter_b.types()
    assert live_tickets(queue) == []  # A's dead ticket was cleared by the run behind it


def test_ctrl_c_while_waiting_ends_the_run_stopped_without_starting_it(class_settings):
    start, go, _queue = class_settings
    holder = start(f"wait_for={go}")
    holder.wait_for(lambda lab: "started" in lab.types(), "start of the holder")
    waiter = start()
    waiter.wait_for(lambda lab: lab.positions(), "place in line")
    waiter.process.send_signal(signal.SIGINT)
    waiter.finish()
    assert waiter.types() == ["queued", "finished"] and waiter.events[-1]["reason"] == "stopped"
    go.touch()
    assert holder.finish() == 0
