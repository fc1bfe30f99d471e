"""ParEGO-style BANANAS: BANANAS (White, Neiswanger & Savani, AAAI 2021; ``optimizers.bananas``)
on a random augmented Chebyshev scalarization of the objectives, redrawn for every batch, as
ParEGO does for its Gaussian process (Knowles, IEEE TEVC 2006, "ParEGO: a hybrid algorithm with
on-line landscape approximation for expensive multiobjective optimization problems").

Each BANANAS round (one ensemble fit, ``k`` archs evaluated) draws a weight vector uniformly from
Knowles' set ``{lambda : sum lambda_j = 1, lambda_j in {0, 1/s, ..., 1}}`` (``s = 10`` for two
objectives, 4 for three, his values; ours for more: 3), normalizes every objective to [0, 1] over
the archs evaluated so far, and fits the ensemble to minus
``max_j(lambda_j f_j) + rho * sum_j lambda_j f_j`` (``rho = 0.05``, Knowles). Candidates are
mutations of the best archs under that scalarization, scored by Thompson sampling as in BANANAS;
infeasible ones (a free check) are dropped before scoring, and the random initial design redraws
infeasible archs. The incumbent is the non-dominated evaluated set.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from optimizers.bananas import Bananas, BananasConfig
from optimizers.base import draw_unseen
from optimizers.multiobjective import MultiObjectiveOptimizer

WEIGHT_STEPS = {2: 10, 3: 4}  # Knowles 2006, section III-A: s per number of objectives


@dataclass(frozen=True)
class ParEGOConfig(BananasConfig):
    """BANANAS' defaults (see ``BananasConfig``) plus ParEGO's ``rho = 0.05`` (Knowles 2006)."""

    rho: float = 0.05


def weight_vectors(k: int) -> np.ndarray:
    """Knowles' weight set for ``k`` objectives: every vector of multiples of 1/s summing to 1."""
    s = WEIGHT_STEPS.get(k, 3)
    grid = [w for w in itertools.product(range(s + 1), repeat=k) if sum(w) == s]
    return np.array(grid, dtype=np.float64) / s


class ParEGO(MultiObjectiveOptimizer, Bananas):
    name = "parego"
    Config = ParEGOConfig

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self.weights_used: list[list[float]] = []
        # the ensemble fits the scalarization, standardized: it is not an accuracy in percent,
        # so BANANAS' raw "100 - accuracy" target (naszilla's, on NB201 and DARTS) does not apply
        if self.config.target not in ("auto", "standardized"):
            raise ValueError(f"parego fits a scalarization: target must be auto or "
                             f"standardized, got {self.config.target!r}")
        self.target = "standardized"

    def ask(self) -> np.ndarray:
        self._require_problem()
        return Bananas.ask(self)

    def _fit_targets(self) -> np.ndarray:
        points = np.array(self.history_points, dtype=np.float64)
        low, high = points.min(axis=0), points.max(axis=0)
        normalized = (points - low) / np.where(high > low, high - low, 1.0)
        weights = weight_vectors(points.shape[1])
        lam = weights[self.rng.integers(len(weights))]
        self.weights_used.append(lam.tolist())
        scalar = (lam * normalized).max(axis=1) + self.config.rho * (lam * normalized).sum(axis=1)
        return -scalar

    def candidates(self, archs: np.ndarray, values: np.ndarray) -> np.ndarray:
        candidates = Bananas.candidates(self, archs, values)
        return candidates[self.feasible(candidates)] if len(candidates) else candidates

    def _random_unseen(self) -> np.ndarray:
        return self.draw_feasible(
            lambda: draw_unseen(lambda: self.space.sample(self.rng), self._seen), self._seen)

    def diagnostics(self) -> dict:
        return {**(Bananas.diagnostics(self) or {}), "weights": self.weights_used}


