"""A small optimizer: random starts, then one-edit mutations of the best arch seen so far."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizers.base import Optimizer, OptimizerConfig, arch_key, draw_unseen


@dataclass(frozen=True)
class MutationHillClimberConfig(OptimizerConfig):
    """``num_init``: random archs evaluated before mutating (this example's own choice)."""

    num_init: int = 10

    def __post_init__(self) -> None:
        if not isinstance(self.num_init, int) or self.num_init < 1:
            raise ValueError(f"num_init must be a positive int, got {self.num_init!r}")


class MutationHillClimber(Optimizer):
    """``num_init`` random archs, then a one-edit mutation of the incumbent, never an arch
    twice. All randomness comes from ``self.rng``, so a seed gives one trajectory."""

    name = "mutation-hc"
    Config = MutationHillClimberConfig

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self._seen: set[tuple[int, ...]] = set()

    def ask(self) -> np.ndarray:
        if len(self.history_values) < self.config.num_init:
            draw = lambda: self.space.sample(self.rng)  # noqa: E731
        else:
            parent = self.recommend()
            draw = lambda: self.space.mutate(parent, self.rng)  # noqa: E731
        arch = draw_unseen(draw, self._seen)
        self._seen.add(arch_key(arch))
        return arch
