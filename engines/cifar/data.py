"""CIFAR-10 on disk: find, download, verify and read it.

The layout is torchvision's, so a folder made by ``torchvision.datasets.CIFAR10`` works
here and the other way round:

    ROOT/cifar-10-python.tar.gz            (the download, kept as torchvision keeps it)
    ROOT/cifar-10-batches-py/data_batch_1 … data_batch_5, test_batch, batches.meta

ROOT comes from ``engines.core.data_root`` (``--data-dir``, ``TUI_LAB_DATA``, per-user cache).
Each batch file is a pickle of ``{"data": uint8 [n, 3072] (R plane, G plane, B plane of
each 32×32 image), "labels": [n ints 0–9], ...}``; ``batches.meta`` holds
``{"label_names": [10 names], ...}``.

The reader is our own (a few lines over numpy) rather than torchvision's, because:

* torchvision refuses any folder whose md5s differ from the official files, so a
  course's own subset (or a test fixture) cannot be used; here such files load, with a
  visible warning that the numbers are not comparable with published results;
* it unpickles with an allow-list (numpy arrays, lists, numbers, text), so a batch
  file from a shared folder cannot run code;
* it names the file that is truncated or damaged.

A download goes to a temp name, is md5-checked, then renamed; the archive is unpacked
into a temp folder, its files checked, and the folder renamed into place — never a
half-written cache. Nothing here imports torch.
"""

from __future__ import annotations

import io
import os
import pickle
import shutil
import tarfile
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from engines.core import downloads
from engines.core.downloads import DataError, DownloadProgress
from lab_i18n import N_, _

FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE_BYTES = 170_498_071
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
META_FILE = "batches.meta"
ALL_FILES = (*TRAIN_FILES, TEST_FILE, META_FILE)
MD5 = {  # of the official files, as torchvision checks them
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
TRAIN_SIZE, TEST_SIZE = 50_000, 10_000
SIDE = 32
PIXELS = 3 * SIDE * SIDE
MEAN = (0.4914, 0.4822, 0.4465)  # per channel, of the training pixels scaled to 0..1 (published)
STD = (0.2470, 0.2435, 0.2616)
CHUNK = downloads.CHUNK
_urlopen = downloads.urlopen  # the tests put a fake server here

# What a CIFAR-10 pickle may refer to: numpy's array reconstruction (numpy 1 and 2
# spellings) and the bytes codec of protocol-2 pickles written by Python 3.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


@dataclass(frozen=True)
class Arrays:
    """CIFAR-10 as numpy arrays: images uint8 [N, 32, 32, 3] (rows, columns, RGB), labels uint8 [N]."""

    train_images: Any
    train_labels: Any
    test_images: Any
    test_labels: Any
    classes: tuple[str, ...]
    source: str  # for people: "data root /x/cifar-10-batches-py"
    official: bool  # every file matches the published checksums
    warnings: list[str] = field(default_factory=list)  # sentences the student must see


def folder_of(root: Path | str) -> Path:
    return Path(root) / FOLDER


# --- finding and downloading -----------------------------------------------------------


def fetch(root: Path | str, *, download: bool = True,
          opener: Callable[[str], Any] | None = None) -> Iterator[DownloadProgress]:
    """Make sure the seven files exist; yields download progress, returns their folder.

    Use as ``folder = yield from fetch(...)``. A folder with some files missing is
    refused (it may be a course's own; nothing is overwritten); a missing folder is
    unpacked from the archive in the root, downloaded first when needed and allowed.
    """
    root = Path(root)
    folder = folder_of(root)
    missing = [name for name in ALL_FILES if not (folder / name).is_file()]
    if not missing:
        return folder
    if folder.exists() and len(missing) < len(ALL_FILES):
        incomplete = (_("{folder} is incomplete: {files} is missing.") if len(missing) == 1 else
                      _("{folder} is incomplete: {files} are missing."))
        raise DataError(incomplete.format(folder=folder, files=", ".join(missing)),
                        _("Copy the missing files there, or delete {folder} to have the lab unpack (and if need be "
                          "download) the official set afresh.").format(folder=folder))
    archive = root / ARCHIVE
    archive_ok = archive.is_file() and downloads.file_md5(archive) == ARCHIVE_MD5
    if not archive_ok and not download:
        why = (_("{archive} is damaged (its md5 is not the official one) and downloading is turned off "
                 "(download=false)").format(archive=archive) if archive.is_file()
               else _("downloading is turned off (download=false)"))
        raise _missing_error(root, why, _("run again with download=true"))
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root):
            pass
    except OSError as error:
        raise _missing_error(root, _("{folder} cannot be written ({reason})").format(folder=root,
                                                                                     reason=error.strerror or error),
                             _("point --data-dir at a folder you can write to")) from None
    if not archive_ok:
        try:
            yield from downloads.download(opener or _urlopen, URL, archive, md5=ARCHIVE_MD5, chunk=CHUNK)
        except downloads.NetworkError as error:
            raise _missing_error(root, downloads.why_not_downloaded([error]),
                                 _("connect to the internet and run again") if error.offline else _("run again later")) \
                from None
    _unpack(archive, root)
    return folder


