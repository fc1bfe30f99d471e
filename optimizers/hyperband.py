"""Successive halving and Hyperband (Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar, JMLR 2018,
"Hyperband: A Novel Bandit-Based Approach to Hyperparameter Optimization", Algorithm 1).

Hyperband runs brackets ``s = s_max, ..., 0`` (then again, until the budget is spent). Bracket
``s`` draws ``n = ceil((s_max + 1) / (s + 1) * eta^s)`` random archs, evaluates them at rung
``s_max - s``, keeps the best ``floor(n_i / eta)`` and evaluates those at the next rung, up to the
top rung (``optimizers.multi_fidelity`` places the rungs). Successive halving (Jamieson &
Talwalkar, AISTATS 2016) is that inner loop alone: here, Hyperband's most exploratory bracket
``s = s_max`` over and over.

Both are synchronous: a rung's survivors are chosen only when all its results are in, so with
parallel workers (``harness.simulator``) the workers wait at the end of every rung; a bracket
starts when the previous one is done, as in Algorithm 1. A survivor is continued from its
checkpoint where the benchmark allows it (nb301), and retrained from scratch where it does not
(NB201's hp12 -> hp200), as the oracle charges.

Differences from the paper: rungs are rounded to the benchmark's fidelities (and duplicates
dropped, so NB201 has two rungs and ``s_max = 1``); archs are drawn uniformly without repeats
within a run, as rs draws them; ties among values go to the arch that started first; Hyperband
is repeated until the budget is spent rather than given its finite horizon, and the budget can
cut a bracket short.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from optimizers.multi_fidelity import EtaConfig, MultiFidelityOptimizer


@dataclass(frozen=True)
class HyperbandConfig(EtaConfig):
    """``eta = 3``: the value Li et al. (2018) use in their experiments, and Syne Tune's
    ``reduction_factor`` default."""


class Hyperband(MultiFidelityOptimizer):
    """Hyperband, synchronous (see the module docstring)."""

    name = "hyperband"
    Config = HyperbandConfig

    def __init__(self, space, rng, config=None, budget=None, fidelities=None):
        super().__init__(space, rng, config, budget, fidelities)
        self.s_max = len(self.rungs) - 1
        self.brackets_started = 0
        self._open_bracket()

    def _next_s(self) -> int:
        """Bracket after bracket: s_max, s_max - 1, ..., 0, s_max, ..."""
        return self.s_max - self.brackets_started % (self.s_max + 1)

    def _open_bracket(self) -> None:
        s = self._next_s()
        self.brackets_started += 1
        n = math.ceil((self.s_max + 1) / (s + 1) * self.config.eta**s)
        self._set_rung(self.s_max - s, [])
        self._fresh = n  # archs still to draw for the bracket's first rung, drawn when asked

    def _sample_arch(self) -> np.ndarray:
        """A new arch for a bracket's first rung: uniform (BOHB overrides it with its model)."""
        return self._new_arch()

    def _set_rung(self, rung: int, trials: list[int]) -> None:
        self._rung = rung
        self._members = set(trials)
        self._todo: deque[int] = deque(trials)  # still to hand out
        self._values: dict[int, float] = {}  # results in

    def ask(self) -> tuple[np.ndarray, str] | None:
        if self._todo:
            return self._start(self._todo.popleft(), self._rung)
        if self._fresh:
            self._fresh -= 1
            trial = self._new_trial(self._sample_arch())
            self._members.add(trial)
            return self._start(trial, self._rung)
        return None  # the rung's results are not all in: wait

    def _result(self, trial: int, rung: int, value: float) -> None:
        if rung != self._rung or trial not in self._members:
            return  # not of the current rung (cannot happen with this class's asks)
        self._values[trial] = value
        if len(self._values) < len(self._members) or self._fresh:
            return
        keep = len(self._values) // self.config.eta
        if self._rung == len(self.rungs) - 1 or keep == 0:
            self._open_bracket()
            return
        order = sorted(self._values, key=lambda t: (-self._values[t], t))  # stable in trial
        self._set_rung(self._rung + 1, order[:keep])
        self._fresh = 0


class SuccessiveHalving(Hyperband):
    """Successive halving: Hyperband's bracket ``s = s_max`` repeated (module docstring)."""

    name = "sh"

    def _next_s(self) -> int:
        return self.s_max
