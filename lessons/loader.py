"""Load and validate lessons: ``lessons/<id>/lesson.toml`` plus one Markdown file a step.

Loading reads files only; no lesson can run code. Every problem is reported with the
file and line it concerns, and a broken lesson never hides the others. Engine names are
checked against the registry's table of names (nothing is imported); whether the values
and runs behind them work is ``tui-lab check``'s job.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any, Callable, Iterable

from engines.core import registry
from engines.byhand.walks import WALKS
from lessons import placeholders
from lessons.translation import TranslationError, translate
from lessons.model import (AFTER_MARKER, STEP_KINDS, STEP_TYPES, Catalog, Lesson, LessonProblem, PlotSpec, Slip, Step,
                           StepKind, plot_labels)

BUILTIN_DIR = Path(__file__).resolve().parent
LESSON_FILE = "lesson.toml"
LESSON_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
VALUE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SLIP_ID = re.compile(r"^[a-z][a-z0-9_]*$")
SLIP_KEYS = ("id", "value", "message")

TOP_KEYS = {"id", "title", "group", "order", "summary", "values", "checks", "expect", "expect_tolerance",
            "run_step", "lab_wide", "steps"}
# The TOML keys each kind of step accepts (its fields in lessons/model.py, read by KIND_FIELDS below).
COMMON_STEP_KEYS = {"kind", "title", "text", "hints"}
STEP_KEYS: dict[StepKind, set[str]] = {
    "read": COMMON_STEP_KEYS,
    "compute": COMMON_STEP_KEYS | {"answer", "tolerance", "prompt", "slips", "shown_ok"},
    "run": COMMON_STEP_KEYS | {"engine", "params", "plots", "table", "expect_reason", "manual", "fields", "artifacts",
                               "controls", "smoke", "compare", "processes"},
    "find-error": COMMON_STEP_KEYS | {"lines", "wrong", "correct"},
    "graph": COMMON_STEP_KEYS | {"graph", "show"},
    "draw": COMMON_STEP_KEYS | {"engine", "params"},
}


PLOT_KEYS = {"title", "series", "xy", "log", "log_x", "x", "labels"}
INLINE_TABLE = re.compile(r"\{\s*[\w\"-]+\s*=")  # "{ id =": the start of an inline table, not a placeholder


class LessonError(Exception):
    def __init__(self, path: Path, line: int | None, message: str) -> None:
        super().__init__(message)
        self.problem = LessonProblem(path, line, message)


class _Lines:
    """Finds the line of a key in the TOML text, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.step_headers = [
            i + 1 for i, line in enumerate(self.lines) if re.match(r"^\s*\[\[\s*steps\s*\]\]", line)
        ]

    def step(self, index: int) -> int | None:
        return self.step_headers[index] if index < len(self.step_headers) else None

    def key(self, key: str, step: int | None = None, entry: int | None = None) -> int | None:
        """The line of ``key = …`` (in the step's table when ``step`` is given); with
        ``entry``, the line of that inline table of its list (1: the first ``{ key =``)."""
        if step is None:
            start, end = 0, (self.step_headers[0] - 1 if self.step_headers else len(self.lines))
        else:
            start = self.step_headers[step] if step < len(self.step_headers) else 0
            end = self.step_headers[step + 1] - 1 if step + 1 < len(self.step_headers) else len(self.lines)
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number]):
                tables = (n for n in range(number, end) for _ in INLINE_TABLE.findall(self.lines[n]))
                return next((n for k, n in enumerate(tables, 1) if k == entry), number) + 1
        return self.step(step) if step is not None else None


