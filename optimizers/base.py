"""The ask/tell protocol every search algorithm follows (in the style of Optuna and nevergrad).

The harness owns the loop: ``arch = opt.ask()``, ``obs = oracle.evaluate(arch)``,
``opt.tell(arch, obs)``, and asks ``opt.recommend()`` for the incumbent. An optimizer gets the
search space and one ``np.random.Generator``; all its randomness comes from that generator, so a
(benchmark, optimizer, seed, budget) tuple gives the same trajectory in any process.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from harness.objectives import Problem
from harness.oracle import Budget, Observation

MAX_RESAMPLES = 100  # redraws of an already evaluated arch before the last draw is taken anyway


def arch_key(arch: np.ndarray) -> tuple[int, ...]:
    """A hashable key for seen-sets; works for any space whose archs are int vectors (a
    mixed-radix code would overflow int64 on the 32 dimensions of the DARTS space)."""
    return tuple(np.asarray(arch).ravel().tolist())


def draw_unseen(draw: Callable[[], np.ndarray], seen: Container[tuple[int, ...]]) -> np.ndarray:
    """``draw()``, redrawn up to ``MAX_RESAMPLES`` times while its key is in ``seen``: a
    duplicate costs budget and brings no information (a small space may have no unseen arch
    left, hence the bound)."""
    arch = draw()
    for _ in range(MAX_RESAMPLES):
        if arch_key(arch) not in seen:
            break
        arch = draw()
    return arch


@dataclass(frozen=True)
class OptimizerConfig:
    """Hyperparameters of an optimizer; subclasses cite the source of each default."""


class Optimizer(ABC):
    """Base class: keeps the history of (arch, observation) and the best one seen."""

    name: ClassVar[str]
    Config: ClassVar[type[OptimizerConfig]] = OptimizerConfig
    # False where ``recommend`` is not the best observed arch (XNAS: its discretized mixture);
    # the harness then records the best sampled arch as a second incumbent beside it.
    recommends_best_observed: ClassVar[bool] = True

    def __init__(
        self,
        space: Any,
        rng: np.random.Generator,
        config: OptimizerConfig | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.space = space
        self.rng = rng
        self.config = config if config is not None else self.Config()
        # The run's budget: known in advance, as to a real NAS method (XNAS needs its horizon).
        self.budget = budget
        self.history_archs: list[np.ndarray] = []
        self.history_values: list[float] = []
        self._best_index: int | None = None
        self._best_key: tuple[bool, float] | None = None
        # What the run optimizes, and free lookups of costs known without training (set by
        # the harness through ``bind``; a plain single-objective run leaves them None).
        self.problem: Problem | None = None
        self.measure: Callable[[np.ndarray, str], np.ndarray | float] | None = None

    def bind(self, problem: Problem, measure: Callable[[np.ndarray, str], Any]) -> None:
        """Tell the optimizer the run's objectives and constraints, and give it the oracle's
        free ``measure`` (costs known without training: no budget)."""
        self.problem = problem
        self.measure = measure

    @abstractmethod
    def ask(self) -> np.ndarray:
        """The next arch to evaluate."""

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        """Record an evaluation. Subclasses extend this to update their state."""
        self.history_archs.append(np.asarray(arch))
        self.history_values.append(observation.value)
        # A feasible arch beats any infeasible one (constrained runs; all feasible otherwise).
        key = (bool(getattr(observation, "feasible", True)), observation.value)
        if self._best_key is None or key > self._best_key:
            self._best_index, self._best_key = len(self.history_values) - 1, key

    def diagnostics(self) -> dict | None:
        """Optimizer-specific state worth saving with the run (JSON-serializable), or None."""
        return None

    def recommend(self) -> np.ndarray:
        """The incumbent: by default the best observed arch (the best feasible one, when the
        run has constraints and one was seen)."""
        if self._best_index is None:
            raise RuntimeError(f"{self.name} has no observation to recommend from")
        return self.history_archs[self._best_index]