def _unpack(archive: Path, root: Path) -> None:
    """Unpack the seven files into a temp folder, check them, then rename it into place."""
    work = Path(tempfile.mkdtemp(prefix=f".{FOLDER}.", suffix=".part", dir=root))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                for member in tar.getmembers():
                    name = member.name.rsplit("/", 1)[-1]
                    # Only the known regular files: no links, no paths from the archive.
                    if member.isfile() and member.name == f"{FOLDER}/{name}" and name in ALL_FILES:
                        with tar.extractfile(member) as src, open(work / name, "wb") as dst:
                            shutil.copyfileobj(src, dst)
        except (tarfile.TarError, EOFError, OSError) as error:
            if isinstance(error, OSError) and error.errno is not None:
                raise  # a full disk is the disk's problem, said by the engine's runtime
            raise DataError(_("{archive} cannot be unpacked ({error}).").format(archive=archive, error=error),
                            _("Delete {archive} and run again to download a fresh copy.").format(archive=archive)) \
                from None
        for name in ALL_FILES:
            if not (work / name).is_file() or downloads.file_md5(work / name) != MD5[name]:
                raise DataError(_("{archive} does not hold the official {name}.").format(archive=archive, name=name),
                                _("Delete {archive} and run again to download a fresh copy.").format(archive=archive))
        try:
            os.rename(work, folder_of(root))
        except OSError:
            if not all((folder_of(root) / name).is_file() for name in ALL_FILES):
                raise  # not another process that unpacked it first
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _missing_error(root: Path, why: str, fix: str) -> DataError:
    """Two short lines: what is missing, where it was looked for and why it is not here;
    then ``fix`` for this cause, and the way that works on any computer."""
    message = _("{title} is not on this computer (looked in {looked}), and {why}.").format(
        title="CIFAR-10", looked=folder_of(root), why=why)
    copy = _("copy {archive} ({mb} MB, from {url}) into {folder}").format(
        archive=ARCHIVE, mb=f"{ARCHIVE_BYTES / 1e6:.0f}", url=URL, folder=root)
    return DataError(message, downloads.fix_sentence([fix, copy]))


# --- reading ---------------------------------------------------------------------------


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"it refers to {module}.{name}, which a CIFAR-10 file never holds")


def _unpickle(path: Path) -> dict[str, Any]:
    hint = _("Replace {path} with a good copy, or delete {folder} to have the lab unpack the official set "
             "afresh.").format(path=path, folder=path.parent)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(_("{path} cannot be read: {reason}.").format(path=path, reason=error.strerror or error),
                        hint) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy 2 warns about numpy.core names in old pickles
            data = _SafeUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError) as error:
        what = _("{path} is truncated ({error}).") if "truncated" in str(error) or isinstance(error, EOFError) \
            or not raw else _("{path} is not a CIFAR-10 pickle ({error}).")
        raise DataError(what.format(path=path, error=error or _("it ends too early")), hint) from None
    except Exception as error:  # noqa: BLE001 - damaged bytes make the unpickler fail in many ways
        raise DataError(_("{path} is damaged: it cannot be unpickled ({error}).").format(
            path=path, error=f"{error.__class__.__name__}: {error}"), hint) from None
    if not isinstance(data, dict):
        raise DataError(_("{path} is not a CIFAR-10 file: it holds a {kind}, not a dict.").format(
            path=path, kind=type(data).__name__), hint)
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in data.items()}