def lesson_dirs(extra: Iterable[Path | str] = ()) -> list[Path]:
    """Folders holding a lesson.toml: the built-in ones, then those under each extra dir."""
    found: list[Path] = []
    for root in [BUILTIN_DIR, *map(Path, extra)]:
        if (root / LESSON_FILE).is_file():
            candidates = [root]
        elif root.is_dir():
            candidates = sorted(p.parent for p in root.glob(f"*/{LESSON_FILE}"))
        else:
            continue
        # The same folder named twice (e.g. --lessons pointing at the built-in one) loads once.
        found += [c for c in candidates if c.resolve() not in {f.resolve() for f in found}]
    return found


def load_catalog(extra_dirs: Iterable[Path | str] = (), lang: str = "en") -> Catalog:
    """Every lesson (texts in ``lang`` where translated, else English) and every problem."""
    catalog = Catalog([], [])
    for folder in lesson_dirs(extra_dirs):
        try:
            lesson = load_lesson(folder)
        except LessonError as error:
            catalog.problems.append(error.problem)
            continue
        try:
            lesson = translate(lesson, lang)
        except TranslationError as error:
            catalog.problems.append(LessonProblem(error.path, error.line, f"{error} (shown in English)"))
        if catalog.get(lesson.id) is not None:
            other = catalog.get(lesson.id).path
            catalog.problems.append(
                LessonProblem(folder / LESSON_FILE, None, f"lesson id {lesson.id!r} is already used by {other}")
            )
            continue
        catalog.lessons.append(lesson)
    catalog.lessons.sort(key=lambda l: (l.order, l.id))
    return catalog


def load_lesson(folder: Path) -> Lesson:
    path = folder / LESSON_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LessonError(path, None, f"cannot be read ({error})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"at line (\d+)", str(error))
        raise LessonError(path, int(match.group(1)) if match else None, f"is not valid TOML: {error}") from None
    where = _Lines(text)

    def fail(message: str, key: str | None = None, step: int | None = None, entry: int | None = None) -> LessonError:
        line = where.key(key, step, entry) if key else where.step(step) if step is not None else None
        return LessonError(path, line, message)

    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(TOP_KEYS))})", unknown[0])
    for key in ("id", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise fail(f"{key!r} is required and must be text", key if key in data else None)
    lesson_id = data["id"]
    if not LESSON_ID.match(lesson_id):
        raise fail(f"id {lesson_id!r} must be lowercase letters, digits and dashes", "id")
    for key, table in (("values", registry.VALUES), ("checks", registry.CHECKS)):
        if key in data and data[key] not in table:
            raise fail(f"{key} = {data[key]!r} names no engine {key} table; known: {', '.join(sorted(table))}", key)
    expect = data.get("expect", {})
    if not isinstance(expect, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in expect.values()
    ):
        raise fail("[expect] must map value names to numbers", "expect")
    tolerance = data.get("expect_tolerance", 1e-6)
    if not isinstance(tolerance, (int, float)) or isinstance(tolerance, bool) or not tolerance > 0:
        raise fail("expect_tolerance must be a number greater than 0, e.g. 1e-6", "expect_tolerance")
    steps_data = data.get("steps")
    if not isinstance(steps_data, list) or not steps_data:
        raise fail("a lesson needs at least one [[steps]] table", "steps")

    steps = tuple(
        _load_step(folder, lesson_id, i, raw, fail, where.step(i) or 0) for i, raw in enumerate(steps_data)
    )
    run_step = data.get("run_step")
    if run_step is not None and not (
        isinstance(run_step, int) and 1 <= run_step <= len(steps) and steps[run_step - 1].kind == "run"
    ):
        raise fail(f"run_step = {run_step!r} is not the number of one of this lesson's run steps", "run_step")
    lab_wide = _strings(data.get("lab_wide", []), "lab_wide", fail, "lab_wide", None)
    for name in lab_wide:
        if not _plain_name(name):
            raise fail(f"lab_wide entry {name!r} must name a run parameter, e.g. \"dataset\"", "lab_wide")
    return Lesson(
        id=lesson_id,
        run_step=run_step,
        lab_wide=lab_wide,
        title=data["title"].strip(),
        group=str(data.get("group", "Lessons")),
        order=int(data.get("order", 100)) if isinstance(data.get("order", 100), int) else 100,
        summary=str(data.get("summary", "")),
        path=folder,
        steps=steps,
        values=data.get("values"),
        checks=data.get("checks"),
        expect={k: float(v) for k, v in expect.items()},
        expect_tolerance=float(data.get("expect_tolerance", 1e-6)),
    )


def _load_step(folder: Path, lesson_id: str, i: int, raw: Any, fail, header_line: int) -> Step:
    number = i + 1
    if not isinstance(raw, dict):
        raise fail(f"step {number} must be a table", step=i)
    kind = raw.get("kind")
    if kind not in STEP_KINDS:
        raise fail(f"step {number}: kind must be one of {', '.join(STEP_KINDS)}, not {kind!r}", "kind", i)
    unknown = sorted(set(raw) - STEP_KEYS[kind])
    if unknown:
        raise fail(
            f"step {number}: unknown key {unknown[0]!r} for a {kind} step "
            f"(allowed: {', '.join(sorted(STEP_KEYS[kind]))})",
            unknown[0],
            i,
        )
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        raise fail(f"step {number}: 'title' is required", "title" if "title" in raw else None, i)
    text_name = raw.get("text")
    if not isinstance(text_name, str):
        raise fail(f"step {number}: 'text' must name the step's Markdown file", "text" if "text" in raw else None, i)
    source = folder / text_name
    try:
        markdown = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"step {number}: cannot read {text_name} ({error.__class__.__name__})", "text", i) from None
    for line, bad in placeholders.malformed(markdown):
        raise LessonError(source, line, f"malformed placeholder {bad}; write {{{{ name }}}} or {{{{ name:.3f }}}}")
    body, _, after = markdown.partition(AFTER_MARKER)

    hints = _strings(raw.get("hints", []), f"step {number}: hints", fail, "hints", i)
    step = STEP_TYPES[kind](
        lesson_id=lesson_id, index=number, title=title.strip(), body=body.strip(), after=after.strip(),
        source=source, line=header_line, hints=hints, **KIND_FIELDS[kind](raw, f"step {number}", fail, i),
    )
    for text in step.texts():  # the Markdown is checked above, with its own line numbers
        for _, bad in placeholders.malformed(text):
            raise fail(f"step {number}: malformed placeholder {bad}", step=i)
    return step


