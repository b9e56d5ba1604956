"""PyTorch ports of paper 001's pretrained CAM networks (Boopathy et al., ICML 2020).

The released weights (ASSETS.md, "proper-interpretability/") are pickles of
``[(W, b), ..., (W_last,)]`` in TensorFlow layout. The ports follow ASSETS.md exactly:

* input NCHW in [0, 1] (the original is NHWC); conv weights HWIO -> OIHW by
  ``transpose(3, 2, 0, 1)``; no normalization, no BatchNorm;
* TF "SAME" padding, asymmetric when the total is odd (:class:`SamePadConv2d`);
* ReLU before every conv except the first, and **no** ReLU before the final bias-free
  1x1 conv, whose output is the class activation map (CAM, signed, one map per class);
* logits = spatial mean of the CAM, so ``forward(x) == cam(x).mean((2, 3))``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from bench.errors import SpecError
from bench.zoo.architectures.registry import ARCHITECTURES

Shapes = tuple[tuple[int, ...], ...]


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF "SAME" padding (before, after) of one spatial axis.

    ``out = ceil(size / stride)``, ``total = max((out - 1) * stride + kernel - size, 0)``,
    ``before = total // 2`` and the rest after (ASSETS.md): a stride-2 3x3 conv on an even
    size pads 0 before and 1 after, so a symmetric ``padding=1`` would be wrong.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad_same(x: torch.Tensor, kernel: int, stride: int, value: float = 0.0) -> torch.Tensor:
    """Pad the last two axes of ``x`` as TF "SAME" would (F.pad takes the last axis first)."""
    top, bottom = same_padding(x.shape[-2], kernel, stride)
    left, right = same_padding(x.shape[-1], kernel, stride)
    if top == bottom == left == right == 0:
        return x
    return F.pad(x, (left, right, top, bottom), value=value)


class SamePadConv2d(nn.Conv2d):
    """A square-kernel conv with TF "SAME" padding computed from the input size."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        bias: bool = True,
    ):
        super().__init__(
            in_channels, out_channels, kernel_size, stride=stride, padding=0, bias=bias
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pad the input as TF "SAME" would, then convolve (no padding in the conv itself)."""
        x = _pad_same(x, self.kernel_size[0], self.stride[0])
        return F.conv2d(x, self.weight, self.bias, self.stride)

    def pickle_shapes(self) -> Shapes:
        """The shapes of this conv's pickle entry: ``(W,)`` or ``(W, b)``, W in HWIO."""
        out_ch, in_ch, kh, kw = self.weight.shape
        weight = (kh, kw, in_ch, out_ch)
        return (weight,) if self.bias is None else (weight, (out_ch,))

    def load_pickle_entry(self, entry: Sequence[np.ndarray]) -> None:
        """Copy a shape-checked ``(W, b)`` / ``(W,)`` entry in; W goes HWIO -> OIHW."""
        self.weight.copy_(torch.from_numpy(np.ascontiguousarray(entry[0].transpose(3, 2, 0, 1))))
        if self.bias is not None:
            self.bias.copy_(torch.from_numpy(entry[1]))


class SamePadMaxPool2d(nn.Module):
    """A square max-pool with TF "SAME" padding (padded cells never win: they are -inf).

    The MNIST ``pool`` net pools 2x2 with stride 2 on 28x28 and 14x14 maps, where SAME
    needs no padding; the padding only matters for odd sizes.
    """

    def __init__(self, kernel_size: int = 2, stride: int = 2):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pad the input with -inf as TF "SAME" would, then max-pool."""
        x = _pad_same(x, self.kernel_size, self.stride, value=float("-inf"))
        return F.max_pool2d(x, self.kernel_size, self.stride)

    def pickle_shapes(self) -> Shapes:
        """The release stores each pool as a placeholder ``(nan k x k array, nan scalar)``."""
        return (self.kernel_size, self.kernel_size), ()

    def load_pickle_entry(self, entry: Sequence[np.ndarray]) -> None:
        """A pool has no parameters: the placeholder is only checked, never copied."""


def _check_entries(slots: Sequence[nn.Module], arrays: Sequence[Sequence[np.ndarray]]) -> None:
    """Raise SpecError unless every pickle entry has exactly the shapes its layer expects."""
    if len(arrays) != len(slots):
        raise SpecError(
            f"The weights list has {len(arrays)} entries; this architecture needs {len(slots)}."
        )
    for i, (slot, entry) in enumerate(zip(slots, arrays)):
        expected = slot.pickle_shapes()
        found = tuple(tuple(np.shape(a)) for a in entry)
        if found != expected:
            raise SpecError(
                f"Weights entry {i} ({type(slot).__name__}) has shapes {found}; expected {expected}."
            )


class CamNet(nn.Module):
    """A net whose logits are the spatial mean of a CAM given by a bias-free 1x1 conv.

    Subclasses define :meth:`features` (everything before the CAM conv) and
    :meth:`pickle_slots` (the layers in the order of the release's weights list).
    """

    def __init__(self, feature_channels: int, num_classes: int):
        super().__init__()
        self.cam_conv = SamePadConv2d(feature_channels, num_classes, 1, bias=False)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the CAM conv: the feature maps, (N, feature_channels, h, w)."""
        raise NotImplementedError

    def pickle_slots(self) -> list[nn.Module]:
        """The layers in the order of the release's weights list (the CAM conv last)."""
        raise NotImplementedError

    def cam(self, x: torch.Tensor) -> torch.Tensor:
        """The class activation maps, (N, num_classes, h, w); no ReLU before the 1x1 conv."""
        return self.cam_conv(self.features(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits = spatial mean of the CAM (paper 001, Sec. 2: CAM with global average pooling)."""
        return self.cam(x).mean(dim=(2, 3))

    def load_arrays(self, arrays: Sequence[Sequence[np.ndarray]]) -> None:
        """Copy the release's ``[(W, b), ..., (W_last,)]`` in, all shapes checked before any copy."""
        slots = self.pickle_slots()
        _check_entries(slots, arrays)
        with torch.no_grad():
            for slot, entry in zip(slots, arrays):
                slot.load_pickle_entry(entry)


class SmallGap(CamNet):
    """``smallgap``: convs 16, 32, 100 (kernels 4, 4, 7; strides 2, 2, 1), then the CAM conv.

    CAM 8x8 on CIFAR (32 -> 16 -> 8 -> 8), 7x7 on MNIST (28 -> 14 -> 7 -> 7).
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 3):
        super().__init__(100, num_classes)
        self.conv1 = SamePadConv2d(in_channels, 16, 4, stride=2)
        self.conv2 = SamePadConv2d(16, 32, 4, stride=2)
        self.conv3 = SamePadConv2d(32, 100, 7, stride=1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Three strided SAME convs, ReLU before the second and third (none after the last)."""
        x = self.conv1(x)
        x = self.conv2(F.relu(x))
        return self.conv3(F.relu(x))

    def pickle_slots(self) -> list[nn.Module]:
        """``conv1, conv2, conv3, cam_conv``, the release's order."""
        return [self.conv1, self.conv2, self.conv3, self.cam_conv]


class PoolNet(CamNet):
    """``pool`` (MNIST): conv 32 (5x5, s1), 2x2 max-pool s2, conv 64 (5x5, s1), 2x2 max-pool s2.

    The release stores each max-pool as its own placeholder entry; CAM 7x7 on MNIST.
    ReLU and max-pool commute, so "ReLU before every conv" places one ReLU after the first pool.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1):
        super().__init__(64, num_classes)
        self.conv1 = SamePadConv2d(in_channels, 32, 5)
        self.pool1 = SamePadMaxPool2d(2, 2)
        self.conv2 = SamePadConv2d(32, 64, 5)
        self.pool2 = SamePadMaxPool2d(2, 2)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Conv, max-pool, ReLU, conv, max-pool (no ReLU before the CAM conv)."""
        x = self.pool1(self.conv1(x))
        return self.pool2(self.conv2(F.relu(x)))

    def pickle_slots(self) -> list[nn.Module]:
        """``conv1, pool1, conv2, pool2, cam_conv``: each pool has its own placeholder entry."""
        return [self.conv1, self.pool1, self.conv2, self.pool2, self.cam_conv]


class PreActBlock(nn.Module):
    """A pre-activation residual block: ``conv_b(relu(conv_a(relu(x)))) + shortcut(x)``.

    The shortcut is the block's input itself (before the ReLU); where the block halves the
    size and widens, it is a 2x2 average pool followed by zero channels padded equally on
    both sides (ASSETS.md, ``wresnet``).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv_a = SamePadConv2d(in_channels, out_channels, 3, stride=stride)
        self.conv_b = SamePadConv2d(out_channels, out_channels, 3)
        self.stride = stride
        self.extra_channels = out_channels - in_channels

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        """The identity, or a 2x2 average pool plus zero channels split evenly where it widens."""
        if self.stride > 1:
            x = F.avg_pool2d(x, self.stride)
        if self.extra_channels:
            before = self.extra_channels // 2
            x = F.pad(x, (0, 0, 0, 0, before, self.extra_channels - before))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``conv_b(relu(conv_a(relu(x)))) + shortcut(x)``."""
        h = self.conv_a(F.relu(x))
        return self.conv_b(F.relu(h)) + self.shortcut(x)


class WResNet(CamNet):
    """``wresnet`` (CIFAR): a first 3x3 conv (16) and 15 pre-activation blocks of two 3x3 convs.

    Widths 16, 32, 64 with 5 blocks each; the first conv of the 32- and 64-wide stages has
    stride 2 (32 -> 16 -> 8, CAM 8x8). The release lists the 31 convs in forward order, so
    entries 1-2 are block 1, ..., entries 29-30 block 15, and entry 31 the CAM conv.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 3, blocks_per_stage: int = 5):
        super().__init__(64, num_classes)
        self.conv1 = SamePadConv2d(in_channels, 16, 3)
        blocks, width = [], 16
        for stage_width in (16, 32, 64):
            for i in range(blocks_per_stage):
                stride = 2 if (i == 0 and stage_width != width) else 1
                blocks.append(PreActBlock(width, stage_width, stride))
                width = stage_width
        self.blocks = nn.Sequential(*blocks)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The first conv, then the 15 pre-activation blocks (no ReLU before the CAM conv)."""
        return self.blocks(self.conv1(x))

    def pickle_slots(self) -> list[nn.Module]:
        """The 31 convs in forward order (first conv, both convs per block), CAM conv last."""
        convs: list[nn.Module] = [self.conv1]
        for block in self.blocks:
            convs += [block.conv_a, block.conv_b]
        return convs + [self.cam_conv]


def _reject_unknown(arch: str, params: dict) -> None:
    if params:
        raise SpecError(
            f"Architecture {arch!r} takes no parameters {sorted(params)} (only in_channels)."
        )


@ARCHITECTURES.register("smallgap")
def smallgap(num_classes: int = 10, in_channels: int = 3, **kw) -> nn.Module:
    """Paper 001's ``smallgap`` CAM net (CIFAR-10: in_channels=3, MNIST: in_channels=1)."""
    _reject_unknown("smallgap", kw)
    return SmallGap(num_classes, in_channels)


@ARCHITECTURES.register("pool")
def pool(num_classes: int = 10, in_channels: int = 3, **kw) -> nn.Module:
    """Paper 001's MNIST ``pool`` CAM net (the entry passes in_channels=1)."""
    _reject_unknown("pool", kw)
    return PoolNet(num_classes, in_channels)


@ARCHITECTURES.register("wresnet")
def wresnet(num_classes: int = 10, in_channels: int = 3, **kw) -> nn.Module:
    """Paper 001's CIFAR-10 ``wresnet`` CAM net (31 convs, pre-activation blocks)."""
    _reject_unknown("wresnet", kw)
    return WResNet(num_classes, in_channels)


def load_paper001(
    arch: str, path: str | os.PathLike, num_classes: int, in_channels: int
) -> nn.Module:
    """Build ``arch`` and load one of the release's pickles into it, safely; returns it in eval mode."""
    from bench.zoo.safe_pickle import load_numpy_pickle

    model = ARCHITECTURES.get(arch)(num_classes=num_classes, in_channels=in_channels)
    if not isinstance(model, CamNet):
        raise SpecError(
            f"Architecture {arch!r} is not one of paper 001's CAM nets (smallgap, pool, wresnet)."
        )
    model.load_arrays(load_numpy_pickle(path))
    return model.eval()


class DigitsGap(CamNet):
    """``digits_gap``: a small CAM network for 8×8 digits (our own, for training recipes and the demo).

    Three 3×3 convs (``width``, 2·``width``, 2·``width``; receptive field 7×7), each followed by
    a ReLU, then the bias-free 1×1 CAM conv; logits are the spatial mean of the 8×8 CAM. Unlike
    the paper-001 ports it puts a ReLU before the CAM conv, as CAM (Zhou et al.) does.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 16):
        super().__init__(2 * width, num_classes)
        self.conv1 = SamePadConv2d(in_channels, width, 3)
        self.conv2 = SamePadConv2d(width, 2 * width, 3)
        self.conv3 = SamePadConv2d(2 * width, 2 * width, 3)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Three SAME 3×3 convs, each followed by a ReLU."""
        return F.relu(self.conv3(F.relu(self.conv2(F.relu(self.conv1(x))))))


ARCHITECTURES.register("digits_gap")(DigitsGap)
