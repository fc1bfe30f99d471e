"""Asynchronous successive halving, ASHA (Li, Jamieson, Rostamizadeh, Gonina, Ben-tzur, Hardt,
Recht & Talwalkar, MLSys 2020, "A System for Massively Parallel Hyperparameter Tuning",
Algorithm 2).

Whenever a worker is free, ``get_job``: look at the rungs from the second highest down to the
lowest; in rung ``k``, the candidates are the best ``floor(|rung k| / eta)`` results so far; the
first of them (best first) not yet promoted is promoted, i.e. evaluated at rung ``k + 1``. If no
rung has one, a new random arch starts at the bottom rung. It never waits for a rung to fill,
so workers never idle, at the price of promotions decided on incomplete rungs.

Rungs as Hyperband's (``optimizers.multi_fidelity``): ``R * eta^(k - s_max)``, so the top rung is
the full schedule ``R``. Differences from the paper: there, rung ``k`` is at ``r * eta^(s + k)``
with ``s`` the early-stopping rate (``s = 0`` here), so when ``R / r`` is not a power of eta the
paper's top rung falls short of ``R`` (81 of 98 epochs on nb301); here the rungs are rounded to
the benchmark's fidelities (NB201: two rungs); new archs are drawn without repeats within a run,
as rs draws them; ties go to the earlier trial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizers.multi_fidelity import EtaConfig, MultiFidelityOptimizer


@dataclass(frozen=True)
class ASHAConfig(EtaConfig):
    """``eta = 3``: Syne Tune's ``reduction_factor`` default for ASHA, and Hyperband's (Li et
    al. 2018). The ASHA paper's experiments set eta per benchmark; not checked value by value."""


class ASHA(MultiFidelityOptimizer):
    """ASHA, asynchronous (see the module docstring)."""

    name = "asha"
    Config = ASHAConfig

    def __init__(self, space, rng, config=None, budget=None, fidelities=None):
        super().__init__(space, rng, config, budget, fidelities)
        self._results: list[list[tuple[float, int]]] = [[] for _ in self.rungs]
        self._promoted: list[set[int]] = [set() for _ in self.rungs]

    def ask(self) -> tuple[np.ndarray, str]:
        for k in range(len(self.rungs) - 2, -1, -1):
            rung = self._results[k]
            top = sorted(rung, key=lambda pair: (-pair[0], pair[1]))[: len(rung) // self.config.eta]
            for _, trial in top:
                if trial not in self._promoted[k]:
                    self._promoted[k].add(trial)
                    return self._start(trial, k + 1)
        return self._start(self._new_trial(self._new_arch()), 0)

    def _result(self, trial: int, rung: int, value: float) -> None:
        self._results[rung].append((value, trial))
