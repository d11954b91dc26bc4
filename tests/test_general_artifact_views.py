"""The two general artifact views the engines share: a table and small pictures."""

from rich.console import Console

from tui_lab import artifact_views


def shown(renderable, width=80):
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_a_table_shows_title_columns_and_cells_with_numbers_short():
    text = shown(artifact_views.VIEWS["table"]({
        "title": "Each model", "columns": ["width", "test loss", "accuracy"],
        "rows": [[8, 0.612345678, "78.1 %"], [16, 0.4871, "83.0 %"]]}))
    lines = text.splitlines()
    assert lines[0].strip() == "Each model"
    assert lines[1].split() == ["width", "test", "loss", "accuracy"]
    assert lines[2].split() == ["8", "0.6123", "78.1", "%"]  # a float cell is cut to 4 digits
    assert lines[3].split() == ["16", "0.4871", "83.0", "%"]


def test_images_are_drawn_side_by_side_with_their_captions():
    white = [[255] * 28 for _ in range(28)]
    black = [[0] * 28 for _ in range(28)]
    text = shown(artifact_views.VIEWS["images"]({
        "title": "Hidden units", "images": [{"caption": "unit 1", "pixels": white},
                                            {"caption": "unit 2", "pixels": black}]}), width=120)
    assert text.splitlines()[0].strip() == "Hidden units"
    caption_line = next(line for line in text.splitlines() if "unit 1" in line)
    assert "unit 2" in caption_line  # side by side, not one under the other
