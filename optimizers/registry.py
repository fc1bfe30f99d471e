"""Optimizers by name."""

from __future__ import annotations

from optimizers.bananas import Bananas
from optimizers.base import Optimizer
from optimizers.local_search import LocalSearch
from optimizers.random_search import RandomSearch
from optimizers.regularized_evolution import RegularizedEvolution
from optimizers.reinforce import Reinforce
from optimizers.xnas import XNAS

OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls
    for cls in (RandomSearch, RegularizedEvolution, LocalSearch, Bananas, XNAS, Reinforce)
}


def names() -> list[str]:
    return list(OPTIMIZERS)


def get(name: str) -> type[Optimizer]:
    cls = OPTIMIZERS.get(name)
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; accepted: {', '.join(names())}")
    return cls
