"""Numbers written into the engines' sentences the way lesson text writes them.

A sentence that reads like a formula (``1 − αΣx² = −0.4``) uses the typographic minus
(U+2212) that the lessons use, so a note and the text above it do not mix signs; a zero
never shows a sign. Numbers meant to be copied into code keep ASCII and do not come here.
"""

from __future__ import annotations

MINUS = "\u2212"


def formula_number(value: float, spec: str = "g") -> str:
    """``value`` formatted with ``spec``; a negative sign as ``−``, never ``-0``."""
    text = format(value, spec)
    if text.startswith("-"):
        rest = text[1:]
        return rest if float(rest) == 0 else MINUS + rest
    return text
