"""Where datasets live: ``--data-dir``, then ``TUI_LAB_DATA``, then a per-user cache.

A classroom points everyone at one shared, read-only root through ``TUI_LAB_DATA``.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "TUI_LAB_DATA"


def resolve_data_root(cli_value: str | os.PathLike | None = None) -> tuple[Path, str]:
    """(root, where it came from) — the origin is shown by ``tui-lab doctor``."""
    if cli_value:
        return Path(cli_value).expanduser(), "--data-dir"
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser(), ENV_VAR
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tui-lab")) / "data", "per-user cache"
