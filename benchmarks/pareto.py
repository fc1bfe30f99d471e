"""Exact Pareto fronts and fixed hypervolume bounds per task, from ``benchmarks/data/pareto``.

Built by ``python -m benchmarks.build.pareto`` from the benchmarks themselves. For every benchmark
that declares free cost metrics and every set of objectives a run may ask for (its budgeted
``objective`` plus one or more free metrics, in the benchmark's order), the folder holds the
task's *ideal* and *nadir* (best and worst value of each minimized objective) and, for tabular
benchmarks, the exact Pareto front: every arch of the table that no other arch dominates, at
seed-mean values of the default fidelity. A surrogate's archs cannot be enumerated: its ideal and
nadir are those of 10,000 random archs (seed 0), and it has no exact front, so hypervolume regret
is undefined there (its hypervolume is still reported).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from benchmarks.store import DATA_ROOT, DataIntegrityError, TableStore

FOLDER = DATA_ROOT / "pareto"
INDEX = "index.json"


def key(benchmark: str, objectives: tuple[str, ...]) -> str:
    """File stem of a task: ``nb201-cifar10__valid_acc+latency``."""
    return f"{benchmark}__{'+'.join(objectives)}"


@dataclass(frozen=True)
class TaskFront:
    """One task's stored bounds and, where exact, its Pareto front (minimized values)."""

    benchmark: str
    objectives: tuple[str, ...]
    ideal: np.ndarray
    nadir: np.ndarray
    exact: bool
    front: np.ndarray | None  # (m, k) minimized objective values of the exact front
    front_rows: np.ndarray | None  # official rows (tabular index) of the front's archs
    hypervolume: float | None  # of the exact front, with the stored bounds
    checksum: str  # of the benchmark's data the task was built from


@lru_cache(maxsize=1)
def _store() -> TableStore:
    return TableStore(FOLDER)


@lru_cache(maxsize=1)
def _index() -> dict:
    store = _store()
    import hashlib

    raw = (store.folder / INDEX).read_bytes()
    if hashlib.sha256(raw).hexdigest() != store.manifest["tables"].get(INDEX):
        raise DataIntegrityError(f"checksum mismatch for {store.folder / INDEX}; rebuild with "
                                 "python -m benchmarks.build.pareto")
    return json.loads(raw)


def checksum() -> str:
    return _store().checksum


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def load(benchmark: str, objectives: tuple[str, ...]) -> TaskFront | None:
    """The stored task, or None when the folder has none for these objectives. Cached per
    process, as the index is (every run of a grid reads it; checksumming the files again cost
    milliseconds per run); its arrays are read-only."""
    return _load(benchmark, tuple(objectives))


@lru_cache(maxsize=64)
def _load(benchmark: str, objectives: tuple[str, ...]) -> TaskFront | None:
    name = key(benchmark, objectives)
    entry = _index().get(name)
    if entry is None:
        return None
    store = _store()
    bounds = _read_only(store.load(f"{name}.bounds"))
    exact = bool(entry["exact"])
    return TaskFront(
        benchmark=benchmark, objectives=tuple(objectives), ideal=bounds[0], nadir=bounds[1],
        exact=exact, front=_read_only(store.load(f"{name}.front")) if exact else None,
        front_rows=_read_only(store.load(f"{name}.front_rows")) if exact else None,
        hypervolume=entry.get("hypervolume"), checksum=entry["checksum"],
    )
