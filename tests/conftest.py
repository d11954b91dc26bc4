from __future__ import annotations

import os
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from pilot import lab_ready, wait_until  # noqa: F401 - wait_until: many tests import it from here

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_LESSONS = Path(__file__).parent / "fixtures" / "lessons"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Progress, data and config of each test live in its own temporary folder."""
    monkeypatch.setenv("TUI_LAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUI_LAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("TUI_LAB_VARIANT", "0")  # the articles' numbers, unless a test asks for others
    for name in ("SSH_CONNECTION", "SSH_TTY", "NO_COLOR", "TUI_LAB_LANG"):
        monkeypatch.delenv(name, raising=False)
    import lab_i18n

    lab_i18n.set_language("en")  # the interface language is process-wide: each test starts in English
    yield tmp_path
    lab_i18n.set_language("en")
    os.environ.pop("TUI_LAB_LANG", None)


@pytest.fixture
def make_lab():
    """Build the lab as the CLI does, on the CPU, with the test lessons added.

    ``start="LESSON:STEP"`` opens it there, as ``tui-lab --start-from LESSON:STEP`` does."""
    from tui_lab.app import make_app, parse_start

    apps = []

    def build(start: str | None = None, **kwargs):
        kwargs.setdefault("device", "cpu")
        kwargs.setdefault("warm_torch", False)
        kwargs.setdefault("lesson_dirs", [str(FIXTURE_LESSONS)])
        app = make_app(**kwargs)
        apps.append(app)
        if start:
            app.start_from = parse_start(app.catalog, start)
        return app

    yield build
    for app in apps:
        app.host.close()


@pytest.fixture
def open_lab(make_lab):
    """``async with open_lab("LESSON:STEP") as pilot``: the lab at that step, ready for keys."""

    @asynccontextmanager
    async def at(start: str, size: tuple[int, int] = (120, 40), **kwargs):
        app = make_lab(start=start, **kwargs)
        async with app.run_test(size=size) as pilot:
            await lab_ready(pilot)
            yield pilot

    return at


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real entry point, in a subprocess, as a maintainer's script would call it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tui_lab", *args],
        capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=timeout,
    )


# --- engine runs, shared by the MNIST and CIFAR-10 tests ---------------------------------


def cpu_control(data_dir: str):
    """A one-thread CPU control for an engine run in the test process."""
    from engines.core.device import cpu_device
    from engines.core.runtime import Control

    return Control(device=cpu_device(1), data_dir=data_dir)


def of(events: list, cls, kind: str | None = None) -> list:
    """The events of one class (and, for artifacts, one kind)."""
    return [e for e in events if isinstance(e, cls) and (kind is None or e.kind == kind)]


def losses(events: list) -> list[tuple[int, float]]:
    from engines.core.events import Progress

    return [(e.step, e.loss) for e in of(events, Progress)]


def drain(generator):
    """Run a ``fetch`` generator to its end: (progress reports, returned value)."""
    reports = []
    while True:
        try:
            reports.append(next(generator))
        except StopIteration as done:
            return reports, done.value
