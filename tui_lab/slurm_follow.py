"""Slurm's state of one run, as the lab's events: queued (with the job and Slurm's reason),
placed (on which node), and the sentence when Slurm itself ended the job.

``EngineHost`` feeds ``srun``'s standard error to a ``SlurmState`` (``tui_lab.launchers``)
and asks this module what to tell the UI.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from typing import Callable, Iterator

from engines.core.events import Artifact, Event, Failed, Finished, Queued
from lab_i18n import _, sentences
from tui_lab import launchers
from tui_lab.launchers import SlurmState

EXIT_WAIT_S = 15.0  # after scancel, srun waits for the job step to end (Slurm's KillWait is longer)
REFRESH_S = 2.0  # how often Slurm's reason for a wait is read again: its scheduler runs on this pace or slower


def srun_found() -> bool:
    return shutil.which("srun") is not None


def _settings_file() -> str:
    from tui_lab.config import config_path

    return str(config_path())


def srun_missing() -> Failed:
    return Failed(
        _("The class settings start runs through Slurm, but srun is not on this computer's PATH."),
        _("Install Slurm's client commands, or set launcher = \"local\" under [runs] in {path}.").format(
            path=_settings_file()),
        reason="slurm_missing")


def placement(state: SlurmState) -> Artifact:
    return Artifact("placement", {"job_id": state.job_id, "node": state.node})


def queue_events(state: SlurmState, device: str, waiting: Callable[[], bool]) -> Iterator[Queued]:
    """A Queued event now, and again whenever Slurm's reason for the wait changes, until the
    job starts or ``waiting()`` says the run is over."""
    told: object = object()
    while state.pending and waiting():
        reason = launchers.pending_reason(state.job_id) if state.job_id else None
        if not state.pending:
            return
        if reason != told:
            told = reason
            yield Queued(position=None, device=device, job_id=state.job_id, reason=reason)
        time.sleep(REFRESH_S)  # a poll of the scheduler, not a synchronisation


def cancel(state: SlurmState, process: subprocess.Popen) -> None:
    """``scancel`` the job; before srun has named it, end srun, which withdraws its request."""
    if state.job_id is None or not launchers.cancel(state.job_id):
        if process.poll() is None:
            process.terminate()


def _checkpoint_hint(checkpoint: str | None, advice: str) -> str:
    kept = (_("The last checkpoint is kept: {path}.").format(path=checkpoint) if checkpoint else
            _("No checkpoint had been written yet."))
    return sentences(kept, advice)


def ended(state: SlurmState, checkpoint: str | None, stop_requested: bool) -> Failed | None:
    """The run's last event when Slurm ended the job (time limit, node failure, someone's
    scancel), naming the last checkpoint; None when the job ended by itself or by Stop."""
    if state.ended == "time_limit":
        return Failed(_("Slurm ended the run when its job {job} reached its time limit.").format(job=state.job_id),
                      _checkpoint_hint(checkpoint, _("Ask for more time (time_limit under [runs.slurm] in {path}) or "
                                                     "train for fewer epochs.").format(path=_settings_file())),
                      reason="time_limit")
    if state.ended == "node_failure":
        return Failed(_("The node {node} failed and Slurm ended the run's job {job}.").format(
                          node=state.node or "?", job=state.job_id),
                      _checkpoint_hint(checkpoint, _("Run it again: Slurm places it on a working node.")),
                      reason="node_failure")
    if state.ended == "cancelled" and not stop_requested:
        return Failed(_("Slurm cancelled the run's job {job} before the run finished.").format(job=state.job_id),
                      _checkpoint_hint(checkpoint, _("Run it again, or ask the cluster's administrators why.")),
                      reason="cancelled")
    return None


def explain_exit(state: SlurmState, stop_requested: bool) -> Event | None:
    """Why srun ended without the run's last event, in Slurm's terms; None: say it as for a local worker."""
    if stop_requested and not state.node:
        message = (_("Cancelled while it waited in Slurm's queue (job {job}).").format(job=state.job_id) if state.job_id
                   else _("Cancelled before Slurm queued it."))
        return Finished("stopped", {"message": message})
    if state.refusal:
        return Failed(_("Slurm refused the run: {reason}.").format(reason=state.refusal),
                      _("Check the Slurm settings under [runs.slurm] in {path}; `tui-lab doctor` shows the launcher "
                        "and the partition.").format(path=_settings_file()),
                      reason="slurm_refused")
    return None