def _compute_fields(raw: dict, what: str, fail, i: int) -> dict[str, Any]:
    answer = raw.get("answer")
    if not isinstance(answer, str) or not placeholders.PATTERN.fullmatch("{{" + answer + "}}"):
        raise fail(f"{what}: 'answer' must name an engine value, e.g. answer = \"theta1\"", "answer", i)
    tolerance = raw.get("tolerance", 1e-3)
    if not isinstance(tolerance, (int, float)) or isinstance(tolerance, bool) or not tolerance > 0:
        raise fail(f"{what}: 'tolerance' must be a number greater than 0", "tolerance", i)
    shown_ok = _strings(raw.get("shown_ok", []), f"{what}: shown_ok", fail, "shown_ok", i)
    for name in shown_ok:
        if not _plain_name(name):
            raise fail(f"{what}: shown_ok entry {name!r} must name an engine value, e.g. \"lr\"", "shown_ok", i)
    return dict(answer=answer, tolerance=float(tolerance), prompt=str(raw.get("prompt", "")),
                slips=_slips(raw.get("slips", []), what, fail, i), shown_ok=shown_ok)


def _slips(value: Any, what: str, fail, i: int) -> tuple[Slip, ...]:
    """``[{ id = "sign", value = "grad0_slip_sign", message = "…" }, …]``."""
    example = '{ id = "sign", value = "theta1_slip_sign", message = "…" }'
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise fail(f"{what}: 'slips' must be a list of tables like {example}", "slips", i)
    slips: list[Slip] = []
    for number, entry in enumerate(value, 1):
        slip_id = entry.get("id")
        name = f"{what}: slip {slip_id!r}" if isinstance(slip_id, str) else f"{what}: slip {number}"
        unknown = sorted(set(entry) - set(SLIP_KEYS))
        if unknown:
            raise fail(f"{name}: unknown key {unknown[0]!r} (allowed: {', '.join(SLIP_KEYS)})", "slips", i, number)
        if not isinstance(slip_id, str) or not SLIP_ID.match(slip_id):
            raise fail(f"{name}: 'id' must be a short slug of lowercase letters, digits and _, e.g. \"sign\"",
                       "slips", i, number)
        if any(slip.id == slip_id for slip in slips):
            raise fail(f"{name}: the id is used twice in this step; each slip needs its own", "slips", i, number)
        if not isinstance(entry.get("value"), str) or not _plain_name(entry["value"]):
            raise fail(f"{name}: 'value' must name the engine value the slip leads to, e.g. \"theta1_slip_sign\"",
                       "slips", i, number)
        message = entry.get("message")
        if not isinstance(message, str) or not message.strip():
            raise fail(f"{name}: 'message' must be a sentence about the slip", "slips", i, number)
        slips.append(Slip(slip_id, entry["value"], message.strip()))
    return tuple(slips)


