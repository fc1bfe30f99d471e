"""The NAS-Bench-201 supernet: the benchmark's macro skeleton with every edge a mixture of the
5 ops (Dong & Yang, ICLR 2020, section 5: the weight-sharing baselines search this network).

The skeleton, op modules and ``ResNetBasicblock`` reductions are those of
``benchmarks.networks.nb201`` (xautodl-faithful; principle "Networks belong to their search
space"), so a one-hot mixture computes exactly the discrete network of that arch and
``discrete_state_dict`` hands its weights to ``build_network``. One cell type: the 6 x 5 mixing
weights are shared by all ``3 * N`` cells (15 replicas at N = 5): the search passes one (6, 5)
block, so autograd sums the replicas' gradients into its reward; a per-replica block (15, 6, 5)
is accepted too, for a caller that wants each replica's own gradient.

An expert whose weight is exactly 0 (wiped out by XNAS, or not sampled by GDAS) is dropped from
the computation: its module runs neither forward nor backward (XNAS section 3.2: wipeout saves
compute). ``none`` is never run: its output is 0 whatever its weight, so neither the output
nor any gradient changes (d out / d p_none = f_none = 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from benchmarks.networks.nb201 import ResNetBasicblock, make_op
from benchmarks.networks.nb201_cost import C, N
from benchmarks.spaces.nb201 import EDGES, OPS
from optimizers.xnas.supernet.mixing import mixed_output

NONE = OPS.index("none")
CELL = "cell"  # the one cell type's name (the XNAS core's group)


class MixedEdge(nn.Module):
    """The 5 ops of one edge; output ``sum_i p_i * op_i(x)`` over the experts with ``p_i != 0``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.ops = nn.ModuleList(make_op(name, channels) for name in OPS)

    def forward(self, x: torch.Tensor, weights: torch.Tensor, active: Sequence[int],
                passive: bool = False):
        return mixed_output(self.ops, x, weights, active, NONE, passive)


class SearchCell(nn.Module):
    """4 nodes, 6 mixed edges in ``EDGES`` order; node i sums its incoming edges."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(MixedEdge(channels) for _ in EDGES)

    def forward(self, x: torch.Tensor, weights: torch.Tensor, active: list[list[int]],
                passive: bool = False):
        nodes = [x]
        for node in (1, 2, 3):
            terms = [self.edges[e](nodes[src], weights[e], active[e], passive)
                     for e, (dst, src) in enumerate(EDGES) if dst == node]
            terms = [t for t in terms if t is not None]
            nodes.append(sum(terms[1:], terms[0]) if terms else torch.zeros_like(x))
        return nodes[-1]


class NB201Supernet(nn.Module):
    """``forward(x, weights)``: ``weights`` (6, 5) shared by every cell, (replicas, 6, 5) one per
    cell, or ``{"cell": ...}`` of either shape (the form the search loop passes)."""

    def __init__(self, num_classes: int = 10, channels: int = C, cells_per_stage: int = N) -> None:
        super().__init__()
        self.channels, self.cells_per_stage = channels, cells_per_stage
        self.stem = nn.Sequential(
            nn.Conv2d(3, channels, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )
        self.cells = nn.ModuleList()
        self.search_cells: list[int] = []  # index in self.cells of each replica
        c_prev = channels
        for stage in range(3):
            width = channels * 2**stage
            if stage:
                self.cells.append(ResNetBasicblock(c_prev, width, 2))
            for _ in range(cells_per_stage):
                self.search_cells.append(len(self.cells))
                self.cells.append(SearchCell(width))
            c_prev = width
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    # --- the search protocol (optimizers.xnas.supernet.search) ------------------------------
    @property
    def cell_types(self) -> dict[str, tuple[int, int, int]]:
        """Per cell type: (replicas, edges, ops)."""
        return {CELL: (len(self.search_cells), len(EDGES), len(OPS))}

    def discretize(self, weights: dict[str, np.ndarray]) -> np.ndarray:
        """The NB201 arch vector: the strongest op of every edge (``none`` included, as the
        NB201 paper's DARTS/GDAS baselines derive their cells)."""
        return np.asarray(weights[CELL]).argmax(axis=1).astype(np.int64)

    def forward(self, x: torch.Tensor, weights, passive: bool = False) -> torch.Tensor:
        """``passive``: GDAS's gradient for the unsampled ops (``mixing.mixed_output``)."""
        if isinstance(weights, dict):
            weights = weights[CELL]
        replicas = len(self.search_cells)
        if weights.dim() == 2:
            weights = weights.unsqueeze(0).expand(replicas, -1, -1)
        if tuple(weights.shape) != (replicas, len(EDGES), len(OPS)):
            raise ValueError(f"NB201 supernet weights must have shape (6, 5) or ({replicas}, 6, "
                             f"5), got {tuple(weights.shape)}")
        nonzero = (weights.detach() != 0).cpu().numpy()
        x = self.stem(x)
        replica = 0
        for cell in self.cells:
            if isinstance(cell, SearchCell):
                active = [np.flatnonzero(row).tolist() for row in nonzero[replica]]
                x = cell(x, weights[replica], active, passive)
                replica += 1
            else:
                x = cell(x)
        return self.classifier(self.global_pooling(self.lastact(x)).flatten(1))

    def discrete_state_dict(self, arch: Sequence[int]) -> dict[str, torch.Tensor]:
        """The weights of ``benchmarks.networks.nb201.TinyNetwork(arch)`` with this supernet's
        channels and cells: each edge inherits the parameters of its chosen op."""
        out = {}
        for name, tensor in self.state_dict().items():
            parts = name.split(".")
            if parts[0] == "cells" and parts[2] == "edges":
                edge, op = int(parts[3]), int(parts[5])
                if op != int(arch[edge]):
                    continue
                name = ".".join(["cells", parts[1], "layers", parts[3], *parts[6:]])
            out[name] = tensor
        return out
