"""A student's progress in a folder the class shares, as ``<user>.json``, for the teacher.

The folder may be writable by the whole class. Each file is written atomically (a temp
file in the folder, then a rename), so the teacher never reads half a file; and a student
never replaces another's: a file that belongs to someone else is refused, and so is a
folder that others can write without the sticky bit (there anyone could rename over any
file in it; with the bit only a file's owner can).
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from tui_lab.progress import ProgressStore, atomic_write_text
from tui_lab.progress_export import export
from lab_i18n import _

if TYPE_CHECKING:
    from lessons import Catalog

FILE_MODE = 0o644  # the teacher reads it whatever their group


class ShareError(Exception):
    """Progress could not be shared; the message is one sentence saying why (and the fix)."""


def share_name(user: str) -> str:
    """A safe file name for ``user``: letters, digits, ``.``, ``_`` and ``-`` only, never hidden."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", user).lstrip(".")
    return name or "student"


def share_progress(catalog: Catalog, store: ProgressStore, folder: Path, variant: int) -> Path:
    """Write the student's export to ``folder/<user>.json``; raises ShareError instead of
    writing where it must not."""
    folder = Path(folder).expanduser()
    try:
        check_folder(folder, folder.stat())
    except FileNotFoundError:
        raise ShareError(_("The shared folder {folder} does not exist; ask your teacher for its path.").format(
            folder=folder)) from None
    except OSError as error:
        raise ShareError(_("The shared folder {folder} cannot be read: {reason}.").format(
            folder=folder, reason=error.strerror or error)) from None
    data = export(catalog, store, variant)
    target = folder / f"{share_name(data['user'])}.json"
    try:
        check_target(target, target.lstat(), os.getuid())
    except FileNotFoundError:
        pass  # the first share
    except OSError as error:
        raise ShareError(_("Could not check {path}: {reason}.").format(path=target, reason=error.strerror or error)) \
            from None
    try:
        atomic_write_text(target, json.dumps(data, indent=1), mode=FILE_MODE)
    except OSError as error:
        raise ShareError(_("Could not write {path}: {reason}.").format(path=target, reason=error.strerror or error)) \
            from None
    return target


def check_folder(folder: Path, status: os.stat_result) -> None:
    """Refuse a folder that is not one, or that others may write without the sticky bit."""
    if not stat.S_ISDIR(status.st_mode):
        raise ShareError(_("The shared folder {folder} is not a folder; ask your teacher for its path.").format(
            folder=folder))
    writable_by_others = status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if writable_by_others and not status.st_mode & stat.S_ISVTX:
        raise ShareError(_("The shared folder {folder} lets every student replace anyone's file; the teacher fixes it "
                           "with `chmod +t {folder}` (or `chmod 1773 {folder}`).").format(folder=folder))


def check_target(target: Path, status: os.stat_result, uid: int) -> None:
    """Refuse to replace a file (or link) that belongs to another user than ``uid``."""
    if status.st_uid != uid:
        raise ShareError(_("{path} belongs to another user, so it is left alone; ask your teacher to remove it if that "
                           "name is yours.").format(path=target))
