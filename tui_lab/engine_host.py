"""Runs engines in a child process and relays their events to the UI.

The child is ``python -m engines.core.worker``: a crash, an out-of-memory kill or a hang in
it cannot take the UI down, torch is imported only there, and its threads do not
compete with the event loop. A relay thread reads the child's JSON lines into a buffer;
the UI drains the buffer on a timer, never once per step. Nothing here imports Textual,
so the host is tested and benchmarked on its own.

One spare worker is started ahead of time (``prewarm``) so that pressing Run does not
wait for Python and torch to start. Under Slurm (the class settings' ``launcher``) the
worker is started through ``srun`` when the run starts, never ahead: an idle worker would
hold a share of the cluster. What Slurm says about the job (queued, where it runs, why it
ended) becomes events for the UI (``tui_lab.slurm_follow``).
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from engines.core.class_settings import RunSettings
from engines.core.device import DeviceInfo
from engines.core.events import Artifact, Event, Failed, Finished, ProgressBatch, from_dict
from lab_i18n import _, language
from tui_lab.launchers import Launcher, SlurmState, said_by_slurm
from tui_lab import slurm_follow

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_S = 0.8  # cooperative stop first; then terminate, so a stop lands within ~1 s
CLOSE_GRACE_S = 10.0  # when the lab quits, a running engine may finish its checkpoint
CLEANUP_S = 10.0  # an engine that stopped stepping may take this long to write its checkpoint
# A cooperative engine reports at most the step in hand after the stop (a few under
# torchrun, whose ranks agree on the stop once per logging window); more means it ignores it.
STEPS_AFTER_STOP = 5


@dataclass
class WorkerReady:
    """The worker's first line: the device it settled on, or why it could not."""

    pid: int
    device: DeviceInfo | None
    error: str | None
    devices: list[DeviceInfo] = field(default_factory=list)  # all usable here, when known
    node: str | None = None  # the machine it runs on (under Slurm, the node)


@dataclass
class _Worker:
    process: subprocess.Popen
    ready: threading.Event = field(default_factory=threading.Event)
    info: WorkerReady | None = None
    stderr_tail: collections.deque = field(default_factory=lambda: collections.deque(maxlen=60))
    terminal_seen: bool = False
    stop_requested: bool = False
    stop_at: float = 0.0
    steps_after_stop: int = 0  # steps the engine reported after the worker received the stop
    slurm: SlurmState | None = None  # what Slurm said about it, when it runs through srun
    stderr_done: threading.Event = field(default_factory=threading.Event)
    checkpoint: str | None = None  # the last checkpoint the run wrote


