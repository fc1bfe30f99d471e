"""The operations of the DARTS search space (Liu et al., ICLR 2019), as the authors' code builds
them (quark0/darts: ``cnn/operations.py``, ``cnn/model_search.py``), needs torch.

``PRIMITIVES`` is the search-time op set of 8: ``none`` first, then the 7 ops of
``benchmarks.spaces.darts.OPS`` in the same order, so a supernet op index ``k > 0`` is the space's
op index ``k - 1``. ``make_search_op`` builds one op of a mixed edge as ``MixedOp`` does:
``affine=False`` BN everywhere, pooling followed by ``BatchNorm2d(affine=False)``, and the
stride-2 skip a ``FactorizedReduce``. Kept beside the space (principle "Networks belong to their
search space") so a discrete DARTS network can reuse the same modules later.
"""

from __future__ import annotations

import torch
from torch import nn

from benchmarks.spaces.darts import OPS

PRIMITIVES: tuple[str, ...] = ("none", *OPS)


class Zero(nn.Module):
    """``none``: zeros of the (strided) input's shape, as DARTS's ``Zero``."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            return x.mul(0.0)
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


class Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 affine: bool = True) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """ReLU, depthwise (dilated) conv, pointwise conv, BN."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 dilation: int, affine: bool = True) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, dilation=dilation,
                      groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, kernel_size=1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class SepConv(nn.Sequential):
    """Two stacked depthwise-separable convs (the first carries the stride)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 affine: bool = True) -> None:
        super().__init__(
            DilConv(c_in, c_in, kernel, stride, padding, 1, affine),
            DilConv(c_in, c_out, kernel, 1, padding, 1, affine),
        )


class FactorizedReduce(nn.Module):
    """Halve the resolution with two offset stride-2 1x1 convs, concatenated, then BN."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even number of channels, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def make_search_op(name: str, channels: int, stride: int) -> nn.Module:
    """One op of a DARTS mixed edge (``MixedOp``: ``OPS[name](C, stride, affine=False)``)."""
    affine = False
    if name == "none":
        return Zero(stride)
    if name in ("max_pool_3x3", "avg_pool_3x3"):
        pool = (nn.MaxPool2d(3, stride=stride, padding=1) if name == "max_pool_3x3"
                else nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False))
        return nn.Sequential(pool, nn.BatchNorm2d(channels, affine=False))
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(channels, channels, affine)
    if name == "sep_conv_3x3":
        return SepConv(channels, channels, 3, stride, 1, affine)
    if name == "sep_conv_5x5":
        return SepConv(channels, channels, 5, stride, 2, affine)
    if name == "dil_conv_3x3":
        return DilConv(channels, channels, 3, stride, 2, 2, affine)
    if name == "dil_conv_5x5":
        return DilConv(channels, channels, 5, stride, 4, 2, affine)
    raise ValueError(f"unknown DARTS op {name!r}; accepted: {', '.join(PRIMITIVES)}")
