"""What a loaded lesson is: frozen data, one step type per kind; no engine code."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

StepKind = Literal["read", "compute", "run", "find-error", "graph", "draw"]
STEP_KINDS: tuple[StepKind, ...] = get_args(StepKind)
# Text after this line in a step's Markdown is shown once the step is solved.
AFTER_MARKER = "<!-- after -->"


@dataclass(frozen=True)
class PlotSpec:
    """One live plot of a run step: named series against the step, or x–y trajectories.

    ``title`` names the plot (runs file their points under it, so it stays the English
    title in every language); ``heading`` is what the plot is called on screen, in the
    lesson's language, and ``labels`` give series their names there."""

    title: str
    series: tuple[str, ...] = ()  # engine values (or "loss") plotted against the step
    xy: tuple[tuple[str, str], ...] = ()  # (x value, y value) pairs drawn as paths
    log_y: bool = False
    log_x: bool = False  # a log x axis (paths whose x spans decades: parameters, images, bytes)
    x_label: str = ""  # default: "step" for series, "x" for paths
    heading: str = ""  # the title shown ("": the title)
    labels: tuple[tuple[str, str], ...] = ()  # (series, name shown); a path is named by its x value less "_x"

    @property
    def names(self) -> tuple[str, ...]:
        return self.series + tuple(n for pair in self.xy for n in pair)

    @property
    def shown_title(self) -> str:
        return self.heading or self.title

    @property
    def keys(self) -> tuple[str, ...]:
        """The series the plot draws: each value plotted against the step, then each path
        (named by its x value less ``_x``: ``sgd_x``, ``sgd_y`` → ``sgd``)."""
        return self.series + tuple(x[:-2] if x.endswith("_x") else f"{x}/{y}" for x, y in self.xy)


def plot_labels(value: Any, spec: PlotSpec) -> tuple[tuple[str, str], ...] | str:
    """``labels = { sgd_loss = "SGD" }`` as pairs, or what is wrong with it (a sentence)."""
    if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
        return "'labels' must map series to the names shown, e.g. labels = { sgd_loss = \"SGD\" }"
    unknown = sorted(set(value) - set(spec.keys))
    if unknown:
        return f"'labels' names {unknown[0]!r}, which the plot does not draw (it draws {', '.join(spec.keys)})"
    return tuple((key, str(name).strip()) for key, name in value.items())


@dataclass(frozen=True, kw_only=True)
class Step:
    """What every step has; one subclass per kind adds that kind's fields."""

    kind: ClassVar[StepKind]
    solvable: ClassVar[bool] = False  # must the student solve it? (others are done once seen)
    lesson_id: str
    index: int  # 1-based, as the student sees it
    title: str
    body: str  # Markdown with {{placeholders}}, shown when the step opens
    after: str  # Markdown shown once the step is solved (may be empty)
    source: Path  # the Markdown file
    line: int  # line of the step's [[steps]] header in lesson.toml
    hints: tuple[str, ...] = ()

    def texts(self) -> list[str]:
        """Every piece of the step's text that may hold placeholders."""
        return [self.body, self.after, *self.hints]


@dataclass(frozen=True, kw_only=True)
class ReadStep(Step):
    kind: ClassVar[Literal["read"]] = "read"


@dataclass(frozen=True)
class Slip:
    """A likely mistake on a compute step: the value it leads to, computed by the engine
    from the same inputs as the answer, and a sentence about it."""

    id: str  # a short slug, unique within its step: sign, half, step_size, …
    value: str  # name of the engine value the slip produces
    message: str  # shown when a typed value matches it (placeholders allowed)


