"""The output of one mixed edge, shared by the NB201 and DARTS supernets.

``sum_i w_i * op_i(x)`` over the ops whose weight is not 0 (XNAS's wiped-out experts and the ops
GDAS did not sample are not computed); ``none`` never runs, its output being 0.

``passive=True`` is GDAS's ``forward_gdas`` (xautodl ``NAS201SearchCell``): every op whose
hard weight is 0 still enters the sum as the scalar ``w_i`` (0 in value), so its architecture
weight receives the gradient ``sum(dL / d output)`` through the straight-through estimator, and
an edge that sampled ``none`` outputs ``w_none * none(x)``, zeros of the output's shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def mixed_output(ops: nn.ModuleList, x: torch.Tensor, weights: torch.Tensor,
                 active: Sequence[int], none: int, passive: bool = False) -> torch.Tensor | None:
    """The edge's output, or None when nothing runs (only ``none``, or no op, is active) and
    ``passive`` is off; ``none`` is the index of the ``none`` op in ``ops``."""
    terms = [weights[i] * ops[i](x) for i in active if i != none]
    if passive:
        if not terms:
            terms = [weights[none] * ops[none](x)]
        idle = [i for i in range(len(ops)) if i not in active]
        if idle:
            terms.append(weights[idle].sum())
    return sum(terms[1:], terms[0]) if terms else None
