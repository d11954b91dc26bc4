"""Lesson text as a student reads it: no accidental lists, one minus sign, recaps that
name the lesson that really comes next."""

from __future__ import annotations

import re

import pytest

from lessons import load_catalog, placeholders
from lessons.answers import parse_answer
from lessons.giveaways import visible_parts
from lessons.model import FindErrorStep
from lessons.stray_blocks import stray_blocks
from lessons.values import lesson_has_variants, lesson_values

LANGS = ("en", "zh")
NEXT = {"en": "Next:", "zh": "下一课："}


@pytest.fixture(scope="module")
def catalogs():
    return {lang: load_catalog(lang=lang) for lang in LANGS}


def _filled_markdown(lesson, variant=0):
    values = lesson_values(lesson, variant)
    for step in lesson.steps:
        for part in (step.body, step.after):
            yield step, part, placeholders.fill(part, values)


@pytest.mark.parametrize("lang", LANGS)
def test_no_lesson_line_turns_into_a_list_heading_or_quote_it_did_not_mean(catalogs, lang):
    problems = []
    for lesson in catalogs[lang].lessons:
        for variant in range(4 if lesson_has_variants(lesson) else 1):
            problems += [f"{lesson.id} {step.source.name} (variant {variant}): {p}"
                         for step, source, filled in _filled_markdown(lesson, variant)
                         for p in stray_blocks(source, filled)]
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_a_wrapped_line_starting_with_a_filled_number_is_caught():
    source = "The last output is off, while its target is\n{{ y:g }}. Its error is the largest.\n"
    filled = placeholders.fill(source, {"y": 1.0})
    assert stray_blocks(source, filled) == ["line 2: '1. Its error is the largest.' would show as a numbered list"]


@pytest.mark.parametrize("text, shown_as", [
    ("Add the two terms and subtract\n- 3 from the sum.", "a bulleted list"),
    ("The rule has two parts:\n1. the step\n2. the size", "a numbered list"),
    ("A count of\n# items", "a heading"),
    ("The sum is\n---", "a heading"),
])
def test_typed_blocks_glued_to_a_sentence_are_caught(text, shown_as):
    assert [p.split(" would show as ")[1] for p in stray_blocks(text, text)] == [shown_as]


def test_lists_written_as_blocks_pass():
    text = "You can now:\n\n- derive it;\n- step it.\n\nSteps:\n\n1. forward\n2. backward\n   - nested\n\n# Head\n"
    assert stray_blocks(text, text) == []


def test_a_placeholder_at_a_line_start_after_a_blank_line_cannot_open_a_list():
    source = "Its target:\n\n{{ y:g }}. That is all.\n"
    assert stray_blocks(source, placeholders.fill(source, {"y": 2})) != []


def _words(text: str, lang: str) -> set[str]:
    if lang == "en":
        return set(re.findall(r"[a-z][a-z-]{4,}", text.lower()))
    runs = re.findall(r"[\u4e00-\u9fff]+", text)
    return {run[i:i + 3] for run in runs for i in range(len(run) - 2)}


@pytest.mark.parametrize("lang", LANGS)
def test_each_recap_names_the_lesson_that_comes_next_in_the_course(catalogs, lang):
    lessons = catalogs[lang].lessons
    assert [lesson.id for lesson in lessons][:5] == ["gradient-descent", "backprop", "optimizers", "mnist", "cifar10"]
    for k, lesson in enumerate(lessons):
        text = lesson.steps[-1].body + lesson.steps[-1].after
        if k == len(lessons) - 1:
            assert NEXT[lang] not in text, f"{lesson.id} is the last lesson"
            continue
        assert NEXT[lang] in text, f"{lesson.id}'s recap says nothing of what comes next"
        said = _words(text.split(NEXT[lang])[1].split("\n\n")[0], lang)
        following = lessons[k + 1]
        assert said & _words(following.title + " " + following.summary, lang), (lesson.id, following.id)
        for later in lessons[k + 2:]:
            assert not said & _words(later.title, lang), f"{lesson.id}'s recap names {later.id}, not {following.id}"


@pytest.mark.parametrize("lang", LANGS)
def test_no_text_points_at_a_lesson_by_its_place(catalogs, lang):
    vague = {"en": ("the last lesson", "the previous lesson"), "zh": ("上一课", "前一课")}[lang]
    found = [f"{lesson.id} {step.source.name}" for lesson in catalogs[lang].lessons for step in lesson.steps
             for phrase in vague if phrase in (step.body + step.after).lower()]
    assert not found


