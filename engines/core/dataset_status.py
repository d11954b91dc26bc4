"""Which datasets are on this computer, where, and how to get the others (``tui-lab doctor``).

Only looks for the files (no checksums, nothing read or downloaded), the same way a run
looks for them first; how to get a missing one is the sentence a run says when it is
missing, so the doctor and the run never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engines.cifar import data as cifar_data
from engines.mnist import data as mnist_data
from lab_i18n import N_, _

FIX = N_("start a run that uses it while online")


@dataclass(frozen=True)
class DatasetStatus:
    key: str  # the run parameter's value: mnist, fashion-mnist, cifar10
    title: str  # MNIST, Fashion-MNIST, CIFAR-10
    found: str | None  # where it is, for people; None when it is not here
    missing: str = ""  # where it was looked for, and how to get it


def dataset_statuses(root: Path, system_dirs: tuple[str, ...] | None = None) -> list[DatasetStatus]:
    """MNIST, Fashion-MNIST and CIFAR-10 under the data root ``root`` (and, for MNIST-like
    sets, a distribution package's folder; ``system_dirs`` replaces those, for tests)."""
    return [*(_mnist_like(info, Path(root), system_dirs) for info in mnist_data.DATASETS.values()),
            _cifar(Path(root))]


def _mnist_like(info: mnist_data.DatasetInfo, root: Path, system_dirs: tuple[str, ...] | None) -> DatasetStatus:
    located = mnist_data.locate(info, root, system_dirs)
    if located is not None:
        return DatasetStatus(info.key, info.title, located.source)
    error = mnist_data._missing_error(info, root, system_dirs, _why(info.download_mb), _(FIX))  # the run's sentence
    return DatasetStatus(info.key, info.title, None, f"{error.message} {error.hint}")


def _why(mb: int) -> str:
    return _("it downloads when a run needs it (about {mb} MB) unless download=false").format(mb=mb)


def _cifar(root: Path) -> DatasetStatus:
    folder = cifar_data.folder_of(root)
    if all((folder / name).is_file() for name in cifar_data.ALL_FILES):
        return DatasetStatus("cifar10", "CIFAR-10", _("data root {folder}").format(folder=folder))
    present = [name for name in cifar_data.ALL_FILES if (folder / name).is_file()]
    if present:  # a run refuses it rather than overwrite what may be a course's own files
        absent = ", ".join(name for name in cifar_data.ALL_FILES if name not in present)
        return DatasetStatus("cifar10", "CIFAR-10", None,
                             _("{folder} is incomplete: {names} missing.").format(folder=folder, names=absent))
    archive = root / cifar_data.ARCHIVE
    if archive.is_file():
        return DatasetStatus("cifar10", "CIFAR-10",
                             _("{archive} (unpacked by the first run that uses it)").format(archive=archive))
    error = cifar_data._missing_error(root, _why(round(cifar_data.ARCHIVE_BYTES / 1e6)), _(FIX))
    return DatasetStatus("cifar10", "CIFAR-10", None, f"{error.message} {error.hint}")
