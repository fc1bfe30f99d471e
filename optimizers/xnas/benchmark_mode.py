"""XNAS on a benchmark without training: rewards from sampled architectures.

The paper trains a supernet; this sampling reading is the project's own adaptation.


In the supernet, the reward of expert i on an edge is ``R_i = -d loss_val / d p_i`` (minus the
gradient of the validation loss with respect to its mixing weight). When the mixture is read as
a distribution over architectures (each edge picks its op independently with probabilities p),
the expected validation accuracy is multilinear in p and its derivative with respect to
``p_{e,i}`` is ``E[acc | op_e = i]``, which sampled architectures estimate by importance
weighting (a policy-gradient-style estimate, not a section of the paper). Each XNAS step
therefore samples ``samples_per_step`` architectures from the current mixture, queries their
validation accuracy through the oracle (each a counted query), and estimates every expert's
reward with the unbiased importance-weighted estimator ``mean_s(z_s * 1[op_{s,e} = i] / p_{e,i})``.

``z_s`` is the sample's accuracy standardized within the step (minus the step mean, over the step
standard deviation). A shift ``c`` of every value adds ``c * n_i / (K p_i)`` to expert i's
estimate (``n_i`` of the K samples used it): the same ``c`` for every expert of an edge in
expectation, so the normalized weights do not move on average, but not in any one step; centering
removes that term's noise (a control variate) and makes the clipping symmetric. The scaling makes
the reward bound ``L`` mean "one standard deviation" on every benchmark, whatever its metric's
units (accuracy in %, SSIM, a negative loss).

**The horizon.** Each step applies one reward per expert, the clipped mean over its
``samples_per_step = K`` samples, as a minibatch does: the run is Algorithm 1 with
``T = budget // K`` rounds (the horizon is known in advance from the query budget, or
``horizon_queries``). That T is what Theorem 1 needs: its regret bound
``ln N / eta + eta T L^2 / 2`` adds one term ``eta^2 L^2 / 2`` per exponentiated-gradient update
whose reward lies in [-L, L], and the clipped mean does; minimizing gives
``eta = sqrt(2 ln N / (T L^2))``. Lemma 1's wipeout threshold ``2 eta L (T - t)`` bounds how far
a log-weight gap can move in the ``T - t`` updates left, so it counts the same updates. Counting
every sample (T = K x steps) would describe a run that applies each sample's reward as its own
update; with the mean applied instead, it makes eta ``sqrt(K)`` too small (a reviewed earlier
version did this, with the wipeout on steps). At 150 queries and K = 10: T = 15 and
eta = sqrt(2 ln 5 / 15) = 0.463 on NB201 (L = 1), against 0.146 with T = 150. Queries left
over after the last full step (budget not a multiple of K) are spent and seen, but update
nothing.

Two incumbents: ``recommend`` is the discretized mixture (the strongest live expert per edge),
XNAS's answer as in the paper; the harness also records the best architecture the run sampled
(by the validation value it observed), since ``recommends_best_observed`` is False, so a reader
sees the gap between what XNAS learned and what it saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.oracle import Observation
from optimizers.base import Optimizer, OptimizerConfig
from optimizers.xnas.core import XNASCore
from optimizers.xnas.mixtures import mixture_for


@dataclass(frozen=True)
class XNASConfig(OptimizerConfig):
    """``bound`` (L) = 1 and ``zeta`` = 1 are the paper's values (section 3.2 and Algorithm 1);
    ``samples_per_step`` = 10 is ours: it plays the role of the minibatch (BANANAS also
    evaluates 10 architectures per model update), giving 15 XNAS steps at 150 queries."""

    samples_per_step: int = 10
    bound: float = 1.0
    zeta: float = 1.0
    horizon_queries: int | None = None  # default: the run's query budget

    def __post_init__(self) -> None:
        if self.samples_per_step < 2:
            raise ValueError(f"samples_per_step must be >= 2, got {self.samples_per_step}")
        if self.bound <= 0:
            raise ValueError(f"bound must be > 0, got {self.bound}")


class XNAS(Optimizer):
    """XNAS, benchmark mode: forecasters from the space's mixture view (``mixtures``; NB201: 6
    edges of 5 ops; DARTS: per cell 14 edges of 7 ops and 4 input-pair choices), rewards from
    counted queries of architectures sampled from the mixture."""

    name = "xnas"
    Config = XNASConfig
    recommends_best_observed = False  # the discretized mixture: the harness adds the best sample

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        cfg = self.config
        horizon = cfg.horizon_queries or (budget.queries if budget is not None else None)
        if not horizon:
            raise ValueError(
                "xnas needs its horizon in advance: give a query budget (--budget 150) or the "
                "hyperparameter horizon_queries"
            )
        self.mixture = mixture_for(space)
        steps = max(1, horizon // cfg.samples_per_step)
        self.core = XNASCore(
            n_experts=self.mixture.expert_counts,
            groups=self.mixture.groups,
            horizon_steps=steps,  # T: the updates that will be applied (see the module doc)
            bound=cfg.bound,
            zeta=cfg.zeta,
        )
        self._batch: list[np.ndarray] = []
        self._batch_values: list[float] = []
        self._probabilities = self.core.probabilities()
        self._history: list[list[list[float]]] = [self._probabilities.round(5).tolist()]

    # --- ask / tell ---------------------------------------------------------------------
    def ask(self) -> np.ndarray:
        return self.mixture.sample(self._probabilities, self.rng)

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        self._batch.append(np.asarray(arch, dtype=np.int64))
        self._batch_values.append(observation.value)
        full = len(self._batch) == self.config.samples_per_step
        if full and self.core.t < self.core.horizon_steps:
            self.core.step(self._rewards(np.stack(self._batch), np.array(self._batch_values)))
            self._batch, self._batch_values = [], []
            self._probabilities = self.core.probabilities()
            self._history.append(self._probabilities.round(5).tolist())

    def recommend(self) -> np.ndarray:
        """The discretized mixture: the strongest live expert on every edge."""
        arch = self.mixture.discretize(self._probabilities)
        if self.space.is_valid(arch[None, :])[0]:
            return arch
        return super().recommend()  # a constrained space: the best valid arch observed

    def diagnostics(self) -> dict:
        return {
            "probabilities": self._history,
            "wipeout_step": self.core.wipeout_steps.tolist(),
            "eta": {g: float(e) for g, e in self.core.eta_by_group.items()},
            "steps": self.core.t,
            "horizon_steps": self.core.horizon_steps,
        }

    # --- internals ----------------------------------------------------------------------
    def _rewards(self, archs: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Importance-weighted estimate of E[z | op_e = i] for every edge e and expert i."""
        std = values.std()
        z = (values - values.mean()) / std if std > 0 else np.zeros_like(values)
        chosen, probability = self.mixture.usage(archs, self._probabilities)
        with np.errstate(divide="ignore", invalid="ignore"):
            estimate = (z[:, None, None] * chosen).mean(axis=0) / probability
        return np.where(probability > 0, estimate, 0.0)
