"""How a headless run is shown and kept: JSON lines, a progress bar (plain lines when
piped), and a CSV of the data behind the plots."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import IO, Any, Callable

from engines.core.events import Artifact, Evaluated, Event, Failed, Finished, Progress, Started, to_json
from tui_lab.artifact_notes import NOTES
from tui_lab.progress import atomic_write_text


class JsonView:
    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def show(self, event: Event) -> None:
        self.out.write(to_json(event) + "\n")
        self.out.flush()

    def close(self) -> None:
        pass


def param_words(changes: dict[str, Any]) -> str:
    return " ".join(f"--param {name}={value}" for name, value in changes.items())


class TerminalView:
    """A progress bar on a terminal; plain lines when output is piped.

    ``rerun`` turns a failure's alternative (changed parameters) into the command line
    that runs it."""

    def __init__(self, out: IO[str], title: str, rerun: Callable[[dict[str, Any]], str] = param_words) -> None:
        from rich.console import Console

        self.console = Console(file=out, highlight=False)
        self.title = title
        self.rerun = rerun
        self.progress = None
        self.task = None
        self.download_bar = None
        self.download_tasks: dict[str, int] = {}

    def show(self, event: Event) -> None:
        if isinstance(event, Artifact):
            self._artifact(event)
            return
        if isinstance(event, Started):
            self._end_download()
            self.console.print(f"{self.title}: {config_text(event.config)} on {event.device}")
            if self.console.is_terminal:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn

                self.progress = Bar(
                    TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[status]}"), TimeRemainingColumn(), console=self.console,
                )
                self.progress.start()
                self.task = self.progress.add_task("run", total=event.total_steps or None, status="")
        elif isinstance(event, Progress) and self.progress is not None:
            status = f"loss {event.loss:.6g}" + (
                f" · {event.samples_per_s:,.0f}/s" if event.samples_per_s else ""
            )
            self.progress.update(self.task, completed=event.step, status=status)
        elif isinstance(event, Evaluated):
            self.console.print(f"epoch {event.epoch}: " + config_text(event.metrics))
        elif isinstance(event, Finished):
            self.close()
            summary = event.summary
            message = summary.get("message") or f"Run {event.reason}: {summary.get('steps', 0)} steps in {summary.get('seconds', 0):.2f} s."
            self.console.print(message)
        elif isinstance(event, Failed):
            self.close()
            lines = [f"Error: {event.message}", event.hint]
            if event.alternative:
                lines.append(f"Or, to {event.alternative['label']}: {self.rerun(event.alternative['params'])}")
            for line in filter(None, lines):  # never wrapped: a command in them must copy and paste whole
                self.console.print(line, markup=False, soft_wrap=True)

    def _artifact(self, event: Artifact) -> None:
        if event.kind == "download":
            self._download(event.payload)
        elif event.kind == "note":
            self._print(str(event.payload))
        elif event.kind in NOTES:
            self._print(NOTES[event.kind](event.payload))

    def _print(self, text: str) -> None:
        (self.progress.console if self.progress is not None else self.console).print(text)

    def _download(self, payload: dict) -> None:
        """A terminal bar per downloading file (only on a terminal; piped output stays quiet)."""
        if not self.console.is_terminal:
            return
        from rich.progress import BarColumn, DownloadColumn, Progress as Bar, TextColumn, TransferSpeedColumn

        if self.download_bar is None:
            self.download_bar = Bar(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                    TransferSpeedColumn(), console=self.console)
            self.download_bar.start()
            self.download_tasks = {}
        name = payload.get("file", "data")
        if name not in self.download_tasks:
            self.download_tasks[name] = self.download_bar.add_task(f"downloading {name}", total=payload.get("total_bytes"))
        self.download_bar.update(self.download_tasks[name], completed=payload.get("done_bytes", 0),
                                 total=payload.get("total_bytes"))

    def _end_download(self) -> None:
        if self.download_bar is not None:
            self.download_bar.stop()
            self.download_bar = None

    def close(self) -> None:
        self._end_download()
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def config_text(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        if isinstance(value, float):
            value = f"{value:.6g}"
        elif isinstance(value, (list, dict)):
            continue
        parts.append(f"{key}={value}")
    return " ".join(parts)


class CsvTable:
    """The data behind a run's plots: one row per progress or evaluation event.

    Columns: type, step, epoch, loss, lr, samples_per_s, then every engine value and
    metric that appeared (blank where an event has none). Written once at the end,
    atomically, so the file is never half a table.
    """

    FIXED = ["type", "step", "epoch", "loss", "lr", "samples_per_s"]

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []
        self.extra: dict[str, None] = {}
        self.step = 0

    def add(self, event: Event) -> None:
        if isinstance(event, Progress):
            self.step = event.step
            row = {"type": "progress", "step": event.step, "epoch": event.epoch, "loss": event.loss,
                   "lr": event.lr, "samples_per_s": event.samples_per_s, **event.values}
        elif isinstance(event, Evaluated):
            row = {"type": "evaluated", "step": self.step, "epoch": event.epoch,
                   **{k: v for k, v in event.metrics.items() if isinstance(v, (int, float, str))}}
        else:
            return
        self.extra.update(dict.fromkeys(k for k in row if k not in self.FIXED))
        self.rows.append(row)

    def write(self) -> None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, self.FIXED + list(self.extra), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(self.rows)
        try:
            atomic_write_text(self.path, buffer.getvalue())
        except OSError as error:
            print(f"tui-lab: warning: {self.path} could not be written: {error.strerror or error}.", file=sys.stderr)
