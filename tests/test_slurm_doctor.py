"""``tui-lab doctor`` with ``launcher = "slurm"``: the srun arguments and the partition's state."""

from __future__ import annotations

import subprocess

from conftest import run_cli
from slurm_fixtures import need_slurm


def doctor(tmp_path, settings: str) -> dict[str, list[str]]:
    (tmp_path / "class.toml").write_text(settings, encoding="utf-8")
    done = run_cli("doctor", env={"TUI_LAB_CONFIG": str(tmp_path / "class.toml")})
    assert done.returncode == 0, done.stderr
    rows: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        key, _sep, value = line.partition("  ")
        rows.setdefault(key.strip(), []).append(value.strip())
    return rows


def test_doctor_shows_the_srun_arguments_and_the_partitions_nodes(tmp_path):
    need_slurm()
    rows = doctor(tmp_path, '[runs]\nlauncher = "slurm"\n[runs.slurm]\ngpus_per_run = 0\ntime_limit = "30"\n')
    (launcher,) = rows["launcher"]
    assert launcher.startswith("slurm: srun ") and "--time=30" in launcher and "--ntasks=1" in launcher
    name, cpus = subprocess.run(["sinfo", "-h", "-o", "%P %c"], capture_output=True, text=True,
                                timeout=10).stdout.split()[:2]
    (partition,) = rows["partition"]
    assert partition.startswith(name.rstrip("*")) and f"of {cpus}" in partition


def test_doctor_says_when_the_partition_does_not_exist(tmp_path):
    need_slurm()
    rows = doctor(tmp_path, '[runs]\nlauncher = "slurm"\n[runs.slurm]\npartition = "no-such-partition"\n')
    (partition,) = rows["partition"]
    assert "no partition no-such-partition" in partition


def test_doctor_says_in_one_sentence_when_slurm_is_not_installed(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "class.toml").write_text('[runs]\nlauncher = "slurm"\n', encoding="utf-8")
    done = run_cli("doctor", env={"TUI_LAB_CONFIG": str(tmp_path / "class.toml"), "PATH": str(tmp_path / "bin")})
    assert done.returncode == 0, done.stderr
    line = next(l for l in done.stdout.splitlines() if l.startswith("partition"))
    assert "srun" in line and "PATH" in line and line.count(". ") == 0
