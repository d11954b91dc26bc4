"""`tui-lab values LESSON [--variant N] [--json]`: a lesson's numbers for one set of
numbers, a teacher's answer key."""

import json
import math

import pytest

from conftest import run_cli
from engines.core import registry
from lessons import load_catalog, placeholders
from lessons.model import ComputeStep
from lessons.values import lesson_has_variants, lesson_values
from tui_lab.cli import main

BY_HAND = ("gradient-descent", "backprop", "optimizers")


@pytest.fixture
def values(capsys):
    """``values("mnist", "--json")`` → (exit status, stdout, stderr), in this process."""

    def run(*args: str):
        status = main(["values", *args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def strict_json(text: str):
    """JSON as the standard has it: NaN and Infinity are not numbers there."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def text_names(lesson) -> set[str]:
    """Every placeholder name in the lesson's English text."""
    names = placeholders.names(lesson.title) | placeholders.names(lesson.summary)
    for step in lesson.steps:
        texts = [step.title, *step.texts()] + ([step.prompt] if isinstance(step, ComputeStep) else [])
        for text in texts:
            names |= placeholders.names(text)
    return names


@pytest.mark.parametrize("lesson_id", BY_HAND)
@pytest.mark.parametrize("variant", ["0", "7"])
def test_json_is_valid_and_holds_every_name_the_lesson_text_uses(values, lesson_id, variant):
    status, out, _ = values(lesson_id, "--variant", variant, "--json")
    assert status == 0
    table = strict_json(out)
    lesson = load_catalog().get(lesson_id)
    missing = text_names(lesson) - set(table)
    assert not missing, f"placeholders with no value: {sorted(missing)}"
    engine = lesson_values(lesson, int(variant))
    assert list(table) == list(engine)  # the engine's order
    numbers = [n for n, v in engine.items() if isinstance(v, float) and math.isfinite(v)]
    assert numbers and all(table[n] == pytest.approx(engine[n]) for n in numbers)  # numbers stay numbers
    assert all(isinstance(table[n], list) for n, v in engine.items() if isinstance(v, (list, tuple)))


def test_plain_output_is_one_name_per_line_in_the_tables_order(values):
    status, out, err = values("gradient-descent")
    engine = lesson_values(load_catalog().get("gradient-descent"))
    lines = out.splitlines()
    assert status == 0 and err == "" and len(lines) == len(engine)
    assert [line.partition(" = ")[0] for line in lines] == list(engine)
    shown = dict(line.split(" = ", 1) for line in lines)
    assert float(shown["theta1"]) == pytest.approx(engine["theta1"], rel=1e-9)


def test_values_not_json_can_hold_are_null_and_named(values, monkeypatch):
    monkeypatch.setattr(registry, "values",
                        lambda name: lambda variant=0: {"a": 1.5, "b": float("nan"), "c": [1.0, float("inf")]})
    status, out, err = values("gradient-descent", "--json")
    assert status == 0 and strict_json(out) == {"a": 1.5, "b": None, "c": [1.0, None]}
    assert err.count("\n") == 1 and "b, c" in err


def test_two_variants_differ_in_their_answers(values):
    three, four = (strict_json(values("gradient-descent", "--variant", n, "--json")[1]) for n in ("3", "4"))
    lesson = load_catalog().get("gradient-descent")
    answers = [s.answer for s in lesson.steps if isinstance(s, ComputeStep)]
    assert any(three[a] != four[a] for a in answers)
    assert {n: v for n, v in three.items() if n.startswith("article_")} == \
           {n: v for n, v in four.items() if n.startswith("article_")}  # the articles' quotes stay


def test_a_lesson_with_one_set_of_numbers_says_so_once(values):
    assert not lesson_has_variants(load_catalog().get("mnist"))
    status, out, err = values("mnist", "--variant", "3")
    assert status == 0 and out == values("mnist")[1]
    assert err.count("\n") == 1 and "one set of numbers" in err


@pytest.mark.parametrize("args, words", [
    (["nope"], "tui-lab: No lesson 'nope'; lessons: gradient-descent"),
    (["mnist", "--variant", "-1"], "a variant is a whole number from 0 up, not '-1'"),
])
def test_bad_input_is_one_sentence_and_exit_status_2(args, words):
    result = run_cli("values", *args)
    assert result.returncode == 2 and result.stdout == "" and words in result.stderr