def _plain_name(name: str) -> bool:
    """A value-table name without an index or format: letters, digits and _."""
    return bool(VALUE_NAME.fullmatch(name))


def _engine_fields(raw: dict, what: str, fail, i: int) -> dict[str, Any]:
    """What run and draw steps share: a registered engine and its plain parameter values."""
    engine = raw.get("engine")
    if engine not in registry.ENGINES:
        raise fail(f"{what}: engine {engine!r} is not known; known engines: {', '.join(sorted(registry.ENGINES))}",
                   "engine", i)
    params = raw.get("params", {})
    if not isinstance(params, dict) or any(isinstance(v, (dict, list)) for v in params.values()):
        raise fail(f"{what}: 'params' must be a table of plain values", "params", i)
    return dict(engine=engine, params=dict(params))


def _run_fields(raw: dict, what: str, fail, i: int) -> dict[str, Any]:
    shared = _engine_fields(raw, what, fail, i)
    reason = raw.get("expect_reason", "completed")
    if reason not in ("completed", "diverged"):
        raise fail(f"{what}: expect_reason must be 'completed' or 'diverged'", "expect_reason", i)
    for flag in ("manual", "controls", "processes"):
        if not isinstance(raw.get(flag, False), bool):
            raise fail(f"{what}: '{flag}' must be true or false", flag, i)
    smoke = raw.get("smoke", {})
    if not isinstance(smoke, dict):
        raise fail(f"{what}: 'smoke' must be a table of parameter values", "smoke", i)
    return dict(
        shared,
        plots=_plots(raw.get("plots", ["loss"]), what, fail, i),
        table=_strings(raw.get("table", []), f"{what}: table", fail, "table", i),
        expect_reason=reason,
        manual=raw.get("manual", False),
        fields=_strings(raw["fields"], f"{what}: fields", fail, "fields", i) if "fields" in raw else None,
        artifacts=_strings(raw.get("artifacts", []), f"{what}: artifacts", fail, "artifacts", i),
        controls=raw.get("controls", False),
        smoke=dict(smoke),
        compare=_strings(raw.get("compare", []), f"{what}: compare", fail, "compare", i),
        processes=raw.get("processes", False),
    )


