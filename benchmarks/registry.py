"""Benchmark names and their loaders. Loading is lazy and cached: one instance per process."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from benchmarks.base import Benchmark
from benchmarks.tnb101 import NAMES as TNB101_NAMES  # the name list only; tables load lazily


def _nb201(name: str) -> Benchmark:
    from benchmarks.nb201 import NB201Benchmark

    return NB201Benchmark(name)


def _nb301(name: str) -> Benchmark:
    from benchmarks.nb301 import NB301Benchmark

    return NB301Benchmark(name)


def _tnb101(name: str) -> Benchmark:
    from benchmarks.tnb101 import TNB101Benchmark

    return TNB101Benchmark(name)


_LOADERS: dict[str, Callable[[str], Benchmark]] = {
    "nb201-cifar10": _nb201,
    "nb201-cifar100": _nb201,
    "nb201-imagenet16-120": _nb201,
    "nb301-cifar10": _nb301,
    **dict.fromkeys(TNB101_NAMES, _tnb101),
}


def names() -> list[str]:
    """Every benchmark name, in a stable order."""
    return list(_LOADERS)


@cache
def load(name: str) -> Benchmark:
    """The benchmark called ``name``; tables are checked against their SHA-256 manifest."""
    loader = _LOADERS.get(name)
    if loader is None:
        raise ValueError(f"unknown benchmark {name!r}; accepted: {', '.join(names())}")
    return loader(name)
