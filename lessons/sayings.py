"""The lab's sentences around an answer: verdicts, hints about lines, and the words of the
answer box; those of reading the input come from lessons/answers.py. Each is English (the
catalogue's msgid) and is said in a language through the catalogue, ``say(key, lang)``.

Kept apart from the judge so that a screen showing only these words does not load it."""

from __future__ import annotations

from typing import Any

from lab_i18n import SENTENCE_SEPARATORS, N_, gettext_in
from lab_i18n import sentences as _sentences
from lessons import answers

# The judge's own sentences, whole (a language orders its words its own way);
# MESSAGES adds those of reading the input.
_VERDICTS: dict[str, str] = {
    "correct": N_("Correct: {value}."),
    "sign": N_("The size is right, but the sign is wrong."),
    "sign_and_size": N_("The sign is wrong, and the size is off too."),
    "sign_and_scale_large": N_("The sign is wrong, and it is about {factor}× too large."),
    "sign_and_scale_small": N_("The sign is wrong, and it is about {factor}× too small."),
    "scale_large": N_("That is about {factor}× too large: check the order of magnitude."),
    "scale_small": N_("That is about {factor}× too small: check the order of magnitude."),
    "close": N_("Right sign and size, but not it."),
    "not_it": N_("Not it."),
    "lines_correct": N_("Right: {lines}."),
    "lines_none": N_("Mark the wrong lines first (each one you think is wrong), then Check."),
    "line_is_correct": N_("Line {n} is correct as written (given the lines above)."),
    "lines_are_correct": N_("Lines {ns} are correct as written (given the lines above)."),
    "line_missed": N_("{count} more wrong line to find."),
    "lines_missed": N_("{count} more wrong lines to find."),
    "lines_all_found": N_("You found every wrong line; unmark the others."),
    "line_one": N_("line {n}"),
    "line_many": N_("lines {ns}"),
    "list_more": N_("{items}, {item}"),
    "list_last": N_("{items} and {item}"),
    # the lab's own words around the verdicts
    "stays_solved": N_("The step stays solved."),
    "answer_revealed": N_("The answer is {value} (revealed)."),
    "lines_revealed": N_("Revealed — wrong: {lines}."),
    "find_error_how": N_("Space marks a wrong line (again: unmarks it); C or Check checks the marked lines."),
    "heading_revealed": N_("◇ revealed"),
}
MESSAGES: dict[str, str] = {**answers.MESSAGES, **_VERDICTS}

def say(key: str, lang: str = "en", **params: Any) -> str:
    """A sentence of the catalogue in ``lang``; English where the language has none."""
    if key == "sentence_sep":
        return SENTENCE_SEPARATORS.get(lang, " ")
    return gettext_in(lang, MESSAGES[key]).format(**params)


def sentences(lang: str, *parts: str) -> str:
    """Sentences one after another, spaced as ``lang`` spaces them."""
    return _sentences(*parts, lang=lang)
