"""An engine's sentences come in the lab's language, even from a worker started before the
learner switched languages."""

import threading

import pytest

import lab_i18n
from engines.core.events import Artifact, Failed, Finished
from test_engine_host import Watched
from tui_lab.engine_host import WorkerReady


@pytest.fixture
def english_lab(monkeypatch):
    before = lab_i18n.language()
    monkeypatch.setenv("TUI_LAB_LANG", "en")
    lab_i18n.set_language("en")
    host = Watched()
    yield host
    host.close()
    lab_i18n.set_language(before)


def test_a_worker_warmed_in_english_answers_in_chinese_after_the_switch(english_lab):
    host = english_lab
    host.prewarm()
    ready = host.wait_for(lambda items: any(isinstance(i, WorkerReady) for i in items))
    spare_pid = next(i for i in ready if isinstance(i, WorkerReady)).pid
    lab_i18n.set_language("zh")  # the learner switches while the spare waits
    host.start("gd.iterate", {"lr": 0.1, "steps": 2})
    items = host.wait_for(lambda items: any(isinstance(i, (Finished, Failed)) for i in items))
    notes = [i.payload for i in items if isinstance(i, Artifact) and i.kind == "note"]
    assert host.engine_pid == spare_pid  # the warmed worker ran it
    assert notes and "每一步" in notes[0] and "each step" not in notes[0]


def test_the_same_worker_speaks_english_when_the_lab_does(english_lab):
    host = english_lab
    host.start("gd.iterate", {"lr": 0.1, "steps": 2})
    items = host.wait_for(lambda items: any(isinstance(i, (Finished, Failed)) for i in items))
    notes = [i.payload for i in items if isinstance(i, Artifact) and i.kind == "note"]
    assert notes and "each step multiplies the error" in notes[0]
