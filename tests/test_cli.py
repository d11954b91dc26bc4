"""The headless command-line contract, through the real entry point."""

import json
import os
import xml.etree.ElementTree as ET

from conftest import FIXTURE_LESSONS, run_cli
from test_loader import GOOD, write_lesson


def test_list_prints_one_line_per_lesson_id_and_title():
    result = run_cli("list")
    assert result.returncode == 0
    lines = [l.split("\t") for l in result.stdout.splitlines()]
    assert ["gradient-descent", "Gradient descent by hand"] in lines
    assert all(len(l) == 2 for l in lines)


def test_run_json_emits_one_event_per_line_with_the_iterates():
    result = run_cli("run", "gradient-descent", "--param", "lr=0.05", "--param", "steps=3", "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["type"] for e in events] == ["started", "artifact"] + ["progress"] * 4 + ["finished"]
    assert events[1]["kind"] == "note" and "converges" in events[1]["payload"]
    assert events[0]["config"] == {"lr": 0.05, "theta0": 0.0, "steps": 3, "variant": 0}
    first, second = events[2], events[3]
    assert (first["theta"], first["loss"], first["grad"]) == (0.0, 28.0, -28.0)
    assert abs(second["theta"] - 1.4) < 1e-12  # 0 − 0.05·(−28)
    assert events[-1]["reason"] == "completed"


def test_run_refuses_bad_parameters_with_a_sentence_and_exit_status_2():
    result = run_cli("run", "gradient-descent", "--param", "lr=fast")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "tui-lab: lr must be a number greater than 0 and at most 10, not 'fast'. Valid parameters: lr, theta0, steps, variant."
    )
    unknown = run_cli("run", "gradient-descent", "--param", "momentum=0.9")
    assert unknown.returncode == 2
    assert "Unknown parameter 'momentum'" in unknown.stderr and "lr, theta0, steps, variant" in unknown.stderr


def test_run_refuses_unknown_lessons_steps_and_devices():
    assert "No lesson 'nope'" in run_cli("run", "nope").stderr
    wrong_step = run_cli("run", "gradient-descent", "--step", "2")
    assert wrong_step.returncode == 2 and "is a compute step; its run steps are: 5, 7, 10." in wrong_step.stderr
    device = run_cli("run", "gradient-descent", "--device", "quantum")
    assert device.returncode == 2 and "Unknown device 'quantum'" in device.stderr
    assert "Traceback" not in device.stderr + wrong_step.stderr


def test_a_diverging_run_exits_3_and_says_why():
    result = run_cli("run", "gradient-descent", "--param", "lr=0.5", "--param", "steps=100000", "--json")
    assert result.returncode == 3
    final = json.loads(result.stdout.splitlines()[-1])
    assert final["reason"] == "diverged" and "pick α below 0.142857" in final["summary"]["message"]


def test_run_without_json_prints_readable_lines():
    result = run_cli("run", "gradient-descent", "--param", "steps=5")
    assert result.returncode == 0
    assert "gradient-descent · step 5: lr=0.1 theta0=0 steps=5 variant=0 on cpu" in result.stdout
    assert "Run completed: 5 steps in " in result.stdout


def test_check_passes_the_builtin_lessons_and_writes_valid_junit(tmp_path):
    report = tmp_path / "out" / "check.xml"
    result = run_cli("check", "gradient-descent", "optimizers", "--junit", str(report))
    assert result.returncode == 0, result.stdout
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "0"
    assert [s.get("name") for s in root.findall("testsuite")] == ["gradient-descent", "optimizers"]
    optimizer_cases = [c.get("name") for c in root.findall("testsuite")[1].iter("testcase")]
    assert "cross-checks (opt.checks)" in optimizer_cases and "expect momentum_theta2" in optimizer_cases
    suite = root.find("testsuite")
    assert suite.get("name") == "gradient-descent"
    names = [case.get("name") for case in suite.iter("testcase")]
    assert "expect theta1" in names and "cross-checks (gd.checks)" in names
    assert any(name.startswith("step 5 smoke run") for name in names)
    assert int(suite.get("tests")) == len(names)


def test_check_variants_tells_one_line_per_lesson_and_names_the_variant_of_a_failure(tmp_path):
    counts = GOOD.format(id="counts").replace("gd.values", "mnist.values").replace("theta1", "image_pixels")
    write_lesson(tmp_path / "one", "counts", counts, {"a.md": "A digit has {{ image_side }}² pixels."})
    result = run_cli("check", "--variants", "3", "gradient-descent", "counts", "--lessons", str(tmp_path / "one"))
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].startswith("gradient-descent: 3 variants, ") and lines[0].endswith(" cases passed")
    assert lines[1].startswith("counts: one set of numbers, ")
    assert len(lines) == 3 and lines[2].endswith(" passed, 0 failed")
    write_lesson(tmp_path / "two", "varied", GOOD.format(id="varied"), {"a.md": "From {{ theta0:g }} to {{ nil }}."})
    result = run_cli("check", "--variants", "2", "varied", "--lessons", str(tmp_path / "two"))
    assert result.returncode == 1
    assert "FAIL varied: step 1 (read): Read — " in result.stdout
    assert "FAIL varied: variant 1: step 1 (read): Read — " in result.stdout
    assert "\nvaried: 2 variants, " in result.stdout and result.stdout.endswith(" failed\n")


