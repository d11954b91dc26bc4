"""Settings: which set of numbers the lab gives (option, environment, file, the learner's
own, in that order), the class's share folder, and one sentence for each bad setting."""

import pytest

from tui_lab.config import ENV_VARIANT, learner_variant, load_config
from tui_lab.progress import ProgressStore


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Write the shared settings file; no TUI_LAB_VARIANT unless a test sets one."""
    monkeypatch.delenv(ENV_VARIANT, raising=False)
    path = tmp_path / "class.toml"
    monkeypatch.setenv("TUI_LAB_CONFIG", str(path))

    def write(text: str):
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_without_settings_the_learner_keeps_their_own_numbers(settings):
    store = ProgressStore()
    config = load_config()
    assert config.variant is None and config.problems == ()
    own = learner_variant(None, config, store)
    assert own >= 1  # a learner's own set is never the articles'
    assert learner_variant(None, load_config(), ProgressStore()) == own  # kept with their progress


def test_option_over_environment_over_file_over_the_learners_own(settings, monkeypatch):
    store = ProgressStore()
    settings("variant = 0\n")  # a teacher's lecture demo
    assert learner_variant(None, load_config(), store) == 0
    monkeypatch.setenv(ENV_VARIANT, "17")
    assert learner_variant(None, load_config(), store) == 17
    assert learner_variant(5, load_config(), store) == 5


@pytest.mark.parametrize("text, said", [
    ("variant = -3\n", "The setting variant in"),
    ("variant = 2.5\n", "The setting variant in"),
    ("variant = true\n", "The setting variant in"),
    ('variant = "many"\n', "The setting variant in"),
])
def test_a_bad_variant_in_the_file_is_told_and_the_learners_own_is_used(settings, text, said):
    path = settings(text)
    config = load_config()
    assert config.variant is None
    [problem] = config.problems
    assert problem.startswith(said) and str(path) in problem and "whole number from 0 up" in problem
    store = ProgressStore()
    assert learner_variant(None, config, store) == store.variant()


@pytest.mark.parametrize("value", ["-1", "seven", "", "3.0"])
def test_a_bad_variant_in_the_environment_is_told_and_the_file_still_counts(settings, monkeypatch, value):
    settings("variant = 4\n")
    monkeypatch.setenv(ENV_VARIANT, value)
    config = load_config()
    assert config.variant == 4
    [problem] = config.problems
    assert problem.startswith(f"{ENV_VARIANT} was ignored") and problem.endswith(".")


def test_the_share_folder_is_taken_from_the_file_relative_to_it(settings, tmp_path):
    (tmp_path / "class").mkdir()
    settings('share_dir = "class"\n')
    config = load_config()
    assert config.share_dir == tmp_path / "class" and config.problems == ()


def test_a_missing_share_folder_is_one_sentence_and_nothing_is_shared(settings, tmp_path):
    settings(f'share_dir = "{tmp_path / "nowhere"}"\nhide_solutions = true\n')
    config = load_config()
    assert config.share_dir is None and config.hide_solutions is True  # the other settings still count
    [problem] = config.problems
    assert "nowhere" in problem and "does not exist" in problem and problem.count(". ") == 0


def test_a_share_folder_that_is_no_path_is_told(settings):
    settings("share_dir = 3\n")
    config = load_config()
    assert config.share_dir is None and "share_dir" in config.problems[0]
