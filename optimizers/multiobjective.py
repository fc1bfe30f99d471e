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
from collections.abc import Callable, Sequence
from operator import itemgetter, le
from typing import ClassVar

import numpy as np

from harness.oracle import Observation
from optimizers.base import MAX_RESAMPLES, Optimizer, arch_key

_point = itemgetter(1)  # of a (key, point) item


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


def crowding_distance(rows: Sequence[Sequence[float]]) -> list[float]:
    """NSGA-II's crowding distance (Deb et al. 2002) of the points of one front, given as
    plain-float rows (a front has a handful of points, where numpy's per-call cost would
    dominate): per objective, the points are sorted (stably, as ``argsort``), the two extremes
    get infinity and every other point adds the normalized gap between its two neighbours."""
    n = len(rows)
    if n <= 2:
        return [math.inf] * n
    distance = [0.0] * n
    for column in zip(*rows, strict=True):
        order = sorted(range(n), key=column.__getitem__)
        distance[order[0]] = distance[order[-1]] = math.inf
        span = column[order[-1]] - column[order[0]]
        if span > 0:
            for r in range(1, n - 1):
                distance[order[r]] += (column[order[r + 1]] - column[order[r - 1]]) / span
    return distance


def crowding_by_member(front: dict[int, tuple[float, ...]]) -> dict[int, float]:
    """``crowding_distance`` of the members of one front, given as key -> minimized point in
    the order that breaks ties (a stable sort keeps it). With two objectives and no equal
    points (the usual front) one sort does: along a front the second objective falls as the
    first rises, so a point's neighbours are the same two points in both sorts, and the sum
    is formed in the same order, so the floats are the same."""
    n = len(front)
    if n <= 2:
        return dict.fromkeys(front, math.inf)
    if len(next(iter(front.values()))) == 2:
        ordered = sorted(front.items(), key=_point)  # stable: equal points in the given order
        xs = [point[0] for _, point in ordered]
        if len(set(xs)) == n:  # no equal points (two front points sharing x are equal)
            ys = [point[1] for _, point in ordered]
            keys = [key for key, _ in ordered]
            span_x, span_y = xs[-1] - xs[0], ys[0] - ys[-1]
            distance = {keys[0]: math.inf, keys[-1]: math.inf}
            for r in range(1, n - 1):
                distance[keys[r]] = ((xs[r + 1] - xs[r - 1]) / span_x
                                     + (ys[r - 1] - ys[r + 1]) / span_y)
            return distance
    return dict(zip(front, crowding_distance(list(front.values())), strict=True))


def first_front(points: Sequence[tuple[float, ...]]) -> list[int]:
    """Positions of the non-dominated ``points`` (minimized, plain-float tuples), ascending;
    equal points are all kept (moocore's ``pareto_rank`` gives them rank 0 alike). Two
    objectives: one sweep in lexicographic order, since a dominating point always comes
    before the point it dominates, and the earliest point of least second objective seen so
    far dominates the next one whenever any earlier point does (a later point has a first
    objective at least as large, so it is kept only below that point, or equal to it). More
    objectives: moocore."""
    if not points:
        return []
    if len(points[0]) != 2:
        return np.flatnonzero(nondominated(np.array(points, dtype=np.float64))).tolist()
    points = list(points)  # a deque indexes slower
    order = sorted(range(len(points)), key=points.__getitem__)
    front = [order[0]]
    best_x, best_y = points[order[0]]  # the earliest (lexicographic) point of least second
    for i in order[1:]:
        x, y = points[i]  # x >= best_x: lexicographic order
        if best_y < y:
            continue  # the best so far dominates it (the usual case)
        if y < best_y:  # below every earlier point: not dominated
            front.append(i)
            best_x, best_y = x, y
        elif x == best_x:  # equal to the best so far: not dominated either
            front.append(i)
        # else: equal second objective at a larger first: dominated by the best so far
    return sorted(front)