class EngineHost:
    """Start, command and stop engine runs in a child process. Thread-safe."""

    def __init__(
        self,
        device: str = "auto",
        threads: int | None = None,
        warm_torch: bool = True,
        python: str = sys.executable,
        on_wake: Callable[[], None] | None = None,
        runs: RunSettings | None = None,
    ) -> None:
        self.device = device
        self.runs = runs or RunSettings()  # the class settings: how runs are launched and admitted
        self.threads = threads
        self.warm_torch = warm_torch
        self.python = python
        self._on_wake = on_wake  # called from the relay thread when something arrives
        self._lock = threading.Lock()
        self._buffer: collections.deque[Event | ProgressBatch | WorkerReady | str] = collections.deque()
        self._spare: _Worker | None = None
        self._active: _Worker | None = None

    # -- lifecycle -----------------------------------------------------------------

    @property
    def launcher(self) -> Launcher:
        return Launcher(self.runs)

    def prewarm(self) -> None:
        """Start a spare worker now so the next run starts at once (not under Slurm)."""
        if not self.launcher.prewarm:
            return
        with self._lock:
            if self._spare is None or self._spare.process.poll() is not None:
                self._spare = self._spawn()

    def set_device(self, device: str) -> None:
        """Use another device from the next run on (the spare is replaced)."""
        with self._lock:
            self.device = device
            old, self._spare = self._spare, None
        if old is not None:
            self._dismiss(old)
        self.prewarm()

    @property
    def running(self) -> bool:
        worker = self._active
        return worker is not None and not worker.terminal_seen and worker.process.poll() is None

    @property
    def engine_pid(self) -> int | None:
        """The process id of the engine of the current or last run (None before the first)."""
        worker = self._active
        return worker.process.pid if worker is not None else None

    def start(self, engine: str, params: dict[str, Any], data_dir: str | None = None, paused: bool = False,
              nproc: int = 1) -> None:
        """Start a run (``paused``: it waits for "step" or "resume"; ``nproc`` > 1: in that many
        processes); events arrive through ``drain``."""
        if self.running:
            raise RuntimeError("a run is already going; stop it first")
        if self.launcher.slurm and not slurm_follow.srun_found():
            self._push(slurm_follow.srun_missing())
            return
        with self._lock:
            worker, self._spare = self._spare, None
            if worker is None or worker.process.poll() is not None:
                worker = self._spawn(nproc, active=True)  # under Slurm, sized for this run's processes
            self._active = worker
        # the lab's language now: a spare started before the learner switched must speak it too
        job = {"engine": engine, "params": params, "data_dir": data_dir, "paused": paused, "nproc": nproc,
               "lang": language()}
        if not self.launcher.slurm:  # Slurm admits runs itself; the worker's own queue is for one machine
            job["runs"] = self.runs.to_json()
        self._write(worker, job)

    def send(self, command: dict[str, Any]) -> bool:
        """A live command for the running engine (pause, resume, set_lr, …)."""
        worker = self._active
        if worker is None or not self.running:
            return False
        return self._write(worker, command)

    def stop(self) -> None:
        """Ask the run to stop; terminate it if it has not stopped within the grace period."""
        worker = self._active
        if worker is None or worker.process.poll() is not None:
            return
        worker.stop_requested = True
        worker.stop_at = time.monotonic()
        if worker.slurm is not None and not worker.slurm.node:  # still waiting in Slurm's queue: cancel it
            threading.Thread(target=self._end_process, args=(worker,), daemon=True).start()
            return
        self._write(worker, {"cmd": "stop"})
        threading.Thread(target=self._enforce_stop, args=(worker,), daemon=True).start()

    def _enforce_stop(self, worker: _Worker) -> None:
        """An engine that keeps stepping after the grace period ignores the stop: terminate it.
        One that stopped stepping is finishing (writing its checkpoint): give it time.
        Whether it stepped on is counted by the worker, so a busy machine that delays the
        progress lines cannot make a cooperative engine look stubborn."""
        grace_end, cleanup_end = worker.stop_at + STOP_GRACE_S, worker.stop_at + CLEANUP_S
        while time.monotonic() < cleanup_end:
            if worker.process.poll() is not None or worker.terminal_seen:
                return
            if time.monotonic() >= grace_end and worker.steps_after_stop > STEPS_AFTER_STOP:
                break
            time.sleep(0.05)  # a watchdog's poll of a child process, not a synchronisation
        if worker.process.poll() is None and not worker.terminal_seen:
            self._end_process(worker)

    def _end_process(self, worker: _Worker) -> None:
        """End the worker now: under Slurm, ``scancel`` its job (a pending one too, so none is
        left in the queue); then end the process that started it."""
        if worker.slurm is not None:
            slurm_follow.cancel(worker.slurm, worker.process)
        if worker.process.poll() is None:
            worker.process.terminate()
        try:
            worker.process.wait(timeout=slurm_follow.EXIT_WAIT_S if worker.slurm is not None else 1.0)
        except subprocess.TimeoutExpired:
            worker.process.kill()

    def close(self) -> None:
        """End every child process (the UI is quitting). A running engine is given time to
        stop cleanly and write its checkpoint, as when a student's connection drops."""
        with self._lock:
            active, spare = self._active, self._spare
            self._active = self._spare = None
        if spare is not None:
            self._dismiss(spare)
        if active is not None:
            self._dismiss(active, grace=CLOSE_GRACE_S)

    def drain(self) -> list[Event | ProgressBatch | WorkerReady | str]:
        """What arrived since the last call: events (progress in batches), ready notes, stderr lines."""
        out = []
        while self._buffer:
            out.append(self._buffer.popleft())
        return out

    # -- child processes -----------------------------------------------------------

    def _spawn(self, nproc: int = 1, active: bool = False) -> _Worker:
        command = [self.python, "-m", "engines.core.worker", "--device", self.device]
        if self.threads:
            command += ["--threads", str(self.threads)]
        if self.warm_torch:
            command.append("--warm")
        launcher = self.launcher
        command = launcher.command(command, nproc, self.threads)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env.setdefault("PYTHONUNBUFFERED", "1")
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            env=env,
            start_new_session=True,  # Ctrl+C in the terminal is the UI's, not the engine's
        )
        worker = _Worker(process, slurm=SlurmState() if launcher.slurm else None)
        if active:  # before its threads start: a worker that ends at once (srun refusing) is still reported
            self._active = worker
        threading.Thread(target=self._relay, args=(worker,), daemon=True).start()
        threading.Thread(target=self._collect_stderr, args=(worker,), daemon=True).start()
        return worker

    def _write(self, worker: _Worker, message: dict[str, Any]) -> bool:
        try:
            worker.process.stdin.write(json.dumps(message) + "\n")
            worker.process.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False  # it died; the relay thread reports why

    def _dismiss(self, worker: _Worker, grace: float = STOP_GRACE_S) -> None:
        try:
            worker.process.stdin.close()  # end of input: a waiting worker exits, a running one stops
        except OSError:
            pass
        if worker.slurm is not None and not worker.slurm.node:
            self._end_process(worker)  # still queued: leave no job behind
            return
        try:
            worker.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._end_process(worker)

    def _push(self, item: Event | WorkerReady | str) -> None:
        self._buffer.append(item)
        if self._on_wake is not None:
            self._on_wake()

    def _relay(self, worker: _Worker) -> None:
        held: Event | None = None
        for line in worker.process.stdout:
            try:
                data = json.loads(line)
            except ValueError:
                self._push(line.rstrip("\n"))
                continue
            if data.get("type") == "ready":
                info = data.get("device")
                worker.info = WorkerReady(
                    data.get("pid", 0), DeviceInfo.from_dict(info) if info else None, data.get("error"),
                    [DeviceInfo.from_dict(d) for d in data.get("devices", [])], data.get("node"),
                )
                worker.ready.set()
                self._push(worker.info)
                continue
            event = ProgressBatch.from_data(data) if data.get("type") == ProgressBatch.type else from_dict(data)
            if isinstance(event, ProgressBatch):
                worker.steps_after_stop += event.after_stop
            if isinstance(event, Artifact) and event.kind == "checkpoint" and isinstance(event.payload, dict):
                worker.checkpoint = event.payload.get("path") or worker.checkpoint
            if isinstance(event, (Finished, Failed)):
                if worker.slurm is not None and not worker.stop_requested and _may_be_slurms(event):
                    held = event  # Slurm may have ended it (time limit): its own words come on stderr
                    continue
                worker.terminal_seen = True
            self._push(event)
        code = worker.process.wait()
        worker.ready.set()
        if worker.slurm is not None and not worker.terminal_seen:
            worker.stderr_done.wait(timeout=slurm_follow.EXIT_WAIT_S)  # what srun said last
            final = slurm_follow.ended(worker.slurm, worker.checkpoint, worker.stop_requested) or held
            if final is not None:
                worker.terminal_seen = True
                self._push(final)
        if worker is self._active and not worker.terminal_seen:
            worker.terminal_seen = True
            self._push(self._explain_exit(worker, code))

    def _collect_stderr(self, worker: _Worker) -> None:
        for line in worker.process.stderr:
            line = line.rstrip("\n")
            if worker.slurm is not None:
                change = worker.slurm.read(line)
                if change == "queued":
                    threading.Thread(target=self._follow_queue, args=(worker,), daemon=True).start()
                elif change == "placed":
                    self._push(slurm_follow.placement(worker.slurm))
                if said_by_slurm(line):
                    continue  # told as an event, or in the run's last sentence
            worker.stderr_tail.append(line)
            if worker is self._active:
                self._push(line)
        worker.stderr_done.set()

    def _follow_queue(self, worker: _Worker) -> None:
        """While Slurm holds the job, say so, with Slurm's reason, again whenever it changes."""
        for event in slurm_follow.queue_events(worker.slurm, self.launcher.device,
                                               lambda: worker.process.poll() is None and not worker.stop_requested):
            self._push(event)

    def _explain_exit(self, worker: _Worker, code: int) -> Event:
        if worker.slurm is not None:
            explained = slurm_follow.explain_exit(worker.slurm, worker.stop_requested)
            if explained is not None:
                return explained
        if worker.stop_requested:
            return Finished("stopped", {"message": _("Stopped (the engine was terminated).")})
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            ended = (_("The engine process was killed by {signal} (often the system running out of memory) before "
                       "the run finished.") if -code == signal.SIGKILL else
                     _("The engine process was killed by {signal} before the run finished.")).format(signal=name)
        else:
            ended = _("The engine process exited with status {code} before the run finished.").format(code=code)
        last = next((l for l in reversed(worker.stderr_tail) if l.strip()), "")
        return Failed(
            ended,
            _("Last message: {line}").format(line=last) if last else
            _("Run it again; if it keeps happening, run `tui-lab doctor`."),
        )


def _may_be_slurms(event: Event) -> bool:
    """Whether a worker's last word may hide Slurm's: Slurm's SIGTERM (a time limit, a node
    going down) reads to the worker as a stop. A run that completed or diverged ended itself."""
    return isinstance(event, Failed) or (isinstance(event, Finished) and event.reason == "stopped")
