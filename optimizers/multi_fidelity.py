"""What multi-fidelity methods share: the rung ladder, trial bookkeeping and the incumbent.

A multi-fidelity optimizer declares ``uses_fidelities = True``; the harness then passes it the
benchmark's fidelities up to the run's target as ``(name, epochs)`` pairs
(``harness.search.fidelity_ladder``). ``ask`` returns ``(arch, fidelity)``, or ``None`` while it
waits for results (``harness.simulator``). Asking a higher fidelity of an arch it evaluated at a
lower one continues that training run where the benchmark allows it (``harness.oracle``).

Rungs (Li et al. 2018, Hyperband, Algorithm 1, in units of the smallest fidelity): with ``R``
the ratio of the largest to the smallest fidelity's epochs, ``s_max = floor(log_eta R)`` and rung
``i`` (0..s_max) at ``R * eta^(i - s_max)`` smallest-fidelity units, each rounded to the nearest
fidelity the benchmark has (by epochs; ties to the lower), duplicates dropped. nb301-cifar10
(epochs 1..98, eta 3): epochs 1, 4, 11, 33, 98. NB201 (hp12, hp200: separate schedules, eta 3):
hp12 and hp200 only, since 22 and 67 epochs round to 12, so every method there has two rungs.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.oracle import Observation
from optimizers.base import Optimizer, OptimizerConfig, arch_key, draw_unseen


def rung_fidelities(ladder: Sequence[tuple[str, int]], eta: float) -> list[str]:
    """The rung fidelities, lowest first (see the module docstring)."""
    if len(ladder) < 2:
        raise ValueError(
            "a multi-fidelity method needs at least two fidelities with epoch counts up to the "
            f"run's fidelity; this run has {', '.join(f for f, _ in ladder) or 'none'} "
            "(benchmarks with them: nb301-cifar10, nb201-*)"
        )
    if not eta > 1:
        raise ValueError(f"eta must be > 1, got {eta!r}")
    low, high = ladder[0][1], ladder[-1][1]
    s_max = int(math.floor(math.log(high / low) / math.log(eta) + 1e-9))
    rungs: list[str] = []
    for i in range(s_max + 1):
        target = high * eta ** (i - s_max)
        name = min(ladder, key=lambda pair: (abs(pair[1] - target), pair[1]))[0]
        if name not in rungs:
            rungs.append(name)
    return rungs


@dataclass(frozen=True)
class EtaConfig(OptimizerConfig):
    """The reduction factor of successive halving: a rung keeps its top 1 / ``eta``."""

    eta: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.eta, int) or self.eta < 2:
            raise ValueError(f"eta must be an int >= 2, got {self.eta!r}")


class MultiFidelityOptimizer(Optimizer):
    """Base of methods that evaluate archs at several rungs. Trials are numbered as they start;
    ``tell`` maps a result back to its trial (first pending of that arch at that fidelity),
    then calls ``_result(trial, rung, value)``.

    The incumbent is the best arch at the highest rung that has any result: a 1-epoch accuracy
    says little about the 98-epoch one, so lower rungs are compared only while nothing higher
    has finished."""

    uses_fidelities = True

    def __init__(self, space, rng, config=None, budget=None, fidelities=None):
        super().__init__(space, rng, config, budget)
        if fidelities is None:
            raise ValueError(f"{self.name} needs the run's fidelities (harness.search passes "
                             "them to optimizers with uses_fidelities)")
        self.rungs = rung_fidelities(list(fidelities), self.config.eta)
        self._rung_of = {f: i for i, f in enumerate(self.rungs)}
        self.trial_archs: list[np.ndarray] = []
        self._pending: dict[tuple, deque[int]] = {}
        self._started: set[tuple[int, ...]] = set()
        self._best: dict[int, tuple[float, int]] = {}  # rung -> (value, trial)
        self.evaluations_per_rung = [0] * len(self.rungs)

    # --- trials -------------------------------------------------------------------------
    def _new_arch(self) -> np.ndarray:
        """A random arch not started before in this run (rs's rule)."""
        arch = draw_unseen(lambda: self.space.sample(self.rng), self._started)
        self._started.add(arch_key(arch))
        return arch

    def _new_trial(self, arch: np.ndarray) -> int:
        self.trial_archs.append(np.asarray(arch))
        return len(self.trial_archs) - 1

    def _start(self, trial: int, rung: int) -> tuple[np.ndarray, str]:
        arch = self.trial_archs[trial]
        self._pending.setdefault((arch_key(arch), rung), deque()).append(trial)
        return arch, self.rungs[rung]

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        rung = self._rung_of.get(observation.fidelity)
        waiting = self._pending.get((arch_key(arch), rung))
        if rung is None or not waiting:
            raise ValueError(f"{self.name} was told a result it did not ask for: "
                             f"{arch_key(arch)} at {observation.fidelity}")
        trial = waiting.popleft()
        self.evaluations_per_rung[rung] += 1
        best = self._best.get(rung)
        if best is None or observation.value > best[0]:
            self._best[rung] = (observation.value, trial)
        self._result(trial, rung, observation.value)

    def _result(self, trial: int, rung: int, value: float) -> None:
        """A trial's result at a rung arrived."""

    def recommend(self) -> np.ndarray:
        if not self._best:
            raise RuntimeError(f"{self.name} has no observation to recommend from")
        return self.trial_archs[self._best[max(self._best)][1]]

    def diagnostics(self) -> dict:
        return {"rungs": list(self.rungs), "evaluations_per_rung": self.evaluations_per_rung}
