"""How a headless run is shown and kept: JSON lines, a progress bar (plain lines when
piped), the computational graph drawn as the lab draws it (``--graph``), and a CSV of the
data behind the plots."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable

from engines.core.events import Artifact, Evaluated, Event, Failed, Finished, Progress, Queued, Started, to_json
from lab_i18n import N_, _
from tui_lab.artifact_notes import NOTES, waiting_text
from tui_lab.plot_axes import data_number
from tui_lab.progress import atomic_write_text

RUN_ENDINGS = {  # one whole sentence per way a run ends, so each language words it its own way
    "completed": N_("Run completed: {steps} steps in {seconds} s."),
    "stopped": N_("Run stopped: {steps} steps in {seconds} s."),
    "diverged": N_("Run diverged: {steps} steps in {seconds} s."),
}

if TYPE_CHECKING:
    from engines.byhand.graph import Graph
    from lessons import Lesson


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
    that runs it. ``graphs``: None, or draw computational graphs: each one the run sends,
    or, when it sends none, these (the lesson's own) after it."""

    def __init__(self, out: IO[str], title: str, rerun: Callable[[dict[str, Any]], str] = param_words,
                 graphs: list[Graph] | None = None) -> None:
        from rich.console import Console

        self.console = Console(file=out, highlight=False)
        self.title = title
        self.rerun = rerun
        self.graphs = graphs
        self.graph_drawn = False
        self.progress = None
        self.task = None
        self.download_bar = None
        self.download_tasks: dict[str, int] = {}

    def show(self, event: Event) -> None:
        if isinstance(event, Artifact):
            self._artifact(event)
            return
        if isinstance(event, Queued):  # one line each time its place in line changes
            self.console.print(waiting_text(event), markup=False)
            return
        if isinstance(event, Started):
            self._end_download()
            self.console.print(_("{title}: {settings} on {device}").format(title=self.title, settings=config_text(event.config),
                                                                         device=event.device))
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
            self.console.print(_("epoch {epoch}: {metrics}").format(epoch=event.epoch, metrics=config_text(event.metrics)))
        elif isinstance(event, Finished):
            self.close()
            summary = event.summary
            ending = RUN_ENDINGS.get(event.reason, RUN_ENDINGS["completed"])
            self.console.print(_(ending).format(steps=summary.get("steps", 0), seconds=f"{summary.get('seconds', 0):.2f}"))
            if summary.get("message"):  # what the engine has to say about the result
                self.console.print(summary["message"])
            if self.graphs and not self.graph_drawn:
                for graph in self.graphs:
                    self._graph(graph)
        elif isinstance(event, Failed):
            self.close()
            lines = [_("Error: {message}").format(message=event.message), event.hint]
            if event.alternative:
                lines.append(_("Or, to {label}: {command}").format(label=event.alternative["label"],
                                                                   command=self.rerun(event.alternative["params"])))
            for line in filter(None, lines):  # never wrapped: a command in them must copy and paste whole
                self.console.print(line, markup=False, soft_wrap=True)

    def _artifact(self, event: Artifact) -> None:
        if event.kind == "download":
            self._download(event.payload)
        elif event.kind == "note":
            self._print(str(event.payload))
        elif event.kind in NOTES:
            self._print(NOTES[event.kind](event.payload))
        elif event.kind == "table":  # a run's results table (the sixth lesson's sweeps and cures)
            from tui_lab.artifact_views import table

            self._print(table(event.payload))
        elif event.kind == "graph" and self.graphs is not None:
            from engines.byhand.graph import Graph

            self._graph(Graph.from_dict(event.payload))
            self.graph_drawn = True

    def _graph(self, graph: Graph) -> None:
        """The whole graph, every value and gradient on its edges, its lines never broken or
        cut by the program (wider than the terminal, it reads well through ``less -S``)."""
        from rich.text import Text

        from tui_lab.graph_drawing import draw_graph

        drawing = draw_graph(graph, with_grad={n.id for n in graph.nodes})
        console = self.progress.console if self.progress is not None else self.console
        console.print(Text(_("Computational graph: {title}").format(title=_(graph.title)), style="bold"))
        console.print(drawing.text, soft_wrap=True)

    def _print(self, text: Any) -> None:
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
            self.download_tasks[name] = self.download_bar.add_task(_("downloading {name}").format(name=name), total=payload.get("total_bytes"))
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


def lesson_graphs(lesson: Lesson, variant: int = 0) -> list[Graph]:
    """The graphs the lesson's graph steps walk, for a set of numbers, each once."""
    from engines.byhand.graph import Graph
    from lessons.values import lesson_values

    names = list(dict.fromkeys(step.graph for step in lesson.steps if step.kind == "graph"))
    if not names:
        return []
    values = lesson_values(lesson, variant)
    return [Graph.from_dict(values[name]) for name in names if name in values]


def config_text(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        if isinstance(value, float):
            value = f"{value:.6g}"
        elif isinstance(value, (list, dict)):
            continue
        parts.append(f"{key}={value}")
    return " ".join(parts)


def _cell(column: str, value: Any) -> Any:
    """Numbers as the plots' data files write them (steps as integers, never ``-0.0``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return data_number(value, counted=column in ("step", "epoch"))


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
        self.rows.append({k: _cell(k, v) for k, v in row.items()})

    def write(self) -> None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, self.FIXED + list(self.extra), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(self.rows)
        try:
            atomic_write_text(self.path, buffer.getvalue())
        except OSError as error:
            print(_("tui-lab: warning: {path} could not be written: {reason}.").format(path=self.path, reason=error.strerror or error),
                  file=sys.stderr)