@dataclass(frozen=True, kw_only=True)
class ComputeStep(Step):
    kind: ClassVar[Literal["compute"]] = "compute"
    solvable: ClassVar[bool] = True
    answer: str  # name of the engine value the student must type
    tolerance: float = 1e-3  # absolute (lessons.answers.is_close)
    prompt: str = ""  # the label before the answer field, e.g. "θ₁ ="
    slips: tuple[Slip, ...] = ()
    # Inputs whose placeholders may show a number equal to the answer (a coincidence,
    # such as lr = 0.1 when the answer is 0.1): the giveaway check lets them pass.
    shown_ok: tuple[str, ...] = ()

    def texts(self) -> list[str]:
        return [*super().texts(), *(slip.message for slip in self.slips)]


@dataclass(frozen=True, kw_only=True)
class RunStep(Step):
    kind: ClassVar[Literal["run"]] = "run"
    engine: str
    params: dict[str, Any] = field(default_factory=dict)
    plots: tuple[PlotSpec, ...] = ()
    table: tuple[str, ...] = ()
    manual: bool = False  # run one iteration per key press (the run starts paused)
    fields: tuple[str, ...] | None = None  # parameters the form shows (None: all of them)
    artifacts: tuple[str, ...] = ()  # artifact kinds drawn under the run (samples, confusion_matrix, …)
    controls: bool = False  # live controls while running: pause, learning rate, one more epoch, slow
    smoke: dict[str, Any] = field(default_factory=dict)  # extra overrides for `tui-lab check`
    compare: tuple[str, ...] = ()  # result figures tabled run after run (an ablation table)
    processes: bool = False  # offer a "processes" field: train in N processes (DDP)
    expect_reason: str = "completed"  # how the smoke run must end (check)


@dataclass(frozen=True, kw_only=True)
class FindErrorStep(Step):
    kind: ClassVar[Literal["find-error"]] = "find-error"
    solvable: ClassVar[bool] = True
    lines: tuple[str, ...]
    wrong: tuple[int, ...]  # 1-based indexes of every wrong line: solved when exactly these are marked
    correct: tuple[str, ...] = ()  # the corrected version, shown side by side

    def texts(self) -> list[str]:
        return [*super().texts(), *self.lines, *self.correct]


@dataclass(frozen=True, kw_only=True)
class GraphStep(Step):
    kind: ClassVar[Literal["graph"]] = "graph"
    solvable: ClassVar[bool] = True
    graph: str  # name of a value-table entry holding a graph (Graph.to_dict())
    show: str = "backward"  # the walk: forward | backward | both


@dataclass(frozen=True, kw_only=True)
class DrawStep(Step):
    """A drawing pad answered by an engine kept running while the step is shown."""

    kind: ClassVar[Literal["draw"]] = "draw"
    solvable: ClassVar[bool] = True
    engine: str
    params: dict[str, Any] = field(default_factory=dict)


AnyStep = ReadStep | ComputeStep | RunStep | FindErrorStep | GraphStep | DrawStep
STEP_TYPES: dict[StepKind, type[AnyStep]] = {
    cls.kind: cls for cls in (ReadStep, ComputeStep, RunStep, FindErrorStep, GraphStep, DrawStep)
}


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    group: str
    order: int
    summary: str
    path: Path
    steps: tuple[AnyStep, ...]
    values: str | None = None  # engine value table (registry name)
    checks: str | None = None  # engine cross-checks (registry name)
    expect: dict[str, float] = field(default_factory=dict)  # values the engine must reproduce
    expect_tolerance: float = 1e-6
    run_step: int | None = None  # what `tui-lab run LESSON` runs (default: the first run step)
    lab_wide: tuple[str, ...] = ()  # run parameters chosen once for every step of the lesson (e.g. dataset)
    language: str = "en"  # the language the texts are in

    def step(self, index: int) -> AnyStep:
        return self.steps[index - 1]


@dataclass(frozen=True)
class LessonProblem:
    """A broken lesson file: where, and what is wrong, in one sentence."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


@dataclass
class Catalog:
    lessons: list[Lesson]
    problems: list[LessonProblem]

    def get(self, lesson_id: str) -> Lesson | None:
        return next((l for l in self.lessons if l.id == lesson_id), None)

    def ids(self) -> list[str]:
        return [l.id for l in self.lessons]
