"""Recordings: the file format, reading it back, replay timing, and the CLI around them."""

import json
import math
import resource
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from engines.core import registry
from engines.core.events import Failed, Finished, Progress, ProgressBatch, Started
from engines.core.recording import (Player, Recorder, RecordingError, parse_speed, read_recording, replay_events,
                               shipped_recordings)
from engines.core.runtime import run_engine

TIMING_FIELDS = {"seconds", "steps_per_s", "samples_per_s"}


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def record_gd(path: Path, **params) -> list:
    spec = registry.engine("gd.iterate")
    events = []
    with Recorder(path, engine="gd.iterate", params=spec.config(params), device="cpu",
                  lesson="gradient-descent", step=5, lab_version="test") as recorder:
        for event in run_engine(spec, params):
            recorder.write(event)
            events.append(event)
    return events


def write_lines(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


def header_line(**changes) -> str:
    header = {"format": "tui-lab recording", "version": 1, "lesson": "gradient-descent", "step": 5,
              "engine": "gd.iterate", "params": {}, "device": "cpu", "recorded_at": "2025-01-01T00:00:00+00:00",
              "lab_version": "0.1.0", **changes}
    return json.dumps({k: v for k, v in header.items() if v is not ...})


STARTED = '{"t":0,"type":"started","device":"cpu","config":{},"total_steps":2,"seed":null}'
FINISHED = '{"t":0.3,"type":"finished","reason":"completed","summary":{}}'


# --- the format -------------------------------------------------------------------------

def test_a_recorded_run_reads_back_as_the_same_events_in_order(tmp_path):
    path = tmp_path / "gd.jsonl"
    events = record_gd(path, lr=0.1, steps=6)
    header, timed = read_recording(path)
    assert [event for _, event in timed] == events
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    times = [t for t, _ in timed]
    assert times == sorted(times) and times[0] >= 0
    assert header["format"] == "tui-lab recording" and header["version"] == 1
    assert (header["lesson"], header["step"], header["engine"]) == ("gradient-descent", 5, "gd.iterate")
    assert header["params"] == {"lr": 0.1, "theta0": 0.0, "steps": 6, "variant": 0}
    assert datetime.fromisoformat(header["recorded_at"]).tzinfo is not None


def test_each_line_is_the_events_flat_json_plus_its_time(tmp_path):
    ticks = iter([10.0, 10.5, 12.25])
    path = tmp_path / "r.jsonl"
    with Recorder(path, engine="e", params={}, device="cpu", clock=lambda: next(ticks)) as recorder:
        recorder.write(Progress(step=1, loss=0.5, values={"theta": 2.0}))
        recorder.write(ProgressBatch.of([Progress(step=2, loss=0.25), Progress(step=3, loss=0.125)]))
    lines = path.read_text().splitlines()
    assert json.loads(lines[1]) == {"t": 0.5, "type": "progress", "step": 1, "loss": 0.5, "epoch": 0, "lr": None,
                                    "samples_per_s": None, "theta": 2.0}
    # a worker's batch is written as the progress events it carries, not as a batch
    assert [(json.loads(l)["t"], json.loads(l)["type"], json.loads(l)["step"]) for l in lines[2:]] == [
        (2.25, "progress", 2), (2.25, "progress", 3)]


def test_non_finite_values_survive_the_round_trip(tmp_path):
    path = tmp_path / "r.jsonl"
    with Recorder(path, engine="e", params={}, device="cpu") as recorder:
        recorder.write(Progress(step=1, loss=float("inf"), values={"theta": float("nan")}))
    (_, event), = read_recording(path).events
    assert event.loss == math.inf and math.isnan(event.values["theta"])


def test_a_value_named_t_is_refused_because_recordings_reserve_it(tmp_path):
    with Recorder(tmp_path / "r.jsonl", engine="e", params={}, device="cpu") as recorder:
        with pytest.raises(ValueError, match="reserve"):
            recorder.write(Progress(step=1, loss=1.0, values={"t": 3.0}))


def test_a_recording_that_cannot_be_created_is_one_sentence(tmp_path):
    with pytest.raises(RecordingError) as error:
        Recorder(tmp_path / "no" / "such" / "dir.jsonl", engine="e", params={}, device="cpu")
    assert str(error.value) == f"Cannot write the recording {tmp_path}/no/such/dir.jsonl: No such file or directory."


def test_a_last_line_cut_off_mid_write_is_skipped_with_a_note(tmp_path):
    path = tmp_path / "gd.jsonl"
    events = record_gd(path, steps=3)
    whole = path.read_bytes()
    last_start = whole.rstrip(b"\n").rfind(b"\n") + 1
    last_number = whole.count(b"\n")
    for cut in range(last_start + 1, len(whole) - 1):  # every way the last line can be cut
        path.write_bytes(whole[:cut])
        recording = read_recording(path)
        assert [e for _, e in recording.events] == events[:-1]
        assert recording.note == f"{path}: the last line (line {last_number}) was cut off mid-write and is skipped."
        assert recording.final is None  # the run's ending is what was lost
    path.write_bytes(whole[:last_start] + b'{"t":1,"type":"artifact","kind":"note","payload":"\xc3')
    assert read_recording(path).note is not None  # cut inside a UTF-8 character


@pytest.mark.parametrize("lines, end, number, message", [
    (["not json"], "\n", 1, "not a TUI Lab recording; its first line must be the header."),
    (['{"format": "something else"}'], "\n", 1, "not a TUI Lab recording; its first line must be the header."),
    ([header_line()[:30]], "", 1, "not a TUI Lab recording (it was cut off before the header was complete); "
                                  "its first line must be the header."),
    ([header_line(version=2)], "\n", 1, "this recording has format version 2, newer than this TUI Lab reads (1); "
                                        "update TUI Lab to replay it."),
    ([header_line(engine=..., device=...)], "\n", 1, "the header lacks 'engine', 'device'."),
    ([header_line(), STARTED, '{"t":0.1,"type":"progress",', FINISHED], "\n", 3,
     "not valid JSON (Expecting property name enclosed in double quotes at column 28)."),
    ([header_line(), STARTED, "{oops}"], "\n", 3,  # a complete last line: corrupt, not cut off
     "not valid JSON (Expecting property name enclosed in double quotes at column 2)."),
    ([header_line(), "[1, 2]"], "\n", 2, "an event must be a JSON object, not list."),
    ([header_line(), STARTED.replace('"t":0', '"t":-1')], "\n", 2,
     "'t' (seconds since the start) must be a number of at least 0, not -1."),
    ([header_line(), '{"type":"progress","step":1,"loss":1}'], "\n", 2,
     "'t' (seconds since the start) must be a number of at least 0, not None."),
    ([header_line(), STARTED, '{"t":1,"type":"party"}'], "\n", 3, "unknown event type 'party'."),
    ([header_line(), '{"t":1,"type":"progress"}'], "\n", 2,
     "not a valid progress event (Progress.__init__() missing 2 required positional arguments: 'step' and 'loss')."),
    ([header_line(), '{"t":1,"type":"progress","step":1,"loss":"low"}'], "\n", 2,
     "not a valid progress event (could not convert string to float: 'low')."),
    ([header_line(), '{"t":1,"type":"progress","step":"one","loss":1}'], "\n", 2,
     "a progress event needs a whole-number step and a numeric loss, not 'one' and 1."),
    ([header_line(), '{"t":1,"type":"finished","reason":"bored","summary":{}}'], "\n", 2,
     "a finished event's reason must be one of completed, stopped, diverged, not 'bored'."),
    ([header_line(), STARTED.replace('"t":0', '"t":2'), FINISHED], "\n", 3, "time goes backwards (t=0.3 after t=2)."),
    ([header_line(), '{"t":1,"type":"progress_batch","step":[1],"loss":[1]}'], "\n", 2,
     "progress_batch lines are the worker's transport, not recording events."),
])
def test_a_malformed_recording_is_one_sentence_naming_file_and_line(tmp_path, lines, end, number, message):
    path = write_lines(tmp_path / "bad.jsonl", lines, end)
    with pytest.raises(RecordingError) as error:
        read_recording(path)
    assert str(error.value) == f"{path}, line {number}: {message}"


def test_missing_empty_and_folder_recordings_are_one_sentence(tmp_path):
    cases = {tmp_path / "absent.jsonl": "No recording at {}.", tmp_path: "{} is a folder, not a recording."}
    (tmp_path / "empty.jsonl").write_text("\n")
    cases[tmp_path / "empty.jsonl"] = "{} is empty; a recording starts with a header line."
    for path, message in cases.items():
        with pytest.raises(RecordingError) as error:
            read_recording(path)
        assert str(error.value) == message.format(path)


# --- replay timing ----------------------------------------------------------------------

TIMED = [(0.0, Started("cpu", {}, 4)), (0.0, Progress(1, 4.0)), (0.5, Progress(2, 3.0)), (0.5, Progress(3, 2.0)),
         (2.0, Progress(4, 1.0)), (2.25, Finished("completed", {}))]


def test_replay_waits_the_recorded_gaps_divided_by_the_speed():
    fake = FakeTime()
    replayed = list(replay_events(TIMED, speed=10, clock=fake.clock, sleep=fake.sleep))
    assert replayed == [event for _, event in TIMED]
    assert fake.sleeps == pytest.approx([0.05, 0.15, 0.025])


def test_replay_at_the_recorded_pace_waits_the_recorded_gaps(tmp_path):
    path = tmp_path / "gd.jsonl"
    record_gd(path, steps=3)
    recording = read_recording(path)
    fake = FakeTime()
    assert list(replay_events(recording, clock=fake.clock, sleep=fake.sleep)) == [e for _, e in recording.events]
    times = [0.0] + [t for t, _ in recording.events]
    gaps = [b - a for a, b in zip(times, times[1:]) if b - a > 1e-9]
    assert fake.sleeps == pytest.approx(gaps)


@pytest.mark.parametrize("speed", [0, "max", "0"])
def test_replay_at_max_speed_never_sleeps(speed):
    def no_sleep(seconds):
        raise AssertionError(f"slept {seconds}")

    assert list(replay_events(TIMED, speed=speed, sleep=no_sleep)) == [event for _, event in TIMED]


def test_a_sleep_that_returns_true_ends_the_replay():
    fake = FakeTime()
    stop_after_first_wait = lambda seconds: fake.sleep(seconds) or True  # noqa: E731
    replayed = list(replay_events(TIMED, speed=1, clock=fake.clock, sleep=stop_after_first_wait))
    assert replayed == [TIMED[0][1], TIMED[1][1]]


def test_the_player_pauses_resumes_and_changes_speed_from_where_it_is():
    fake = FakeTime(start=0.0)
    player = Player(TIMED, speed=1, clock=fake.clock)
    first = player.due()
    assert isinstance(first[0], Started) and [e.step for e in first[1:]] == [1]
    assert player.wait() == pytest.approx(0.5)
    fake.now = 1.0
    assert [e.step for e in player.due()] == [2, 3]
    player.pause()
    fake.now = 50.0
    assert player.due() == [] and player.wait() is None and player.position == pytest.approx(1.0)
    player.resume()
    fake.now = 51.0
    assert [e.step for e in player.due()] == [4]  # position 2.0: the pause did not count
    player.speed = 10
    assert player.wait() == pytest.approx(0.025)
    fake.now = 51.025
    assert isinstance(player.due()[0], Finished) and player.done and player.wait() is None


@pytest.mark.parametrize("text, speed", [("1", 1.0), ("10", 10.0), ("2.5x", 2.5), ("max", 0.0), ("0", 0.0)])
def test_speeds_are_parsed(text, speed):
    assert parse_speed(text) == speed


@pytest.mark.parametrize("text", ["-1", "fast", "nan", ""])
def test_bad_speeds_are_refused_with_a_sentence(text):
    with pytest.raises(ValueError, match="the speed must be a number of at least 0"):
        parse_speed(text)


# --- the command line -------------------------------------------------------------------

def without_timing(line: str) -> dict:
    event = json.loads(line)
    event.pop("samples_per_s", None)
    if event["type"] == "finished":
        event["summary"] = {k: v for k, v in event["summary"].items() if k not in TIMING_FIELDS}
    return event


def test_replay_json_prints_exactly_what_the_recorded_run_printed(tmp_path):
    path = tmp_path / "gd.jsonl"
    run = run_cli("run", "gradient-descent", "--param", "steps=5", "--json", "--record", str(path))
    assert run.returncode == 0, run.stderr
    replay = run_cli("replay", str(path), "--speed", "0", "--json")
    assert replay.returncode == 0 and replay.stderr == ""
    assert replay.stdout == run.stdout  # the same run: byte for byte, timings included


def test_a_recorded_runs_header_holds_the_configuration_the_engine_ran_with(tmp_path):
    path = tmp_path / "gd.jsonl"
    run = run_cli("run", "gradient-descent", "--param", "steps=4", "--param", "lr=0.05", "--json", "--record", str(path))
    assert run.returncode == 0, run.stderr
    started = json.loads(run.stdout.splitlines()[0])
    header, _ = read_recording(path)
    assert header["params"] == started["config"] == {"lr": 0.05, "theta0": 0.0, "steps": 4, "variant": 0}  # parsed, defaults filled


def test_a_run_recorded_without_json_replays_as_another_run_of_it_prints(tmp_path):
    path = tmp_path / "race.jsonl"
    recorded = run_cli("run", "optimizers", "--param", "steps=40", "--record", str(path))
    assert recorded.returncode == 0 and "Run completed: 40 steps" in recorded.stdout
    fresh = run_cli("run", "optimizers", "--param", "steps=40", "--json")
    replay = run_cli("replay", str(path), "--speed", "max", "--json")
    assert replay.returncode == 0
    # a second run of the same deterministic engine: equal but for how fast it went
    replayed, again = replay.stdout.splitlines(), fresh.stdout.splitlines()
    assert [without_timing(line) for line in replayed] == [without_timing(line) for line in again]


def test_replay_without_json_shows_the_run_view_and_says_it_is_a_replay(tmp_path):
    path = tmp_path / "gd.jsonl"
    assert run_cli("run", "gradient-descent", "--param", "steps=5", "--record", str(path)).returncode == 0
    replay = run_cli("replay", str(path), "--speed", "10")
    assert replay.returncode == 0
    lines = replay.stdout.splitlines()
    assert lines[0].startswith("Replay of gd.jsonl, recorded ") and lines[0].endswith(", at 10× speed.")
    assert "gradient-descent · step 5 (replay): lr=0.1 theta0=0 steps=5 variant=0 on cpu" in replay.stdout
    assert "Run completed: 5 steps in " in replay.stdout


def test_replay_exits_as_the_recorded_run_did(tmp_path):
    failed = tmp_path / "failed.jsonl"
    with Recorder(failed, engine="e", params={}, device="cpu") as recorder:
        recorder.write(Failed("The engine stopped with an error: boom", ""))
    cut = tmp_path / "cut.jsonl"
    write_lines(cut, [header_line(), STARTED])
    by_failed, by_cut = run_cli("replay", str(failed), "--speed", "0"), run_cli("replay", str(cut), "--speed", "0")
    diverged = run_cli("replay", "gradient-descent-diverging", "--speed", "0")
    assert by_failed.returncode == 1 and "Error: The engine stopped with an error: boom" in by_failed.stdout
    assert diverged.returncode == 3 and "pick α below 0.142857" in diverged.stdout
    assert by_cut.returncode == 130
    assert by_cut.stderr == f"tui-lab: note: {cut} ends before the run did (it was stopped or killed while recording).\n"


def test_replay_of_a_missing_or_malformed_file_is_one_sentence_and_exit_2(tmp_path):
    missing = run_cli("replay", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.startswith(f"tui-lab: No recording at {tmp_path}/nope.jsonl (shipped recordings: ")
    assert missing.stderr.count("\n") == 1 and "gradient-descent-lr0.1" in missing.stderr
    bad = run_cli("replay", str(write_lines(tmp_path / "bad.jsonl", [header_line(), "{oops}"])))
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == f"tui-lab: {tmp_path}/bad.jsonl, line 2: not valid JSON (Expecting property name enclosed " \
                         "in double quotes at column 2).\n"
    speed = run_cli("replay", str(tmp_path / "x.jsonl"), "--speed", "fast")
    assert speed.returncode == 2 and "the speed must be a number of at least 0" in speed.stderr


def test_run_refuses_a_recording_it_cannot_create_before_running(tmp_path):
    result = run_cli("run", "gradient-descent", "--json", "--record", str(tmp_path / "missing" / "r.jsonl"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"tui-lab: Cannot write the recording {tmp_path}/missing/r.jsonl: No such file or directory.\n"


def test_a_recording_cut_short_by_the_disk_loses_nothing_of_the_run(tmp_path):
    """A file-size limit stands in for a full disk: the run goes on, the file stays readable."""
    path = tmp_path / "race.jsonl"
    limit = 20_000

    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "tui_lab", "run", "optimizers", "--param", "steps=200", "--json", "--record", str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, preexec_fn=small_disk,
    )
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 203
    assert f"tui-lab: warning: The recording {path} stopped after " in result.stderr
    recording = read_recording(path)
    assert path.stat().st_size == limit and recording.note is not None  # its last line was cut at the limit
    assert 10 < len(recording.events) < 203 and recording.final is None
    kept = [json.loads(line) for line in result.stdout.splitlines()[:len(recording.events)]]
    assert [e.step for _, e in recording.events if isinstance(e, Progress)] == [
        e["step"] for e in kept if e["type"] == "progress"]


def test_ctrl_c_stops_a_replay_with_exit_130(tmp_path):
    path = write_lines(tmp_path / "slow.jsonl", [header_line(), STARTED, FINISHED.replace('"t":0.3', '"t":3600')])
    # As from a terminal: a test run started in the background (`pytest &`) passes SIGINT on as
    # ignored, and Python then installs no Ctrl+C handler at all.
    process = subprocess.Popen([sys.executable, "-m", "tui_lab", "replay", str(path), "--json"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert json.loads(process.stdout.readline())["type"] == "started"  # now waiting for the next event
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130 and out == "" and err.strip() == "Replay stopped."


# --- the shipped recordings -------------------------------------------------------------

SHIPPED = {p.stem: p for p in shipped_recordings()}
EXPECTED = {"gradient-descent-lr0.1": ("gd.iterate", 0), "gradient-descent-diverging": ("gd.iterate", 3),
            "optimizers-race": ("opt.race", 0), "mnist-fashion-mlp": ("mnist", 0)}


def test_the_shipped_recordings_are_there():
    assert set(EXPECTED) - {"mnist-fashion-mlp"} <= set(SHIPPED) <= set(EXPECTED)  # MNIST's needs its data
    assert all(path.stat().st_size < 1_000_000 for path in SHIPPED.values())


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_shipped_recording_loads_and_replays(name):
    recording = read_recording(SHIPPED[name])
    engine, status = EXPECTED[name]
    assert recording.header["engine"] == engine and recording.note is None and recording.final is not None
    replay = run_cli("replay", name, "--speed", "0", "--json")
    assert replay.returncode == status, replay.stderr
    assert [json.loads(line)["type"] for line in replay.stdout.splitlines()] == [e.type for _, e in recording.events]
    shown = run_cli("replay", name, "--speed", "0")
    assert shown.returncode == status and shown.stdout.startswith(f"Replay of {name}.jsonl, recorded ")


def test_a_signal_just_before_a_replay_wait_ends_the_wait():
    """time.sleep misses a signal that lands just before it starts; a replay's waits must not."""
    import threading

    from tui_lab.headless import signal_aware_sleep

    seen = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: seen.append(signum))
    try:
        with signal_aware_sleep() as sleep:
            signal.raise_signal(signal.SIGUSR1)  # handled now, before the wait begins
            waiter = threading.Thread(target=sleep, args=(3600,), daemon=True)
            waiter.start()
            waiter.join(timeout=60)  # a safety limit only: the wait must end because of the signal
            assert seen == [signal.SIGUSR1] and not waiter.is_alive()
    finally:
        signal.signal(signal.SIGUSR1, previous)
