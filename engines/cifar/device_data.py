"""CIFAR-10 on the device: the images stay uint8, rows × columns × RGB, on the device.

A batch is one gather that also applies the augmentation — the reflect-padded 2-pixel
translate and the flip are folded into the gather's row and column indices, so no
padded copy is needed — then it is normalised in float32 and handed to the network in
the compute dtype; ``permute`` to NCHW gives channels_last strides for free.
"""

from __future__ import annotations

from typing import Any

import torch

from engines.training.images import pixel_statistics

SIDE = 32
TRANSLATE_PIXELS = 2


class DeviceData:
    """CIFAR-10 resident on the device as uint8 [N, 32, 32, 3]; batches are gathered,
    augmented and normalised there."""

    def __init__(self, arrays: Any, device: Any, subset: int, seed: int,
                 normalisation: tuple[tuple[float, ...], tuple[float, ...]] | None, dtype: Any,
                 channels_last: bool) -> None:
        self.dtype, self.channels_last = dtype, channels_last
        train = torch.from_numpy(arrays.train_images)
        train_y = torch.from_numpy(arrays.train_labels).long()
        if subset < len(train):
            pick = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:subset]
            train, train_y = train[pick], train_y[pick]
        self.train_u8_cpu, self.train_y_cpu = train, train_y  # kept on the CPU for artifacts
        self.test_u8_cpu = torch.from_numpy(arrays.test_images)
        self.test_y_cpu = torch.from_numpy(arrays.test_labels).long()
        if normalisation is None:  # the training pixels' own statistics, per channel
            stats = [pixel_statistics(train[..., c].contiguous()) for c in range(3)]
            normalisation = (tuple(m for m, _ in stats), tuple(s for _, s in stats))
        self.mean, self.std = (list(normalisation[0]), list(normalisation[1]))
        self.train = train.to(device.name)
        self.train_y = train_y.to(device.name)
        self.test = self.test_u8_cpu.to(device.name)
        self.test_y = self.test_y_cpu.to(device.name)
        self._shift = torch.tensor(self.mean, device=device.name) * 255
        self._scale = 1 / (torch.tensor(self.std, device=device.name) * 255)
        self._pixels = torch.arange(SIDE, device=device.name)

    @property
    def train_size(self) -> int:
        return len(self.train_y)

    def batch(self, images: Any, index: Any, dy: Any = None, dx: Any = None, flip: Any = None,
              dtype: Any = None) -> Any:
        """Images ``index`` as a normalised NCHW batch; per image, ``flip`` mirrors it left
        to right, then ``dy``/``dx`` shift it (reflecting at the borders), as airbench does."""
        if dy is None and dx is None:
            x = images.index_select(0, index)
            if flip is not None:
                x = torch.where(flip[:, None, None, None], x.flip(2), x)
        else:
            rows = _reflect(self._pixels[None, :] + dy[:, None])
            cols = _reflect(self._pixels[None, :] + dx[:, None])
            if flip is not None:
                cols = torch.where(flip[:, None], SIDE - 1 - cols, cols)
            x = images[index[:, None, None], rows[:, :, None], cols[:, None, :]]
        x = ((x.float() - self._shift) * self._scale).to(dtype or self.dtype).permute(0, 3, 1, 2)
        return x if self.channels_last else x.contiguous()

    def shifted(self, images: Any, index: Any, dy: int, dx: int, flip: bool = False) -> Any:
        """The same shift (and flip) for every image: the views of test-time augmentation."""
        n = len(index)
        full = torch.full((n,), 0, dtype=torch.long, device=index.device)
        flips = torch.full((n,), flip, dtype=torch.bool, device=index.device) if flip else None
        if dy == dx == 0:
            return self.batch(images, index, flip=flips)
        return self.batch(images, index, full + dy, full + dx, flips)


def _reflect(k: Any) -> Any:
    """Mirror indices that fall off a 32-pixel edge back inside (-1 → 1, 32 → 30)."""
    return (SIDE - 1) - ((SIDE - 1) - k.abs()).abs()
