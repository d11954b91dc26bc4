"""Training in several processes: ``tui-lab run LESSON --nproc N``.

The launcher (``launch``) starts ``python -m torch.distributed.run --standalone
--nproc_per_node N -m engines.training.distributed ...`` (torchrun), which starts N copies of
``main`` below. Each copy joins the process group — NCCL with one GPU per process
(``cuda:LOCAL_RANK``), gloo on the CPU with the cores shared out — and runs the same
engine through ``run_engine``; the engine sees the process group and trains with
DistributedDataParallel (``engines.cifar.engine``). Only rank 0 writes events, one JSON line
each, to its standard output; the launcher reads them back into events, so the caller
(``tui-lab run``, ``--json`` or not) shows exactly what a one-process run shows.

Stopping: the launcher holds the processes' standard input open; closing it (Ctrl+C in
``tui-lab run``, or the launcher going away) makes every process request a stop, which
they agree on at the next progress event, so rank 0 still writes its checkpoint. The
processes run in their own session, so a terminal's Ctrl+C reaches only the launcher; a
second Ctrl+C ends them at once.

Nothing here imports torch at module level.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any, Iterator

from engines.core.events import Event, Failed, Finished, from_dict, to_json
from lab_i18n import _

ENGINES = ("cifar10",)  # engines that train with DistributedDataParallel
MAX_CPU_PROCESSES = 64
ROOT = Path(__file__).resolve().parents[2]
TERMINATE_GRACE_S = 5.0


class LaunchError(ValueError):
    """``--nproc`` cannot be honoured; ``str(error)`` is the sentence to show."""


def check_nproc(text: str | int, engine: str, device: str) -> int:
    """The number of processes to start, or a LaunchError saying why not (``device`` as
    parsed by ``engines.core.device.parse_device``: auto, cpu, cuda, cuda:N or mps)."""
    try:
        nproc = int(str(text).strip())
    except ValueError:
        raise LaunchError(_("--nproc must be a whole number of processes, at least 1, not {given}.").format(
            given=repr(str(text)))) from None
    if nproc < 1:
        raise LaunchError(_("--nproc must be a whole number of processes, at least 1, not {given}.").format(given=nproc))
    if nproc == 1:
        return 1
    if engine not in ENGINES:
        raise LaunchError(_("--nproc {nproc} needs an engine that trains with DistributedDataParallel ({engines}); this "
                            "step's engine {engine} runs in one process.").format(nproc=nproc, engines=", ".join(ENGINES),
                                                                                 engine=engine))
    if device == "mps":
        raise LaunchError(_("Several processes need CUDA GPUs (NCCL) or the CPU (gloo), not MPS; use --device cpu."))
    if device.startswith("cuda:") and nproc > 1:
        raise LaunchError(_("With --nproc each process takes its own GPU, from cuda:0 up; choose the GPUs with "
                            "CUDA_VISIBLE_DEVICES instead of --device {device}.").format(device=device))
    if device in ("auto", "cuda"):
        import torch

        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if gpus or device == "cuda":
            if nproc > gpus:
                refusal = (_("--nproc {nproc} asks for one GPU per process, but no GPU is visible; use --nproc {most} or "
                             "fewer, or --device cpu to run {nproc} processes on the CPU.") if not gpus else
                           _("--nproc {nproc} asks for one GPU per process, but only {gpus} GPU is visible; use --nproc "
                             "{most} or fewer, or --device cpu to run {nproc} processes on the CPU.") if gpus == 1 else
                           _("--nproc {nproc} asks for one GPU per process, but only {gpus} GPUs are visible; use "
                             "--nproc {most} or fewer, or --device cpu to run {nproc} processes on the CPU."))
                raise LaunchError(refusal.format(nproc=nproc, gpus=gpus, most=max(gpus, 1)))
            return nproc
    if nproc > MAX_CPU_PROCESSES:
        raise LaunchError(_("--nproc {nproc} is more CPU processes than the lab starts (at most {most}); they would only "
                            "compete for the same cores.").format(nproc=nproc, most=MAX_CPU_PROCESSES))
    return nproc


def command(engine: str, params: dict[str, Any], nproc: int, device: str, data_dir: str | None,
            python: str = sys.executable) -> list[str]:
    """The torchrun command line that starts ``nproc`` copies of ``main``."""
    out = [python, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "engines.training.distributed", "--engine", engine, "--params", json.dumps(params), "--device", device]
    if data_dir:
        out += ["--data-dir", data_dir]
    return out


def launch(engine: str, params: dict[str, Any], nproc: int, device: str, data_dir: str | None,
           ctl: Any, python: str = sys.executable) -> Iterator[Event]:
    """Run ``engine`` in ``nproc`` processes; yields rank 0's events, ending with Finished or Failed."""
    from engines.core.device import cpu_cores

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # Set, so torchrun does not print its banner; each process sets its own thread count anyway.
    env.setdefault("OMP_NUM_THREADS", str(max(1, cpu_cores() // nproc)))
    process = subprocess.Popen(command(engine, params, nproc, device, data_dir, python), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
    reader = threading.Thread(target=_keep_tail, args=(process.stderr, stderr_tail), daemon=True)
    reader.start()
    watcher = threading.Thread(target=_forward_stop, args=(ctl, process), daemon=True)
    watcher.start()
    final: Event | None = None
    try:
        for line in process.stdout:  # type: ignore[union-attr]
            event = _event(line)
            if event is None:
                stderr_tail.append(line.rstrip("\n"))
                continue
            final = event
            yield event
        process.wait()
        reader.join(timeout=5)
    finally:
        if process.poll() is None:  # abandoned (a second Ctrl+C, an error in the caller)
            _terminate(process)
    if not isinstance(final, (Finished, Failed)):
        ranks = [line for line in stderr_tail if line.startswith("rank ")]
        detail = ranks[0] if ranks else ""
        ended = (_("The {nproc} training processes ended without a result (torchrun exit status {code}): {detail}.")
                 if detail else
                 _("The {nproc} training processes ended without a result (torchrun exit status {code})."))
        yield Failed(ended.format(nproc=nproc, code=process.returncode, detail=detail),
                     _("Their last messages:") + "\n" + "\n".join(list(stderr_tail)[-12:]))


def _event(line: str) -> Event | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        return from_dict(json.loads(line))
    except (ValueError, TypeError):
        return None


def _keep_tail(stream: IO[str], tail: collections.deque) -> None:
    for line in stream:
        tail.append(line.rstrip("\n"))


def _forward_stop(ctl: Any, process: subprocess.Popen) -> None:
    """Close the processes' standard input when the caller asks to stop: each then stops."""
    while process.poll() is None:
        if ctl is not None and ctl.stop_requested:
            try:
                process.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass
            return
        threading.Event().wait(0.1)


def _terminate(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=TERMINATE_GRACE_S)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


# --- each process ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """One process of a distributed run (started by torchrun, which sets RANK, WORLD_SIZE,
    LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT)."""
    parser = argparse.ArgumentParser(prog="python -m engines.training.distributed")
    parser.add_argument("--engine", required=True)
    parser.add_argument("--params", default="{}")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))
    events_out = _events_stream(rank)

    import datetime

    import torch
    import torch.distributed as dist
    import torch.distributed.nn  # noqa: F401 - before the group exists, see _leave_process_group

    from engines.core import registry
    from engines.core.device import configure_torch, cpu_cores, cpu_device, detect
    from engines.core.runtime import Control, run_engine

    cuda = args.device != "cpu" and torch.cuda.is_available()
    device = detect(f"cuda:{local_rank}") if cuda else cpu_device(max(1, cpu_cores() // local_world))
    configure_torch(device)
    options: dict[str, Any] = {"timeout": datetime.timedelta(minutes=10)}
    if cuda:
        options["device_id"] = torch.device(device.name)
    dist.init_process_group("nccl" if cuda else "gloo", **options)
    ctl = Control(device=device, data_dir=args.data_dir)
    threading.Thread(target=_stop_at_end_of_input, args=(ctl,), daemon=True).start()
    signal.signal(signal.SIGINT, lambda signum, frame: ctl.stop())
    final: Event | None = None
    try:
        for event in run_engine(registry.engine(args.engine), json.loads(args.params), ctl, log_traceback=True):
            final = event
            if events_out is not None:
                events_out.write(to_json(event) + "\n")
                events_out.flush()
    finally:
        if isinstance(final, Failed) and rank:  # rank 0's failure is in the event stream already
            print(f"rank {rank}: {final.message}", file=sys.stderr, flush=True)
        if dist.is_initialized() and isinstance(final, Finished):
            _leave_process_group(dist)
    return 0 if isinstance(final, Finished) else 1


def _leave_process_group(dist: Any) -> None:
    """Destroy the process group so that its gloo worker threads end here, not during
    interpreter shutdown: a worker that is still letting go of the last all_reduce's
    tensors then needs the GIL, is made to exit, and std::terminate aborts the process
    (SIGABRT) — on a loaded machine, where that worker lags behind the main thread.

    The group's destructor joins those threads, but only once nothing holds the group:
    the finished run's objects are collected first (DDP's hooks form reference cycles),
    and ``torch.distributed.nn`` is imported before the group is made, because its
    functions' default argument ``group=group.WORLD`` would otherwise keep it forever
    (DistributedDataParallel imports that module on first use)."""
    import gc

    gc.collect()
    dist.destroy_process_group()


def _events_stream(rank: int) -> IO[str] | None:
    """Rank 0 keeps standard output for events only (stray prints go to standard error);
    the other ranks' output all goes to standard error."""
    if rank:
        os.dup2(2, 1)
        return None
    events_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(events_fd, "w", buffering=1, encoding="utf-8")


def _stop_at_end_of_input(ctl: Any) -> None:
    try:
        sys.stdin.read()  # the launcher never writes: this returns when it closes the pipe or exits
    except (OSError, ValueError):
        pass
    ctl.stop()


if __name__ == "__main__":
    sys.exit(main())
