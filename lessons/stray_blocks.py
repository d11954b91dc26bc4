"""Lines that Markdown would turn into a list, heading or quote that the text never meant.

A wrapped sentence whose next line starts with ``1. `` (``… its target is`` / ``1. Its
error …``) becomes a numbered list, and so does a line that starts with a placeholder
filled with a number. Lesson texts therefore write every list, heading and quote as a
block of its own (after a blank line) with its marker typed in the source; anything else
that the parser opens as such a block is reported.
"""

from __future__ import annotations

import re

# The block tokens a stray line start can open, and what a learner would see.
BLOCKS = {
    "ordered_list_open": "a numbered list",
    "bullet_list_open": "a bulleted list",
    "heading_open": "a heading",
    "blockquote_open": "a quote",
}
MARKER = re.compile(r"^\s*(?:\d{1,9}[.)]|[-+*]|#{1,6}|>)(?:\s|$)")


def stray_blocks(source: str, filled: str) -> list[str]:
    """Each block of ``filled`` (``source`` with its placeholders filled) that a line start
    opened by accident: ``"line N: '…' would show as a numbered list"``."""
    from markdown_it import MarkdownIt  # not on the lab's start-up path

    lines = filled.split("\n")
    source_lines = source.split("\n")
    same_lines = len(source_lines) == len(lines)
    problems = []
    for token in MarkdownIt("gfm-like").parse(filled):
        if token.type not in BLOCKS or not token.map:
            continue
        first = token.map[0]
        previous = lines[first - 1] if first > 0 else ""
        setext = token.type == "heading_open" and token.markup in ("=", "-")
        nested_item = token.level > 0 and MARKER.match(previous)
        glued = bool(previous.strip()) and not nested_item
        typed = not same_lines or bool(MARKER.match(source_lines[first]))
        if setext or glued or not typed:
            shown = lines[first].strip()
            problems.append(f"line {first + 1}: {shown[:40]!r} would show as {BLOCKS[token.type]}")
    return problems
