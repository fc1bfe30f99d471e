"""Precomputed zero-cost proxy scores (NAS-Bench-Suite-Zero, Krishnakumar et al. 2022), by
benchmark name, answered from the checked tables of ``benchmarks/data/zerocost``.

The tables are built by ``python -m benchmarks.build.zerocost`` (see its ``PROVENANCE.md``):
for each benchmark a few hundred archs (``<benchmark>.archs``, arch vectors of the benchmark's
space), their scores (``<benchmark>.scores``, one column per name in ``proxies``, NaN where
the source has none) and NASLib's ``val_accuracy`` for cross-checks (for NB201 it is *not* our
``valid_acc``: it is one training seed's test-split accuracy; see the provenance). An arch
without a score raises ``MissingScoreError``: these are samples, not whole spaces.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np

from benchmarks.store import DATA_ROOT, TableStore

FOLDER = DATA_ROOT / "zerocost"


class MissingScoreError(KeyError):
    """An arch (or a proxy) has no precomputed score."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0])


@lru_cache(maxsize=1)
def _store() -> TableStore:
    return TableStore(FOLDER)


def names() -> list[str]:
    """Benchmarks with precomputed scores."""
    tables = _store().manifest["tables"]
    return sorted(name[: -len(".archs.npy")] for name in tables if name.endswith(".archs.npy"))


@lru_cache(maxsize=1)
def proxies() -> tuple[str, ...]:
    """Column names of every ``<benchmark>.scores`` table."""
    return tuple(str(p) for p in _store().load("proxies"))


class PrecomputedScores:
    """The precomputed scores of one benchmark."""

    def __init__(self, benchmark: str) -> None:
        available = names()
        if benchmark not in available:
            raise ValueError(
                f"no precomputed zero-cost scores for {benchmark!r}; accepted: "
                f"{', '.join(available)}"
            )
        store = _store()
        self.benchmark = benchmark
        self.proxies = proxies()
        self.archs = store.load(f"{benchmark}.archs").astype(np.int64)
        self.scores = store.load(f"{benchmark}.scores")
        self.val_accuracy = store.load(f"{benchmark}.val_accuracy")
        self._row = {tuple(a): i for i, a in enumerate(self.archs.tolist())}

    def rows(self, archs: np.ndarray) -> np.ndarray:
        """Row of each arch in this benchmark's tables; raises for archs that have none."""
        archs = np.atleast_2d(np.asarray(archs))
        if archs.ndim != 2 or archs.shape[1] != self.archs.shape[1]:
            raise ValueError(
                f"{self.benchmark} archs have {self.archs.shape[1]} entries, got shape "
                f"{archs.shape}"
            )
        rows = np.array([self._row.get(tuple(a), -1) for a in archs.tolist()], dtype=np.int64)
        missing = np.flatnonzero(rows < 0)
        if missing.size:
            raise MissingScoreError(
                f"{missing.size} of {len(rows)} archs have no precomputed zero-cost score for "
                f"{self.benchmark} (first: {archs[missing[0]].tolist()}); NAS-Bench-Suite-Zero "
                f"covers {len(self.archs)} archs of it (see .archs); use zc_source='compute' "
                "for others"
            )
        return rows

    def score(self, archs: np.ndarray, proxy: str) -> np.ndarray:
        """Scores (n,) of ``proxy`` for ``archs``, exactly as NAS-Bench-Suite-Zero stores them."""
        if proxy not in self.proxies:
            raise ValueError(f"unknown proxy {proxy!r}; accepted: {', '.join(self.proxies)}")
        values = self.scores[self.rows(archs), self.proxies.index(proxy)]
        if np.isnan(values).any():
            first = np.atleast_2d(archs)[np.flatnonzero(np.isnan(values))[0]].tolist()
            raise MissingScoreError(
                f"{int(np.isnan(values).sum())} archs have no precomputed {proxy} score for "
                f"{self.benchmark} (first: {first}); use zc_source='compute'"
            )
        return values


@cache
def load(benchmark: str) -> PrecomputedScores:
    """The precomputed scores of ``benchmark`` (tables checked against their SHA-256)."""
    return PrecomputedScores(benchmark)
