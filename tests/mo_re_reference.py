"""MO-RE as its docstring states it, computed the plain way: the reference ``mo-re`` must match.

Every ask sorts the whole population with moocore's ``pareto_rank`` and, on a tie in the best
rank drawn, computes the crowding distances of that whole rank with numpy (Deb et al. 2002:
per objective a stable sort, infinity at both ends, the normalized gap between neighbours).
``optimizers.mo_regularized_evolution`` keeps the first front up to date instead; both must
evaluate the same archs in the same order.
"""

from __future__ import annotations

from collections import Counter, deque

import moocore
import numpy as np

from harness.oracle import Observation
from optimizers.mo_regularized_evolution import MOREConfig
from optimizers.multiobjective import MultiObjectiveOptimizer


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of the rows of one front, in numpy."""
    n, k = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(k):
        order = np.argsort(points[:, j], kind="stable")
        values = points[order, j]
        span = values[-1] - values[0]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            for position in range(1, n - 1):
                distance[order[position]] += (values[position + 1] - values[position - 1]) / span
    return distance


# how the tournaments were decided, for tests that must see each way taken: "fallback" (no drawn
# member on the first front) and "crowding" (a tie won by a finite crowding distance)
DECIDED: Counter[str] = Counter()


class ReferenceMORE(MultiObjectiveOptimizer):
    name = "mo-re-reference"
    Config = MOREConfig

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self._population: deque[tuple[np.ndarray, tuple[float, ...]]] = deque(
            maxlen=self.config.population_size)

    def ask(self) -> np.ndarray:
        if len(self._population) < self.config.population_size:
            return self.draw_feasible(lambda: self.space.sample(self.rng))
        points = np.array([point for _, point in self._population], dtype=np.float64)
        ranks = np.asarray(moocore.pareto_rank(points))
        picks = self.rng.integers(0, len(points), size=self.config.sample_size)
        best = ranks[picks].min()
        tied = [int(i) for i in picks if ranks[i] == best]
        members = np.flatnonzero(ranks == best)
        crowding = dict(zip(members.tolist(), crowding_distance(points[members]), strict=True))
        winner = tied[0]
        for i in tied[1:]:  # the first drawn of the largest distance
            if crowding[i] > crowding[winner]:
                winner = i
        DECIDED["fallback"] += bool(best > 0)
        DECIDED["crowding"] += len(set(tied)) > 1 and bool(np.isfinite(crowding[winner]))
        parent = self._population[winner][0]
        return self.draw_feasible(lambda: self.space.mutate(parent, self.rng))

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        self._population.append((np.asarray(arch).copy(), self.history_points[-1]))
