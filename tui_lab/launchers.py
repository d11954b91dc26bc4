"""How an engine worker process is started: on this machine, or through Slurm's ``srun``.

Under Slurm the worker is the same ``python -m engines.core.worker``, started by ``srun``
with the class's arguments; ``srun`` forwards its standard input and output, so the lab
speaks the same line protocol to it and no other daemon is needed. What Slurm itself
says (the job is queued, where it landed, why it ended) arrives on ``srun``'s standard
error; ``SlurmState`` reads it. A short shell wrapper names the job and node first
(``srun`` says the job id only when the job has to wait).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field

from engines.core.class_settings import RunSettings, SlurmSettings

JOB_NAME = "tui-lab"
PLACED = "tui-lab-placed"  # the wrapper's first line on stderr: "tui-lab-placed JOB NODE"
# Inside the job, before the worker: where Slurm placed it, then the worker itself.
WRAPPER = f'echo "{PLACED} $SLURM_JOB_ID $SLURMD_NODENAME" >&2; exec "$@"'
SLURM_TIMEOUT_S = 10.0  # squeue, sinfo and scancel answer in milliseconds; a hung controller must not hang the lab


@dataclass(frozen=True)
class Launcher:
    """Turns the worker's command line into the one that starts it."""

    runs: RunSettings = field(default_factory=RunSettings)

    @property
    def slurm(self) -> bool:
        return self.runs.launcher == "slurm"

    @property
    def prewarm(self) -> bool:
        """Whether a spare worker may wait ahead of time: not under Slurm, where an idle
        worker would hold an allocation (a cluster's CPUs or GPU) while the student reads."""
        return not self.slurm

    @property
    def device(self) -> str:
        """What the run is queued for, as ``Queued.device`` names it."""
        return f"slurm:{self.runs.slurm.partition or default_partition() or 'default'}"

    def command(self, worker: list[str], nproc: int = 1, threads: int | None = None) -> list[str]:
        if not self.slurm:
            return worker
        return ["srun", *srun_arguments(self.runs.slurm, nproc, threads), "sh", "-c", WRAPPER, "sh", *worker]


def srun_arguments(settings: SlurmSettings, nproc: int = 1, threads: int | None = None) -> list[str]:
    """One task with the CPUs (and GPUs) for ``nproc`` processes: the worker starts them
    itself (torchrun), so the rendezvous stays on one node. The class's ``extra`` come
    last, so an option there (``--cpus-per-task=8``) wins over the lab's."""
    nproc = max(1, nproc)
    ours = {"--cpus-per-task": str(nproc * max(1, threads or 1)), "--partition": settings.partition,
            "--gres": f"gpu:{max(settings.gpus_per_run, nproc)}" if settings.gpus_per_run > 0 else None,
            "--time": settings.time_limit, "--job-name": JOB_NAME}
    given = {_long_name(arg) for arg in settings.extra}
    if given & GPU_OPTIONS:
        given.add("--gres")  # the class asks for GPUs its own way
    out = ["--unbuffered", "--ntasks=1"]
    out += [f"{name}={value}" for name, value in ours.items() if value and name not in given]
    return [*out, *settings.extra]


# Short spellings of the options the lab sets, so that the class's ``extra`` can replace them
# (srun refuses a step asking for more than its job: the same option twice is not "last wins").
SHORT = {"-c": "--cpus-per-task", "-p": "--partition", "-t": "--time", "-J": "--job-name", "-n": "--ntasks"}
GPU_OPTIONS = {"--gres", "--gpus", "-G", "--gpus-per-task", "--gpus-per-node"}


def _long_name(arg: str) -> str:
    name = arg.split("=", 1)[0]
    return SHORT.get(name[:2], name) if not name.startswith("--") else name


# -- what srun says on its standard error -------------------------------------------

QUEUED = re.compile(r"srun: job (\d+) queued and waiting for resources")
ALLOCATED = re.compile(r"srun: job (\d+) has been allocated resources")
PLACED_LINE = re.compile(rf"^{PLACED} (\d+) (\S+)")
TIME_LIMIT = re.compile(r"\*\*\* (?:JOB|STEP) [\d.]+ .*CANCELLED AT .* DUE TO TIME LIMIT")
NODE_FAILURE = re.compile(r"DUE TO NODE FAILURE|srun: error: Node failure on|NODE_FAIL")
CANCELLED = re.compile(r"\*\*\* (?:JOB|STEP) [\d.]+ .*CANCELLED AT")
REVOKED = re.compile(r"srun: (?:Job allocation \d+ has been revoked|Force Terminated)")
# srun refusing its arguments: "srun: error: Unable to allocate resources: Invalid partition name
# specified", "srun: error: Invalid --time specification", "srun: unrecognized option '--x'".
REFUSED = (re.compile(r"srun: error: Unable to allocate resources: (.+)"),
           re.compile(r"srun: error: (Invalid .+)"),
           re.compile(r"srun: (unrecognized option .+|invalid option .+|option .+ requires an argument)"),
           re.compile(r"srun: fatal: (.+)"))