def read_batch(path: Path | str) -> tuple[Any, Any]:
    """One batch file as (images uint8 [n, 32, 32, 3], labels uint8 [n]), checked."""
    import numpy as np

    path = Path(path)
    batch = _unpickle(path)
    hint = _("Replace {path} with a good copy.").format(path=path)
    if "data" not in batch or "labels" not in batch:
        raise DataError(_("{path} is not a CIFAR-10 batch: it has no {entry} entry.").format(
            path=path, entry="data" if "data" not in batch else "labels"), hint)
    data = batch["data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != PIXELS:
        shape = getattr(data, "shape", None)
        found = f"{getattr(data, 'dtype', type(data).__name__)} {list(shape) if shape is not None else ''}".strip()
        raise DataError(_("{path} is not a CIFAR-10 batch: its data is {found}, not uint8 [n, {pixels}].").format(
            path=path, found=found, pixels=PIXELS), hint)
    try:
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except (TypeError, ValueError):
        raise DataError(_("{path} is damaged: its labels are not whole numbers.").format(path=path), hint) from None
    if labels.ndim != 1 or len(labels) != len(data):
        raise DataError(_("{path} holds {images} images but {labels} labels; they must match.").format(
            path=path, images=len(data), labels=labels.size), hint)
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        bad = int(labels.max()) if labels.max() > 9 else int(labels.min())
        raise DataError(_("{path} is damaged: it holds the label {label}; labels are 0–9.").format(path=path, label=bad),
                        hint)
    images = data.reshape(-1, 3, SIDE, SIDE).transpose(0, 2, 3, 1)  # planes -> rows, columns, RGB
    return np.ascontiguousarray(images), labels.astype(np.uint8)


def read_classes(path: Path | str) -> tuple[str, ...]:
    path = Path(path)
    names = _unpickle(path).get("label_names")
    if not isinstance(names, list) or len(names) != 10 or not all(isinstance(n, (str, bytes)) for n in names):
        raise DataError(_("{path} is not CIFAR-10's batches.meta: it has no list of 10 label_names.").format(path=path),
                        _("Replace {path} with a good copy.").format(path=path))
    return tuple(n.decode("latin1") if isinstance(n, bytes) else n for n in names)


def unofficial_files(folder: Path) -> list[str]:
    """The files whose md5 differs from the published one (a course's own set, say)."""
    return [name for name in ALL_FILES if downloads.file_md5(folder / name) != MD5[name]]


def read(folder: Path | str) -> Arrays:
    """The seven files as arrays, each checked; a set that is not the official one loads
    with a warning sentence in ``Arrays.warnings``."""
    import numpy as np

    folder = Path(folder)
    parts = [read_batch(folder / name) for name in TRAIN_FILES]
    test_images, test_labels = read_batch(folder / TEST_FILE)
    classes = read_classes(folder / META_FILE)
    train_images = np.concatenate([images for images, _labels in parts])
    train_labels = np.concatenate([labels for _images, labels in parts])
    for empty, count in ((N_("The CIFAR-10 training files in {folder} hold no images."), len(train_labels)),
                         (N_("The CIFAR-10 test files in {folder} hold no images."), len(test_labels))):
        if count == 0:
            raise DataError(_(empty).format(folder=folder),
                            _("Replace them with good copies, or delete {folder} to unpack the official set.")
                            .format(folder=folder))
    changed = unofficial_files(folder)
    notes = []
    if changed:
        unofficial = (N_("The CIFAR-10 files in {folder} are not the official ones ({files} differs from the "
                         "published checksums): {train} training and {test} test images are used as they are, so "
                         "accuracies are not comparable with published CIFAR-10 results.") if len(changed) == 1 else
                      N_("The CIFAR-10 files in {folder} are not the official ones ({files} differ from the "
                         "published checksums): {train} training and {test} test images are used as they are, so "
                         "accuracies are not comparable with published CIFAR-10 results."))
        notes.append(_(unofficial).format(folder=folder, files=", ".join(changed), train=f"{len(train_labels):,}",
                                          test=f"{len(test_labels):,}"))
    return Arrays(train_images, train_labels, test_images, test_labels, classes, _("data root {folder}").format(folder=folder),
                  official=not changed, warnings=notes)


def synthetic(train: int = TRAIN_SIZE, test: int = TEST_SIZE, seed: int = 0) -> Arrays:
    """A generated stand-in of CIFAR-10's shape, for checks and speed measurements where
    CIFAR-10 is not available: each class is a colour tint plus a coarse texture, shifted
    by up to 2 pixels, with noise. It is learnable, so a broken pipeline still shows, but
    its accuracies say nothing about CIFAR-10."""
    import numpy as np

    rng = np.random.default_rng(seed)
    tints = rng.integers(40, 216, size=(10, 1, 1, 3)).astype(np.int16)
    textures = np.kron(rng.integers(-50, 51, size=(10, 8, 8, 3)), np.ones((1, 4, 4, 1), np.int64)).astype(np.int16)

    def draw(count: int) -> tuple[Any, Any]:
        labels = rng.integers(0, 10, size=count)
        shifts = rng.integers(-2, 3, size=(count, 2))
        rows = (np.arange(SIDE)[None, :] - shifts[:, :1]) % SIDE
        cols = (np.arange(SIDE)[None, :] - shifts[:, 1:]) % SIDE
        images = textures[labels[:, None, None], rows[:, :, None], cols[:, None, :]]
        images += tints[labels] - 30
        images += rng.integers(0, 61, size=images.shape, dtype=np.uint8)  # noise of ±30, uniform
        return np.clip(images, 0, 255, out=images).astype(np.uint8), labels.astype(np.uint8)

    train_images, train_labels = draw(train)
    test_images, test_labels = draw(test)
    note = _("These are {train} generated training images of CIFAR-10's shape, not CIFAR-10 (dataset=synthetic): "
             "the run measures speed and checks the pipeline, and its accuracies say nothing about CIFAR-10.").format(
        train=f"{train:,}")
    return Arrays(train_images, train_labels, test_images, test_labels, CLASSES,
                  _("generated stand-in (dataset=synthetic)"), official=False, warnings=[note])


def load(root: Path | str, *, download: bool = True, opener: Callable[[str], Any] | None = None) -> Arrays:
    """Fetch (without reporting progress) and read CIFAR-10: for scripts and benchmarks."""
    generator = fetch(root, download=download, opener=opener)
    while True:
        try:
            next(generator)
        except StopIteration as done:
            return read(done.value)
