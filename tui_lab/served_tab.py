"""One browser tab's lab: the command ``tui-lab serve`` has textual-serve run for each tab.

textual-serve starts it with TEXTUAL_FPS=60; Textual reads that variable once, when it
is imported, so the lower rate a served lab paints at is set here, before anything loads
Textual. The lab then opens as ``tui-lab`` opens it, and knows it is served.
"""

from __future__ import annotations

import os
import sys

SERVED_FPS = 20  # screen repaints a second


def main(argv: list[str]) -> int:
    os.environ["TEXTUAL_FPS"] = str(SERVED_FPS)
    from tui_lab.cli import main as open_from_the_command_line

    return open_from_the_command_line(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
