"""Plots and series are named by the lesson, in the lesson's language: ``labels`` in
lesson.toml, and ``plots`` in a translation; the English title keeps naming the plot."""

from pathlib import Path

import pytest

from lessons import load_catalog
from lessons.loader import LessonError, load_lesson

RUN = """\
id = "plotted"
title = "A plotted lesson"

[[steps]]
title = "Run"
kind = "run"
text = "a.md"
engine = "gd.iterate"
plots = [{plots}]
"""
RACE = ('{ title = "loss", series = ["sgd_loss", "adam_loss"], log = true, labels = { sgd_loss = "SGD" } }, '
        '{ title = "path", xy = [["sgd_x", "sgd_y"]] }')


def lesson_folder(root: Path, plots: str, zh_plots: str | None = None) -> Path:
    folder = root / "plotted"
    folder.mkdir()
    (folder / "lesson.toml").write_text(RUN.format(plots=plots), encoding="utf-8")
    (folder / "a.md").write_text("Press F5.", encoding="utf-8")
    if zh_plots is not None:
        (folder / "zh").mkdir()
        (folder / "zh" / "a.md").write_text("按 F5。", encoding="utf-8")
        (folder / "zh" / "lesson.toml").write_text(f"[[steps]]\nplots = [{zh_plots}]\n", encoding="utf-8")
    return folder


def test_a_plot_names_its_series_from_the_lesson(tmp_path):
    loss, path = load_lesson(lesson_folder(tmp_path, RACE)).steps[0].plots
    assert dict(loss.labels) == {"sgd_loss": "SGD"} and loss.shown_title == "loss"
    assert path.keys == ("sgd",)  # a path is named by its x value less "_x"


def test_a_label_for_a_series_the_plot_does_not_draw_is_refused_with_its_line(tmp_path):
    plots = '{ title = "loss", series = ["sgd_loss"], labels = { adam_loss = "Adam" } }'
    with pytest.raises(LessonError) as error:
        load_lesson(lesson_folder(tmp_path, plots))
    assert "adam_loss" in error.value.problem.message and error.value.problem.line == 9  # the plots line


def test_a_translation_names_the_plot_and_its_series_and_keeps_the_english_title(tmp_path):
    zh = '{ title = "损失", labels = { adam_loss = "Adam 算法" } }, { title = "路径", x = "横坐标" }'
    catalog = load_catalog([lesson_folder(tmp_path, RACE, zh)], lang="zh")
    assert catalog.problems == []
    loss, path = catalog.get("plotted").steps[0].plots
    assert (loss.title, loss.shown_title) == ("loss", "损失")
    assert dict(loss.labels) == {"sgd_loss": "SGD", "adam_loss": "Adam 算法"}  # SGD left as in English
    assert (path.title, path.shown_title, path.x_label) == ("path", "路径", "横坐标")


def test_a_translation_with_another_number_of_plots_is_a_problem(tmp_path):
    catalog = load_catalog([lesson_folder(tmp_path, RACE, '{ title = "损失" }')], lang="zh")
    assert any("'plots' must be 2 tables" in problem.message for problem in catalog.problems)
    assert catalog.get("plotted").steps[0].plots[0].shown_title == "loss"  # shown in English


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_series_of_a_shared_plot_is_named_by_its_lesson(lang):
    """A plot of several series shows a key: each name in it comes from the lesson."""
    catalog = load_catalog(lang=lang)
    assert catalog.problems == []
    unnamed = [f"{lesson.id} step {step.index}: {spec.title} {key}"
               for lesson in catalog.lessons for step in lesson.steps for spec in getattr(step, "plots", ())
               if len(spec.keys) > 1 for key in spec.keys if key not in dict(spec.labels)]
    assert unnamed == []


def test_every_plot_has_a_chinese_title():
    english, chinese = load_catalog(), load_catalog(lang="zh")
    for lesson in english.lessons:
        for a, b in zip(lesson.steps, chinese.get(lesson.id).steps):
            for spec_a, spec_b in zip(getattr(a, "plots", ()), getattr(b, "plots", ())):
                assert spec_b.heading and spec_b.heading != spec_a.title or spec_a.title == "θ", \
                    f"{lesson.id} step {a.index}: {spec_a.title}"
