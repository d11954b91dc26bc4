"""How lesson text reaches the screen, and what a renderer would eat on the way.

Strings shown outside Markdown (titles, prompts, hints, find-error lines, slip messages,
and whatever a student types) are shown as ``rich.text.Text``, which parses no markup, so
``[/i]`` shows as typed. Markdown bodies go through the parser Textual's Markdown widget
uses (markdown-it, "gfm-like"); it drops raw HTML and link-reference lines, so
``tui-lab check`` reports any such text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.markup import RE_TAGS
from rich.text import Text

from lessons.model import AFTER_MARKER

if TYPE_CHECKING:
    from markdown_it.token import Token


def plain_eaten(text: str) -> str | None:
    """What the plain-text path would not show of ``text`` (a phrase), or None."""
    shown = Text(text).plain
    if shown == text:
        return None
    lost = sorted({c for c in text if c not in shown} or {"?"})
    return "characters " + ", ".join(repr(c) for c in lost) + " would not be shown"


def markdown_eaten(markdown: str) -> list[str]:
    """What of ``markdown`` the Markdown widget would not show as typed: raw HTML (other
    than the after marker), and markup-like ``[tags]`` that vanish (e.g. in a
    ``[name]: url`` line). Markdown links ``[text](url)`` are meant to become links."""
    from markdown_it import MarkdownIt  # not on the lab's start-up path (app → check → here)

    tokens = MarkdownIt("gfm-like").parse(markdown)
    problems = [f"raw HTML {html.strip()!r} is not shown" for html in _html(tokens)
                if html.strip() != AFTER_MARKER]
    shown = _squeeze("".join(_shown(tokens)))
    for match in RE_TAGS.finditer(markdown):
        tag = match.group(0).lstrip("\\")
        if markdown[match.end():match.end() + 1] == "(" or _squeeze(tag) in shown:
            continue
        problems.append(f"{tag!r} is not shown as typed")
    return problems


def _html(tokens: list[Token]) -> list[str]:
    found = []
    for token in tokens:
        if token.type in ("html_block", "html_inline"):
            found.append(token.content)
        found += _html(token.children or [])
    return found


def _shown(tokens: list[Token]) -> list[str]:
    """The characters the widget shows, block after block (as in Textual's Markdown)."""
    out = []
    for token in tokens:
        if token.type in ("text", "code_inline", "fence", "code_block"):
            out.append(token.content)
        elif token.type == "image":
            out.append(token.attrs.get("alt", "") or "")
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
        out += _shown(token.children or [])
        out.append(" " if token.block else "")
    return out


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)
