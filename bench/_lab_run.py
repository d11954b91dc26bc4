"""Run one engine job inside the real lab (real terminal driver), then exit.

Used by the benchmarks: `python bench/_lab_run.py LESSON STEP 'PARAMS_JSON' OUT.json`
opens the step, starts the run as the Run key would, keeps the lab on screen while it
streams, writes the run's Finished summary to OUT.json and quits.
"""

import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tui_lab.app import make_app  # noqa: E402
from tui_lab.messages import RunRequested  # noqa: E402

lesson, step, params, out = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
app = make_app(device="cpu", warm_torch=False, lesson_dirs=[str(ROOT / "tests/fixtures/lessons")])


async def drive(pilot) -> None:  # plain sleeps: no test-harness work competes with the lab
    while app.current is None:
        await asyncio.sleep(0.05)
    await app.open_step(lesson, step)
    await asyncio.sleep(0.5)
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    app.post_message(RunRequested(lesson, step, params))
    while app.session is None or app.session.active:
        await asyncio.sleep(0.1)
    while os.environ.get("TUI_LAB_BENCH_HOLD"):  # stay on screen until the benchmark closes us
        await asyncio.sleep(0.5)
    after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - started
    ui_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    Path(out).write_text(json.dumps({"state": app.session.state, "ui_cpu_share": ui_cpu / wall, **app.session.summary}))
    app.exit()


app.run(auto_pilot=drive)