def test_a_key_is_pressed_never_a_word_in_the_sentence(catalogs):
    texts = [step.body + step.after for lesson in catalogs["en"].lessons for step in lesson.steps]
    assert not [t for t in texts if re.search(r"\band \*\*a\*\* applies", t)]
    assert any("press **a** to apply its suggestion" in t for t in texts)


# --- one minus sign ---

def test_negative_numbers_take_the_formulas_minus_sign():
    assert placeholders.fill("−0.1 · 12 = {{ v:g }}", {"v": -1.2}) == "−0.1 · 12 = \u22121.2"
    assert placeholders.fill("{{ xs:g }} and {{ n }}", {"xs": [-1.0, 2.0], "n": -3}) == "[\u22121, 2] and \u22123"
    assert placeholders.format_value(-2.5e-05) == "\u22122.5e-05"  # the exponent is notation, not a minus


@pytest.mark.parametrize("value, spec, shown", [(-0.0001, ".2f", "0.00"), (-0.0, "", "0"), (-0.004, ".2f", "0.00"),
                                                (-1e-9, ".3g", "\u22121e-09"), (float("-inf"), "", "\u2212inf")])
def test_a_zero_has_no_sign(value, spec, shown):
    assert placeholders.format_value(value, spec) == shown


@pytest.mark.parametrize("value", [-1.2, -0.371101, -28, -2.5e-05, 3.0])
def test_a_shown_number_copied_into_the_answer_box_is_read_back(value):
    assert parse_answer(placeholders.format_value(value)) == pytest.approx(value)


def test_code_keeps_pythons_minus():
    values = {"lr": -0.1}
    text = "Prose {{ lr }}; `w -= {{ lr }}`\n```python\nlr = {{ lr }}\n```\n```text\nα = {{ lr }}\n```\n"
    assert placeholders.fill(text, values) == ("Prose \u22120.1; `w -= -0.1`\n```python\nlr = -0.1\n```\n"
                                               "```text\nα = \u22120.1\n```\n")
    assert placeholders.fill("lr = {{ lr }}", values, code=True) == "lr = -0.1"


def test_python_listings_are_code_and_formula_listings_are_not(catalogs):
    listings = {(lesson.id, step.index): step for lesson in catalogs["en"].lessons for step in lesson.steps
                if isinstance(step, FindErrorStep)}
    assert placeholders.listing_is_code(listings[("gradient-descent", 9)].lines)  # NumPy
    assert placeholders.listing_is_code(listings[("cifar10", 5)].correct)  # torchvision, with placeholders
    assert not placeholders.listing_is_code(listings[("gradient-descent", 8)].lines)  # θ₁ = θ₀ − …
    assert not placeholders.listing_is_code(listings[("backprop", 16)].lines)  # W, ŷ, ReLU


SIGNED = re.compile(r"(?<![\w.\-])-\d")  # an ASCII minus in front of a number ("1e-05" is notation)


@pytest.mark.parametrize("lang", LANGS)
def test_lesson_prose_shows_no_ascii_minus_before_a_number(catalogs, lang):
    found = []
    for lesson in catalogs[lang].lessons:
        for variant in range(3 if lesson_has_variants(lesson) else 1):
            values = lesson_values(lesson, variant)
            for step in lesson.steps:
                code = isinstance(step, FindErrorStep) and placeholders.listing_is_code(step.lines)
                for where, text in visible_parts(step):
                    if code and where in ("lines", "correct"):
                        continue
                    filled = placeholders.fill(text, values)
                    prose = re.sub(r"```.*?```|`[^`\n]*`", "", filled, flags=re.S)
                    found += [f"{lesson.id} step {step.index} {where}: {m.string[max(0, m.start() - 20):m.end() + 5]!r}"
                              for m in SIGNED.finditer(prose)]
    assert not found, "\n".join(dict.fromkeys(found))


def test_engine_notes_write_negative_numbers_as_the_lessons_do():
    from engines.core.numbers import formula_number

    assert formula_number(-0.4) == "\u22120.4"
    assert formula_number(-0.00001, ".2f") == "0.00"  # rounds to zero: no sign at all
    assert formula_number(1.25, ".4g") == "1.25"
