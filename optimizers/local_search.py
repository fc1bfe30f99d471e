"""Local search (hill climbing): White, Nolen & Savani, "Exploring the Loss Landscape in Neural
Architecture Search", UAI 2021, as implemented in NAS-Bench-Suite / NASLib (``ls``).

Start from the best of ``num_init`` random archs; evaluate the neighbours of the current arch
(all archs one position away) in random order; move; repeat. At a local optimum (a full sweep
without improvement) restart from one new random arch, as NASLib does. The default move is
*best-improvement*: the whole neighbourhood is evaluated and the best neighbour, if it beats the
current arch, becomes the next one. That is the paper's algorithm ("train all architectures in
its neighborhood, choosing the best one for the next iteration") and what NASLib's ``ls`` does
(it pops the whole neighbourhood before it moves). ``first_improvement=True`` moves as soon as
one neighbour beats the current arch, the variant the authors' earlier code calls
``query_full_nbhd=False``.

Unlike NASLib, an arch is never evaluated twice: a neighbour already seen (for instance the arch
we just came from) is skipped, since re-querying it spends budget on a second noisy draw of a
known point. Skipped neighbours do not count as improvements: their basin was explored already.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.oracle import Observation
from optimizers.base import Optimizer, OptimizerConfig, arch_key, draw_unseen


@dataclass(frozen=True)
class LSConfig(OptimizerConfig):
    """``num_init: 10``: NAS-Bench-Suite / NASLib's default (config type ``nas`` of
    ``naslib/benchmarks/create_configs.py``, and ``naslib/benchmarks/nas/discrete_config.yaml``),
    also the ``num_init=10`` default of the authors' earlier local-search code.
    ``first_improvement: False``: best-improvement, as in the paper and NASLib (see the module
    docstring)."""

    num_init: int = 10
    first_improvement: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.num_init, int) or self.num_init < 1:
            raise ValueError(f"LS num_init must be a positive int, got {self.num_init!r}")


class LocalSearch(Optimizer):
    """Hill climbing with random restarts over ``space.neighbours``.

    ``ask`` only reads the state (it peeks at the next unseen neighbour, or draws a random arch),
    apart from closing a sweep whose remaining neighbours were all seen; everything learnt from a
    value happens in ``tell``. An ``ask`` that is never told therefore loses nothing: the next
    ``ask`` proposes the same neighbour again."""

    name = "ls"
    Config = LSConfig

    def __init__(
        self, space, rng: np.random.Generator, config: LSConfig | None = None, budget=None
    ):
        super().__init__(space, rng, config, budget)
        self._seen: set[tuple[int, ...]] = set()
        self._starts_left = self.config.num_init  # random archs still to draw before a climb
        self._start: tuple[np.ndarray, float] | None = None  # best of those drawn so far
        self._centre: tuple[np.ndarray, float] | None = None  # None: drawing random starts
        self._sweep_best: tuple[np.ndarray, float] | None = None
        self._queue: list[np.ndarray] = []  # the centre's neighbours, next one last

    def ask(self) -> np.ndarray:
        while True:
            if self._centre is None:
                return self._sample_unseen()
            while self._queue and arch_key(self._queue[-1]) in self._seen:
                self._queue.pop()
            if self._queue:
                return self._queue[-1].copy()
            self._end_sweep()

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        arch = np.asarray(arch, dtype=np.int64).copy()
        code = arch_key(arch)
        self._seen.add(code)
        value = observation.value
        if self._centre is None:
            self._tell_start(arch, value)
        elif self._queue and arch_key(self._queue[-1]) == code:
            self._queue.pop()
            self._tell_neighbour(arch, value)
        # Otherwise the arch was told out of turn: it is recorded and seen, nothing more.

    # --- state transitions ----------------------------------------------------------------
    def _tell_start(self, arch: np.ndarray, value: float) -> None:
        if self._start is None or value > self._start[1]:
            self._start = (arch, value)
        self._starts_left -= 1
        if self._starts_left <= 0:
            self._begin_sweep(self._start)
            self._start = None

    def _tell_neighbour(self, arch: np.ndarray, value: float) -> None:
        if value > self._sweep_best[1]:
            self._sweep_best = (arch, value)
            if self.config.first_improvement:
                self._begin_sweep(self._sweep_best)

    def _begin_sweep(self, centre: tuple[np.ndarray, float]) -> None:
        self._centre = self._sweep_best = centre
        neighbours = self.space.neighbours(centre[0])
        self._queue = list(neighbours[self.rng.permutation(len(neighbours))])

    def _end_sweep(self) -> None:
        """Every neighbour of the centre is seen: move to the best one, or restart."""
        if self._sweep_best[1] > self._centre[1]:
            self._begin_sweep(self._sweep_best)
        else:  # a local optimum (as far as this sweep could tell): one new random start
            self._centre = self._sweep_best = None
            self._starts_left = 1

    # --- helpers --------------------------------------------------------------------------
    def _sample_unseen(self) -> np.ndarray:
        return draw_unseen(lambda: self.space.sample(self.rng), self._seen)
