"""A checkpoint's plain values (its model, dataset, epoch and metrics), read without torch.

The lab lists the trained models it can offer without importing torch (seconds and
hundreds of megabytes in the UI process). A checkpoint is torch's zip archive: one
pickle (``…/data.pkl``) holds the saved dict, with each tensor a reference to its own
entry. Only that pickle is read, and every class or function it names becomes an inert
placeholder (the pickle documentation's way of restricting what a file may run), so no
code from the file runs and no tensor data is read: a large checkpoint is summarised in
about a millisecond.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any


class _Inert:
    """Stands for whatever the pickle names (tensors, torch types, ordered dicts); keeps nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass


class _PlainValues(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> type:
        return _Inert

    def persistent_load(self, pid: Any) -> None:
        return None  # a tensor's storage: left unread


def read_summary(path: Path) -> dict[str, Any] | None:
    """The dict a checkpoint at ``path`` holds, tensors as placeholders; None if it is not one."""
    try:
        with zipfile.ZipFile(path) as archive:
            name = next((n for n in archive.namelist() if n.endswith("data.pkl")), None)
            if name is None:
                return None
            with archive.open(name) as pickled:
                state = _PlainValues(pickled).load()
    except Exception:  # noqa: BLE001 - damaged, half-written or foreign: not a checkpoint to offer
        return None
    return state if isinstance(state, dict) else None
