"""MNIST and Fashion-MNIST on disk: find, download, verify and read them.

The on-disk layout is torchvision's, so a folder made by ``torchvision.datasets.MNIST``
works here and the other way round:

    ROOT/MNIST/raw/train-images-idx3-ubyte        (and the .gz it came from)
    ROOT/MNIST/raw/train-labels-idx1-ubyte
    ROOT/MNIST/raw/t10k-images-idx3-ubyte
    ROOT/MNIST/raw/t10k-labels-idx1-ubyte
    ROOT/FashionMNIST/raw/...                      (same four names)

ROOT comes from ``engines.core.data_root`` (``--data-dir``, ``TUI_LAB_DATA``, per-user cache).
Debian's ``dataset-fashion-mnist`` package puts the four ``.gz`` files flat in
``/usr/share/datasets/fashion-mnist/``; they are read in place (gzip-aware), never copied.

The IDX reader is our own (about 40 lines over numpy) rather than torchvision's, for two
reasons: importing torchvision costs over a second before the first plotted point, and
torchvision's reader neither accepts ``.gz`` nor says which file is broken. The tests
check that both readers agree on the same files, and that our mirror and checksum
tables equal torchvision's.

Nothing here imports torch; ``fetch`` is a generator so that a download reports its
progress to whoever drives it (the training engine turns it into events) and can be
abandoned half-way without leaving a half-written file.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from engines.core import downloads
from engines.core.downloads import DataError, DownloadProgress
from engines.core.events import alternative_run
from lab_i18n import N_, _

_urlopen = downloads.urlopen  # the tests put a fake mirror here

IMAGE_MAGIC = 0x00000803  # uint8 data, 3 dimensions
LABEL_MAGIC = 0x00000801  # uint8 data, 1 dimension
SIDE = 28
FILES = {  # split -> (images, labels), uncompressed names as torchvision keeps them
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
ALL_FILES = (*FILES["train"], *FILES["test"])
CHUNK = downloads.CHUNK

@dataclass(frozen=True)
class DatasetInfo:
    key: str  # the run parameter's value
    title: str
    folder: str  # torchvision's class name, which is its folder under the root
    mirrors: tuple[str, ...]  # tried in order, as torchvision does
    md5: dict[str, str]  # of the published .gz files (not of Debian's repacked ones)
    classes: tuple[str, ...]
    train_size: int
    test_size: int
    mean: float  # of the training pixels scaled to 0..1 (published figures)
    std: float
    system_dirs: tuple[str, ...] = ()  # where a distribution package installs the files
    system_package: str = ""
    download_mb: int = 0  # the four .gz files together, rounded


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        key="mnist",
        title="MNIST",
        folder="MNIST",
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        md5={
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        classes=("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
        train_size=60_000,
        test_size=10_000,
        mean=0.1307,
        std=0.3081,
        download_mb=12,
    ),
    "fashion-mnist": DatasetInfo(
        key="fashion-mnist",
        title="Fashion-MNIST",
        folder="FashionMNIST",
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        md5={
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        train_size=60_000,
        test_size=10_000,
        mean=0.2860,
        std=0.3530,
        system_dirs=("/usr/share/datasets/fashion-mnist",),
        system_package="dataset-fashion-mnist",
        download_mb=30,
    ),
}


@dataclass(frozen=True)
class Located:
    """Where each of the four files was found (a plain or a .gz path each)."""

    info: DatasetInfo
    paths: dict[str, Path]  # uncompressed name -> existing file
    source: str  # for people: "data root /x/MNIST/raw" or "Debian package ... (/usr/share/...)"
    system: bool = False  # read-only files of a distribution package


@dataclass(frozen=True)
class Arrays:
    """A whole dataset as numpy uint8 arrays: images [N, 28, 28], labels [N]."""

    info: DatasetInfo
    train_images: Any
    train_labels: Any
    test_images: Any
    test_labels: Any
    source: str


def dataset_info(key: str) -> DatasetInfo:
    try:
        return DATASETS[key]
    except KeyError:
        raise DataError(_("Unknown dataset {name}; choose one of {names}.").format(
            name=repr(key), names=", ".join(DATASETS))) from None


def raw_folder(info: DatasetInfo, root: Path) -> Path:
    return Path(root) / info.folder / "raw"


# --- finding the files ---------------------------------------------------------------


def _in_folder(folder: Path, name: str) -> Path | None:
    """The uncompressed file if present, else its .gz (torchvision keeps both)."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def locate(info: DatasetInfo, root: Path, system_dirs: tuple[str, ...] | None = None) -> Located | None:
    """All four files from one place: the data root first, then a system package's folder."""
    raw = raw_folder(info, root)
    found = {name: _in_folder(raw, name) for name in ALL_FILES}
    if all(found.values()):
        return Located(info, found, _("data root {folder}").format(folder=raw))  # type: ignore[arg-type]
    for folder in info.system_dirs if system_dirs is None else system_dirs:
        found = {name: _in_folder(Path(folder), name) for name in ALL_FILES}
        if all(found.values()):
            source = (_("Debian package {package} ({folder})").format(package=info.system_package, folder=folder)
                      if info.system_package else f"({folder})")
            return Located(info, found, source, system=True)  # type: ignore[arg-type]
    return None