def test_check_fails_on_a_wrong_expected_value(tmp_path):
    toml = GOOD.format(id="wrong-expect").replace('values = "gd.values"', 'values = "gd.values"\n[expect]\ntheta1 = 2.9\n')
    write_lesson(tmp_path, "wrong-expect", toml, {"a.md": "From θ₀ = {{ theta0:g }}, where does θ land?"})
    report = tmp_path / "check.xml"
    result = run_cli("check", "wrong-expect", "--lessons", str(tmp_path), "--junit", str(report))
    assert result.returncode == 1
    assert "FAIL wrong-expect: expect theta1 — engine gives theta1 = 2.8000000000000003, the lesson expects 2.9" in result.stdout
    failures = ET.parse(report).getroot().findall(".//failure")
    assert len(failures) == 1 and "expects 2.9" in failures[0].get("message")


def test_check_reports_a_broken_lesson_and_fails(tmp_path):
    write_lesson(tmp_path, "broken", 'id = "broken"\ntitle = "t"\n[[steps]]\nkind = "nope"\n')
    result = run_cli("check", "--lessons", str(tmp_path))
    assert result.returncode == 1
    assert "lesson.toml:4: step 1: kind must be one of" in result.stdout


def test_check_smoke_runs_the_fixture_lesson():
    result = run_cli("check", "selftest", "--lessons", str(FIXTURE_LESSONS))
    # step 3's engine crashes on purpose: the smoke run must catch it
    assert result.returncode == 1
    assert "FAIL selftest: step 3 smoke run (selftest) — failed: The engine stopped with an error" in result.stdout
    assert "ok   selftest: step 2 smoke run (selftest)" in result.stdout


def test_doctor_reports_versions_device_data_root_and_terminal(tmp_path):
    result = run_cli("doctor", "--data-dir", str(tmp_path))
    assert result.returncode == 0
    report = dict(line.split(None, 1) for line in result.stdout.splitlines() if line.strip())
    assert report["textual"].startswith("8.")
    assert report["device"].startswith(("cpu · ", "cuda:", "mps"))
    assert str(tmp_path) in report["data"] and "--data-dir" in report["data"]
    assert "TERM=" in report["terminal"]


def test_run_optimizers_takes_its_documented_parameters():
    result = run_cli("run", "optimizers", "--param", "optimizer=adam", "--param", "lr=0.001",
                     "--param", "beta1=0.8", "--param", "beta2=0.99", "--param", "momentum=0.5",
                     "--param", "steps=20", "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["config"]["optimizer"] == "adam" and events[0]["config"]["beta1"] == 0.8
    progress = [e for e in events if e["type"] == "progress"]
    assert len(progress) == 21 and {"adam_x", "adam_y", "adam_loss"} <= set(progress[-1])
    assert progress[-1]["adam_loss"] < progress[0]["adam_loss"]
    refused = run_cli("run", "optimizers", "--param", "beta1=1")
    assert refused.returncode == 2 and "beta1 must be a number at least 0 and less than 1, not 1" in refused.stderr


def test_common_options_work_before_and_after_the_command():
    before = run_cli("--device", "quantum", "list")
    after = run_cli("list", "--device", "quantum")
    assert before.returncode == after.returncode == 2
    assert "Unknown device 'quantum'" in before.stderr and "Unknown device 'quantum'" in after.stderr


def test_variant_is_taken_before_or_after_the_command_and_served_to_every_tab(monkeypatch):
    from tui_lab import cli
    from tui_lab.options import build_parser

    parse = build_parser().parse_args
    assert parse(["--variant", "3"]).variant == 3 and parse(["values", "mnist"]).variant is None
    assert parse(["--variant", "4", "values", "mnist"]).variant == 4
    assert parse(["answer", "x:1", "2", "--variant", "4"]).variant == 4
    monkeypatch.delenv("TUI_LAB_VARIANT")
    seen = []
    monkeypatch.setattr("tui_lab.serve.serve", lambda *args, **kwargs: seen.append(os.environ.get("TUI_LAB_VARIANT")))
    cli.main(["serve", "--variant", "0"])
    assert seen == ["0"]  # each tab's lab is started with the environment of `tui-lab serve`


def test_run_csv_holds_every_progress_row_with_the_engine_values(tmp_path):
    target = tmp_path / "run.csv"
    result = run_cli("run", "gradient-descent", "--param", "steps=4", "--param", "lr=0.05", "--csv", str(target))
    assert result.returncode == 0, result.stderr
    import csv

    rows = list(csv.DictReader(target.open()))
    assert [r["step"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert {"theta", "grad", "update", "loss"} <= set(rows[0])
    assert float(rows[1]["theta"]) == 0.05 * 28  # θ₁ = 0 − 0.05·(−28)
