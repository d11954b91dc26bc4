"""Chinese line breaking: punctuation and short key words stay whole, lines stay full."""

import pytest
from rich.cells import cell_len

from lab_i18n.cjk import NO_END, NO_START, break_offsets, units, wrap

SENTENCES = [
    "空格键标记一行错误（再按一次取消）；按 C 或“检查”检查标记的行。",
    "请先标出错误的行（你认为错的每一行），再按 F5 运行。按 Ctrl+B 可以重新打开资源管理器。",
    "这一步仍算已解出。答案是 2.8（已揭晓）。还有 3 处错误的行没找到。",
]
WIDTHS = range(8, 41)


@pytest.mark.parametrize("text", SENTENCES)
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(text):
    for width in WIDTHS:
        lines = wrap(text, width)
        assert [line for line in lines[1:] if line[0] in NO_START] == [], width
        assert [line for line in lines[:-1] if line[-1] in NO_END] == [], width


@pytest.mark.parametrize("text", SENTENCES)
def test_lines_fit_and_lose_nothing_but_the_spaces_they_break_at(text):
    for width in WIDTHS:
        lines = wrap(text, width)
        assert max(cell_len(line) for line in lines) <= width
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_a_key_stays_with_the_word_before_it():
    text = SENTENCES[1]
    for width in WIDTHS:
        lines = wrap(text, width)
        assert not any(line.endswith("按") for line in lines), (width, lines)
        assert not any(line in ("C", "F5", "Ctrl+B") or line.startswith(("F5 ", "Ctrl+B ")) for line in lines)


def test_chinese_breaks_between_characters_instead_of_moving_a_whole_clause():
    lines = wrap("先看看 这一整句很长的话没有任何空格也能在任何两个字之间换行。", 20)
    assert lines[0].startswith("先看看 这一整句") and cell_len(lines[0]) >= 18


def test_english_breaks_only_at_spaces():
    assert wrap("Press F5 to run the step again.", 12) == ["Press F5 to", "run the step", "again."]
    assert [piece for _, piece in units("one two")] == ["one ", "two"]


def test_a_word_wider_than_the_line_is_cut():
    offsets = break_offsets("超级长的词abcdefghijklmnop", 6)
    assert offsets and all(b > a for a, b in zip(offsets, offsets[1:]))


def test_textual_content_wraps_chinese_by_these_rules_and_english_as_before():
    from textual.content import Content

    from tui_lab.cjk_wrap import install

    english = Content("Mark the wrong lines first (each one you think is wrong), then Check.")
    before = [line.plain for line in english.wrap(20)]
    install()
    install()  # twice is once
    assert [line.plain for line in english.wrap(20)] == before
    chinese = [line.plain.rstrip() for line in Content(SENTENCES[0]).wrap(12)]
    assert chinese == wrap(SENTENCES[0], 12)
    assert not any(line[0] in NO_START for line in chinese[1:])


def test_rich_output_keeps_a_key_with_its_word_once_installed():
    import io

    from rich.console import Console

    from tui_lab.cjk_wrap import install

    install(textual=False)
    out = io.StringIO()
    Console(file=out, width=15).print(SENTENCES[1])
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    assert lines == wrap(SENTENCES[1], 15)
    assert not any(line.endswith("按") for line in lines)