def default_dataset(root: Path) -> tuple[str, str]:
    """The dataset a run uses unless the learner chose one, and a sentence saying why:
    MNIST if its files are here, else Fashion-MNIST if its files are here (Debian's
    package included), else MNIST, which downloads. Only looks for the files; reading
    and checking them is the run's job."""
    mnist, fashion = DATASETS["mnist"], DATASETS["fashion-mnist"]
    if locate(mnist, root) is not None:
        return mnist.key, _("{title}: it is on this computer.").format(title=mnist.title)
    if locate(fashion, root) is not None:
        return fashion.key, _("{title}: it is on this computer; {other} is not (choosing {key} downloads it, about "
                              "{mb} MB).").format(title=fashion.title, other=mnist.title, key=mnist.key,
                                                  mb=mnist.download_mb)
    return mnist.key, _("{title}: it is not on this computer yet and downloads when the run starts (about {mb} MB).")\
        .format(title=mnist.title, mb=mnist.download_mb)


def alternative(info: DatasetInfo, root: Path) -> dict[str, Any] | None:
    """The run that works now when ``info`` is missing: another dataset that is here."""
    for other in DATASETS.values():
        if other.key != info.key and locate(other, root) is not None:
            return alternative_run(_("train on {title}, which is on this computer").format(title=other.title),
                                   {"dataset": other.key})
    return None


# --- downloading ---------------------------------------------------------------------


def fetch(
    info: DatasetInfo,
    root: Path,
    *,
    download: bool = True,
    system_dirs: tuple[str, ...] | None = None,
    opener: Callable[..., Any] | None = None,
) -> Iterator[DownloadProgress]:
    """Make sure the four files exist; yields download progress, returns a ``Located``.

    Use as ``located = yield from fetch(...)``. Missing files are downloaded into the
    data root's raw folder (temp name, md5 check, rename, then unpacked the same way);
    when that is impossible a ``DataError`` says where the files must go and how.
    """
    located = locate(info, root, system_dirs)
    if located is not None:
        return located
    raw = raw_folder(info, root)
    missing = [name for name in ALL_FILES if _in_folder(raw, name) is None]
    if not download:
        raise _missing_error(info, root, system_dirs, _("downloading is turned off (download=false)"),
                             _("run again with download=true"))
    try:
        raw.mkdir(parents=True, exist_ok=True)
        probe = tempfile.TemporaryFile(dir=raw)
        probe.close()
    except OSError as error:
        raise _missing_error(info, root, system_dirs, _("{folder} cannot be written ({reason})").format(
                             folder=raw, reason=error.strerror or error), _("point --data-dir at a folder you can write to"))
    open_url = opener or _urlopen
    for name in missing:
        gz = raw / f"{name}.gz"
        if not gz.is_file():
            problems: list[downloads.NetworkError] = []
            for mirror in info.mirrors:
                try:
                    yield from downloads.download(open_url, mirror + gz.name, gz, md5=info.md5.get(gz.name),
                                                  chunk=CHUNK)
                    break
                except downloads.NetworkError as error:  # the next mirror is tried
                    problems.append(error)
            else:
                offline = all(problem.offline for problem in problems)
                raise _missing_error(info, root, system_dirs, downloads.why_not_downloaded(problems),
                                     _("connect to the internet and run again") if offline else _("run again later"))
        _unpack(gz, raw / name)
    return Located(info, {name: _in_folder(raw, name) for name in ALL_FILES},
                   _("data root {folder}").format(folder=raw))  # type: ignore[misc]


def _unpack(gz: Path, target: Path) -> None:
    """gunzip ``gz`` beside itself, verify the result, then rename it into place."""
    data = _read_bytes(gz, "")
    kind = "labels" if "labels" in target.name else "images"
    _parse(data, gz, kind)  # raises DataError naming the file
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp_name, target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def _missing_error(info: DatasetInfo, root: Path, system_dirs: tuple[str, ...] | None, why: str,
                   fix: str) -> DataError:
    """Two short lines: what is missing, where it was looked for and why it is not here;
    then ``fix`` for this cause, and the ways that work on any computer."""
    raw = raw_folder(info, root)
    dirs = info.system_dirs if system_dirs is None else system_dirs
    looked = _(" and ").join(str(folder) for folder in (raw, *dirs))
    message = _("{title} is not on this computer (looked in {looked}), and {why}.").format(title=info.title,
                                                                                         looked=looked, why=why)
    ways = [fix]
    if info.system_package:
        ways.append(_("run `sudo apt-get install {package}`").format(package=info.system_package))
    ways.append(_("copy the four files from {url} into {folder}").format(url=info.mirrors[0], folder=raw))
    return DataError(message, downloads.fix_sentence(ways))


# --- reading -------------------------------------------------------------------------


