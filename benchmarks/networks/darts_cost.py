"""Parameters and FLOPs of DARTS-space networks in closed form, for a batch of genotypes at once.

A DARTS network (``benchmarks.networks.darts_eval.NetworkCIFAR``) is a stem, ``layers`` cells and
a classifier; every module depends on the genotype only through which op sits on each (input, op)
pair of a cell and whether that pair has stride 2 (an input node of a reduction cell). So each
count is a constant plus a dot product of per-(cell, op, stride) pair counts with weights summed
over the network's layers once per configuration: millions of genotypes per second, no torch.

Per pair on ``c`` channels, output ``r x r``, input ``r * stride`` (``a`` = 1 with affine batch
norms, the evaluation ops; 0 with the search ops NAS-Bench-Suite-Zero's network uses):

- ``sep_conv_k``: two (ReLU, depthwise k x k, pointwise 1x1, BN): ``2 (k^2 c + c^2 + 2ac)``
  parameters, ``2 (k^2 c + c^2) r^2`` multiply-adds;
- ``dil_conv_k``: one such block: ``k^2 c + c^2 + 2ac`` and ``(k^2 c + c^2) r^2``;
- ``skip_connect`` with stride 2: ``FactorizedReduce``, two 1x1 convs to ``c / 2`` and a BN:
  ``c^2 + 2ac`` and ``c^2 r^2``; with stride 1 the identity: nothing;
- pools: no parameters, no multiply-adds (the search ops add a non-affine BN after the pool).

Cell preprocessing is affine in both variants (``ReLUConvBN`` 1x1 or, after a reduction cell,
``FactorizedReduce``: ``c_in c + 2c`` parameters, ``c_in c r_in^2`` multiply-adds either way).
FLOPs are MFLOPs of one image in the two conventions of ``benchmarks.networks.flops``:
``"xautodl"`` (multiply-adds of convs and linear layers, bias included) and ``"tensorwatch"``
(NASLib's / NAS-Bench-Suite-Zero's: also BN 2 or 1 per input element, ReLU 1, a k x k pool k^2
per output element, the global pool ``(h + 1)(w + 1)`` per channel, the classifier without its
bias). The auxiliary head runs in training only, so it adds parameters, never FLOPs.

``tests/test_networks.py`` checks these counts against hooks on real networks of both variants,
and against NAS-Bench-Suite-Zero's published ``params`` and ``flops`` of its 725 NB301 archs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from benchmarks.spaces.darts import CELLS, CONCAT, N_DIMS, N_PAIRS, OPS

CONVENTIONS = ("xautodl", "tensorwatch")
_N_FEATURES = len(CELLS) * len(OPS) * 2  # (cell, op, stride 2?)
_POOL_KERNEL = 3


@dataclass(frozen=True)
class DartsNetwork:
    """The network's size. ``PROXY`` is the 8-cell network NAS-Bench-Suite-Zero scored and
    counted for NB301 (``darts_eval.build_proxy_network``); ``EVAL`` the paper's 20-cell
    evaluation network (``darts_eval.build_network``)."""

    channels: int
    layers: int
    affine_ops: bool  # evaluation ops (True) or search ops (False)
    auxiliary: bool
    num_classes: int = 10
    input_size: int = 32


PROXY = DartsNetwork(channels=32, layers=8, affine_ops=False, auxiliary=False)
EVAL = DartsNetwork(channels=36, layers=20, affine_ops=True, auxiliary=True)


def _op_terms(op: str, c: int, r: int, stride: int, a: int) -> tuple[int, int, int]:
    """(parameters, xautodl multiply-adds, tensorwatch extra FLOPs) of one pair's op."""
    r_in = r * stride
    if op.startswith(("sep_conv", "dil_conv")):
        k = int(op[-1])
        blocks = 2 if op.startswith("sep") else 1
        params = blocks * (k * k * c + c * c + 2 * a * c)
        macs = blocks * (k * k * c + c * c) * r * r
        # per block: ReLU on its input, BN on its output; the first block's input is r_in
        extra = c * r_in * r_in + (blocks - 1) * c * r * r + blocks * (1 + a) * c * r * r
        return params, macs, extra
    if op == "skip_connect":
        if stride == 1:
            return 0, 0, 0
        return c * c + 2 * a * c, c * c * r * r, c * r_in * r_in + (1 + a) * c * r * r
    if op in ("max_pool_3x3", "avg_pool_3x3"):
        pool = _POOL_KERNEL**2 * c * r * r
        return 0, 0, pool + (0 if a else c * r * r)  # search ops: a BN(affine=False) follows
    raise ValueError(f"unknown DARTS op {op!r}; accepted: {', '.join(OPS)}")


