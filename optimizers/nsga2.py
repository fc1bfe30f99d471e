"""NSGA-II (Deb, Pratap, Agarwal & Meyarivan, IEEE TEVC 2002) from pymoo, behind ask/tell.

pymoo's ``NSGA2`` (``pymoo.algorithms.moo.nsga2``: binary tournament on rank and crowding,
``RankAndCrowding`` survival, duplicate elimination) runs through pymoo's own ask/tell interface
(``algorithm.ask()`` gives a population, ``algorithm.tell(infills=pop)`` takes it back with its
objective values): our ``ask`` hands out the population one arch at a time and ``tell`` returns
it to pymoo once every member has its values. The variation operators are the space's, so every
child is a valid arch of any space: sampling is ``space.sample``, mutation one ``space.mutate``
step per child (the single-site mutation of ``re``), crossover uniform over positions with a
child that the space refuses (e.g. two pairs of a DARTS node on one input) replaced by its first
parent. Infeasible archs (a free check) are redrawn, up to 100 times. pymoo's random generator
is seeded from the run's, so a run is reproducible in any process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.oracle import Observation
from optimizers.base import OptimizerConfig, arch_key
from optimizers.multiobjective import MultiObjectiveOptimizer


@dataclass(frozen=True)
class NSGA2Config(OptimizerConfig):
    """``pop_size: 20`` is ours (pymoo's default is 100): 150 queries then give 7 generations
    rather than 1.5. ``crossover_prob: 0.9``: pymoo's default for its crossovers (SBX)."""

    pop_size: int = 20
    crossover_prob: float = 0.9

    def __post_init__(self) -> None:
        if not isinstance(self.pop_size, int) or self.pop_size < 2:
            raise ValueError(f"NSGA-II pop_size must be an int >= 2, got {self.pop_size!r}")
        if not 0.0 <= self.crossover_prob <= 1.0:
            raise ValueError(f"NSGA-II crossover_prob must be in [0, 1], got "
                             f"{self.crossover_prob!r}")


def _pymoo():
    try:
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.crossover import Crossover
        from pymoo.core.mutation import Mutation
        from pymoo.core.problem import Problem
        from pymoo.core.sampling import Sampling
    except ImportError as error:  # pragma: no cover - the CLI checks this first
        raise ImportError("nsga2 needs pymoo: pip install -e '.[mo]'") from error
    return NSGA2, Crossover, Mutation, Problem, Sampling


class NSGA2(MultiObjectiveOptimizer):
    name = "nsga2"
    Config = NSGA2Config

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self._algorithm = None
        self._pending = None  # the population pymoo asked for
        self._pending_archs: np.ndarray | None = None  # its members' X, read once
        self._values: dict[tuple[int, ...], np.ndarray] = {}  # F of its members told so far
        self._queue: list[int] = []  # members of the population not yet asked

    def _setup(self) -> None:
        problem = self._require_problem()
        NSGA2Algorithm, Crossover, Mutation, PymooProblem, Sampling = _pymoo()
        outer = self
        n_var = len(self.space.sample(np.random.default_rng(0)))

        class SpaceSampling(Sampling):
            def _do(self, problem, n_samples, *args, random_state=None, **kwargs):
                return np.stack([outer.draw_feasible(lambda: outer.space.sample(outer.rng))
                                 for _ in range(n_samples)])

        class SpaceMutation(Mutation):
            def _do(self, problem, X, *args, random_state=None, **kwargs):
                return np.stack([outer.draw_feasible(lambda x=x: outer.space.mutate(x, outer.rng))
                                 for x in X.astype(np.int64)])

        class UniformSpaceCrossover(Crossover):
            def __init__(self, prob):
                super().__init__(n_parents=2, n_offsprings=2, prob=prob)

            def _do(self, problem, X, *args, random_state=None, **kwargs):
                X = X.astype(np.int64)
                out = np.empty_like(X)
                for m in range(X.shape[1]):
                    a, b = X[0, m], X[1, m]
                    mask = outer.rng.random(a.shape[0]) < 0.5
                    out[0, m] = outer._valid_or(np.where(mask, a, b), a)
                    out[1, m] = outer._valid_or(np.where(mask, b, a), b)
                return out

        class NSGA2WithoutOptimum(NSGA2Algorithm):
            """pymoo's NSGA2, less the ranking of its population into ``opt`` after every
            generation: pymoo's result, which this adapter never reads (the harness keeps the
            non-dominated set itself; termination is by generation count)."""

            def _set_optimum(self, **kwargs):
                self.opt = None

        pymoo_problem = PymooProblem(n_var=n_var, n_obj=len(problem.objectives), xl=0,
                                     xu=np.iinfo(np.int32).max, vtype=int)
        self._algorithm = NSGA2WithoutOptimum(
            pop_size=self.config.pop_size, sampling=SpaceSampling(),
            crossover=UniformSpaceCrossover(self.config.crossover_prob),
            mutation=SpaceMutation(), eliminate_duplicates=True)
        self._algorithm.setup(pymoo_problem, termination=("n_gen", 10**9),
                              seed=int(self.rng.integers(2**31 - 1)), verbose=False)

    def _valid_or(self, child: np.ndarray, parent: np.ndarray) -> np.ndarray:
        canonical = getattr(self.space, "canonical", None)
        try:
            child = canonical(child) if canonical is not None else child
            self.space.validate(child)
        except ValueError:
            return parent.copy()
        return child

    def ask(self) -> np.ndarray:
        if self._algorithm is None:
            self._setup()
        if not self._queue:
            self._pending = self._algorithm.ask()
            # one read of the population's X, not a pymoo Individual per ask and per tell
            self._pending_archs = np.asarray(self._pending.get("X"), dtype=np.int64)
            self._values = {}
            self._queue = list(range(len(self._pending)))
        return self._pending_archs[self._queue[0]].copy()

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        if self._queue and arch_key(self._pending_archs[self._queue[0]]) == arch_key(arch):
            self._values[self._queue.pop(0)] = self.history_points[-1]
        if not self._queue and self._pending is not None and self._values:
            F = np.stack([self._values[i] for i in range(len(self._pending))])
            self._pending.set("F", F)
            self._algorithm.tell(infills=self._pending)
            self._pending = None
