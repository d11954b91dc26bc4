"""The CIFAR-10 networks as torch modules, and the pieces of the fast recipe that touch them.

Imported only once a run has started (it imports torch); the layer names here are those
of ``engines.cifar.models``, which describes the same networks without torch.

* ``build`` makes ``small-cnn``, ``fast`` (airbench94's net) or ``resnet-article``;
* ``init_whitening`` sets the fast net's first convolution to whiten 2×2 patches
  (eigenvectors of their covariance over 5,000 training images, each with both signs);
* ``Lookahead`` is airbench's weight averaging: every few steps the weights are pulled
  towards a running average, and the run ends on the average;
* ``GlobalBatchNorm2d`` makes BatchNorm use the statistics of the whole global batch
  when several processes train together (torch's own SyncBatchNorm refuses CPU
  modules), so N processes train exactly what one process with the same batch would.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from engines.cifar.models import FAST_WIDTHS, SMALL_CNN_WIDTHS, WHITEN_KERNEL, WHITEN_WIDTH

FAST_BN_MOMENTUM = 0.6  # airbench's: running = 0.6 · running + 0.4 · batch
FAST_OUTPUT_SCALE = 1 / 9
SMALL_CNN_OUTPUT_SCALE = 1 / 8
WHITENING_IMAGES = 5000
WHITENING_EPS = 5e-4


def build(model: str, whitening: bool = True, head_scale: float | None = None) -> nn.Module:
    """A fresh network with torch's (or airbench's) initial weights from the current seed;
    ``head_scale`` gives the fast net airbench94_muon's head (see ``fast_net``)."""
    if model == "small-cnn":
        return small_cnn()
    if model == "fast":
        return fast_net(whitening, head_scale)
    if model == "resnet-article":
        import torchvision

        net = torchvision.models.resnet18()
        net.fc = nn.Linear(512, 10)  # what the article does: a new 10-class head
        return net
    raise ValueError(f"unknown model {model!r}")


def small_cnn() -> nn.Sequential:
    """Three conv-BatchNorm-ReLU-maxpool blocks and a linear layer whose output is scaled by
    1/8: its 2,048 positive inputs would otherwise make the first large-rate steps throw
    the logits far out (measured: the loss jumped from 2.3 to 25 in five steps)."""
    layers: list[tuple[str, nn.Module]] = []
    cin = 3
    for i, cout in enumerate(SMALL_CNN_WIDTHS, start=1):
        layers += [(f"conv{i}", nn.Conv2d(cin, cout, 3, padding=1, bias=False)), (f"bn{i}", nn.BatchNorm2d(cout)),
                   (f"relu{i}", nn.ReLU()), (f"pool{i}", nn.MaxPool2d(2))]
        cin = cout
    layers += [("flatten", nn.Flatten()), ("fc", nn.Linear(cin * 4 * 4, 10)), ("scale", Scale(SMALL_CNN_OUTPUT_SCALE))]
    return nn.Sequential(OrderedDict(layers))


# --- airbench94's network ----------------------------------------------------------------


class _Conv(nn.Conv2d):
    """3×3 'same' convolution without bias; the first in-channels start as the identity
    (Dirac), so that each block starts by passing its input through."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(cin, cout, 3, padding="same", bias=False)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        w = self.weight.data
        nn.init.dirac_(w[:w.size(1)])


class _BatchNorm(nn.BatchNorm2d):
    """BatchNorm with a fixed scale of 1 (only the shift learns), as airbench does."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels, eps=1e-12, momentum=1 - FAST_BN_MOMENTUM)
        self.weight.requires_grad = False


