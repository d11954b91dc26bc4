"""Typed messages widgets post to the app (the app owns state; widgets only ask)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class OpenStep(Message):
    """Show this step of this lesson (from the explorer, the palette or navigation)."""

    lesson_id: str
    index: int = 0  # 0: where the student left off in that lesson


@dataclass
class StepSolved(Message):
    """The student solved (or revealed) the current step."""

    lesson_id: str
    index: int
    revealed: bool = False
    answer: str | None = None


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
