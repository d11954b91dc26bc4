"""Lesson text in other languages: ``lessons/<id>/<lang>/`` mirrors the English files.

A translation holds only text: ``<lang>/lesson.toml`` with the translatable keys
(``title``, ``summary``, ``group``, and per ``[[steps]]`` in the same order ``title``,
``prompt``, ``hints``, ``lines``, ``correct``, ``slips``: a table of slip id → message, and
``plots``: per English plot, in order, a table of its ``title``, ``x`` label and series
``labels``) and one Markdown file per step with the same
name as the English one. Everything else — kinds, engines, answers, parameters — comes
from the English lesson, so a translation cannot change what is computed. Missing keys
fall back to English; ``tui-lab check`` verifies each translated text carries the same
placeholders as its English original.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from lessons import placeholders
from lessons.model import AFTER_MARKER, AnyStep, ComputeStep, Lesson, PlotSpec, RunStep, Slip, plot_labels

LANGUAGES = {"en": "English", "zh": "简体中文"}
TOP_KEYS = {"title", "summary", "group", "steps"}
STEP_KEYS = {"title", "prompt", "hints", "lines", "correct", "slips", "plots"}
PLOT_KEYS = {"title", "x", "labels"}


class TranslationError(Exception):
    def __init__(self, path: Path, line: int | None, message: str) -> None:
        super().__init__(message)
        self.path, self.line = path, line


def available(lesson: Lesson) -> list[str]:
    """Languages this lesson can be shown in (English always)."""
    return ["en"] + [lang for lang in LANGUAGES if lang != "en" and (lesson.path / lang / "lesson.toml").is_file()]


def translate(lesson: Lesson, lang: str) -> Lesson:
    """The lesson with its text in ``lang``; unchanged if that language is English or missing."""
    if lang == "en" or lang not in available(lesson):
        return lesson
    folder = lesson.path / lang
    path = folder / "lesson.toml"
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"at line (\d+)", str(error))
        raise TranslationError(path, int(match.group(1)) if match else None, f"is not valid TOML: {error}") from None
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise TranslationError(path, None, f"unknown key {unknown[0]!r}; a translation holds only {', '.join(sorted(TOP_KEYS))}")
    steps_data = data.get("steps", [])
    if len(steps_data) != len(lesson.steps):
        raise TranslationError(path, None, f"has {len(steps_data)} steps, the English lesson {len(lesson.steps)}")
    steps = []
    for step, raw in zip(lesson.steps, steps_data):
        steps.append(_translate_step(step, raw, folder, path))
    return dataclasses.replace(
        lesson,
        title=str(data.get("title", lesson.title)),
        summary=str(data.get("summary", lesson.summary)),
        group=str(data.get("group", lesson.group)),
        steps=tuple(steps),
        language=lang,
    )


def _translate_step(step: AnyStep, raw: dict, folder: Path, path: Path) -> AnyStep:
    unknown = sorted(set(raw) - STEP_KEYS)
    if unknown:
        raise TranslationError(path, None, f"step {step.index}: unknown key {unknown[0]!r}; translatable: {', '.join(sorted(STEP_KEYS))}")
    source = folder / step.source.name
    try:
        markdown = source.read_text(encoding="utf-8")
    except OSError:
        raise TranslationError(source, None, f"step {step.index}: the translated text {source.name} is missing") from None
    for line, bad in placeholders.malformed(markdown):
        raise TranslationError(source, line, f"malformed placeholder {bad}")
    body, _, after = markdown.partition(AFTER_MARKER)
    changes: dict = {"body": body.strip(), "after": after.strip(), "source": source}
    has = {f.name for f in dataclasses.fields(step)}  # a key for text this kind of step lacks changes nothing
    if "title" in raw:
        changes["title"] = str(raw["title"])
    if "prompt" in raw and "prompt" in has:
        changes["prompt"] = str(raw["prompt"])
    for key in ("hints", "lines", "correct"):
        if key in raw:
            value = raw[key]
            english = getattr(step, key, ())
            if not isinstance(value, list) or len(value) != len(english) or not all(isinstance(v, str) for v in value):
                raise TranslationError(path, None, f"step {step.index}: '{key}' must be {len(english)} strings, like the English")
            if key in has:
                changes[key] = tuple(value)
    if "slips" in raw:
        slips = _translate_slips(step, raw["slips"], path)
        if "slips" in has:  # a step without slips: only an empty table gets here
            changes["slips"] = slips
    if "plots" in raw and isinstance(step, RunStep):
        changes["plots"] = _translate_plots(step, raw["plots"], path)
    return dataclasses.replace(step, **changes)


def _translate_plots(step: RunStep, value: object, path: Path) -> tuple[PlotSpec, ...]:
    """``plots = [{ title = "…", x = "…", labels = { sgd_loss = "…" } }, …]``: one table per
    English plot, in order; what a table leaves out stays English. The English title still
    names the plot (the run's points are filed under it)."""
    if not isinstance(value, list) or len(value) != len(step.plots) or not all(isinstance(v, dict) for v in value):
        raise TranslationError(path, None, f"step {step.index}: 'plots' must be {len(step.plots)} tables "
                                           'like { title = "…", labels = { … } }, one per English plot')
    plots = []
    for spec, raw in zip(step.plots, value):
        unknown = sorted(set(raw) - PLOT_KEYS)
        if unknown:
            raise TranslationError(path, None, f"step {step.index}: unknown plot key {unknown[0]!r}; "
                                               f"translatable: {', '.join(sorted(PLOT_KEYS))}")
        labels = plot_labels(raw.get("labels", {}), spec)
        if isinstance(labels, str):
            raise TranslationError(path, None, f"step {step.index}: plot {spec.title!r}: {labels}")
        plots.append(dataclasses.replace(
            spec, heading=str(raw.get("title", spec.heading)), x_label=str(raw.get("x", spec.x_label)),
            labels=tuple({**dict(spec.labels), **dict(labels)}.items())))
    return tuple(plots)


def _translate_slips(step: AnyStep, messages: object, path: Path) -> tuple[Slip, ...]:
    """``slips = { sign = "…", half = "…" }``: a message per slip id; ids left out stay English."""
    english = step.slips if isinstance(step, ComputeStep) else ()
    if not isinstance(messages, dict) or not all(isinstance(m, str) and m.strip() for m in messages.values()):
        raise TranslationError(path, None, f"step {step.index}: 'slips' must map slip ids to messages, "
                                           'e.g. slips = { sign = "…" }')
    unknown = sorted(set(messages) - {slip.id for slip in english})
    if unknown:
        known = ", ".join(slip.id for slip in english) or "none"
        raise TranslationError(path, None, f"step {step.index}: no slip {unknown[0]!r} in the English step "
                                           f"(its slips: {known})")
    return tuple(dataclasses.replace(slip, message=messages.get(slip.id, slip.message).strip()) for slip in english)


def untranslated_slips(english: Lesson, other: Lesson) -> list[str]:
    """Slips whose message the translation leaves in English: 'step N: id, id'."""
    missing = []
    for a, b in zip(english.steps, other.steps):
        if isinstance(a, ComputeStep) and isinstance(b, ComputeStep):
            same = [x.id for x, y in zip(a.slips, b.slips) if x.message == y.message]
            if same:
                missing.append(f"step {a.index}: {', '.join(same)}")
    return missing


def placeholder_differences(english: Lesson, other: Lesson) -> list[str]:
    """Steps whose translated texts do not use exactly the English placeholders."""
    problems = []
    for a, b in zip(english.steps, other.steps):
        names_a = set().union(*(placeholders.names(t) for t in a.texts()))
        names_b = set().union(*(placeholders.names(t) for t in b.texts()))
        if names_a != names_b:
            missing, extra = sorted(names_a - names_b), sorted(names_b - names_a)
            detail = "; ".join(filter(None, [
                f"missing {', '.join(missing)}" if missing else "",
                f"not in English: {', '.join(extra)}" if extra else "",
            ]))
            problems.append(f"step {a.index} ({b.source.name}): {detail}")
        for x, y in zip(getattr(a, "slips", ()), getattr(b, "slips", ())):
            if placeholders.names(x.message) != placeholders.names(y.message):
                problems.append(f"step {a.index}: slip {x.id!r} uses {_names(y.message)}, the English {_names(x.message)}")
    return problems


def _names(text: str) -> str:
    return ", ".join(sorted(placeholders.names(text))) or "no placeholders"
