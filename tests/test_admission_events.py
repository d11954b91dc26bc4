"""The events a class's shared machines add to the protocol: waiting in line, and why a run failed."""

import json

from engines.core.events import Failed, Queued, from_json, to_json


def test_queued_travels_as_flat_json_and_comes_back_equal():
    for event in (Queued(position=3, device="cuda:0"), Queued(position=None, device="slurm:lab", job_id="12",
                                                                  reason="Resources")):
        line = to_json(event)
        assert json.loads(line)["type"] == "queued"
        assert from_json(line) == event
    assert json.loads(to_json(Queued(2, "cpu"))) == {"type": "queued", "position": 2, "device": "cpu",
                                                      "job_id": None, "reason": None}


def test_failed_carries_a_reason_for_programs():
    event = Failed("The GPU ran out of memory.", "Lower batch_size.", reason="out_of_memory")
    assert json.loads(to_json(event))["reason"] == "out_of_memory"
    assert from_json(to_json(event)) == event
    assert from_json('{"type": "failed", "message": "It broke."}').reason == ""  # older writers


def test_a_place_in_line_reads_in_each_language():
    import lab_i18n
    from tui_lab.artifact_notes import waiting_text

    assert waiting_text(Queued(3, "cuda:0")) == "waiting for a GPU (cuda:0): 3rd in line"
    assert waiting_text(Queued(2, "cpu")) == "waiting for the CPU: 2nd in line"
    assert [waiting_text(Queued(n, "cpu")).rsplit(" ", 3)[1] for n in (1, 11, 12, 13, 21, 22, 23, 111)] == \
        ["1st", "11th", "12th", "13th", "21st", "22nd", "23rd", "111th"]
    assert waiting_text(Queued(None, "slurm:gpu", job_id="12", reason="Resources")) == \
        "queued in Slurm as job 12 (Resources)"
    lab_i18n.set_language("zh")
    assert "第 3 位" in waiting_text(Queued(3, "cuda:0")) and "cuda:0" in waiting_text(Queued(3, "cuda:0"))


def test_a_headless_run_says_each_new_place_in_line_on_its_own_line():
    import io

    from tui_lab.run_output import TerminalView

    out = io.StringIO()
    view = TerminalView(out, "selftest · step 2")
    for event in (Queued(2, "cpu"), Queued(1, "cpu")):
        view.show(event)
    assert out.getvalue().splitlines() == ["waiting for the CPU: 2nd in line", "waiting for the CPU: 1st in line"]


def test_a_session_shows_its_place_in_line_then_the_node_it_runs_on():
    from engines.core.events import Artifact, Started
    from tui_lab.run_session import RunSession

    session = RunSession("lesson", 2, "selftest", {})
    session.apply(Queued(None, "slurm:gpu", job_id="12", reason="Priority"))
    assert session.state_text() == "queued in Slurm as job 12 (Priority)"
    session.apply(Started("cuda:0", {}, 10))
    session.apply(Artifact("placement", {"job_id": "12", "node": "vm"}))
    assert session.waiting_text() == "" and session.state_text() == "running on node vm (job 12)"
    assert session.notes == ["Running on node vm (job 12)."]
