"""Hypervolume of a set of architectures, the quality measure of a multi-objective run.

Objectives are oriented for minimization (``harness.objectives.Problem.minimized``) and scaled
per task to [0, 1] between the task's *ideal* (best value of each objective over the whole table)
and *nadir* (worst value over the whole table); the reference point is 1.1 in every scaled
objective, so the archs at the extremes of the front still add volume. Ideal, nadir and
reference are fixed per task and stored with the exact front (``benchmarks.pareto``), so
hypervolumes of different runs, and the hypervolume regret against the exact front, compare.
The volume itself comes from moocore (the ``mo`` extra), not from code of ours.
"""

from __future__ import annotations

import numpy as np

REFERENCE = 1.1  # the reference point, in scaled objectives


class MissingDependencyError(ImportError):
    """moocore (or pymoo) is not installed: pip install -e '.[mo]'."""


def moocore():
    try:
        import moocore as module
    except ImportError as error:
        raise MissingDependencyError(
            "multi-objective runs need moocore and pymoo: pip install -e '.[mo]'") from error
    return module


def scale(points: np.ndarray, ideal: np.ndarray, nadir: np.ndarray) -> np.ndarray:
    """Minimized points (n, k) scaled so the ideal is 0 and the nadir 1 in every objective."""
    span = np.where(nadir > ideal, nadir - ideal, 1.0)
    return (np.asarray(points, dtype=np.float64) - ideal) / span


def hypervolume(points: np.ndarray, ideal: np.ndarray, nadir: np.ndarray,
                reference: float = REFERENCE) -> float:
    """Volume dominated by the minimized ``points`` (n, k), scaled between ``ideal`` and
    ``nadir``, up to the reference point; 0 for an empty set. Points that do not dominate the
    reference add nothing."""
    return hypervolume_scaled(scale(np.atleast_2d(points), ideal, nadir), reference)


def hypervolume_scaled(scaled: np.ndarray, reference: float = REFERENCE) -> float:
    """``hypervolume`` of points already ``scale``d (n, k): a run's trajectory scales its
    archs' values once and asks for the volume of many subsets."""
    scaled = scaled[(scaled < reference).all(axis=1)] if len(scaled) else scaled
    return hypervolume_inside(scaled, reference)


def hypervolume_inside(scaled: np.ndarray, reference: float = REFERENCE) -> float:
    """``hypervolume_scaled`` of points known to dominate the reference (a trajectory checks
    that once for all its archs, then asks for the volume of a set on every step it moves)."""
    if len(scaled) == 0:
        return 0.0
    return float(_indicator(scaled.shape[1], reference)(scaled))


_INDICATORS: dict[tuple[int, float], object] = {}


def _indicator(objectives: int, reference: float):
    """moocore's ``Hypervolume`` for ``objectives`` objectives and the reference point, built
    once (it checks the reference on construction, not on every call)."""
    key = (objectives, reference)
    if key not in _INDICATORS:
        _INDICATORS[key] = moocore().Hypervolume(ref=np.full(objectives, reference))
    return _INDICATORS[key]
