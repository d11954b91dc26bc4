"""The palette in the learner's words: recordings by what they are, each command once."""

from __future__ import annotations

import json
import re

import pytest
from textual.command import CommandList, CommandPalette

from engines.core.recording import locate, read_recording
from lessons import load_catalog
from tui_lab.commands import system_commands
from tui_lab.replay_labels import label, read_facts

from conftest import wait_until
from pilot import lab_ready

INTERNAL = re.compile(r"gd\.|opt\.|engines\.|:TRAIN|\.jsonl|/")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.mark.parametrize("name", ["gradient-descent-lr0.1", "gradient-descent-diverging", "optimizers-race"])
def test_a_shipped_recording_is_named_by_its_step_and_settings(catalog, name):
    path = locate(name)
    recording = read_recording(path)
    header = recording.header
    step = catalog.get(header["lesson"]).step(header["step"])
    words = label(path, catalog)
    assert words.playable and words.what.startswith(step.title)
    assert f"{header['params']['steps']} steps" in words.what  # the steps asked for, not the points drawn
    progress = [e for _, e in recording.events if type(e).__name__ == "Progress"]
    assert len(progress) == header["params"]["steps"] + 1  # step 0 is a point, not a step
    assert f"{len(progress)} steps" not in words.what + words.about
    assert not INTERNAL.search(words.what) and not INTERNAL.search(words.about.replace(path.stem, ""))
    assert path.stem in words.about and catalog.get(header["lesson"]).title in words.about


def test_how_a_recording_ended_is_said(catalog):
    assert "diverged at step 30" in label(locate("gradient-descent-diverging"), catalog).about
    assert "completed" in label(locate("gradient-descent-lr0.1"), catalog).about


def test_only_settings_a_learner_would_notice_are_named(catalog):
    words = label(locate("mnist-fashion-mlp"), catalog).what
    assert "2 epochs" in words and "lr 0.001" in words and "fashion-mnist" in words
    for internal in ("checkpoint", "download", "log_every", "threads", "double_softmax"):
        assert internal not in words  # not fields of the step's form


def _copy(source, target, lines=None, **header_changes):
    text = source.read_text(encoding="utf-8").splitlines()
    header = {**json.loads(text[0]), **header_changes}
    body = text[1:] if lines is None else text[1:lines]
    target.write_text("\n".join([json.dumps(header), *body]) + "\n", encoding="utf-8")
    return target


def test_a_recording_cut_short_ends_at_its_last_step(catalog, tmp_path):
    cut = _copy(locate("gradient-descent-lr0.1"), tmp_path / "cut.jsonl", lines=15)
    last = read_facts(cut).last_step
    assert isinstance(last, int) and f"stopped at step {last}" in label(cut, catalog).about


def test_a_recording_from_a_step_this_lab_lacks_is_not_offered_as_playable(catalog, tmp_path):
    other = _copy(locate("gradient-descent-lr0.1"), tmp_path / "elsewhere.jsonl", lesson="no-such-lesson")
    words = label(other, catalog)
    assert not words.playable and "elsewhere" in words.about and "does not have" in words.about


async def _palette_hits(pilot, query: str) -> list[tuple[str, str]]:
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    if query:
        await pilot.press(*query)

    def hits() -> list[tuple[str, str]]:
        found = app.screen.query_one(CommandList)
        return [str(getattr(o.prompt, "plain", o.prompt)) for o in
                (found.get_option_at_index(i) for i in range(found.option_count))]

    await wait_until(pilot, lambda: any(query.lower() in h.lower() for h in hits()) if query else hits(),
                     what=f"hits for {query!r}")
    return hits()


async def test_replay_hits_show_no_paths_or_engine_names(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        hits = [h for h in await _palette_hits(pilot, "replay") if h.startswith("Replay")]
        assert len(hits) == 2 * len(app.runs.recordings())
        assert not [h for h in hits if INTERNAL.search(h)]


async def test_each_command_is_offered_once(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        titles = [hit.split("\n")[0].lower() for hit in await _palette_hits(pilot, "")]
        assert len([t for t in titles if "theme" in t]) == 1, titles
        assert len([t for t in titles if "screenshot" in t or "svg" in t]) == 1, titles
        assert "quit" in titles


async def test_the_system_commands_kept_are_those_the_lab_lacks(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        titles = [command.title for command in system_commands(app, app.screen)]
        assert "Quit" in titles and "Keys" in titles
        assert not {"Theme", "Screenshot"} & set(titles)
