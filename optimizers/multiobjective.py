"""What every multi-objective optimizer shares: objective vectors, Pareto ranks, feasibility.

A multi-objective run optimizes one budgeted objective (validation accuracy, one counted query per
evaluation) and free costs (``harness.objectives``): each ``Observation`` carries the run's free
metrics, so the optimizer knows an arch's whole objective vector once it is told. Constraints are
on free metrics, so an optimizer can check an arch before spending a query on it: every draw
here is redrawn (up to ``MAX_RESAMPLES`` times) while ``measure`` says it is infeasible, as a
hardware-aware method measures latency before it trains.

The incumbent of a multi-objective run is a set: ``recommend_set`` returns the non-dominated
evaluated archs (by their observed values; the harness scores them at seed-mean values).
Pareto ranks, crowding and hypervolumes come from moocore (the ``mo`` extra).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from operator import le
from typing import ClassVar

import numpy as np

from harness.oracle import Observation
from optimizers.base import MAX_RESAMPLES, Optimizer, arch_key


def _moocore():
    try:
        import moocore
    except ImportError as error:  # pragma: no cover - the CLI checks this first
        raise ImportError(
            "multi-objective optimizers need moocore: pip install -e '.[mo]'") from error
    return moocore


def pareto_ranks(points: np.ndarray) -> np.ndarray:
    """Non-dominated sorting of minimized ``points`` (n, k): 0 for the first front, 1 for the
    next, ... (moocore.pareto_rank)."""
    if len(points) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(_moocore().pareto_rank(points), dtype=np.int64)


def nondominated(points: np.ndarray) -> np.ndarray:
    """Mask of the non-dominated rows of minimized ``points``; duplicates all kept."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(_moocore().is_nondominated(points, keep_weakly=True), dtype=bool)


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance (Deb et al. 2002) of the points of one front: the sum over
    objectives of the normalized gap between each point's two neighbours; the extremes get
    infinity."""
    n, k = points.shape
    if n <= 2:
        return np.full(n, np.inf)
    # plain floats: a front of a tournament has a handful of points, where numpy's per-call
    # cost dominates (the same IEEE operations in the same order: identical values)
    rows = points.tolist()
    distance = [0.0] * n
    for j in range(k):
        order = sorted(range(n), key=lambda i, j=j: rows[i][j])  # stable, as argsort's
        values = [rows[i][j] for i in order]
        span = values[-1] - values[0]
        distance[order[0]] = distance[order[-1]] = math.inf
        if span > 0:
            for position in range(1, n - 1):
                distance[order[position]] += (values[position + 1] - values[position - 1]) / span
    return np.array(distance)


class MultiObjectiveOptimizer(Optimizer):
    """Base class: keeps every told arch's minimized objective vector and feasibility."""

    multi_objective: ClassVar[bool] = True  # the harness asks it for recommend_set()

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self.history_points: list[tuple[float, ...]] = []  # minimized objective vectors
        self.history_feasible: list[bool] = []
        # indices of the current non-dominated set (among feasible evaluations once there is
        # one), kept up to date on every tell: recommend_set is then O(front) per step
        self._front: list[int] = []
        self._front_feasible = False
        self._front_values: dict[int, tuple[float, ...]] = {}  # plain floats: fast comparisons
        self._front_archs: np.ndarray | None = None  # recommend_set's answer until the front moves
        self._maximize: tuple[bool, ...] | None = None  # per objective, set on the first tell
        self._free_names: tuple[str, ...] = ()

    # --- the problem ------------------------------------------------------------------------
    def _require_problem(self):
        if self.problem is None or not self.problem.multi:
            raise ValueError(
                f"{self.name} is multi-objective: give --objectives with a budgeted and at least "
                "one free objective, e.g. valid_acc,latency")
        return self.problem

    def point(self, arch: np.ndarray, observation: Observation) -> tuple[float, ...]:
        """The minimized objective vector of a told arch, as plain floats (one per tell: a
        tuple is cheaper to build and compare than an array)."""
        if self._maximize is None:  # per step: plain floats, not Problem.minimized's stack
            problem = self._require_problem()
            self._maximize = tuple(o.maximize for o in problem.objectives)
            self._free_names = problem.names[1:]  # the budgeted objective comes first
        values = (float(observation.value), *(observation.free[n] for n in self._free_names))
        return tuple([-v if m else v for v, m in zip(values, self._maximize, strict=True)])

    def feasible(self, archs: np.ndarray) -> np.ndarray:
        """Feasibility of a batch (n, d) under the run's constraints, by free lookups."""
        problem = self._require_problem()
        archs = np.atleast_2d(archs)
        if not problem.constraints:
            return np.ones(len(archs), dtype=bool)
        columns = {c.metric: np.asarray(self.measure(archs, c.metric)) for c in problem.constraints}
        return np.asarray(problem.feasible(columns), dtype=bool).reshape(len(archs))

    def draw_feasible(self, draw: Callable[[], np.ndarray],
                      seen: set[tuple[int, ...]] | None = None) -> np.ndarray:
        """``draw()``, redrawn up to ``MAX_RESAMPLES`` times while it is infeasible (a free
        check) or in ``seen``; the last draw is taken anyway."""
        arch = draw()
        constrained = bool(self._require_problem().constraints)
        if seen is None and not constrained:
            return arch
        for _ in range(MAX_RESAMPLES):
            if (seen is None or tuple(np.asarray(arch).ravel().tolist()) not in seen) and (
                    not constrained or self.feasible(arch)[0]):
                break
            arch = draw()
        return arch

    # --- tell / recommend -------------------------------------------------------------------
    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        point = self.point(arch, observation)
        feasible = bool(observation.feasible)
        self.history_points.append(point)
        self.history_feasible.append(feasible)
        self._update_front(len(self.history_points) - 1, point, feasible)

    def _update_front(self, index: int, new: tuple[float, ...], feasible: bool) -> None:
        if feasible and not self._front_feasible:  # the first feasible arch: a fresh front
            self._front, self._front_feasible = [], True
            self._front_archs = None
        elif self._front_feasible and not feasible:
            return
        values = self._front_values
        kept = []
        for i in self._front:
            other = values[i]
            if other == new:  # equal values: both kept, unless it is this arch again
                if arch_key(self.history_archs[i]) == arch_key(self.history_archs[index]):
                    return
                kept.append(i)
            elif all(map(le, other, new)):
                return  # dominated
            elif not all(map(le, new, other)):
                kept.append(i)  # not dominated by the new point
        self._front = [*kept, index]
        self._front_values[index] = new
        self._front_archs = None

    def recommend_set(self) -> np.ndarray:
        """The non-dominated evaluated archs (feasible ones, when any is), by observed values;
        an arch evaluated twice is listed once (the evaluation that entered the set first)."""
        if not self._front:
            raise RuntimeError(f"{self.name} has no observation to recommend from")
        if self._front_archs is None:  # rebuilt only when the front moved: O(1) most steps
            self._front_archs = np.stack([self.history_archs[i] for i in sorted(self._front)])
            self._front_archs.flags.writeable = False  # the same array is handed out again
        return self._front_archs
