"""An engine that misbehaves on purpose, so the hosts' safety nets can be checked.

The tests use it: ``mode=ok`` counts steps, ``crash`` raises mid-run, ``exit`` kills
its own process, ``nan`` produces a NaN loss, ``oom`` fails as a GPU out of memory does
and ``stubborn`` ignores the stop flag (the host must terminate it). ``checkpoint`` (a
path) writes a small file there after every step and says so as a training engine does;
``wait_for`` (a path) holds the run after its start until that file exists or it is
stopped, so a test decides when a run that holds a place in line ends.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any, Iterator

from engines.core.events import Artifact, Event, Progress, Started
from engines.core.params import Param
from engines.core.runtime import Control, EngineSpec
from lab_i18n import N_


def run(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    mode, steps, pace = config["mode"], config["steps"], config["step_seconds"]
    work = None
    if config["work"]:
        import numpy

        work = numpy.full((config["work"], config["work"]), 1.0)
    yield Started(device="cpu", config=dict(config), total_steps=steps)
    while config["wait_for"] != "off" and not os.path.exists(config["wait_for"]):
        if ctl.wait_stop(0.05):
            return
    for step in range(1, steps + 1):
        if ctl.stop_requested and mode != "stubborn":
            return
        ctl.poll()
        if step == config["fail_at"]:
            if mode == "crash":
                raise RuntimeError("selftest crash requested at step %d" % step)
            if mode == "exit":
                os.kill(os.getpid(), signal.SIGKILL)
            if mode == "oom":  # what torch raises when a batch does not fit on the GPU
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.19 GiB total capacity)")
        if work is not None:
            work = work @ work / config["work"]  # stands in for a training step's arithmetic
        loss = float("nan") if (mode == "nan" and step == config["fail_at"]) else 1.0 / step
        yield Progress(step=step, loss=loss, samples_per_s=1.0 / pace if pace else None)
        if config["checkpoint"] != "off":
            with open(config["checkpoint"], "w", encoding="utf-8") as file:
                file.write(f"step {step}\n")
            yield Artifact("checkpoint", {"path": config["checkpoint"], "epoch": 0, "step": step, "reason": "epoch_end"})
        if pace:
            time.sleep(pace)  # stands in for the work of one step


SELFTEST = EngineSpec(
    name="selftest",
    title="Engine host self-test",
    params=(
        Param("mode", str, "ok", N_("behaviour"), choices=("ok", "crash", "exit", "nan", "stubborn", "oom")),
        Param("steps", int, 20, N_("number of steps"), minimum=1, maximum=10_000_000),
        Param("fail_at", int, 5, N_("step at which crash/exit/nan happens"), minimum=1),
        Param("step_seconds", float, 0.0, N_("seconds per step"), minimum=0.0, maximum=10.0),
        Param("work", int, 0, N_("size of a matrix product done each step (benchmarks)"), minimum=0, maximum=4096),
        Param("checkpoint", str, "off", N_("a file written after every step, as a checkpoint (off: none)")),
        Param("wait_for", str, "off", N_("after the start, wait until this file exists (off: no wait)")),
    ),
    run=run,
    smoke={"steps": 3},
)
