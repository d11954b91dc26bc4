"""Terminal drawings of engine data: what a student reads off them must be right."""

from rich.console import Console

from tui_lab import render


def text_of(renderable, width: int = 100) -> str:
    console = Console(width=width, no_color=True, record=True)
    console.print(renderable)
    return console.export_text()


def test_a_digit_takes_two_pixel_rows_per_line_and_shows_its_ink():
    pixels = [[0] * 4 for _ in range(4)]
    pixels[0][1] = 255  # top-left quarter: one bright pixel on the first line
    pixels[3][2] = 128  # one grey pixel on the second line
    lines = render.digit_plain(pixels).splitlines()
    assert len(lines) == 2 and all(len(line) == 4 for line in lines)
    assert lines[0][1] == "█" and lines[0][0] == " "
    assert lines[1][2] in "▒▓" and lines[1][0] == " "
    assert render.digit(pixels).plain.splitlines()[0][1] == "▀"


def test_bars_scale_to_the_largest_value_and_print_the_numbers():
    text = text_of(render.bars(["0", "1", "2"], [0.1, 0.6, 0.3], width=12, highlight=1))
    rows = text.splitlines()
    assert rows[1].count("█") == 12 and "60.0%" in rows[1]
    assert rows[2].count("█") == 6 and "30.0%" in rows[2]


def test_confusion_matrix_shows_counts_with_dots_for_zeros():
    text = text_of(render.confusion(["cat", "dog"], [[5, 1], [0, 7]]))
    rows = [r.split() for r in text.splitlines() if r.strip()]
    assert rows[1] == ["cat", "5", "1"] and rows[2] == ["dog", "·", "7"]


def test_sparkline_levels():
    assert render.sparkline([0, 1, 2, 4]) == "▁▂▄█"
    assert render.sparkline([]) == ""


def test_colour_images_draw_their_rgb_pixels():
    red, black = [255, 0, 0], [0, 0, 0]
    pixels = [[red, black], [black, red]]
    text = render.digit(pixels)
    spans = {str(span.style) for span in text.spans}
    assert "rgb(255,0,0) on rgb(0,0,0)" in spans and "rgb(0,0,0) on rgb(255,0,0)" in spans
    assert render.digit_plain(pixels) == "░░"  # red is a third as bright as white
