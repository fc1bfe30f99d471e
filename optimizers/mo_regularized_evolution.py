"""Multi-objective regularized evolution: Real et al.'s ageing evolution (AAAI 2019) with the
tournament decided by non-dominated sorting, as Syne Tune's ``MultiObjectiveRegularizedEvolution``
(``syne_tune/optimizer/schedulers/multiobjective/multi_objective_regularized_evolution.py``)
adapts it: population members are ranked by non-dominated sorting over the population, and of
the ``sample_size`` members drawn the best ranked is the parent.

As in ``re``: a FIFO population of ``population_size`` random archs, then each step one mutation
of the tournament winner is evaluated, appended, and the *oldest* member is removed (ageing, not
the worst). Ties in rank go to the larger crowding distance within the rank (NSGA-II's
secondary key, Deb et al. 2002), then to the first drawn.
Infeasible children (a free check) are redrawn, up to 100 times.

Where Syne Tune's code (with ``non_dominated_priority.py``) differs, ours follows the method as
described above:

- Syne Tune scores the population when a result arrives (``on_trial_complete``;
  ``on_trial_result`` in older versions), over the members and the newcomer before the oldest
  leaves (31 points); ours ranks the 30 members when it asks.
- Within a front Syne Tune orders members by an epsilon-net (Clarkson 2005) on raw Euclidean
  distances, seeded at the least first objective; ours by crowding distance. Its scores are a
  permutation, so it has no ties to break; ours breaks ties in crowding by the first drawn.
- Syne Tune's ``nondominated_sort`` returns member indices in sorted order, and
  ``on_trial_result`` stores them as scores by position (``pi.score = priorities[i]``), so a
  member's score is the index of whichever member sorts at its position rather than its own
  place in the order (``compute_epsilon_net`` mixes ranks and orders the same way). We read
  this as a slip and rank by the sort itself.
- Candidates are drawn with replacement in both, by ``RandomState.choice`` there and by
  ``Generator.integers`` here. Syne Tune's population defaults to 100; ours is ``re``'s 30.
- Syne Tune applies one sign to all metrics and has no constraints; ours orients each
  objective by its metric's direction and redraws infeasible children (the harness's
  constraints, a free check).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from harness.oracle import Observation
from optimizers.base import OptimizerConfig
from optimizers.multiobjective import (
    MultiObjectiveOptimizer,
    crowding_by_member,
    first_front,
    place_among,
)

NOT_ON_FRONT = -1.0  # a tournament key below every crowding distance (those are >= 0, or NaN)


@dataclass(frozen=True)
class MOREConfig(OptimizerConfig):
    """``population_size: 30``, ``sample_size: 10``: the single-objective ``re`` defaults
    (NAS-Bench-Suite / NASLib), so the two differ only in how a tournament is decided."""

    population_size: int = 30
    sample_size: int = 10

    def __post_init__(self) -> None:
        for name in ("population_size", "sample_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"MO-RE {name} must be a positive int, got {value!r}")


class MORegularizedEvolution(MultiObjectiveOptimizer):
    """The tournament needs the ranks of the drawn members only, and the best rank drawn is
    almost always 0 (about 95 % of the tournaments of a 150-query run on nb201-cifar10 draw a
    member of the first front, which holds about 9 of the 30). So each member has a
    tournament key, kept beside the population: its crowding distance within the population's
    first front (infinite at the front's extremes), or ``NOT_ON_FRONT``. A tournament is then
    ``re``'s ``max`` over the drawn positions (the first drawn wins a tie, as there). Only
    when no drawn member is on the front is the population ranked further.

    The first front is kept up to date on every tell: a newcomer is checked against the front
    alone; a front member ageing out marks it for a re-sort. The keys are recomputed, at the
    next ask, only when the front changed (about half the steps); otherwise a newcomer just
    gets ``NOT_ON_FRONT``. The decisions are those of sorting the population on every ask (a
    test runs both side by side)."""

    name = "mo-re"
    Config = MOREConfig

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        size = self.config.population_size
        self._population: deque[np.ndarray] = deque(maxlen=size)  # oldest first
        # the members' minimized objective vectors (plain-float tuples) and tournament keys
        self._points: deque[tuple[float, ...]] = deque(maxlen=size)
        self._keys: deque[float] = deque(maxlen=size)
        self._keys_stale = True  # the front changed: recompute the keys before the next ask
        self._nan_keys = False  # a key is NaN: ``max`` over all picks cannot decide
        self._oldest = 0  # serial number (order of telling) of the oldest member
        # the population's first front: serial number -> point, ascending (a re-sort lists
        # them in order and a newcomer has the largest serial)
        self._population_front: dict[int, tuple[float, ...]] = {}
        self._front_stale = False  # a front member aged out: re-sort before the next use

    def ask(self) -> np.ndarray:
        size = len(self._population)
        if size < self.config.population_size:
            self._require_problem()
            return self.draw_feasible(lambda: self.space.sample(self.rng))
        picks = self.rng.integers(0, size, size=self.config.sample_size).tolist()
        parent = self._population[self._tournament(picks)]
        return self.draw_feasible(lambda: self.space.mutate(parent, self.rng))

    def _tournament(self, picks: list[int]) -> int:
        """The winner among ``picks`` (positions in the population, oldest 0)."""
        if self._keys_stale:
            self._rekey()
        keys = self._keys
        winner = max(picks, key=keys.__getitem__)
        if keys[winner] == NOT_ON_FRONT or self._nan_keys:
            # NaN (an infinite objective) is not above NOT_ON_FRONT: compare front members only
            tied = [pick for pick in picks if keys[pick] != NOT_ON_FRONT]
            winner = max(tied, key=keys.__getitem__) if tied else self._best_ranked(picks)
        return winner

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        new = self.history_points[-1]
        serial = self._oldest + len(self._population)
        if len(self._population) == self.config.population_size:  # the oldest leaves
            if self._oldest in self._population_front:  # the front is re-sorted before use
                self._front_stale = self._keys_stale = True
            self._oldest += 1
        self._population.append(np.asarray(arch).copy())
        self._points.append(new)
        if self._front_stale:
            return  # the re-sort will place the new member
        front = self._population_front
        placed = place_among(new, list(front.values()))
        if placed is None:  # dominated: the front and the other members' keys stay
            if not self._keys_stale:
                self._keys.append(NOT_ON_FRONT)  # (the oldest's key leaves with it)
            return
        if placed[0]:
            members = list(front)
            for beaten in placed[0]:
                del front[members[beaten]]
        front[serial] = new
        self._keys_stale = True

    def _rekey(self) -> None:
        """Every member's tournament key, from the (re-sorted if need be) first front."""
        oldest = self._oldest
        keys = [NOT_ON_FRONT] * len(self._points)
        distances = crowding_by_member(self._first_front())
        for serial, distance in distances.items():
            keys[serial - oldest] = distance
        self._keys = deque(keys, maxlen=self.config.population_size)
        self._keys_stale = False
        self._nan_keys = any(map(math.isnan, distances.values()))

    def _first_front(self) -> dict[int, tuple[float, ...]]:
        if self._front_stale:
            points, members = self._points, first_front(self._points)
            self._population_front = dict(zip(map(self._oldest.__add__, members),
                                              map(points.__getitem__, members), strict=True))
            self._front_stale = False
        return self._population_front

    def _best_ranked(self, picks: list[int]) -> int:
        """The winner (a position) among ``picks`` (positions) when none is on the first
        front: the population is sorted front by front below the first until a front holds a
        drawn member; a tie there goes to crowding within that front, then to the first
        drawn."""
        points, front, oldest = list(self._points), self._population_front, self._oldest
        remaining = [i for i in range(len(points)) if i + oldest not in front]
        while True:
            layer = [remaining[j] for j in first_front([points[i] for i in remaining])]
            distance = crowding_by_member({i: points[i] for i in layer})
            tied = list(filter(distance.__contains__, picks))
            if tied:
                return max(tied, key=distance.__getitem__)
            remaining = [i for i in remaining if i not in distance]
