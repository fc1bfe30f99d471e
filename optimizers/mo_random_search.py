"""Multi-objective random search: uniform samples, the non-dominated evaluated set as incumbent.

The baseline of random search (Li & Talwalkar, UAI 2019) read as a multi-objective method, as
Syne Tune's ``RandomSearch`` is used with several metrics: sampling ignores the objectives, the
incumbent is the Pareto set of what was evaluated. Infeasible archs (a free check) and archs
already evaluated are redrawn, up to 100 times.
"""

from __future__ import annotations

import numpy as np

from optimizers.base import arch_key
from optimizers.multiobjective import MultiObjectiveOptimizer


class MORandomSearch(MultiObjectiveOptimizer):
    name = "mo-rs"

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self._seen: set[tuple[int, ...]] = set()

    def ask(self) -> np.ndarray:
        self._require_problem()
        arch = self.draw_feasible(lambda: self.space.sample(self.rng), self._seen)
        self._seen.add(arch_key(arch))
        return arch
