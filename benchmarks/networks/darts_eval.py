"""The DARTS evaluation network (Liu et al., ICLR 2019; quark0/darts ``cnn/model.py``
``NetworkCIFAR``), built from a genotype of ``benchmarks.spaces.darts``; needs torch.

A stem conv 3x3 with ``3 * C`` channels, ``layers`` cells (20 with C=36 in the paper) with
reduction cells at 1/3 and 2/3 depth, each cell built from the genotype: its two inputs
preprocessed by ``ReLUConvBN`` (or ``FactorizedReduce`` after a reduction cell), each of the 4
intermediate nodes the sum of its 2 (input, op) pairs, the output the concatenation of nodes
2..5. An auxiliary head (``AuxiliaryHeadCIFAR``) sits after the cell at 2/3 depth; it is used in
training only. Drop path (``drop_path_prob``, set by the training loop) drops the output of every
non-identity op per sample while training. Ops reuse the modules of ``benchmarks.networks.darts``
with ``affine=True``, as the paper's ``OPS`` at evaluation time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from benchmarks.networks.darts import (
    DilConv,
    FactorizedReduce,
    Identity,
    ReLUConvBN,
    SepConv,
    make_search_op,
)
from benchmarks.spaces.darts import CONCAT, N_DIMS, N_NODES, N_PAIRS, OPS


def make_eval_op(name: str, channels: int, stride: int) -> nn.Module:
    """One op of a discrete DARTS cell (``OPS[name](C, stride, affine=True)``)."""
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(channels, channels)
    if name == "sep_conv_3x3":
        return SepConv(channels, channels, 3, stride, 1)
    if name == "sep_conv_5x5":
        return SepConv(channels, channels, 5, stride, 2)
    if name == "dil_conv_3x3":
        return DilConv(channels, channels, 3, stride, 2, 2)
    if name == "dil_conv_5x5":
        return DilConv(channels, channels, 5, stride, 4, 2)
    raise ValueError(f"unknown DARTS op {name!r}; accepted: {', '.join(OPS)}")


def drop_path(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """Zero whole samples with probability ``drop_prob``, scaling the kept ones (DARTS)."""
    keep = 1.0 - drop_prob
    mask = torch.empty(x.size(0), 1, 1, 1, device=x.device, dtype=x.dtype).bernoulli_(keep)
    return x.div(keep).mul(mask)


class Cell(nn.Module):
    def __init__(self, pairs: Sequence[tuple[int, int]], c_prev_prev: int, c_prev: int, c: int,
                 reduction: bool, reduction_prev: bool,
                 make_op: Callable[[str, int, int], nn.Module] = make_eval_op) -> None:
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = (FactorizedReduce(c_prev_prev, c) if reduction_prev
                            else ReLUConvBN(c_prev_prev, c, 1, 1, 0))
        self.preprocess1 = ReLUConvBN(c_prev, c, 1, 1, 0)
        self.inputs = [int(src) for src, _ in pairs]
        self.ops = nn.ModuleList(
            make_op(OPS[op], c, 2 if reduction and src < 2 else 1) for src, op in pairs
        )
        self.multiplier = len(CONCAT)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(N_NODES):
            total = 0
            for j in (2 * node, 2 * node + 1):
                op = self.ops[j]
                h = op(states[self.inputs[j]])
                if self.training and drop_prob > 0 and not isinstance(op, Identity):
                    h = drop_path(h, drop_prob)
                total = total + h
            states.append(total)
        return torch.cat([states[i] for i in CONCAT], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    """The auxiliary classifier on the 8x8 features at 2/3 depth."""

    def __init__(self, c: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),  # 8x8 -> 2x2
            nn.Conv2d(c, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class NetworkCIFAR(nn.Module):
    """``forward`` returns ``(logits, aux_logits)``; ``aux_logits`` is None outside training or
    without the auxiliary head. ``make_op`` builds the cells' ops (the evaluation ops by
    default)."""

    def __init__(self, arch: Sequence[int] | np.ndarray, channels: int = 36, layers: int = 20,
                 num_classes: int = 10, auxiliary: bool = True,
                 make_op: Callable[[str, int, int], nn.Module] = make_eval_op) -> None:
        super().__init__()
        vector = np.asarray(arch)
        if vector.shape != (N_DIMS,) or vector.dtype.kind not in "iu":
            raise ValueError(f"a DARTS arch is a vector of {N_DIMS} ints, got {arch!r}")
        if layers < 3:
            raise ValueError(f"layers must be >= 3 (two reduction cells), got {layers}")
        normal, reduce = vector.reshape(2, N_PAIRS, 2).tolist()
        self.drop_path_prob = 0.0
        self.aux_position = 2 * layers // 3
        c_curr = 3 * channels
        self.stem = nn.Sequential(nn.Conv2d(3, c_curr, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(c_curr))
        c_prev_prev, c_prev, c_curr = c_curr, c_curr, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        c_aux = None
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            cell = Cell(reduce if reduction else normal, c_prev_prev, c_prev, c_curr, reduction,
                        reduction_prev, make_op)
            reduction_prev = reduction
            self.cells.append(cell)
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_curr
            if i == self.aux_position:
                c_aux = c_prev
        self.auxiliary_head = AuxiliaryHeadCIFAR(c_aux, num_classes) if auxiliary else None
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        aux = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == self.aux_position and self.auxiliary_head is not None and self.training:
                aux = self.auxiliary_head(s1)
        logits = self.classifier(self.global_pooling(s1).flatten(1))
        return logits, aux


def build_network(arch: Sequence[int] | np.ndarray, num_classes: int = 10, channels: int = 36,
                  layers: int = 20, auxiliary: bool = True) -> NetworkCIFAR:
    """The evaluation network of one DARTS arch vector (32 ints, ``benchmarks.spaces.darts``)."""
    return NetworkCIFAR(arch, channels, layers, num_classes, auxiliary)


class LogitsOnly(nn.Module):
    """A ``NetworkCIFAR`` whose ``forward`` returns the logits alone, as the zero-cost
    measures (``predictors.zc_measures``) expect of a network."""

    def __init__(self, network: NetworkCIFAR) -> None:
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)[0]


def build_proxy_network(arch: Sequence[int] | np.ndarray, num_classes: int = 10) -> LogitsOnly:
    """The network NAS-Bench-Suite-Zero scored zero-cost proxies on for NB301 (NASLib's
    ``NasBench301SearchSpace`` with the arch's ops): 8 cells (2 normal, reduction, 2 normal,
    reduction, 2 normal), C = 32 / 64 / 128 by stage, a 96-channel stem, the cell ops of the
    search phase (``affine=False`` batch norms, a batch norm after each pooling), affine
    preprocessing, no auxiliary head. Its parameter count equals the suite's ``params`` score
    for all of its 725 archs (tests/test_zerocost.py)."""
    return LogitsOnly(NetworkCIFAR(arch, channels=32, layers=8, num_classes=num_classes,
                                   auxiliary=False, make_op=make_search_op))
