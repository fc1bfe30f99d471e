"""``mo-re`` with its ranking taken out, for ``benchmarks.perf_multiobjective``: a run that
replays a recorded run's tournament winners makes the same draws and evaluates the same archs
through the same multi-objective bookkeeping, so its time is the harness's share of a mo-re run
and the difference to mo-re's is the population ranking's share."""

from __future__ import annotations

from collections import deque
from typing import ClassVar

import numpy as np

from harness.oracle import Observation
from optimizers.mo_regularized_evolution import MOREConfig, MORegularizedEvolution
from optimizers.multiobjective import MultiObjectiveOptimizer


class RecordedMORE(MORegularizedEvolution):
    """``mo-re``, writing down each tournament's winner (one list per run, in run order)."""

    name = "mo-re-recorded"
    winners: ClassVar[list[list[int]]] = []

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self._log: list[int] = []
        RecordedMORE.winners.append(self._log)

    def _tournament(self, picks: list[int]) -> int:
        winner = super()._tournament(picks)
        self._log.append(winner)
        return winner


class ReplayedMORE(MultiObjectiveOptimizer):
    """``mo-re``'s steps with a recorded run's winners in place of its ranking: the same draws
    (the tournament's picks are still drawn), so the same archs, and the same multi-objective
    bookkeeping (the base class's tell and non-dominated set), without the population's fronts
    and crowding. Each run takes the next list of ``queue``."""

    name = "mo-re-replayed"
    Config = MOREConfig
    queue: ClassVar[list[list[int]]] = []

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self._population: deque[np.ndarray] = deque(maxlen=self.config.population_size)
        self._winners = iter(ReplayedMORE.queue.pop(0))

    def ask(self) -> np.ndarray:
        size = len(self._population)
        if size < self.config.population_size:
            self._require_problem()
            return self.draw_feasible(lambda: self.space.sample(self.rng))
        self.rng.integers(0, size, size=self.config.sample_size).tolist()  # mo-re's picks
        parent = self._population[next(self._winners)]
        return self.draw_feasible(lambda: self.space.mutate(parent, self.rng))

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        self._population.append(np.asarray(arch).copy())
