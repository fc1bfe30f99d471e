"""Parameters and FLOPs of NAS-Bench-201 networks in closed form, for all archs at once.

The network is the official NB201 / NATS-Bench topology network (``benchmarks.networks.nb201``,
xautodl's ``TinyNetwork``): a 3x3 stem conv + BN, three stages of ``N`` = 5 cells with ``C``,
``2C``, ``4C`` channels (``C`` = 16) separated by two residual reduction blocks, a BN + ReLU, a
global average pool and a linear classifier. Every module is instantiated whatever the cell's
connectivity (xautodl's ``InferCell`` builds and runs every edge), so both counts are sums of
per-edge terms:

- a ``nor_conv_kxk`` edge (ReLU-Conv-BN, conv without bias, affine BN) on ``c`` channels holds
  ``k*k*c*c + 2*c`` parameters and costs ``k*k*c*c*H*W`` multiply-adds; ``none``,
  ``skip_connect`` and ``avg_pool_3x3`` (same channels, stride 1) hold nothing and, in the
  official convention, cost nothing;
- a reduction block ``ci -> co`` (``ResNetBasicblock`` with stride 2: ReLU-Conv3x3-BN twice plus
  a 2x2 average pool and a 1x1 conv on the shortcut) holds ``9*ci*co + 9*co*co + ci*co + 4*co``.

Units follow the benchmark: ``params`` in millions (count / 1e6, the value NATS-Bench stores);
``flops`` in MFLOPs (count / 1e6) of one image, in one of the two conventions of
``benchmarks.networks.flops``: ``"xautodl"`` (default), the benchmark's own ``flop`` (xautodl's
``get_model_infos``: multiply-adds of ``Conv2d`` and ``Linear`` only), or ``"tensorwatch"``, the
``flops`` of NASLib / NAS-Bench-Suite-Zero (which also counts BN, ReLU and pooling, and drops the
classifier's bias). ``tests/test_networks.py`` checks the closed forms against the benchmark's
``params`` (all 15,625 archs, every dataset), against the published FLOPs (three official
records: xautodl; 725 NAS-Bench-Suite-Zero archs: tensorwatch) and against hooks on real networks.
"""

from __future__ import annotations

import numpy as np

from benchmarks.spaces.nb201 import OPS

C = 16  # channels of the first stage (NB201 paper, section 2.1)
N = 5  # cells per stage
STAGE_CHANNELS = (C, 2 * C, 4 * C)
NUM_CLASSES: dict[str, int] = {"cifar10": 10, "cifar100": 100, "imagenet16-120": 120}
INPUT_SIZE: dict[str, int] = {"cifar10": 32, "cifar100": 32, "imagenet16-120": 16}
_KERNEL = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}
CONVENTIONS = ("xautodl", "tensorwatch")  # see benchmarks.networks.flops


def _check_dataset(dataset: str) -> None:
    if dataset not in NUM_CLASSES:
        raise ValueError(f"unknown NB201 dataset {dataset!r}; accepted: {', '.join(NUM_CLASSES)}")


def _conv_edges(archs: np.ndarray) -> dict[int, np.ndarray]:
    """Number of conv edges per cell, by kernel size: {1: (n,), 3: (n,)}."""
    archs = np.atleast_2d(np.asarray(archs))
    if archs.ndim != 2 or archs.shape[1] != 6 or archs.dtype.kind not in "iu":
        raise ValueError(f"NB201 archs must be an int array of shape (n, 6), got {archs.shape}")
    if archs.size and (archs.min() < 0 or archs.max() >= len(OPS)):
        raise ValueError(f"NB201 op index out of range [0, {len(OPS) - 1}]: {archs.max()}")
    return {k: (archs == OPS.index(op)).sum(axis=1) for op, k in _KERNEL.items()}


def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(
            f"unknown FLOP convention {convention!r}; accepted: {', '.join(CONVENTIONS)}"
        )


