"""The NB201 network of the zero-cost proxy paper's code (needs torch): a re-implementation of
``NAS201Model`` in SamsungLabs/zero-cost-nas (``foresight/models/nasbench2.py`` and
``nasbench2_ops.py``), which Abdelfattah et al. 2021 ("Zero-Cost Proxies for Lightweight NAS")
scored their NB201 proxies on.

It is the benchmark's macro skeleton (``benchmarks.networks.nb201``), with two differences in
the cells that the paper's code has and xautodl's trained network does not:

- a cell's ``nor_conv_1x1`` / ``nor_conv_3x3`` is ReLU -> Conv2d *with bias* -> BatchNorm2d
  with ``affine=False, track_running_stats=False`` (``SearchCell`` is built with
  ``affine=False``, and ``ReLUConvBN`` gives its conv ``bias=not affine``);
- every cell builds all five candidate ops on each of its six edges (``SearchCell.options``,
  30 modules) and runs only the kept one (``keep_mask``), so the unused ops' weights exist
  (they get no gradient, so no proxy counts them) and the random initialisation is drawn in the
  reference's order: stem, then per stage the cells (edge by edge, ops in the reference's
  ``OPS`` order), then the reduction block (its shortcut conv first), then the classifier.

The stem (conv without bias + affine BN), the reduction blocks (affine, tracked BN; conv
without bias) and the head (BN, ReLU, global pool, linear) are as in xautodl. Module names
follow the reference (``stem.net``, ``stack_cell1``, ``reduction1``, ``options``, ``top``), so
its state dicts load. Not reproduced: its ``use_bn=False`` copy (``get_prunable_copy``) on
which it runs synflow; ``predictors.zc_measures.synflow`` bypasses every BN instead, as NASLib
does, whatever the network.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from benchmarks.networks.nb201_cost import C, N
from benchmarks.spaces.nb201 import EDGES, OPS

# zero-cost-nas's OPS dict order: the order a SearchCell builds each edge's candidates in
REFERENCE_OPS: tuple[str, ...] = (
    "none", "avg_pool_3x3", "nor_conv_3x3", "nor_conv_1x1", "skip_connect",
)


class ReLUConvBN(nn.Module):
    """The reference ``ReLUConvBN``: conv bias exactly when the BN is not affine."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 affine: bool, track_running_stats: bool) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=not affine),
            nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class Pooling(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.avgpool = nn.AvgPool2d(kernel_size=3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.avgpool(x)


def make_cell_op(name: str, channels: int) -> nn.Module:
    """One candidate op of a reference ``SearchCell`` (``affine=False``, no running stats)."""
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return Identity()
    if name == "avg_pool_3x3":
        return Pooling()
    kernel, padding = {"nor_conv_3x3": (3, 1), "nor_conv_1x1": (1, 0)}[name]
    return ReLUConvBN(channels, channels, kernel, 1, padding, affine=False,
                      track_running_stats=False)


class SearchCell(nn.Module):
    """Every candidate op on every edge; ``keep_mask`` says which one each edge runs."""

    def __init__(self, arch: Sequence[int], channels: int) -> None:
        super().__init__()
        self.options = nn.ModuleList()
        self.keep_mask: list[bool] = []
        for position in range(len(EDGES)):  # EDGES is the reference's (node, prev node) order
            for name in REFERENCE_OPS:
                self.options.append(make_cell_op(name, channels))
                self.keep_mask.append(name == OPS[int(arch[position])])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [x]
        idx = 0
        for node in (1, 2, 3):
            edges_in = []
            for dst, src in EDGES:
                if dst != node:
                    continue
                for _ in REFERENCE_OPS:
                    if self.keep_mask[idx]:
                        edges_in.append(self.options[idx](outs[src]))
                    idx += 1
            outs.append(sum(edges_in))
        return outs[-1]


class Reduction(nn.Module):
    """The reference ``reduction``: avg-pool + 1x1 shortcut (built first), two affine,
    tracked ReLU-Conv3x3-BN."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.residual = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1, affine=True, track_running_stats=True)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1, affine=True, track_running_stats=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.residual(x) + self.conv_b(self.conv_a(x))


class Stem(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, channels, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Top(nn.Module):
    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.global_pooling(self.lastact(x)).flatten(1))


class NAS201Model(nn.Module):
    """zero-cost-nas's ``NAS201Model`` with ``use_bn=True``; ``forward`` returns logits."""

    def __init__(self, arch: Sequence[int], num_classes: int, channels: int = C,
                 cells_per_stage: int = N) -> None:
        super().__init__()
        self.arch = tuple(int(a) for a in arch)

        def stage(width: int) -> nn.Sequential:
            return nn.Sequential(*[SearchCell(arch, width) for _ in range(cells_per_stage)])

        self.stem = Stem(channels)
        self.stack_cell1 = stage(channels)
        self.reduction1 = Reduction(channels, channels * 2)
        self.stack_cell2 = stage(channels * 2)
        self.reduction2 = Reduction(channels * 2, channels * 4)
        self.stack_cell3 = stage(channels * 4)
        self.top = Top(channels * 4, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.reduction1(self.stack_cell1(self.stem(x)))
        x = self.reduction2(self.stack_cell2(x))
        return self.top(self.stack_cell3(x))
