"""The DARTS search supernet (Liu et al., ICLR 2019, section 3.1 and ``cnn/model_search.py``),
the network XNAS searches on CIFAR-10 (Nayman et al., NeurIPS 2019, section 4).

8 cells of initial width C = 16, reduction cells at 1/3 and 2/3 of the depth (6 normal, 2
reduce), stem of 3C channels; each cell has two inputs (preprocessed to C channels), 4 nodes
and 14 mixed edges of the 8 search ops (``benchmarks.networks.darts.PRIMITIVES``, ``none``
first), and outputs its 4 nodes concatenated. Mixing weights: (14, 8) per cell type, shared by
its cells (the search passes these, so autograd sums the replicas' gradients), or one (14, 8)
per replica ((6, 14, 8) normal, (2, 14, 8) reduce) for a caller that wants each replica's
own. Experts with weight exactly 0 are not computed (wipeout saves compute, XNAS section 3.2),
and ``none`` never is: its output is 0.

Discretization is DARTS's ``genotype()``: per node the 2 incoming edges whose strongest
non-``none`` op weighs most, each with that op; the result is the 32-int vector of
``benchmarks.spaces.darts`` (its 7 ops are the 8 minus ``none``), in canonical order.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from benchmarks.networks.darts import (
    PRIMITIVES,
    FactorizedReduce,
    ReLUConvBN,
    Zero,
    make_search_op,
)
from benchmarks.spaces.darts import CELLS, N_NODES, DartsSpace
from optimizers.xnas.supernet.mixing import mixed_output

NONE = PRIMITIVES.index("none")
EDGES: tuple[tuple[int, int], ...] = tuple(
    (k, j) for k in range(N_NODES) for j in range(k + 2)
)  # (node, input) of the 14 edges, in DARTS's order


class MixedOp(nn.Module):
    def __init__(self, channels: int, stride: int) -> None:
        super().__init__()
        self.ops = nn.ModuleList(make_search_op(name, channels, stride) for name in PRIMITIVES)

    def forward(self, x: torch.Tensor, weights: torch.Tensor, active: list[int],
                passive: bool = False):
        return mixed_output(self.ops, x, weights, active, NONE, passive)


class SearchCell(nn.Module):
    def __init__(self, c_pp: int, c_p: int, channels: int, reduction: bool,
                 reduction_prev: bool) -> None:
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = (FactorizedReduce(c_pp, channels, affine=False) if reduction_prev
                            else ReLUConvBN(c_pp, channels, 1, 1, 0, affine=False))
        self.preprocess1 = ReLUConvBN(c_p, channels, 1, 1, 0, affine=False)
        self.edges = nn.ModuleList(
            MixedOp(channels, 2 if reduction and j < 2 else 1) for _, j in EDGES
        )

    def forward(self, s0, s1, weights: torch.Tensor, active: list[list[int]],
                passive: bool = False) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        offset = 0
        for _ in range(N_NODES):
            terms = [self.edges[offset + j](h, weights[offset + j], active[offset + j], passive)
                     for j, h in enumerate(states)]
            terms = [t for t in terms if t is not None]
            if not terms:  # every incoming edge is 'none'
                terms = [Zero(2 if self.reduction else 1)(states[0])]
            offset += len(states)
            states.append(sum(terms[1:], terms[0]))
        return torch.cat(states[-N_NODES:], dim=1)


class DartsSupernet(nn.Module):
    """``forward(x, {"normal": w, "reduce": w})``, each ``w`` (14, 8) or (replicas, 14, 8)."""

    def __init__(self, num_classes: int = 10, channels: int = 16, layers: int = 8,
                 stem_multiplier: int = 3) -> None:
        super().__init__()
        if layers < 3:
            raise ValueError(f"the DARTS supernet needs at least 3 cells, got layers={layers}")
        c_curr = stem_multiplier * channels
        self.stem = nn.Sequential(nn.Conv2d(3, c_curr, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(c_curr))
        c_pp, c_p, c_curr = c_curr, c_curr, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            self.cells.append(SearchCell(c_pp, c_p, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, N_NODES * c_curr
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)
        self.space = DartsSpace()

    @property
    def cell_types(self) -> dict[str, tuple[int, int, int]]:
        """Per cell type: (replicas, edges, ops)."""
        n_reduce = sum(cell.reduction for cell in self.cells)
        return {"normal": (len(self.cells) - n_reduce, len(EDGES), len(PRIMITIVES)),
                "reduce": (n_reduce, len(EDGES), len(PRIMITIVES))}

    def forward(self, x: torch.Tensor, weights: dict[str, torch.Tensor],
                passive: bool = False) -> torch.Tensor:
        """``passive``: GDAS's gradient for the unsampled ops (``mixing.mixed_output``)."""
        shapes = self.cell_types
        full, masks = {}, {}
        for name in CELLS:
            w = weights[name]
            replicas = shapes[name][0]
            if w.dim() == 2:
                w = w.unsqueeze(0).expand(replicas, -1, -1)
            if tuple(w.shape) != shapes[name]:
                raise ValueError(f"DARTS supernet {name} weights must have shape "
                                 f"{shapes[name][1:]} or {shapes[name]}, got {tuple(w.shape)}")
            full[name] = w
            masks[name] = (w.detach() != 0).cpu().numpy()
        s0 = s1 = self.stem(x)
        seen = {name: 0 for name in CELLS}
        for cell in self.cells:
            name = "reduce" if cell.reduction else "normal"
            r = seen[name]
            seen[name] += 1
            active = [np.flatnonzero(row).tolist() for row in masks[name][r]]
            s0, s1 = s1, cell(s0, s1, full[name][r], active, passive)
        return self.classifier(self.global_pooling(s1).flatten(1))

    def discretize(self, weights: dict[str, np.ndarray]) -> np.ndarray:
        """DARTS's ``genotype()`` as a canonical ``benchmarks.spaces.darts`` vector."""
        compact = []
        for name in CELLS:
            w = np.asarray(weights[name], dtype=np.float64)
            pairs, start = [], 0
            for k in range(N_NODES):
                block = w[start:start + k + 2, NONE + 1:]  # the node's edges, without 'none'
                strongest = block.max(axis=1)
                chosen = sorted(np.argsort(-strongest, kind="stable")[:2].tolist())
                pairs += [(j, int(block[j].argmax())) for j in chosen]  # op k+1 -> space op k
                start += k + 2
            compact.append(pairs)
        return self.space.from_compact(compact)
