"""Benchmarks: search spaces with answers, behind one query API.

    import benchmarks
    benchmarks.names()
    bench = benchmarks.load("nb201-cifar10")
    bench.query(archs, "valid_acc")
"""

from __future__ import annotations

from benchmarks.base import Benchmark, Metric
from benchmarks.registry import load, names, use_nb201_tables

__all__ = ["Benchmark", "Metric", "load", "names", "use_nb201_tables"]
