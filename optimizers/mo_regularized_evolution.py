"""Multi-objective regularized evolution: Real et al.'s ageing evolution (AAAI 2019) with the
tournament decided by non-dominated sorting, as Syne Tune's ``MultiObjectiveRegularizedEvolution``
(``syne_tune/optimizer/schedulers/multiobjective/multi_objective_regularized_evolution.py``)
adapts it: population members are ranked by non-dominated sorting over the population, and of
the ``sample_size`` members drawn the best ranked is the parent.

As in ``re``: a FIFO population of ``population_size`` random archs, then each step one mutation
of the tournament winner is evaluated, appended, and the *oldest* member is removed (ageing, not
the worst). Ties in rank go to the larger crowding distance within the rank (NSGA-II's
secondary key, Deb et al. 2002; ours: Syne Tune breaks them otherwise), then to the first drawn.
Infeasible children (a free check) are redrawn, up to 100 times.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from harness.oracle import Observation
from optimizers.base import OptimizerConfig
from optimizers.multiobjective import MultiObjectiveOptimizer, crowding_distance, pareto_ranks


@dataclass(frozen=True)
class MOREConfig(OptimizerConfig):
    """``population_size: 30``, ``sample_size: 10``: the single-objective ``re`` defaults
    (NAS-Bench-Suite / NASLib), so the two differ only in how a tournament is decided."""

    population_size: int = 30
    sample_size: int = 10

    def __post_init__(self) -> None:
        for name in ("population_size", "sample_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"MO-RE {name} must be a positive int, got {value!r}")


class MORegularizedEvolution(MultiObjectiveOptimizer):
    name = "mo-re"
    Config = MOREConfig

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self._population: deque[np.ndarray] = deque(maxlen=self.config.population_size)
        # the members' minimized objective vectors, oldest first, kept as one array (not
        # stacked again on every ask)
        self._points: np.ndarray | None = None

    def ask(self) -> np.ndarray:
        self._require_problem()
        if len(self._population) < self.config.population_size:
            return self.draw_feasible(lambda: self.space.sample(self.rng))
        points = self._points
        ranks = pareto_ranks(points).tolist()  # plain ints: a tournament of ten is Python's
        picks = self.rng.integers(0, len(self._population),
                                  size=self.config.sample_size).tolist()
        best = min(ranks[i] for i in picks)
        tied = [i for i in picks if ranks[i] == best]
        if len(set(tied)) > 1:  # crowding within the rank decides, the first drawn on a tie
            members = [i for i, rank in enumerate(ranks) if rank == best]
            crowding = dict(zip(members, crowding_distance(points[members]).tolist(),
                                strict=True))
            winner = max(tied, key=crowding.__getitem__)
        else:
            winner = tied[0]
        parent = self._population[winner]
        return self.draw_feasible(lambda: self.space.mutate(parent, self.rng))

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        point = np.array([self.history_points[-1]])
        if self._points is None:
            self._points = point
        elif len(self._population) == self.config.population_size:  # the oldest leaves
            self._points = np.concatenate([self._points[1:], point])
        else:
            self._points = np.concatenate([self._points, point])
        self._population.append(np.asarray(arch).copy())