def place_among(new: tuple[float, ...],
                others: Sequence[tuple[float, ...]]) -> tuple[list[int], list[int]] | None:
    """Where a new minimized point stands against a non-dominated set: None if one of
    ``others`` dominates it, else the positions it dominates and the positions equal to it.
    Every tell of a multi-objective run asks this, so two objectives (the usual case) are
    compared unpacked, without ``map`` (the same comparisons, a third of the time)."""
    beaten, equal = [], []
    if len(new) == 2:
        x, y = new
        for position, (ox, oy) in enumerate(others):
            if ox <= x and oy <= y:
                if ox == x and oy == y:
                    equal.append(position)
                    continue
                return None
            if x <= ox and y <= oy:
                beaten.append(position)
        return beaten, equal
    for position, other in enumerate(others):
        if other == new:
            equal.append(position)
        elif all(map(le, other, new)):
            return None
        elif all(map(le, new, other)):
            beaten.append(position)
    return beaten, equal


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
        self._front_points: list[tuple[float, ...]] = []  # theirs, in that order (plain floats)
        self._front_archs: np.ndarray | None = None  # recommend_set's answer until the front moves
        # every told arch as a row (grown by doubling): a moved front is one fancy index, not a
        # stack of arrays
        self._told_rows: np.ndarray | None = None
        self._maximize: tuple[bool, ...] | None = None  # per objective, set on the first tell
        self._free_names: tuple[tuple[str, float], ...] = ()  # and the sign that minimizes it
        self._budgeted_sign = 1.0
        self._constrained: bool | None = None  # whether the run has constraints, once known

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
            # the budgeted objective comes first, then the free ones by name; a maximized one
            # is multiplied by -1.0 (the same float as negating it, -0.0 and NaN included)
            signs = [-1.0 if up else 1.0 for up in self._maximize]
            self._free_names = tuple(zip(problem.names[1:], signs[1:], strict=True))
            self._budgeted_sign = signs[0]
        free = observation.free
        return (float(observation.value) * self._budgeted_sign,
                *[free[name] * sign for name, sign in self._free_names])

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
        constrained = self._constrained
        if constrained is None:  # the problem is fixed once bound: asked once
            constrained = self._constrained = bool(self._require_problem().constraints)
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
        index = len(self.history_points)
        self.history_points.append(point)
        self.history_feasible.append(feasible)
        arch = self.history_archs[-1]
        if self._told_rows is None or index == len(self._told_rows):
            grown = np.empty((max(64, 2 * index), *arch.shape), dtype=arch.dtype)
            if self._told_rows is not None:
                grown[:index] = self._told_rows
            self._told_rows = grown
        self._told_rows[index] = arch
        self._update_front(index, point, feasible)

    def _update_front(self, index: int, new: tuple[float, ...], feasible: bool) -> None:
        if feasible and not self._front_feasible:  # the first feasible arch: a fresh front
            self._front, self._front_points, self._front_feasible = [], [], True
            self._front_archs = None
        elif self._front_feasible and not feasible:
            return
        placed = place_among(new, self._front_points)
        if placed is None:
            return  # dominated
        beaten, equal = placed
        if equal:  # equal values: both kept, unless it is this arch again
            key = arch_key(self.history_archs[index])
            if any(arch_key(self.history_archs[self._front[e]]) == key for e in equal):
                return
        if beaten:
            gone = set(beaten)
            self._front = [i for k, i in enumerate(self._front) if k not in gone]
            self._front_points = [p for k, p in enumerate(self._front_points) if k not in gone]
        self._front.append(index)  # the newest told last: ascending stays ascending
        self._front_points.append(new)
        self._front_archs = None

    def recommend_set(self) -> np.ndarray:
        """The non-dominated evaluated archs (feasible ones, when any is), by observed values;
        an arch evaluated twice is listed once (the evaluation that entered the set first)."""
        if not self._front:
            raise RuntimeError(f"{self.name} has no observation to recommend from")
        if self._front_archs is None:  # rebuilt only when the front moved: O(1) most steps
            self._front_archs = self._told_rows[self._front]  # _front is ascending: told order
            self._front_archs.flags.writeable = False  # the same array is handed out again
        return self._front_archs
