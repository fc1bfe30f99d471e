"""Anytime curves: every seed's trajectory on one common grid, then mean ± standard error.

A trajectory is a step function: after the query that ends at ``x_i`` (cumulative queries or
simulated seconds) the value is ``y_i`` until the next query ends. Under a seconds budget runs
end at different x and take different numbers of queries, so the seeds are read off a common
grid by that step function: a run that has stopped keeps its final value (what it would
recommend at that time). The grid starts where every seed has finished its first query, so each
point averages the same seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

GRID_POINTS = 200  # grid resolution for a seconds axis (a query axis uses every integer)


@dataclass(frozen=True)
class Curve:
    """Mean and standard error over ``n`` seeds at each grid point ``x``."""

    x: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    n: int


def step_values(x: np.ndarray, y: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Value of the step function through (x, y) at each grid point; NaN before the first x."""
    idx = np.searchsorted(np.asarray(x), grid, side="right") - 1
    out = np.asarray(y, dtype=np.float64)[np.clip(idx, 0, None)]
    out[idx < 0] = np.nan
    return out


def make_grid(xs: Sequence[np.ndarray], integer: bool, log: bool = False) -> np.ndarray:
    """A grid from the point where every run has started to where the last run ends: every
    integer for queries, ``GRID_POINTS`` points (log-spaced with ``log``) for seconds."""
    start = max(float(x[0]) for x in xs)
    end = max(float(x[-1]) for x in xs)
    if integer:
        return np.arange(int(start), int(end) + 1, dtype=np.float64)
    if end <= start:
        return np.array([start])
    if log and start > 0:
        return np.geomspace(start, end, GRID_POINTS)
    return np.linspace(start, end, GRID_POINTS)


def mean_curve(
    xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], integer: bool, log: bool = False
) -> Curve | None:
    """Mean ± standard error (ddof=1) over seeds of the step functions (xs[i], ys[i]); None
    when no seed has a value (a metric the benchmark lacks)."""
    runs = [(np.asarray(x), np.asarray(y, dtype=np.float64)) for x, y in zip(xs, ys, strict=True)]
    runs = [(x, y) for x, y in runs if x.size and not np.isnan(y).all()]
    if not runs:
        return None
    grid = make_grid([x for x, _ in runs], integer=integer, log=log)
    values = np.stack([step_values(x, y, grid) for x, y in runs])
    n = values.shape[0]
    mean = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros_like(mean)
    return Curve(grid, mean, se, n)
