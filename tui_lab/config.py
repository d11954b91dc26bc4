"""Settings a teacher or student can change without code: a TOML file and environment.

``$TUI_LAB_HOME/config.toml`` (or the file named by ``TUI_LAB_CONFIG``, e.g. one file a
teacher shares with a whole class):

    hide_solutions = true   # the Reveal button says solutions are hidden for this class

Environment variables win over the file: ``TUI_LAB_HIDE_SOLUTIONS=1``.
A broken file is reported once and ignored — it never stops the lab.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tui_lab.progress import lab_home

YES_WORDS = ("1", "true", "yes", "on")  # what an environment variable says to mean true


@dataclass(frozen=True)
class Config:
    hide_solutions: bool = False
    problem: str | None = None  # why the file was ignored, as a sentence


def config_path() -> Path:
    return Path(os.environ["TUI_LAB_CONFIG"]).expanduser() if os.environ.get("TUI_LAB_CONFIG") \
        else lab_home() / "config.toml"


def load_config() -> Config:
    path = config_path()
    data: dict = {}
    problem = None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        problem = f"The settings file {path} was ignored: {error}."
    hide = data.get("hide_solutions", False)
    if not isinstance(hide, bool):
        problem, hide = f"The settings file {path} was ignored: hide_solutions must be true or false.", False
    if os.environ.get("TUI_LAB_HIDE_SOLUTIONS") is not None:
        hide = os.environ["TUI_LAB_HIDE_SOLUTIONS"].strip().lower() in YES_WORDS
    return Config(hide_solutions=hide, problem=problem)
