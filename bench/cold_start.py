"""Cold start to first painted screen: `tui-lab` vs a minimal Textual app, same way.

Both run as `python -c ...` in a real pseudo-terminal (80×24); the clock runs from
process start until a word that only the painted screen contains arrives on the pty.
Prints the median of N runs for each and their ratio (target: at most 2×).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _pty import PtyApp  # noqa: E402

MINIMAL = (
    "from textual.app import App\nfrom textual.widgets import Static, Footer\n"
    "class Minimal(App):\n    def compose(self):\n        yield Static('MINIMAL-READY')\n        yield Footer()\n"
    "Minimal().run()\n"
)
LAB = "import sys\nfrom tui_lab.cli import main\nsys.exit(main(['--device', 'cpu']))\n"


def settle() -> None:
    """Wait for engine workers of the previous run to finish, so they don't share the CPU."""
    import subprocess

    while subprocess.run(["pgrep", "-f", "engines.core.worker"], capture_output=True).returncode == 0:
        time.sleep(0.1)


def first_paint(code: str, marker: str, env: dict, then: str | None = None) -> tuple[float, float | None]:
    """Seconds from process start to ``marker`` on screen, and to ``then`` (if given)."""
    settle()
    app = PtyApp([sys.executable, "-c", code], cols=80, rows=24, env=env)
    try:
        app.wait_for(marker)
        painted = time.perf_counter() - app.started
        if then is None:
            return painted, None
        app.wait_for(then)
        return painted, time.perf_counter() - app.started
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {"TUI_LAB_HOME": home}
        first_paint(LAB, "EXPLORER", env)  # warm the OS file cache (and .pyc files) for both
        first_paint(MINIMAL, "MINIMAL-READY", env)
        lab, minimal = [], []
        for _ in range(args.n):  # interleaved, so machine noise hits both alike
            lab.append(first_paint(LAB, "EXPLORER", env, then="Step 1/"))
            minimal.append(first_paint(MINIMAL, "MINIMAL-READY", env)[0])
    painted = [p for p, _ in lab]
    step = [s for _, s in lab]
    lab_s, minimal_s = statistics.median(painted), statistics.median(minimal)
    print(f"minimal Textual app        : median {minimal_s * 1000:.0f} ms  (min {min(minimal) * 1000:.0f}, n={args.n})")
    print(f"tui-lab first paint        : median {lab_s * 1000:.0f} ms  (min {min(painted) * 1000:.0f})")
    print(f"tui-lab first step on screen: median {statistics.median(step) * 1000:.0f} ms")
    print(f"ratio (first paint)        : {lab_s / minimal_s:.2f}× (target ≤ 2×)")


if __name__ == "__main__":
    main()
