"""Cold start to first painted screen: `tui-lab` vs a minimal Textual app, same way.

Both run as `python -c ...` in a real pseudo-terminal (80×24); the clock runs from
process start until a word that only the painted screen contains arrives on the pty.
Prints the median of N runs for each and their ratio (target: at most 2×).

Python's compiled bytecode is written on the warm-up run and used after it, as on a
user's machine (even where ``PYTHONDONTWRITEBYTECODE`` is set). ``--against DIR`` also starts the lab of another
checkout (e.g. a ``git worktree`` of an older commit), interleaved with this one.
"""

from __future__ import annotations

import argparse
import os
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
    parser.add_argument("--against", metavar="DIR", help="also time the lab of the checkout in DIR")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # the children inherit os.environ
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as other_home:
        env = {"TUI_LAB_HOME": home}
        # Its own home: an older lab may not read a newer lab's progress file.
        other = {"TUI_LAB_HOME": other_home, "PYTHONPATH": args.against} if args.against else None
        for warm_env in filter(None, (env, other)):  # warm the OS file cache and write .pyc files
            first_paint(LAB, "EXPLORER", warm_env)
        first_paint(MINIMAL, "MINIMAL-READY", env)
        lab, minimal, against = [], [], []
        for _ in range(args.n):  # interleaved, so machine noise hits all alike
            lab.append(first_paint(LAB, "EXPLORER", env, then="Step 1/"))
            minimal.append(first_paint(MINIMAL, "MINIMAL-READY", env)[0])
            if other:
                against.append(first_paint(LAB, "EXPLORER", other)[0])
    painted = [p for p, _ in lab]
    step = [s for _, s in lab]
    lab_s, minimal_s = statistics.median(painted), statistics.median(minimal)
    print(f"minimal Textual app        : median {minimal_s * 1000:.0f} ms  (min {min(minimal) * 1000:.0f}, n={args.n})")
    print(f"tui-lab first paint        : median {lab_s * 1000:.0f} ms  (min {min(painted) * 1000:.0f})")
    print(f"tui-lab first step on screen: median {statistics.median(step) * 1000:.0f} ms")
    print(f"ratio (first paint)        : {lab_s / minimal_s:.2f}× (target ≤ 2×)")
    if against:
        other_s = statistics.median(against)
        print(f"{args.against} first paint: median {other_s * 1000:.0f} ms  (min {min(against) * 1000:.0f}), "
              f"ratio {other_s / minimal_s:.2f}×; this checkout / that one: {lab_s / other_s:.3f}")


if __name__ == "__main__":
    main()