class ConvGroup(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = _Conv(cin, cout)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = _BatchNorm(cout)
        self.conv2 = _Conv(cout, cout)
        self.norm2 = _BatchNorm(cout)
        self.activ = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.activ(self.norm1(self.pool(self.conv1(x))))
        return self.activ(self.norm2(self.conv2(x)))


class Scale(nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


def fast_net(whitening: bool = True, head_scale: float | None = None) -> nn.Sequential:
    """airbench94's network. With ``whitening`` the first convolution is frozen (set
    later by ``init_whitening``); without, it is an ordinary convolution that learns.
    With ``head_scale`` the output is multiplied by it instead of 1/9 and the head's
    weights start with standard deviation 1 (airbench94_muon: 1/256, ``CifarNet.reset``)."""
    whiten = nn.Conv2d(3, WHITEN_WIDTH, WHITEN_KERNEL, padding=0, bias=True)
    nn.init.zeros_(whiten.bias)
    whiten.weight.requires_grad = not whitening
    layers: list[tuple[str, nn.Module]] = [("whiten", whiten), ("act", nn.GELU())]
    cin = WHITEN_WIDTH
    for i, cout in enumerate(FAST_WIDTHS, start=1):
        layers.append((f"block{i}", ConvGroup(cin, cout)))
        cin = cout
    head = nn.Linear(cin, 10, bias=False)
    if head_scale is not None:
        with torch.no_grad():
            head.weight /= head.weight.std()
    layers += [("pool", nn.MaxPool2d(3)), ("flatten", nn.Flatten()), ("fc", head),
               ("scale", Scale(FAST_OUTPUT_SCALE if head_scale is None else head_scale))]
    return nn.Sequential(OrderedDict(layers))


def to_fp16_weights(net: nn.Module) -> nn.Module:
    """airbench's precision: every module in float16 but BatchNorm, which stays float32
    (cuDNN normalises float16 activations with float32 statistics)."""
    for module in net.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.float()
        elif not list(module.children()):
            module.half()
    return net


@torch.no_grad()
def init_whitening(conv: nn.Conv2d, images: torch.Tensor) -> None:
    """Set ``conv`` to whiten its patches: eigenvectors of the patch covariance of
    ``images`` (normalised, NCHW), scaled by 1/sqrt(eigenvalue), each with both signs."""
    h, w = conv.weight.shape[2:]
    c = images.shape[1]
    patches = images.float().unfold(2, h, 1).unfold(3, w, 1).transpose(1, 3).reshape(-1, c * h * w)
    covariance = patches.T @ patches / len(patches)
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance)
    eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.T.flip(0)  # largest first
    filters = (eigenvectors / torch.sqrt(eigenvalues + WHITENING_EPS)[:, None]).reshape(-1, c, h, w)
    conv.weight.copy_(torch.cat((filters, -filters)).to(conv.weight.dtype))


class Lookahead:
    """airbench's weight averaging: ``update`` moves a running average of every float
    tensor of the network (weights and BatchNorm statistics) towards the current values,
    then puts the average back into the network."""

    def __init__(self, net: nn.Module) -> None:
        self.average = {k: v.detach().clone() for k, v in net.state_dict().items() if v.is_floating_point()}

    @torch.no_grad()
    def update(self, net: nn.Module, decay: float) -> None:
        for key, value in net.state_dict().items():
            if key in self.average:
                self.average[key].lerp_(value, 1 - decay)
                value.copy_(self.average[key])

    @staticmethod
    def decay(step: int, total: int) -> float:
        """How strongly the average holds on at ``step``: nothing at first, 0.77 at the end."""
        return 0.95**5 * (step / max(1, total)) ** 3


# --- several processes -----------------------------------------------------------------


class _GlobalBatchNorm(torch.autograd.Function):
    """BatchNorm's forward and backward over the global batch, built from torch's own
    (fast, fused) BatchNorm kernels and one all_reduce each way.

    Forward: the local batch's mean and variance (a training-mode BatchNorm call) are
    combined over processes into the global ones, which an evaluation-mode call then
    normalises with. Backward: with g = dJ/dy (each process's g from its own loss),
    dx = w/σ · g − w/(σN) · (Σg + x̂ · Σg·x̂), the sums over the global batch of N; the
    evaluation-mode backward gives w/σ · g and the local sums, and the correction is
    affine in x per channel, so one more BatchNorm call computes it.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, module: "GlobalBatchNorm2d"
                ) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):  # the kernels take bf16 input with float32 statistics
            _, mean, invstd = torch.native_batch_norm(x, weight, bias, None, None, True, 0.0, module.eps)
            count = torch.full((1,), x.numel() / x.shape[1], device=x.device)
            variance = invstd.pow(-2) - module.eps
            sums = torch.cat([mean * count, (variance + mean * mean) * count, count])
            dist.all_reduce(sums)
            channels = x.shape[1]
            total = sums[-1]
            mean = sums[:channels] / total
            variance = (sums[channels:2 * channels] / total - mean * mean).clamp_min(0)
            module.track(mean, variance, total)
            ctx.save_for_backward(x, weight, mean, variance)
            ctx.eps, ctx.total = module.eps, total
            return torch.batch_norm(x, weight, bias, mean, variance, False, 0.0, module.eps, True)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        x, weight, mean, variance = ctx.saved_tensors
        eps, total = ctx.eps, ctx.total
        channels = x.shape[1]
        plain, grad_weight, grad_bias = torch.ops.aten.native_batch_norm_backward(
            grad, x, weight, mean, variance, None, None, False, eps, [True, True, True])
        sums = torch.cat([grad_bias, grad_weight]).float()  # local Σg and Σg·x̂
        dist.all_reduce(sums)
        invstd = torch.rsqrt(variance + eps)
        scale = -weight.float() * invstd / total
        slope = scale * sums[channels:] * invstd  # per channel: correction = slope · (x − mean) + scale · Σg
        offset = scale * sums[:channels] - slope * mean
        ones = torch.ones_like(mean)
        correction = torch.batch_norm(x, slope, offset, torch.zeros_like(mean), ones - eps, False, 0.0, eps, True)
        return plain + correction, grad_weight if weight.requires_grad else None, grad_bias, None


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm over the global batch of all processes; plain BatchNorm when alone or
    evaluating. torch's SyncBatchNorm would do this on GPUs but refuses CPU modules."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or not dist.is_initialized() or dist.get_world_size() == 1:
            return super().forward(x)
        return _GlobalBatchNorm.apply(x, self.weight, self.bias, self)

    @torch.no_grad()
    def track(self, mean: torch.Tensor, variance: torch.Tensor, count: torch.Tensor) -> None:
        """Running statistics as BatchNorm keeps them (the variance unbiased)."""
        self.num_batches_tracked += 1
        self.running_mean.lerp_(mean, self.momentum)
        self.running_var.lerp_(variance * count / (count - 1).clamp_min(1), self.momentum)


def use_global_batchnorm(net: nn.Module) -> nn.Module:
    """Swap every BatchNorm2d of ``net`` for a GlobalBatchNorm2d sharing its parameters and buffers."""
    for name, child in net.named_children():
        if isinstance(child, nn.BatchNorm2d) and not isinstance(child, GlobalBatchNorm2d):
            swapped = GlobalBatchNorm2d(child.num_features, eps=child.eps, momentum=child.momentum,
                                        affine=child.affine, track_running_stats=child.track_running_stats)
            swapped.weight, swapped.bias = child.weight, child.bias
            swapped.running_mean, swapped.running_var = child.running_mean, child.running_var
            swapped.num_batches_tracked = child.num_batches_tracked
            setattr(net, name, swapped)
        else:
            use_global_batchnorm(child)
    return net