@cache
def _weights(net: DartsNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Constant and per-feature weights, rows (params, xautodl, tensorwatch) in raw counts."""
    a = int(net.affine_ops)
    const = np.zeros(3, dtype=np.int64)
    weights = np.zeros((3, _N_FEATURES), dtype=np.int64)
    size = net.input_size
    c_stem = 3 * net.channels
    const += (27 * c_stem + 2 * c_stem, 27 * c_stem * size**2, 2 * c_stem * size**2)
    c_pp, c_p, c = c_stem, c_stem, net.channels
    r_pp = r_in = size  # resolutions of the cell's inputs s0 and s1
    reductions = (net.layers // 3, 2 * net.layers // 3)
    c_aux = None
    for layer in range(net.layers):
        reduction = layer in reductions
        if reduction:
            c *= 2
        r = r_in // 2 if reduction else r_in
        # preprocess0 (ReLUConvBN, or FactorizedReduce from the larger s0 after a reduction:
        # the same parameters and multiply-adds) and preprocess1
        for c_src, r_src in ((c_pp, r_pp), (c_p, r_in)):
            const += (c_src * c + 2 * c, c_src * c * r_in**2, c_src * r_src**2 + 2 * c * r_in**2)
        for ci, cell in enumerate(CELLS):
            if (cell == "reduce") != reduction:
                continue
            for oi, op in enumerate(OPS):
                for stride in (1, 2) if reduction else (1,):
                    feature = (ci * len(OPS) + oi) * 2 + (stride - 1)
                    weights[:, feature] += _op_terms(op, c, r, stride, a)
        c_pp, c_p = c_p, len(CONCAT) * c
        r_pp, r_in = r_in, r
        if layer == 2 * net.layers // 3:
            c_aux = c_p
    k = net.num_classes
    const += (c_p * k + k, c_p * k + k, c_p * (r_in + 1) ** 2 - k)  # pool, classifier
    if net.auxiliary:
        const[0] += 128 * c_aux + 2 * 128 + 128 * 768 * 4 + 2 * 768 + 768 * k + k
    return const, weights


def _features(archs: np.ndarray) -> np.ndarray:
    """(n, 28) counts of pairs per (cell, op, stride 2?)."""
    archs = np.atleast_2d(np.asarray(archs))
    if archs.ndim != 2 or archs.shape[1] != N_DIMS or archs.dtype.kind not in "iu":
        raise ValueError(f"DARTS archs must be an int array of shape (n, {N_DIMS}), "
                         f"got {archs.shape} {archs.dtype}")
    inputs, ops = archs[:, 0::2], archs[:, 1::2]  # (n, 16): cell-major pairs
    if ops.size and (ops.min() < 0 or ops.max() >= len(OPS)):
        raise ValueError(f"DARTS op index out of range [0, {len(OPS) - 1}]")
    cell = np.repeat(np.arange(len(CELLS)), N_PAIRS)[None, :]
    stride2 = (cell == CELLS.index("reduce")) & (inputs < 2)
    feature = (cell * len(OPS) + ops) * 2 + stride2
    n = archs.shape[0]
    flat = (np.arange(n)[:, None] * _N_FEATURES + feature).ravel()
    return np.bincount(flat, minlength=n * _N_FEATURES).reshape(n, _N_FEATURES)


def param_count(archs: np.ndarray, net: DartsNetwork = PROXY) -> np.ndarray:
    """Exact number of parameters (an int per arch) of ``net`` built from each genotype."""
    const, weights = _weights(net)
    return const[0] + _features(archs) @ weights[0]


def flop_count(
    archs: np.ndarray, net: DartsNetwork = PROXY, convention: str = "xautodl"
) -> np.ndarray:
    """Exact FLOPs (an int per arch) of one image through ``net`` in ``convention``."""
    if convention not in CONVENTIONS:
        raise ValueError(
            f"unknown FLOP convention {convention!r}; accepted: {', '.join(CONVENTIONS)}"
        )
    const, weights = _weights(net)
    macs = const[1] + _features(archs) @ weights[1]
    if convention == "xautodl":
        return macs
    return macs + const[2] + _features(archs) @ weights[2]


def params(archs: np.ndarray, net: DartsNetwork = PROXY) -> np.ndarray:
    """Parameters in millions."""
    return param_count(archs, net) / 1e6


def flops(archs: np.ndarray, net: DartsNetwork = PROXY, convention: str = "xautodl") -> np.ndarray:
    """MFLOPs of one image."""
    return flop_count(archs, net, convention) / 1e6
