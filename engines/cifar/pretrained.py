"""The article's ImageNet-pretrained ResNet-18 weights (torchvision's file): found in
torch hub's folder or the data folder, else downloaded, else a note saying why not."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import torch

from engines.core import downloads
from engines.core.events import Event
from engines.core.runtime import Control
from lab_i18n import _

WEIGHTS_FILE = "resnet18-f37072fd.pth"  # torchvision's ResNet18_Weights.IMAGENET1K_V1
WEIGHTS_URL = f"https://download.pytorch.org/models/{WEIGHTS_FILE}"
WEIGHTS_SHA256 = "f37072fd"  # the start of its sha256, as torch hub names files
urlopen = downloads.urlopen  # the tests put a fake server here


def pretrained_weights(root: Path, download: bool, ctl: Control) -> Iterator[Event]:
    """The article's ImageNet weights for ResNet-18: (state dict, None), or (None, a sentence
    saying why not — the run then trains the same network from random weights)."""
    hub = Path(torch.hub.get_dir()) / "checkpoints"
    places = [hub / WEIGHTS_FILE, root / "weights" / WEIGHTS_FILE]
    why = ""
    for path in places:
        if path.is_file():
            try:
                return torch.load(path, map_location="cpu", weights_only=True), None
            except Exception as error:  # noqa: BLE001 - a damaged file is reported, not fatal
                why = _("{path} is damaged ({error})").format(path=path, error=error.__class__.__name__)
    if not why:
        if not download:
            why = _("they are not on this computer and downloading is turned off (download=false)")
        else:
            try:
                hub.mkdir(parents=True, exist_ok=True)
                yield from downloads.reporting(downloads.download(urlopen, WEIGHTS_URL, hub / WEIGHTS_FILE,
                                                         sha256_prefix=WEIGHTS_SHA256), ctl)
                if ctl.stop_requested:
                    return None, None
                return torch.load(hub / WEIGHTS_FILE, map_location="cpu", weights_only=True), None
            except downloads.NetworkError as error:
                why = _("they could not be downloaded ({error})").format(error=error)
            except OSError as error:
                why = _("{folder} cannot be written ({reason})").format(folder=hub, reason=error.strerror or error)
    return None, _("The article's ImageNet-pretrained ResNet-18 weights are not available — {why} — so this run "
                   "trains the same network from random initial weights and will stay well below the article's 63 %; "
                   "to use them, put {file} from {url}/ into {hub}/ or {folder}/.").format(
        why=why, file=WEIGHTS_FILE, url=WEIGHTS_URL.rsplit("/", 1)[0], hub=hub, folder=root / "weights")
