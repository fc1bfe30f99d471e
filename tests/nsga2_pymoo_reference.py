"""pymoo's own ``NSGA2`` behind ask/tell: the reference ``optimizers.nsga2`` must match.

The adapter that ``nsga2`` was until it re-expressed pymoo's loop over arrays: pymoo's algorithm
object (``algorithm.ask()`` gives a population, ``algorithm.tell(infills=pop)`` takes it back with
its objective values), seeded from the run's generator at the first ask, with the same variation
operators (``NSGA2.sample_batch``, ``mutate_batch``, ``crossover_batch``) called back by pymoo.
Same seed, same archs in the same order: everything else is pymoo's.
"""

from __future__ import annotations

import numpy as np

from harness.oracle import Observation
from optimizers.base import arch_key
from optimizers.multiobjective import MultiObjectiveOptimizer
from optimizers.nsga2 import NSGA2


class PymooNSGA2(NSGA2):
    name = "nsga2-pymoo"

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self._algorithm = None
        self._pending = None
        self._pending_archs = None
        self._values: dict[int, np.ndarray] = {}
        self._gaps: dict[int, list[float]] = {}  # pymoo's G: how far past each bound
        self._queue: list[int] = []

    def _setup(self) -> None:
        from pymoo.algorithms.moo import nsga2 as pymoo_nsga2
        from pymoo.core.crossover import Crossover
        from pymoo.core.mutation import Mutation
        from pymoo.core.problem import Problem
        from pymoo.core.sampling import Sampling

        problem = self._require_problem()
        outer = self
        n_var = len(self.space.sample(np.random.default_rng(0)))

        class SpaceSampling(Sampling):
            def _do(self, problem, n_samples, *args, random_state=None, **kwargs):
                return outer.sample_batch(n_samples)

        class SpaceMutation(Mutation):
            def _do(self, problem, X, *args, random_state=None, **kwargs):
                return outer.mutate_batch(X.astype(np.int64))

        class SpaceCrossover(Crossover):
            def __init__(self, prob):
                super().__init__(n_parents=2, n_offsprings=2, prob=prob)

            def _do(self, problem, X, *args, random_state=None, **kwargs):
                return outer.crossover_batch(X.astype(np.int64))

        pymoo_problem = Problem(n_var=n_var, n_obj=len(problem.objectives),
                                n_ieq_constr=len(problem.constraints), xl=0,
                                xu=np.iinfo(np.int32).max, vtype=int)
        self._algorithm = pymoo_nsga2.NSGA2(
            pop_size=self.config.pop_size, sampling=SpaceSampling(),
            crossover=SpaceCrossover(self.config.crossover_prob), mutation=SpaceMutation(),
            eliminate_duplicates=True)
        self._algorithm.setup(pymoo_problem, termination=("n_gen", 10**9),
                              seed=int(self.rng.integers(2**31 - 1)), verbose=False)

    def ask(self) -> np.ndarray:
        if self._algorithm is None:
            self._setup()
        if not self._queue:
            self._pending = self._algorithm.ask()
            self._pending_archs = np.asarray(self._pending.get("X"), dtype=np.int64)
            self._values = {}
            self._queue = list(range(len(self._pending)))
        return self._pending_archs[self._queue[0]].copy()

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        MultiObjectiveOptimizer.tell(self, arch, observation)
        if self._queue and arch_key(self._pending_archs[self._queue[0]]) == arch_key(arch):
            index = self._queue.pop(0)
            self._values[index] = self.history_points[-1]
            self._gaps[index] = [observation.free[c.metric] - c.bound if c.op == "<="
                                 else c.bound - observation.free[c.metric]
                                 for c in self._require_problem().constraints]
        if not self._queue and self._pending is not None and self._values:
            F = np.stack([self._values[i] for i in range(len(self._pending))])
            self._pending.set("F", F)
            if self._require_problem().constraints:
                self._pending.set("G", np.array([self._gaps[i] for i in range(len(F))]))
            self._algorithm.tell(infills=self._pending)
            self._pending = None
