"""Run one engine job inside the real lab (real terminal driver), then exit.

Used by the benchmarks: `python bench/_lab_run.py LESSON STEP 'PARAMS_JSON' OUT.json`
opens the step, starts the run as the Run key would, keeps the lab on screen while it
streams, writes the run's Finished summary (plus the UI's CPU share and the time from
pressing Run to the first point on the plot) to OUT.json and quits.

Environment: TUI_LAB_BENCH_HOLD=1 keeps the lab open after the run (for key-latency
measurements); TUI_LAB_BENCH_WARM=1 waits for the engine process to be warm before
pressing Run, as it is when a student has read the step first.
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
warm_torch = os.environ.get("TUI_LAB_BENCH_TORCH") == "1"
app = make_app(device="cpu", warm_torch=warm_torch, lesson_dirs=[str(ROOT / "tests/fixtures/lessons")],
               data_dir=os.environ.get("TUI_LAB_BENCH_DATA"))


async def drive(pilot) -> None:  # plain sleeps: no test-harness work competes with the lab
    while app.current is None:
        await asyncio.sleep(0.05)
    await app.open_step(lesson, step)
    if os.environ.get("TUI_LAB_BENCH_WARM"):
        while app.runs.device_info is None:  # the spare engine process has reported ready
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    app.post_message(RunRequested(lesson, step, params))
    first_point = None

    def plotted() -> bool:
        return any(p.points for p in app.panel.plot_area.plots())

    while app.session is None or app.session.active:
        if first_point is None and plotted():
            first_point = time.perf_counter() - started
        await asyncio.sleep(0.01 if first_point is None else 0.1)
    if first_point is None and plotted():  # the whole run fitted between two looks
        first_point = time.perf_counter() - started
    while os.environ.get("TUI_LAB_BENCH_HOLD"):  # stay on screen until the benchmark closes us
        await asyncio.sleep(0.5)
    after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - started
    ui_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    Path(out).write_text(json.dumps({"state": app.session.state, "ui_cpu_share": ui_cpu / wall,
                                     "first_point_s": first_point, "message": app.session.message,
                                     **app.session.summary}))
    app.exit()


app.run(auto_pilot=drive)
