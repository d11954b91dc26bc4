"""Chinese line breaking for everything Textual wraps: lesson Markdown, feedback, help.

Textual (8.x) wraps a ``Content`` line with Rich's ``divide_line``, which breaks only at
spaces (see ``lab_i18n.cjk`` for what that does to Chinese). ``install()`` makes the
name Textual's content module and Rich's text module call a wrapper that breaks lines
containing CJK characters by ``lab_i18n.cjk.break_offsets``, measured with Rich's own
cell widths, and hands every other line to the original function unchanged, so English
text wraps exactly as before.
"""

from __future__ import annotations

from typing import Callable

from lab_i18n.cjk import break_offsets, has_cjk

DivideLine = Callable[..., list[int]]


def cjk_aware(original: DivideLine) -> DivideLine:
    """``divide_line`` with Chinese rules for lines that hold Chinese."""
    from rich.cells import cell_len

    def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
        if width <= 0 or not has_cjk(text):
            return original(text, width, fold=fold)
        return break_offsets(text, width, fold=fold, cell_len=cell_len)

    divide_line.original = original  # type: ignore[attr-defined]
    return divide_line


def install(textual: bool = True) -> None:
    """Use the Chinese-aware wrapper from now on (idempotent): in Rich's text (the headless
    output) and, unless ``textual`` is False, in Textual's content (the lab)."""
    import rich.text

    modules = [rich.text]
    if textual:
        import textual.content

        modules.append(textual.content)
    for module in modules:
        if callable(getattr(module, "divide_line", None)) and not hasattr(module.divide_line, "original"):
            module.divide_line = cjk_aware(module.divide_line)
