"""The confusion matrix read at 80 columns (numbered columns and a key) and at 120 (names)."""

from rich.console import Console

from tui_lab.artifact_views import confusion_matrix

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def payload(labels: list[str]) -> dict:
    matrix = [[900 if i == j else (i + 2 * j) % 9 for j in range(len(labels))] for i in range(len(labels))]
    return {"labels": labels, "matrix": matrix, "epoch": 3}


def lines_at(width: int, data: dict) -> list[str]:
    console = Console(width=width, no_color=True, record=True)
    console.print(confusion_matrix(data))
    return console.export_text().splitlines()


def header_of(lines: list[str]) -> str:
    return next(line for line in lines if "true╲pred" in line)


def test_at_80_columns_the_columns_are_numbered_and_a_key_names_them():
    lines = lines_at(80, payload(FASHION))
    header = header_of(lines)
    assert header.split() == ["true╲pred", *(str(i) for i in range(10))]
    assert all(len(line) <= 80 for line in lines)
    rows = lines[lines.index(header) + 1:][:10]
    assert rows[0].split()[:3] == ["T-shirt/top", "0", "900"] and rows[9].split()[:3] == ["Ankle", "boot", "9"]
    key = " ".join(lines[lines.index(header) + 11:])
    for i, name in enumerate(FASHION):
        assert f"{i} {name}" in key


def test_at_120_columns_the_full_names_head_the_columns_and_no_key_is_needed():
    lines = lines_at(120, payload(FASHION))
    header = header_of(lines)
    for name in FASHION:
        assert name in header
    assert "0 T-shirt/top" not in "\n".join(lines)


def test_digit_classes_need_no_key_at_any_width():
    digits = [str(i) for i in range(10)]
    lines = lines_at(60, payload(digits))
    assert header_of(lines).split() == ["true╲pred", *digits]
    assert lines[lines.index(header_of(lines)) + 1].split()[:2] == ["0", "900"]
    assert not any(line.startswith("0 0") for line in lines)