def _find_error_fields(raw: dict, what: str, fail, i: int) -> dict[str, Any]:
    lines = _strings(raw.get("lines"), f"{what}: lines", fail, "lines", i)
    if len(lines) < 2:
        raise fail(f"{what}: 'lines' needs at least two lines to choose from", "lines", i)
    wrong = raw.get("wrong")
    if (
        not isinstance(wrong, list)
        or not wrong
        or not all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= len(lines) for w in wrong)
    ):
        raise fail(f"{what}: 'wrong' must list line numbers between 1 and {len(lines)}", "wrong", i)
    correct = _strings(raw.get("correct", []), f"{what}: correct", fail, "correct", i)
    if correct and len(correct) != len(lines):
        raise fail(
            f"{what}: 'correct' has {len(correct)} lines but 'lines' has {len(lines)}; they are shown side by side",
            "correct",
            i,
        )
    return dict(lines=lines, wrong=tuple(wrong), correct=correct)


def _graph_fields(raw: dict, what: str, fail, i: int) -> dict[str, Any]:
    graph = raw.get("graph")
    if not isinstance(graph, str) or not _plain_name(graph):
        raise fail(f"{what}: 'graph' must name an engine value holding a graph, e.g. graph = \"neuron_graph\"",
                   "graph", i)
    show = raw.get("show", "backward")
    if show not in WALKS:
        raise fail(f"{what}: 'show' must be one of {', '.join(WALKS)}, not {show!r}", "show", i)
    return dict(graph=graph, show=show)


# Each kind's own keys, validated: kind -> (raw step table, "step N", fail, index) -> fields.
KIND_FIELDS: dict[StepKind, Callable[[dict, str, Any, int], dict[str, Any]]] = {
    "read": lambda raw, what, fail, i: {},
    "compute": _compute_fields,
    "run": _run_fields,
    "find-error": _find_error_fields,
    "graph": _graph_fields,
    "draw": _engine_fields,
}


def _plots(value: Any, what: str, fail, i: int) -> tuple[PlotSpec, ...]:
    """``"loss"`` (one series, log scale for losses) or
    ``{ title = "…", series = [...], xy = [["x", "y"], ...], log = true, log_x = true, x = "epoch",
    labels = { series = "name shown" } }``."""
    if not isinstance(value, list):
        raise fail(f"{what}: 'plots' must be a list", "plots", i)
    specs = []
    for entry in value:
        if isinstance(entry, str):
            specs.append(PlotSpec(entry, (entry,), log_y=entry.endswith("loss")))
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("title"), str):
            raise fail(f"{what}: each plot is a value name or a table with a 'title'", "plots", i)
        unknown = sorted(set(entry) - PLOT_KEYS)
        if unknown:
            raise fail(f"{what}: unknown plot key {unknown[0]!r} (allowed: {', '.join(sorted(PLOT_KEYS))})", "plots", i)
        series = entry.get("series", [])
        pairs = entry.get("xy", [])
        if not isinstance(series, list) or not all(isinstance(n, str) for n in series):
            raise fail(f"{what}: plot 'series' must be a list of value names", "plots", i)
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(n, str) for n in p) for p in pairs
        ):
            raise fail(f"{what}: plot 'xy' must be a list of [x, y] value-name pairs", "plots", i)
        if not series and not pairs:
            raise fail(f"{what}: plot {entry['title']!r} has neither 'series' nor 'xy'", "plots", i)
        if entry.get("log_x") and series:
            raise fail(f"{what}: plot {entry['title']!r}: 'log_x' is for 'xy' paths; series are drawn against "
                       "the step", "plots", i)
        spec = PlotSpec(entry["title"], tuple(series), tuple(tuple(p) for p in pairs),
                        bool(entry.get("log", False)), bool(entry.get("log_x", False)), str(entry.get("x", "")))
        labels = plot_labels(entry.get("labels", {}), spec)
        if isinstance(labels, str):
            raise fail(f"{what}: plot {entry['title']!r}: {labels}", "plots", i)
        specs.append(dataclasses.replace(spec, labels=labels))
    return tuple(specs)


def _strings(value: Any, what: str, fail, key: str, i: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{what} must be a list of strings", key, i)
    return tuple(value)

