"""Aggregation over seeds: the one place where the mean, standard deviation and standard error of
a final result are computed.

The runner's end-of-run summary (``harness.summary``) and the report both call ``aggregate``, so
the two can never disagree on a number. This module needs numpy only: the runner must work
without the report's plotting and statistics extras.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# The final numbers of a search run, as written in the manifest's "final" block.
FINAL_METRICS = ("best_observed", "incumbent_valid", "incumbent_regret", "incumbent_test")
# The second incumbent of a method that recommends something else than its best sample (XNAS):
# the best sampled arch's seed-mean values (absent, so not known, for the other methods).
SAMPLED_METRICS = ("best_sampled_valid", "best_sampled_regret", "best_sampled_test")


@dataclass(frozen=True)
class Stat:
    """Mean, standard deviation (ddof=1) and standard error over the ``n`` seeds with a value."""

    n: int
    mean: float
    std: float
    se: float

    @property
    def known(self) -> bool:
        """False when no seed has a value (no test metric, unknown optimum)."""
        return not math.isnan(self.mean)


def mean_std_se(values: Iterable[float | None]) -> tuple[float, float, float]:
    """Mean, sample standard deviation and standard error; missing values (None, NaN) are
    dropped, and all-missing gives NaNs. One value has std and se 0 (nothing to spread)."""
    stat = describe(values)
    return stat.mean, stat.std, stat.se


def describe(values: Iterable[float | None]) -> Stat:
    """``Stat`` of ``values``; see ``mean_std_se``."""
    arr = np.asarray([math.nan if v is None else v for v in values], dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return Stat(0, math.nan, math.nan, math.nan)
    std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return Stat(int(arr.size), float(arr.mean()), std, std / math.sqrt(arr.size))


def aggregate(
    rows: Sequence[Mapping], metrics: Sequence[str] = FINAL_METRICS,
    by: Sequence[str] = ("benchmark", "optimizer"),
) -> dict[tuple, dict[str, Stat]]:
    """Group ``rows`` (one per seed) by the ``by`` fields and describe each metric per group.

    Returns ``{(benchmark, optimizer): {metric: Stat}}`` in sorted key order. This is the function
    behind every mean ± std ± se that the summary and the report print.
    """
    groups: dict[tuple, list[Mapping]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[k] for k in by)].append(row)
    return {
        key: {m: describe(r.get(m) for r in group) for m in metrics}
        for key, group in sorted(groups.items(), key=lambda kv: _sort_key(kv[0]))
    }


def _sort_key(key: tuple) -> tuple:
    """Sort a group key with None (a missing field) after every value."""
    return tuple((value is None, value) for value in key)
