"""The engine process the UI starts: ``python -m engines.core.worker``.

Protocol (one JSON object per line):
  stdout ← ``{"type": "ready", "device": {...}, "node": HOST}`` once set up (or ``"error"``), then the
           run's events in the same flat form as ``tui-lab run --json``, except that
           consecutive progress events travel in columns (``"progress_batch"``);
  stdin  → first the job ``{"engine": NAME, "params": {...}, "paused": false, "nproc": 1, "lang": "zh",
           "runs": {...}}`` (``lang``: the language of its sentences, the lab's when the job is
           given; ``runs``: the class settings, ``RunSettings.to_json``: the run waits for its
           turn on its device, sending ``queued`` events, and its GPU memory share), then
           live commands ``{"cmd": "stop" | "pause" | "resume" | "step" | ...}`` ("step"
           lets one step through while paused). End of stdin means the UI is
           gone: the run stops cleanly, keeping what it has written. SIGTERM (what Slurm sends at a
time limit) is a stop too.

It may be started ahead of time (``--warm`` imports torch while the student reads) and
then waits for its job. Anything printed by libraries goes to stderr, never into the
event stream. Without ``--threads`` it trains with one core fewer than it may use, left to
the interface beside it (a headless run takes them all).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
from typing import IO, Any

from engines.core import registry
from engines.core.class_settings import RunSettings
from engines.core.device import DeviceError, DeviceInfo, available, detect, parse_device
from engines.core.events import Event, Failed, Progress, ProgressBatch, to_json
from engines.core.runtime import Control, device_key, in_turn, run_engine
from lab_i18n import _, language, set_language


def _private_stdout() -> IO[str]:
    """Keep fd 1 for events only: stray prints (ours or C libraries') go to stderr."""
    events_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(events_fd, "w", buffering=1, encoding="utf-8")


def _send(out: IO[str], line: str) -> None:
    out.write(line + "\n")
    out.flush()


class _Sender:
    """Writes the run's events; Progress events are grouped into one line for ≤ BATCH_S.

    A fast loop makes thousands of steps a second: a line (and a wake-up of the UI's
    reader) per step would cost the UI more than drawing does. The engine's thread only
    appends to a list; a writer thread encodes and writes, so a slow reader never stalls
    training. A slow loop's single step still reaches the UI within BATCH_S.
    """

    BATCH_S = 0.05

    def __init__(self, out: IO[str], ctl: Control) -> None:
        self.out = out
        self.ctl = ctl
        self.pending: list[Progress] = []
        self.after_stop = 0  # pending steps the engine reported after the stop arrived
        self.lock = threading.Lock()  # guards pending
        self.write_lock = threading.Lock()  # keeps lines whole and in order
        self.started = threading.Event()  # set when a batch starts filling
        threading.Thread(target=self._flush_every_batch, daemon=True).start()

    def send(self, event: Event) -> None:
        if isinstance(event, Progress):
            with self.lock:
                self.pending.append(event)
                self.after_stop += self.ctl.stop_requested
                if len(self.pending) == 1:
                    self.started.set()
            return
        with self.write_lock:  # progress first, then the event that follows it
            self._flush()
            _send(self.out, to_json(event))

    def _flush(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, []
            after_stop, self.after_stop = self.after_stop, 0
        if batch:
            _send(self.out, ProgressBatch.of(batch, after_stop).to_json())

    def _flush_every_batch(self) -> None:
        while True:
            self.started.wait()
            time.sleep(self.BATCH_S)  # let the batch fill, then send whatever is there
            self.started.clear()
            with self.write_lock:
                self._flush()


def _read_commands(stream: IO[str], ctl: Control) -> None:
    for line in stream:
        line = line.strip()
        if not line:
            continue
        try:
            ctl.send(json.loads(line))
        except (ValueError, AttributeError):
            print(f"worker: ignored malformed command {line!r}", file=sys.stderr)
    ctl.stop()  # the UI closed our stdin or died


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engines.core.worker")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--warm", action="store_true", help="import torch before the job arrives")
    args = parser.parse_args(argv)
    out = _private_stdout()

    device: DeviceInfo | None = None
    ready: dict[str, Any] = {"type": "ready", "pid": os.getpid(), "node": socket.gethostname()}
    try:
        device = detect(args.device, args.threads, keep_core_free=True)
        ready["device"] = device.to_dict()
        if args.warm or device.kind != "cpu" or args.device == "auto":
            import torch  # noqa: F401 - the point is to pay this before the run
            import torch._dynamo  # noqa: F401 - the first optimizer imports it (~1 s)

            ready["devices"] = [d.to_dict() for d in available()]  # for the UI's device picker
    except DeviceError as error:
        ready["error"] = str(error)
    _send(out, json.dumps(ready))

    job_line = sys.stdin.readline()
    if not job_line.strip():
        return 0  # the UI closed without giving a job (it quit, or replaced a warm worker)
    job = json.loads(job_line)
    set_language(job.get("lang") or language())  # the lab's language when the job was given
    if device is None:
        _send(out, to_json(Failed(ready["error"], _("Choose another device from the palette (Ctrl+P → device)."))))
        return 0
    ctl = Control(device=device, data_dir=job.get("data_dir"), paused=bool(job.get("paused")))
    threading.Thread(target=_read_commands, args=(sys.stdin, ctl), daemon=True).start()
    # a stop from another thread: the handler may interrupt this thread inside the control's locks
    signal.signal(signal.SIGTERM, lambda signum, frame: threading.Thread(target=ctl.stop).start())
    runs = RunSettings.from_json(job.get("runs"))
    if ctl.paused:  # a run driven key by key (by hand) computes next to nothing and would hold a place for minutes
        runs = RunSettings(memory_share=runs.memory_share)
    try:
        spec = registry.engine(job["engine"])
    except registry.UnknownName as error:
        _send(out, to_json(Failed(str(error), "")))
        return 0
    sender = _Sender(out, ctl)
    nproc = int(job.get("nproc") or 1)
    if nproc > 1:  # the same engine in several processes (torchrun); rank 0's events come here
        from engines.training import distributed

        try:
            distributed.check_nproc(nproc, job["engine"], parse_device(args.device))
        except distributed.LaunchError as error:
            sender.send(Failed(str(error).replace("--nproc", "processes"), ""))
            return 0
        events = in_turn(runs, device_key(device), ctl, lambda: distributed.launch(
            job["engine"], job.get("params", {}), nproc, parse_device(args.device), ctl.data_dir, ctl))
    else:
        events = run_engine(spec, job.get("params", {}), ctl, log_traceback=True, runs=runs)
    for event in events:
        sender.send(event)
    return 0


if __name__ == "__main__":
    sys.exit(main())