# Lines of Slurm's own that become events or the run's last sentence, not log lines.
SLURM_LINES = (QUEUED, ALLOCATED, PLACED_LINE, TIME_LIMIT, NODE_FAILURE, CANCELLED, REVOKED, *REFUSED,
               re.compile(r"srun: Job step aborted"), re.compile(r"srun: Job has been cancelled"), re.compile(r"srun: error: \S+: task \d+: (?:Terminated|Killed)"))


def said_by_slurm(line: str) -> bool:
    return any(pattern.search(line) for pattern in SLURM_LINES)


@dataclass
class SlurmState:
    """What Slurm said about one run, from ``srun``'s standard error, line by line."""

    job_id: str | None = None
    node: str | None = None
    pending: bool = False
    ended: str | None = None  # "time_limit", "node_failure" or "cancelled": Slurm ended the job
    refusal: str | None = None  # srun refused the job: its own words

    def read(self, line: str) -> str | None:
        """Take one line in; returns what changed ("queued", "placed") or None."""
        if found := QUEUED.search(line):
            self.job_id, self.pending = found.group(1), True
            return "queued"
        if found := ALLOCATED.search(line):
            self.job_id, self.pending = found.group(1), False
            return None
        if found := PLACED_LINE.search(line):
            self.job_id, self.node, self.pending = found.group(1), found.group(2), False
            return "placed"
        if TIME_LIMIT.search(line):
            self.ended = "time_limit"
        elif NODE_FAILURE.search(line):
            self.ended = "node_failure"
        elif (CANCELLED.search(line) or REVOKED.search(line)) and self.ended is None:
            self.ended = "cancelled"
        elif self.refusal is None:
            for pattern in REFUSED:
                if found := pattern.search(line):
                    self.refusal = found.group(1).strip().rstrip(".")
                    break
        return None


# -- asking Slurm ---------------------------------------------------------------------

def _ask(command: list[str]) -> str | None:
    """A Slurm command's output, or None when it is missing or fails."""
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=SLURM_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def pending_reason(job_id: str) -> str | None:
    """Slurm's reason a pending job waits (Resources, Priority, …); None once it runs or is gone."""
    out = _ask(["squeue", "-h", "-j", job_id, "-o", "%t %r"])
    if not out or not out.strip():
        return None
    state, _sep, reason = out.strip().partition(" ")
    return reason.strip() or None if state == "PD" else None


def job_node(job_id: str) -> str | None:
    out = _ask(["squeue", "-h", "-j", job_id, "-o", "%N"])
    return out.strip() or None if out else None


def cancel(job_id: str) -> bool:
    """``scancel`` the job; True when Slurm took the request."""
    return _ask(["scancel", job_id]) is not None


def signal_job(job_id: str, name: str) -> bool:
    """Send the job's running tasks a signal (``INT``: the run inside stops cleanly)."""
    return _ask(["scancel", f"--signal={name}", job_id]) is not None


def default_partition() -> str | None:
    """The cluster's default partition (``sinfo`` marks it with a ``*``), if Slurm answers."""
    out = _ask(["sinfo", "-h", "-o", "%P"])
    for name in (out or "").split():
        if name.endswith("*"):
            return name[:-1]
    return None


def partition_state(partition: str | None) -> list[dict[str, str]] | None:
    """The partition's nodes by state: how many, the state, CPUs (allocated/idle/other/total)
    and GPUs (configured, in use); None when ``sinfo`` is missing or fails."""
    fields = ("partition", "nodes", "state", "cpus", "gres", "gres_used")
    command = ["sinfo", "-h", "-O", "Partition:|,Nodes:|,StateLong:|,CPUsState:|,Gres:|,GresUsed:|"]
    if partition:
        command += ["-p", partition]
    out = _ask(command)
    if out is None:
        return None
    rows = []
    for line in out.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) >= len(fields):
            rows.append(dict(zip(fields, parts)))
    return rows
