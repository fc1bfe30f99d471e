"""The XNAS core: Algorithm 1 of Nayman et al. (NeurIPS 2019), "XNAS: Neural Architecture Search
with Expert Advice", for many forecasters at once.

Each forecaster (an edge of a cell) mixes ``N`` experts (the candidate operations). Per round t:

1. rewards are clipped to [-L, L];
2. exponentiated-gradient step ``v_i <- v_i * exp(eta * R_i)`` (kept in the log domain:
   ``log v_i += eta * R_i``, so nothing overflows over millions of rounds);
3. wipeout: every expert with ``v_i < max_j v_j * exp(-2 * eta * L * (T - t) * zeta)`` is removed
   for good. With ``zeta = 1`` (the theory, the default) an expert that far behind cannot catch up
   in the remaining ``T - t`` rounds, since one round changes a log-weight gap by at most
   ``2 * eta * L``; the best expert in hindsight is therefore never wiped out (Lemma 1). A
   ``zeta < 1`` wipes out earlier (the relaxation of section 3.2.1).

**The horizon T is the number of rounds, i.e. of exponentiated-gradient updates actually
applied** (``horizon_steps``), and it is the same T in the learning rate and in the wipeout
threshold. Theorem 1 bounds the regret after T rounds with rewards in [-L, L] by
``ln N / eta + eta * T * L^2 / 2``: the first term is the potential's start (``ln N``), the second
adds one Hoeffding term ``eta^2 L^2 / 2`` per multiplicative update, T of them. Minimizing over
eta gives ``eta = sqrt(2 ln N / (T L^2))`` and the bound ``L * sqrt(2 T ln N)``. Both derivations
count updates of the weights, each with one clipped reward bounded by L, so a caller that
averages several samples (a minibatch, the replicas of a cell, sampled architectures) into the
one reward of a round counts that round once: counting the samples instead would make eta
``sqrt(samples)`` too small for the updates that are applied, and put the wipeout threshold on
another clock than the rate.

Differences from the paper: its CIFAR-10 example of the theoretical rate (quoted in
``theoretical_learning_rate``) sets T = validation images x epochs x cells of a type, i.e. one
round per image and per cell replica, which gives 7.5e-4 (normal) and 1.3e-3 (reduce). The
authors' public code (github.com/NivNayman/XNAS) holds only the trained models and their
evaluation, not the search. archai's reimplementation (microsoft/archai) did at first multiply
the weights by ``exp(lr * R)`` with a configured rate and no wipeout; its later
``XnasArchTrainer`` (e.g. commit 4c7f2ef), after "XNAS authors told Liam Li et al that the
updates are made per data point instead of at a batch level", applies one update per validation
image and per cell, with T = validation images x epochs x cells of the type and a rate per cell
type (the paper's example), L = its gradient-clipping value in the rate and the wipeout, and the
rewards themselves unclipped (it clips the network weights' gradient norm). The callers here
apply one clipped reward per minibatch (supernet: the batch's mean loss, the replicas' gradients
summed) or per group of sampled architectures (benchmark mode) and count those. Against the
per-image, per-replica rounds, a supernet batch of B images and C replicas moves a log-weight
gap by about sqrt(C / B) as much in expectation (before clipping): 0.48 on NB201 (B = 64,
C = 15), 0.31 for DARTS's normal cells (C = 6); and since the wipeout margin ``2 eta L`` per
remaining round is spent on fewer, larger rounds, that expected drift measured against the
margin is C times larger, so experts are wiped out earlier (derived, not measured).
Forecasters of different cell types share T (they are updated together); their rates differ
only when their expert counts do (DARTS's node-input forecasters).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def theoretical_learning_rate(n_experts: int, horizon: float, bound: float = 1.0) -> float:
    """``eta = sqrt(2 ln N / (T L^2))``: the rate that minimizes the regret bound of Theorem 1.

    ``horizon`` is the number of rounds T (exponentiated-gradient updates). The paper's CIFAR-10
    example counts T = 25,000 validation images x 50 epochs x 6 normal cells with 8 experts,
    L = 1, and gets 7.5e-4; x 2 reduction cells, 1.3e-3.
    """
    if n_experts < 2:
        raise ValueError(f"need at least 2 experts, got {n_experts}")
    if horizon <= 0 or bound <= 0:
        raise ValueError(f"horizon and bound must be > 0, got T={horizon}, L={bound}")
    return math.sqrt(2.0 * math.log(n_experts) / (horizon * bound**2))


def regret_bound(n_experts: int, horizon: float, bound: float, eta: float) -> float:
    """Theorem 1: ``ln N / eta + eta * T * L^2 / 2`` (equal to ``L sqrt(2 T ln N)`` at the
    theoretical rate)."""
    return math.log(n_experts) / eta + eta * horizon * bound**2 / 2.0


class XNASCore:
    """Vectorized Algorithm 1 for ``F`` forecasters of up to ``N`` experts each.

    ``n_experts`` is one count for all forecasters or one per forecaster (padding experts are
    dead from the start).
    ``groups[f]`` names the cell type of forecaster ``f`` (e.g. "normal", "reduce"); each group
    has its own learning rate ``sqrt(2 ln N_g / (T L^2))`` from its expert count and the common
    horizon ``T = horizon_steps``, the number of ``step`` calls the caller will make. Rewards
    passed to ``step`` have shape (F, N); NaN marks "no reward for this expert this step"
    (treated as 0, which leaves its weight unchanged relative to the EG step of the others).
    """

    def __init__(
        self,
        n_experts: int | Sequence[int],
        groups: Sequence[str],
        horizon_steps: int,
        bound: float = 1.0,
        zeta: float = 1.0,
    ) -> None:
        if horizon_steps < 1:
            raise ValueError(f"horizon_steps must be >= 1, got {horizon_steps}")
        if not 0 < zeta <= 1:
            raise ValueError(f"zeta must be in (0, 1], got {zeta}")
        self.groups = tuple(groups)
        self.n_forecasters = len(self.groups)
        counts = np.broadcast_to(np.asarray(n_experts, dtype=np.int64), (self.n_forecasters,))
        if (counts < 1).any():
            raise ValueError(f"every forecaster needs at least 1 expert, got {counts.tolist()}")
        self.expert_counts = counts.copy()
        self.n_experts = int(counts.max())
        self.horizon_steps = int(horizon_steps)
        self.bound = float(bound)
        self.zeta = float(zeta)
        self.eta_by_group: dict[str, float] = {}
        for g in dict.fromkeys(self.groups):
            sizes = set(counts[[i for i, name in enumerate(self.groups) if name == g]].tolist())
            if len(sizes) != 1:
                raise ValueError(f"forecasters of group {g!r} differ in expert count: {sizes}")
            size = sizes.pop()
            # A forecaster with one expert has nothing to learn (a DARTS node with 2 inputs).
            self.eta_by_group[g] = (
                theoretical_learning_rate(size, self.horizon_steps, self.bound) if size > 1
                else 0.0
            )
        self.eta = np.array([self.eta_by_group[g] for g in self.groups])
        self.log_weights = np.zeros((self.n_forecasters, self.n_experts))
        self.alive = np.arange(self.n_experts)[None, :] < counts[:, None]
        self.t = 0
        self.wipeout_steps = np.full((self.n_forecasters, self.n_experts), -1, dtype=np.int64)

    def probabilities(self) -> np.ndarray:
        """Mixing weights p (F, N): normalized weights of the live experts, 0 for wiped ones."""
        logits = np.where(self.alive, self.log_weights, -np.inf)
        logits = logits - logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def step(self, rewards: np.ndarray) -> np.ndarray:
        """One round of Algorithm 1; returns the boolean mask of experts wiped out this round."""
        rewards = np.asarray(rewards, dtype=np.float64)
        if rewards.shape != self.log_weights.shape:
            raise ValueError(
                f"rewards must have shape {self.log_weights.shape}, got {rewards.shape}"
            )
        if self.t >= self.horizon_steps:
            raise RuntimeError(f"the horizon of {self.horizon_steps} steps is spent")
        self.t += 1
        clipped = np.clip(np.nan_to_num(rewards, nan=0.0), -self.bound, self.bound)
        self.log_weights = self.log_weights + self.eta[:, None] * clipped
        remaining = self.horizon_steps - self.t
        best = np.where(self.alive, self.log_weights, -np.inf).max(axis=1, keepdims=True)
        threshold = best - 2.0 * self.eta[:, None] * self.bound * remaining * self.zeta
        wiped = self.alive & (self.log_weights < threshold)
        self.alive &= ~wiped
        self.wipeout_steps[wiped] = self.t
        return wiped

    def strongest(self) -> np.ndarray:
        """Index of the strongest live expert of each forecaster (F,)."""
        return np.where(self.alive, self.log_weights, -np.inf).argmax(axis=1)

    @property
    def n_alive(self) -> np.ndarray:
        return self.alive.sum(axis=1)
