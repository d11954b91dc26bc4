"""Where a line of Chinese may break, for a wrapper that otherwise breaks only at spaces.

Chinese is written without spaces: a line may end between any two characters, except
that closing punctuation (，。、；：！？）」』 …) never starts a line and opening punctuation
（（「『 …) never ends one. A wrapper that knows only spaces instead keeps a whole clause as
one "word": it moves the clause to the next line, leaving a ragged gap, or chops it at the
width, wherever a comma happens to fall. And a space between a Chinese character and a
short key or number (``按 C``, ``按 F5``, ``有 3 处``) is part of the phrase: a line
broken there leaves ``按`` alone at its end.

``break_offsets`` returns the same thing as Rich's and Textual's ``divide_line`` (the
indices at which each next line starts) with these rules; text without CJK characters
is left to the caller's own wrapper. Standard library only: any layer may use it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

# Never at the start of a line (closing and trailing marks, full- and half-width).
NO_START = set("，。、；：！？）」』】》〉〕］｝”’…—～·％,.;:!?)]}%") | {"\u3000"}
# Never at the end of a line (opening marks).
NO_END = set("（「『【《〈〔［｛“‘([{")
# A key, number or code name short enough to stay with the Chinese word before it.
_SHORT_TOKEN = re.compile(r"[A-Za-z0-9+\-.=/_]{1,8}(?=[\s，。、；：！？）」』,.;:!?)]|$|[^\x00-\x7f])")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def char_cells(char: str) -> int:
    """Terminal cells of one character (0 for combining marks, 2 for wide ones)."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if is_wide(char) else 1


def _may_break(before: str, after: str) -> bool:
    """Between two characters that are not spaces: only next to a CJK character, and not
    before closing or after opening punctuation."""
    if after in NO_START or before in NO_END:
        return False
    return is_wide(before) or is_wide(after)


def units(text: str) -> list[tuple[int, str]]:
    """The text as pieces no line breaks inside, each with the spaces that follow it, and
    where each starts: a line may break only between two pieces."""
    starts = [0]
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        if after.isspace():
            continue
        if before.isspace():
            # a space between a CJK character and a short key or number holds them together
            gap_start = i
            while gap_start > 0 and text[gap_start - 1].isspace():
                gap_start -= 1
            glued = (text[gap_start:i] == " " and gap_start > 0 and is_wide(text[gap_start - 1])
                     and text[gap_start - 1] not in NO_START and _SHORT_TOKEN.match(text, i) is not None)
            if not glued and after not in NO_START:
                starts.append(i)
        elif _may_break(before, after):
            starts.append(i)
    return [(start, text[start:end]) for start, end in zip(starts, starts[1:] + [len(text)])]


def _cells(text: str) -> int:
    return sum(char_cells(c) for c in text)


def break_offsets(text: str, width: int, fold: bool = True, cell_len: Callable[[str], int] = _cells) -> list[int]:
    """The indices at which the lines of ``text`` wrapped to ``width`` cells start (the first
    line's 0 left out); trailing spaces of a line may overhang, as in Rich and Textual."""
    offsets: list[int] = []
    used = 0
    for start, piece in units(text):
        visible = cell_len(piece.rstrip())
        if used + visible <= width:
            used += cell_len(piece)
            continue
        if visible > width and fold:  # wider than any line: cut it where it must be cut
            if used and start:
                offsets.append(start)
            used = 0
            for index, char in enumerate(piece.rstrip(), start=start):
                cells = cell_len(char)
                if used + cells > width and used:
                    offsets.append(index)
                    used = 0
                used += cells
            used += cell_len(piece) - visible
        else:
            if used and start:
                offsets.append(start)
            used = cell_len(piece)
    return offsets


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` cells (for plain output and for tests)."""
    offsets = break_offsets(text, width)
    return [text[a:b].rstrip() for a, b in zip([0] + offsets, offsets + [len(text)])]
