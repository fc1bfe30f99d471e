"""The NAS-Bench-201 / NATS-Bench topology network, built from an arch vector (needs torch).

A re-implementation of the official code (xautodl, D-X-Y/AutoDL-Projects:
``models/cell_infers/tiny_network.py`` ``TinyNetwork``, ``models/cell_infers/cells.py``
``InferCell``, ``models/cell_operations.py``), with the official macro skeleton of the
benchmark (``C`` = 16, ``N`` = 5): stem conv3x3 + BN; three stages of ``N`` cells with 16, 32
and 64 channels, separated by ``ResNetBasicblock`` reductions (stride 2); BN + ReLU; global
average pool; linear classifier. Edge ops: ``none`` (zero), ``skip_connect`` (identity),
``nor_conv_1x1`` / ``nor_conv_3x3`` (ReLU-Conv-BN, conv without bias, affine BN) and
``avg_pool_3x3`` (stride 1, padding 1, ``count_include_pad=False``). As in ``InferCell`` every
edge is built and run, ``none`` edges included, so parameter and FLOP counts do not depend on
the cell's connectivity; node ``i`` is the sum of its incoming edges, the cell's output node 3.

Module and attribute names follow xautodl (``stem``, ``cells``, ``lastact``, ``classifier``,
``layers``, ``op``, ``conv_a`` ...), so an official ``net_state_dict`` loads unchanged. One
deliberate difference: ``forward`` returns the logits only (xautodl returns ``(features,
logits)``), which is what losses and zero-cost proxies take; ``forward_features`` gives the
pooled features.

Parameter count and FLOPs in closed form are in ``benchmarks.networks.nb201_cost``.

``build_network(..., style="zero-cost-nas")`` builds instead the network of the zero-cost proxy
paper's code (``benchmarks.networks.nb201_zc``: cell convs with bias, cell BN without affine
parameters or running statistics), on which fisher ranks archs differently (README).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from benchmarks.networks.nb201_cost import NUM_CLASSES, C, N
from benchmarks.spaces.nb201 import EDGES, OPS


class ReLUConvBN(nn.Module):
    """ReLU -> Conv (no bias) -> affine BN: xautodl's ``ReLUConvBN`` with ``affine=True``."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=True, track_running_stats=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Pooling(nn.Module):
    """xautodl's ``POOLING`` for ``C_in == C_out``: no preprocessing, a 3x3 average pool."""

    def __init__(self) -> None:
        super().__init__()
        self.preprocess = None
        self.op = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Zero(nn.Module):
    """The ``none`` op: zeros of the input's shape (``x.mul(0.0)``, as xautodl's ``Zero``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def make_op(name: str, channels: int) -> nn.Module:
    """One cell edge on ``channels`` channels, stride 1 (every NB201 cell edge is)."""
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1, 0)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1, 1)
    if name == "avg_pool_3x3":
        return Pooling()
    raise ValueError(f"unknown NB201 op {name!r}; accepted: {', '.join(OPS)}")


class ResNetBasicblock(nn.Module):
    """Reduction block between stages: two ReLU-Conv3x3-BN and an avg-pool + 1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        if stride != 2:
            raise ValueError(f"NB201 reduction blocks have stride 2, got {stride}")
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )
        self.in_dim, self.out_dim, self.stride = c_in, c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class InferCell(nn.Module):
    """A 4-node cell: node ``i`` sums ``op(node j)`` over its edges ``j -> i``."""

    def __init__(self, arch: Sequence[int], channels: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList()
        self.node_IN: list[list[int]] = []  # source node of each edge, per target node
        self.node_IX: list[list[int]] = []  # index in self.layers of each edge, per target node
        for node in (1, 2, 3):
            sources, indices = [], []
            for position, (dst, src) in enumerate(EDGES):
                if dst == node:
                    indices.append(len(self.layers))
                    sources.append(src)
                    self.layers.append(make_op(OPS[int(arch[position])], channels))
            self.node_IN.append(sources)
            self.node_IX.append(indices)
        self.in_dim = self.out_dim = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for indices, sources in zip(self.node_IX, self.node_IN, strict=True):
            edges = zip(indices, sources, strict=True)
            nodes.append(sum(self.layers[i](nodes[j]) for i, j in edges))
        return nodes[-1]


class TinyNetwork(nn.Module):
    """The NB201 macro skeleton around one cell design (xautodl's ``TinyNetwork``)."""

    def __init__(self, arch: Sequence[int], num_classes: int, channels: int = C,
                 cells_per_stage: int = N) -> None:
        super().__init__()
        self.arch = tuple(int(a) for a in arch)
        self.stem = nn.Sequential(
            nn.Conv2d(3, channels, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )
        widths = [channels] * cells_per_stage + [channels * 2]
        widths += [channels * 2] * cells_per_stage + [channels * 4]
        widths += [channels * 4] * cells_per_stage
        reductions = [False] * cells_per_stage + [True]
        reductions += [False] * cells_per_stage + [True] + [False] * cells_per_stage
        self.cells = nn.ModuleList()
        c_prev = channels
        for width, reduction in zip(widths, reductions, strict=True):
            cell = ResNetBasicblock(c_prev, width, 2) if reduction else InferCell(arch, width)
            self.cells.append(cell)
            c_prev = cell.out_dim
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.global_pooling(self.lastact(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.forward_features(x))


STYLES = ("xautodl", "zero-cost-nas")


def build_network(arch: Sequence[int] | np.ndarray, num_classes: int = 10,
                  style: str = "xautodl") -> nn.Module:
    """The network of one NB201 arch vector (6 op indices in ``OPS`` order, edges in ``EDGES``
    order) for ``num_classes`` outputs (10 cifar10, 100 cifar100, 120 ImageNet16-120). Weights
    get PyTorch's default initialisation, as in xautodl; seed with ``torch.manual_seed``.

    ``style``: ``"xautodl"`` (default) the benchmark's trained network (``TinyNetwork``);
    ``"zero-cost-nas"`` the one Abdelfattah et al.'s code scores (``nb201_zc.NAS201Model``)."""
    if style not in STYLES:
        raise ValueError(f"unknown NB201 network style {style!r}; accepted: {', '.join(STYLES)}")
    vector = np.asarray(arch)
    if vector.shape != (len(EDGES),) or vector.dtype.kind not in "iu":
        raise ValueError(f"an NB201 arch is a vector of {len(EDGES)} ints, got {arch!r}")
    if vector.min() < 0 or vector.max() >= len(OPS):
        raise ValueError(f"NB201 op index out of range [0, {len(OPS) - 1}] in {arch!r}")
    if not isinstance(num_classes, int | np.integer) or num_classes < 1:
        raise ValueError(
            f"num_classes must be a positive int (NB201: {sorted(set(NUM_CLASSES.values()))}), "
            f"got {num_classes!r}"
        )
    if style == "zero-cost-nas":
        from benchmarks.networks.nb201_zc import NAS201Model

        return NAS201Model(vector.tolist(), int(num_classes))
    return TinyNetwork(vector.tolist(), int(num_classes))
