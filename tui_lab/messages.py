"""Typed messages widgets post to the app (the app owns state; widgets only ask)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.message import Message


@dataclass
class OpenStep(Message):
    """Show this step of this lesson (from the explorer, the palette or navigation)."""

    lesson_id: str
    index: int = 0  # 0: where the student left off in that lesson


@dataclass
class StepSolved(Message):
    """The current step is answered: solved by the student, or its solution revealed."""

    lesson_id: str
    index: int
    outcome: Literal["solved", "revealed"] = "solved"
    answer: str | None = None


@dataclass
class WrongTry(Message):
    """A wrong or invalid answer to the current step (``slip``: the known slip it matched)."""

    lesson_id: str
    index: int
    slip: str | None = None


@dataclass
class HintOpened(Message):
    """``opened`` hint tiers of the current step are now open."""

    lesson_id: str
    index: int
    opened: int


@dataclass
class RunRequested(Message):
    """Start the current run step's engine with these already validated parameters."""

    lesson_id: str
    index: int
    params: dict
    processes: int = 1  # >1: the engine trains in that many processes (DDP)


class StopRequested(Message):
    """Stop the run that is going."""


@dataclass
class RunCommand(Message):
    """A live command for the running engine: step, resume, pause, set_lr, …"""

    command: dict
