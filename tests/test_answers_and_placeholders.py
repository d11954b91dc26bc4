import pytest

from lessons.placeholders import PlaceholderError, fill, malformed, names
from lessons.answers import AnswerError, is_close, parse_answer, parse_lines


@pytest.mark.parametrize("text, value", [("2.8", 2.8), ("-28", -28.0), ("−28", -28.0), ("1/7", 1 / 7),
                                         ("1e-3", 1e-3), ("2,8", 2.8), (" 2.8 ", 2.8)])
def test_answers_people_type(text, value):
    assert parse_answer(text) == pytest.approx(value)


@pytest.mark.parametrize("text, words", [("", "Type a number first"), ("abc", "is not a number"),
                                         ("nan", "NaN is not an answer"), ("inf", "Infinity"),
                                         ("1/0", "divides by zero")])
def test_bad_answers_get_a_sentence(text, words):
    with pytest.raises(AnswerError, match=words):
        parse_answer(text)


def test_a_bad_answer_is_told_in_the_lessons_language():
    with pytest.raises(AnswerError) as error:
        parse_answer("[/i]")
    assert str(error.value) == "'[/i]' is not a number; type something like 0.25, -3 or 2/9."
    assert error.value.sentence("zh") == "'[/i]' 不是一个数；请输入像 0.25、-3 或 2/9 这样的数。"


@pytest.mark.parametrize("text, lines", [("2,5,6", {2, 5, 6}), ("2 5  6", {2, 5, 6}), ("6, 2", {2, 6}), ("2，5", {2, 5})])
def test_line_numbers_people_type(text, lines):
    assert parse_lines(text, 6) == lines


@pytest.mark.parametrize("text, words", [("", "Type the numbers of the wrong lines first"),
                                         ("2,x", "'2,x' is not a list of line numbers"),
                                         ("-1", "is not a list of line numbers"),
                                         ("2,7", "There is no line 7: the example has lines 1 to 6.")])
def test_bad_line_numbers_get_a_sentence(text, words):
    with pytest.raises(AnswerError, match=words):
        parse_lines(text, 6)


def test_tolerance_is_absolute_whatever_the_size_of_the_answer():
    assert is_close(2.8004, 2.8, 1e-3) and not is_close(2.81, 2.8, 1e-3)
    assert is_close(0.0004, 0.0, 1e-3) and not is_close(0.002, 0.0, 1e-3)
    assert is_close(25_000, 25_000.4, 0.5) and not is_close(12_500, 25_000, 0.5)  # counts must be exact
    assert is_close(0.1 + 0.2, 0.3, 0.0)  # every digit typed: float rounding never counts against


def test_fill_formats_and_indexes():
    values = {"theta1": 2.8000000000000003, "x": [1.0, 2.0, 3.0], "n": 7}
    assert fill("θ₁ = {{ theta1 }}", values) == "θ₁ = 2.8"
    assert fill("{{theta1:.3f}} {{ x[2]:g }} {{ x:g }} {{ n }}", values) == "2.800 3 [1, 2, 3] 7"
    assert names("{{ a }} and {{ b:.2f }} and {{ a[0] }}") == {"a", "b"}


def test_unknown_and_malformed_placeholders_are_named():
    with pytest.raises(PlaceholderError, match="unknown value 'theta9'"):
        fill("{{ theta9 }}", {})
    assert malformed("ok {{ a }}\nbad {{ 1x }}") == [(2, "{{ 1x }}")]