def _read_bytes(path: Path, package: str) -> bytes:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as error:
        raise DataError(_("{path} cannot be read: {reason}.").format(path=path, reason=error.strerror or error),
                        _fix_hint(path, package)) from None
    if raw[:2] != b"\x1f\x8b":
        if path.suffix == ".gz":
            raise DataError(_("{path} is named .gz but is not gzip-compressed (it is damaged or mislabelled).")
                            .format(path=path),
                            _fix_hint(path, package))
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise DataError(_("{path} is truncated: its gzip stream ends before the end of the data.").format(path=path),
                        _fix_hint(path, package)) from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise DataError(_("{path} is corrupt: gzip reports {error}.").format(path=path, error=error),
                        _fix_hint(path, package)) from None


def _fix_hint(path: Path, package: str) -> str:
    if package:
        return _("The package's files are damaged; reinstall them with `sudo apt-get install --reinstall {package}`.")\
            .format(package=package)
    return _("Delete {path} (and its .gz or plain twin beside it) and run again to download a fresh copy.").format(
        path=path)


KINDS = {"images": N_("images"), "labels": N_("labels"), "": ""}


def _parse(data: bytes, path: Path, kind: str, package: str = "") -> Any:
    """IDX bytes -> numpy uint8 array [N, 28, 28] (images) or [N] (labels), checked."""
    import numpy as np

    magic, header = (IMAGE_MAGIC, 16) if kind == "images" else (LABEL_MAGIC, 8)
    hint = _fix_hint(path, package)
    if len(data) < header:
        raise DataError(_("{path} is truncated: {size} bytes, shorter than the {header}-byte IDX header.").format(
            path=path, size=len(data), header=header), hint)
    found = struct.unpack(">I", data[:4])[0]
    if found != magic:
        other = {IMAGE_MAGIC: "images", LABEL_MAGIC: "labels"}.get(found)
        what = (_("{path} is not an IDX {kind} file: it holds {other}, not {kind}.") if other else
                _("{path} is not an IDX {kind} file: it starts with {found}, not {magic}."))
        raise DataError(what.format(path=path, kind=_(KINDS[kind]), other=_(KINDS.get(other, "")),
                                    found=f"0x{found:08x}", magic=f"0x{magic:08x}"), hint)
    count = struct.unpack(">I", data[4:8])[0]
    shape: tuple[int, ...] = (count,)
    if kind == "images":
        rows, cols = struct.unpack(">II", data[8:16])
        if (rows, cols) != (SIDE, SIDE):
            raise DataError(_("{path} holds {rows}×{cols} images; MNIST-format images are {side}×{side}.").format(
                path=path, rows=rows, cols=cols, side=SIDE), hint)
        shape = (count, rows, cols)
    expected = header + int(np.prod(shape))
    if len(data) < expected:
        raise DataError(_("{path} is truncated: its header announces {count} {kind} ({expected} bytes) but it has "
                          "{size} bytes.").format(path=path, count=count, kind=_(KINDS[kind]), expected=expected,
                                                  size=len(data)), hint)
    if len(data) > expected:
        raise DataError(_("{path} is corrupt: it has {extra} bytes more than its header announces ({count} {kind}).")
                        .format(path=path, extra=len(data) - expected, count=count, kind=_(KINDS[kind])), hint)
    array = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()  # writable, owns memory
    if kind == "labels" and count and int(array.max()) > 9:
        raise DataError(_("{path} is corrupt: it holds the label {label}; labels are 0–9.").format(
            path=path, label=int(array.max())), hint)
    return array


def read_idx(path: Path | str, kind: str, package: str = "") -> Any:
    """One IDX file (plain or .gz) as a checked numpy array; ``kind`` is images or labels.

    ``package`` names the distribution package the file belongs to, if any, so that the
    advice for a damaged file is to reinstall it rather than to delete it.
    """
    path = Path(path)
    return _parse(_read_bytes(path, package), path, kind, package)


def read(located: Located) -> Arrays:
    """All four files as uint8 arrays, each checked; image and label counts must agree."""
    package = located.info.system_package if located.system else ""
    out = {}
    for split, (images_name, labels_name) in FILES.items():
        images = read_idx(located.paths[images_name], "images", package)
        labels = read_idx(located.paths[labels_name], "labels", package)
        if len(images) != len(labels):
            raise DataError(
                _("{images_path} holds {images} images but {labels_path} holds {labels} labels; they must match.")
                .format(images_path=located.paths[images_name], images=len(images),
                        labels_path=located.paths[labels_name], labels=len(labels)),
                _fix_hint(located.paths[labels_name], package))
        if len(images) == 0:
            raise DataError(_("{path} holds no images.").format(path=located.paths[images_name]),
                            _fix_hint(located.paths[images_name], package))
        out[split] = (images, labels)
    return Arrays(located.info, out["train"][0], out["train"][1], out["test"][0], out["test"][1], located.source)


def load(key: str, root: Path | str, *, download: bool = True,
         system_dirs: tuple[str, ...] | None = None) -> Arrays:
    """Fetch (without reporting progress) and read a dataset: for scripts and benchmarks."""
    generator = fetch(dataset_info(key), Path(root), download=download, system_dirs=system_dirs)
    while True:
        try:
            next(generator)
        except StopIteration as done:
            return read(done.value)
