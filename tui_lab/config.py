"""Settings a teacher or student can change without code: a TOML file and environment.

``$TUI_LAB_HOME/config.toml`` (or the file named by ``TUI_LAB_CONFIG``, e.g. one file a
teacher shares with a whole class):

    hide_solutions = true       # the Reveal button says solutions are hidden for this class
    variant = 0                 # everyone gets this set of numbers (0: the articles', for a lecture)
    share_dir = "/srv/class"    # progress is copied there after every change, for the teacher

    [runs]                      # how a class's runs share the machines (engines.core.class_settings)
    per_device = 2

Environment variables win over the file: ``TUI_LAB_HIDE_SOLUTIONS=1``, ``TUI_LAB_VARIANT=17``,
``TUI_LAB_RUNS_PER_DEVICE=2``.
A broken file or setting is reported once and ignored — it never stops the lab. A file
that is not valid TOML is named with the line to fix, and left exactly as it is (never
renamed or rewritten): it is written by a person, and may be one a whole class shares.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engines.core.class_settings import RunSettings, parse_run_settings
from tui_lab.progress import ProgressStore, lab_home
from lab_i18n import _

YES_WORDS = ("1", "true", "yes", "on")  # what an environment variable says to mean true
ENV_VARIANT = "TUI_LAB_VARIANT"
ENV_PER_DEVICE = "TUI_LAB_RUNS_PER_DEVICE"


@dataclass(frozen=True)
class Config:
    hide_solutions: bool = False
    variant: int | None = None  # a set of numbers fixed for this lab; None: the learner's own
    share_dir: Path | None = None  # the class folder progress is shared into
    runs: RunSettings = field(default_factory=RunSettings)  # how runs share the machines (the [runs] table)
    problems: tuple[str, ...] = ()  # what was ignored and why, one sentence each


def config_path() -> Path:
    return Path(os.environ["TUI_LAB_CONFIG"]).expanduser() if os.environ.get("TUI_LAB_CONFIG") \
        else lab_home() / "config.toml"


def load_config() -> Config:
    path = config_path()
    data: dict[str, Any] = {}
    problems: list[str] = []
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raw = b""
    except OSError as error:
        problems.append(_("The settings file {path} was ignored: it could not be read ({reason}).").format(
            path=path, reason=error.strerror.lower() if error.strerror else error))
        raw = b""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        problems.append(_("The settings file {path} was ignored because line {line} is not UTF-8 text.").format(
            path=path, line=line))
    except tomllib.TOMLDecodeError as error:
        problems.append(_toml_problem(error, raw.decode("utf-8"), path))
    hide = data.get("hide_solutions", False)
    if not isinstance(hide, bool):
        problems.append(_("The setting hide_solutions in {path} was ignored: it must be true or false.").format(path=path))
        hide = False
    if os.environ.get("TUI_LAB_HIDE_SOLUTIONS") is not None:
        hide = os.environ["TUI_LAB_HIDE_SOLUTIONS"].strip().lower() in YES_WORDS
    variant = None
    for ignored, value in ((_("The setting variant in {path} was ignored: {reason}."), data.get("variant")),
                           (_("{name} was ignored: {reason}."), os.environ.get(ENV_VARIANT))):  # later wins
        if value is not None:
            try:
                variant = parse_variant(value)
            except ValueError as error:
                problems.append(ignored.format(path=path, name=ENV_VARIANT, reason=error))
    runs = _runs(data.get("runs"), path, problems)
    return Config(hide_solutions=hide, variant=variant, share_dir=_share_dir(data.get("share_dir"), path, problems),
                  runs=runs, problems=tuple(problems))


def _runs(table: Any, path: Path, problems: list[str]) -> RunSettings:
    """The ``[runs]`` table, then ``TUI_LAB_RUNS_PER_DEVICE`` (which wins); its problems join the others."""
    runs = parse_run_settings(table, str(path), base=path.parent)
    value = os.environ.get(ENV_PER_DEVICE)
    if value is not None:
        if value.strip().isascii() and value.strip().isdigit() and int(value) >= 1:
            runs = replace(runs, per_device=int(value))
        else:
            runs = replace(runs, problems=runs.problems + (_("{name} was ignored: {reason}.").format(
                name=ENV_PER_DEVICE, reason=_("it must be a whole number of runs, 1 or more, not {given}").format(
                    given=repr(value))),))
    problems.extend(runs.problems)
    return runs


def _toml_problem(error: tomllib.TOMLDecodeError, text: str, path: Path) -> str:
    """Why tomllib refused the file, by line: "… because of line 3: expected '=' after a key …"."""
    found = re.fullmatch(r"(.*) \(at (?:line (\d+), column \d+|end of document)\)", str(error), re.DOTALL)
    if not found:  # tomllib names a position in every message it raises; this is in case one day it won't
        return _("The settings file {path} was ignored ({error}).").format(path=path, error=error)
    message, line = found.group(1), int(found.group(2) or max(len(text.splitlines()), 1))
    return _("The settings file {path} was ignored because of line {line}: {problem}.").format(
        path=path, line=line, problem=message[:1].lower() + message[1:])


def parse_variant(value: Any) -> int:
    """A variant from a setting, the environment or an option; ValueError (a phrase) if it is not one."""
    number = value.strip() if isinstance(value, str) else value
    if isinstance(number, str) and number.isascii() and number.isdigit():
        return int(number)
    if isinstance(number, int) and not isinstance(number, bool) and number >= 0:
        return number
    raise ValueError(_("a variant is a whole number from 0 up, not {given}").format(given=repr(value)))


def _share_dir(value: Any, path: Path, problems: list[str]) -> Path | None:
    """The class folder named by ``share_dir`` (relative to the settings file's folder), if it exists."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(_("The setting share_dir in {path} was ignored: it must be the path of a folder.").format(path=path))
        return None
    folder = path.parent / Path(value.strip()).expanduser()
    if not folder.is_dir():
        problems.append(_("Progress is not shared: the folder {folder} (share_dir in {path}) does not exist.").format(
            folder=folder, path=path))
        return None
    return folder


def learner_variant(chosen: int | None, config: Config, progress: ProgressStore) -> int:
    """The set of numbers the lab gives: ``--variant``, then ``TUI_LAB_VARIANT``, then the settings
    file, then the learner's own (drawn once and kept with their progress)."""
    if chosen is not None:
        return chosen
    if config.variant is not None:
        return config.variant
    return progress.variant()
