"""``mo-re`` with its ranking taken out, for ``benchmarks.perf_multiobjective``: a run that
replays a recorded run's tournament winners makes the same draws and evaluates the same archs
through the same multi-objective bookkeeping, so its time is the harness's share of a mo-re run
and the difference to mo-re's is the population ranking's share."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from harness.oracle import Observation
from optimizers.mo_regularized_evolution import MORegularizedEvolution
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


class ReplayedMORE(MORegularizedEvolution):
    """``mo-re``'s own steps with a recorded run's winners in place of its ranking: ``ask`` is
    mo-re's (the tournament's picks are still drawn, so the same archs follow), and ``tell``
    keeps the multi-objective bookkeeping (the base class's objective vectors and
    non-dominated set) and the population, but not the population's fronts and keys. Each run
    takes the next list of ``queue``."""

    name = "mo-re-replayed"
    queue: ClassVar[list[list[int]]] = []

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self._winners = iter(ReplayedMORE.queue.pop(0))

    def _tournament(self, picks: list[int]) -> int:
        return next(self._winners)

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        MultiObjectiveOptimizer.tell(self, arch, observation)  # not mo-re's: no ranking state
        self._population.append(np.asarray(arch).copy())