def _fixed_params(dataset: str) -> int:
    """Parameters of everything but the cells: stem, reduction blocks, head."""
    classes = NUM_CLASSES[dataset]
    total = 3 * 9 * C + 2 * C  # stem conv + BN
    for ci, co in zip(STAGE_CHANNELS[:-1], STAGE_CHANNELS[1:], strict=True):
        total += 9 * ci * co + 9 * co * co + ci * co + 4 * co  # conv_a, conv_b, shortcut, 2 BN
    last = STAGE_CHANNELS[-1]
    return total + 2 * last + last * classes + classes  # lastact BN, classifier


def _fixed_flops(dataset: str, convention: str) -> int:
    """FLOPs of everything but the cells, in ``convention``."""
    classes, size = NUM_CLASSES[dataset], INPUT_SIZE[dataset]
    tw = convention == "tensorwatch"
    total = 3 * 9 * C * size * size  # stem conv
    total += tw * 2 * C * size * size  # stem BN
    for i, (ci, co) in enumerate(zip(STAGE_CHANNELS[:-1], STAGE_CHANNELS[1:], strict=True)):
        hw_in, hw_out = (size // 2**i) ** 2, (size // 2 ** (i + 1)) ** 2
        total += (9 * ci * co + 9 * co * co + ci * co) * hw_out  # conv_a, conv_b, shortcut conv
        if tw:  # ReLU a (on the input), BN a, ReLU b, BN b, 2x2 shortcut pool (4 per output)
            total += ci * hw_in + 2 * co * hw_out + co * hw_out + 2 * co * hw_out
            total += 4 * ci * hw_out
    last, final = STAGE_CHANNELS[-1], size // 2 ** (len(STAGE_CHANNELS) - 1)
    total += last * classes + (0 if tw else classes)  # classifier (tensorwatch: no bias)
    if tw:  # lastact BN + ReLU, global average pool counted as (h+1)*(w+1) per channel
        total += 3 * last * final * final + last * (final + 1) ** 2
    return total


def param_count(archs: np.ndarray, dataset: str = "cifar10") -> np.ndarray:
    """Exact number of parameters (an int per arch) of the network built for ``dataset``."""
    _check_dataset(dataset)
    edges = _conv_edges(archs)
    total = np.full(len(edges[1]), _fixed_params(dataset), dtype=np.int64)
    for c in STAGE_CHANNELS:
        total += N * sum(edges[k] * (k * k * c * c + 2 * c) for k in (1, 3))
    return total


def flop_count(
    archs: np.ndarray, dataset: str = "cifar10", convention: str = "xautodl"
) -> np.ndarray:
    """Exact FLOPs (an int per arch) of one image in ``convention`` (see the module doc)."""
    _check_dataset(dataset)
    _check_convention(convention)
    edges = _conv_edges(archs)
    pools = (np.atleast_2d(np.asarray(archs)) == OPS.index("avg_pool_3x3")).sum(axis=1)
    size = INPUT_SIZE[dataset]
    total = np.full(len(pools), _fixed_flops(dataset, convention), dtype=np.int64)
    for i, c in enumerate(STAGE_CHANNELS):
        hw = (size // 2**i) ** 2
        total += N * sum(edges[k] * (k * k * c * c * hw) for k in (1, 3))
        if convention == "tensorwatch":  # ReLU (1) + affine BN (2) per conv edge, 3x3 pool (9)
            total += N * c * hw * (3 * (edges[1] + edges[3]) + 9 * pools)
    return total


def params(archs: np.ndarray, dataset: str = "cifar10") -> np.ndarray:
    """Parameters in millions, as the benchmark's ``params`` metric (count / 1e6)."""
    return param_count(archs, dataset) / 1e6


def flops(archs: np.ndarray, dataset: str = "cifar10", convention: str = "xautodl") -> np.ndarray:
    """MFLOPs (count / 1e6): ``"xautodl"`` is NATS-Bench's ``flop``, ``"tensorwatch"``
    NAS-Bench-Suite-Zero's ``flops``."""
    return flop_count(archs, dataset, convention) / 1e6
