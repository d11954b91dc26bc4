"""Where the training engines' checkpoints live, decided before torch is imported:
the lab's folder, the ``checkpoint`` and ``resume`` parameters, and a writability check
that refuses a bad place before training rather than at the first epoch's end."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from engines.core.params import ParamError
from lab_i18n import _


def lab_home() -> Path:
    """The lab's own folder (the same rule as the UI's progress file)."""
    if os.environ.get("TUI_LAB_HOME"):
        return Path(os.environ["TUI_LAB_HOME"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("tui-lab"))


def checkpoints_folder() -> Path:
    return lab_home() / "checkpoints"


def checkpoint_path(config: dict[str, Any], default: Path, example: str) -> Path | None:
    """Where this run writes its checkpoints (``checkpoint``: auto, off or a path); None when off."""
    value = config["checkpoint"].strip()
    if value.lower() == "off":
        return None
    path = default if value.lower() == "auto" else Path(value).expanduser()
    if path.is_dir():
        raise ParamError(_("checkpoint names the folder {folder}; give a file such as {example}, or auto, or off.")
                         .format(folder=path, example=path / example))
    return path


def resume_path(config: dict[str, Any], saved_to: Path | None, default: Path) -> Path | None:
    """The checkpoint to continue from (``resume``: none, last or a path), or a ParamError."""
    value = config["resume"].strip()
    if value.lower() == "none":
        return None
    if value.lower() == "last":
        path = saved_to or default
        if not path.is_file():
            raise ParamError(_("resume=last, but there is no checkpoint at {path} yet; train once first or set "
                               "resume=none.").format(path=path))
        return path
    path = Path(value).expanduser()
    if not path.is_file():
        raise ParamError(_("resume names {path}, which does not exist; give a checkpoint file, last or none.")
                         .format(path=path))
    return path


def check_writable(path: Path) -> None:
    """Refuse an unwritable checkpoint place before training, not at the first epoch's end."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise ParamError(_("The checkpoint cannot be written to {folder} ({reason}); set checkpoint to a path you "
                           "can write, or checkpoint=off.").format(folder=path.parent,
                                                                   reason=error.strerror or error)) from None
