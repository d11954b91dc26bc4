"""The class settings (the ``[runs]`` table): what a teacher writes, and one sentence for
each mistake, the setting falling back to what it is without one."""

from pathlib import Path

import pytest

from engines.core.class_settings import DEFAULT_QUEUE_DIR, RunSettings, SlurmSettings, parse_run_settings
from tui_lab.config import ENV_PER_DEVICE, load_config

WHERE = "/srv/class/lab.toml"


def test_a_teachers_table_is_read_whole():
    runs = parse_run_settings({"launcher": "slurm", "per_device": 2, "memory_share": 0.45, "queue_dir": "queue",
                               "slurm": {"partition": "gpu", "gpus_per_run": 1, "time_limit": "00:30:00",
                                         "extra": ["--qos=class"]}}, WHERE, base=Path("/srv/class"))
    assert runs == RunSettings(launcher="slurm", per_device=2, memory_share=0.45, queue_dir=Path("/srv/class/queue"),
                               slurm=SlurmSettings("gpu", 1, "00:30:00", ("--qos=class",)))
    assert RunSettings.from_json(runs.to_json()) == RunSettings(per_device=2, memory_share=0.45,
                                                                queue_dir=Path("/srv/class/queue"))


def test_without_a_table_runs_are_local_and_unlimited():
    runs = parse_run_settings(None, WHERE)
    assert (runs.launcher, runs.per_device, runs.memory_share, runs.queue_dir, runs.problems) == \
        ("local", None, None, DEFAULT_QUEUE_DIR, ())


@pytest.mark.parametrize("table, key, default", [
    ({"launcher": "kubernetes"}, "launcher", "local"),
    ({"per_device": 0}, "per_device", None),
    ({"per_device": 1.5}, "per_device", None),
    ({"per_device": True}, "per_device", None),
    ({"memory_share": 1.2}, "memory_share", None),
    ({"memory_share": 0}, "memory_share", None),
    ({"memory_share": "half"}, "memory_share", None),
    ({"queue_dir": ""}, "queue_dir", DEFAULT_QUEUE_DIR),
    ({"queue_dir": 7}, "queue_dir", DEFAULT_QUEUE_DIR),
    ({"slurm": {"partition": "gpu; rm -rf"}}, "slurm.partition", None),
    ({"slurm": {"gpus_per_run": -1}}, "slurm.gpus_per_run", 1),
    ({"slurm": {"time_limit": "half an hour"}}, "slurm.time_limit", None),
    ({"slurm": {"extra": "--qos=class"}}, "slurm.extra", ()),
    ({"slurm": {"extra": ["qos=class"]}}, "slurm.extra", ()),
    ({"slurm": "gpu"}, "slurm", SlurmSettings()),
])
def test_each_mistake_is_one_sentence_and_the_default_stands(table, key, default):
    runs = parse_run_settings(table, WHERE, base=Path("/srv/class"))
    (problem,) = runs.problems
    assert f"runs.{key} in {WHERE}" in problem and problem.endswith(".") and problem.count(". ") == 0
    value = runs
    for part in key.split("."):
        value = getattr(value, part)
    assert value == default


def test_an_unknown_key_is_named_with_the_known_ones():
    runs = parse_run_settings({"per_devices": 2, "slurm": {"gpus": 2}}, WHERE)
    assert len(runs.problems) == 2
    assert "runs.per_devices" in runs.problems[0] and "per_device" in runs.problems[0]
    assert "runs.slurm.gpus" in runs.problems[1] and "gpus_per_run" in runs.problems[1]


def test_a_table_that_is_not_a_table_is_one_sentence():
    runs = parse_run_settings(3, WHERE)
    assert len(runs.problems) == 1 and runs.per_device is None


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_PER_DEVICE, raising=False)
    path = tmp_path / "class.toml"
    monkeypatch.setenv("TUI_LAB_CONFIG", str(path))
    return path


def test_the_lab_reads_runs_from_the_settings_file_with_the_other_problems(settings):
    settings.write_text('hide_solutions = "no"\n[runs]\nper_device = 2\nmemory_share = 2\nqueue_dir = "q"\n',
                        encoding="utf-8")
    config = load_config()
    assert config.runs.per_device == 2 and config.runs.memory_share is None
    assert config.runs.queue_dir == settings.parent / "q"  # beside the settings file
    assert len(config.problems) == 2
    assert any("hide_solutions" in p for p in config.problems)
    assert any("runs.memory_share" in p for p in config.problems)


def test_the_environment_sets_the_runs_at_once(settings, monkeypatch):
    settings.write_text("[runs]\nper_device = 2\n", encoding="utf-8")
    monkeypatch.setenv(ENV_PER_DEVICE, "1")
    assert load_config().runs.per_device == 1
    monkeypatch.setenv(ENV_PER_DEVICE, "many")
    config = load_config()
    assert config.runs.per_device == 2 and len(config.problems) == 1 and ENV_PER_DEVICE in config.problems[0]
