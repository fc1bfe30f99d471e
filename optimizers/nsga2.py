"""NSGA-II (Deb, Pratap, Agarwal & Meyarivan, IEEE TEVC 2002) as pymoo runs it, behind ask/tell.

This is pymoo's ``NSGA2`` (``pymoo.algorithms.moo.nsga2``, pymoo 0.6.2) re-expressed as an
ask/tell loop over numpy arrays, draw for draw: ``tests/test_nsga2_pymoo.py`` runs pymoo's own
``NSGA2`` through its ask/tell interface with the same operators and seeds and checks that both
evaluate the same archs in the same order. Why not pymoo's algorithm object itself: its
``Population`` of ``Individual`` objects, operator dispatch and pairwise-distance duplicate
check cost about half of ``re``'s whole run per 150-query run (``nsga2`` takes 0.53-0.68 of
the time of pymoo's object; ``benchmarks/perf_multiobjective.py`` prints the figures), and a
multi-objective run is to cost no more than the single-objective one of its family.

What pymoo's ``NSGA2`` does, and so this:

- **Initial population**: ``pop_size`` sampled archs, duplicates removed (pymoo's
  ``Initialization`` with ``DefaultDuplicateElimination``), evaluated, then ranked and crowded
  (``RankAndCrowding`` with every member surviving).
- **Mating** (pymoo's ``Mating`` inside ``InfillCriterion.do``, at most 100 rounds until
  ``pop_size`` offspring): binary tournaments (``TournamentSelection`` with
  ``binary_tournament``: each pair from concatenated random permutations of the population;
  the dominating one wins, otherwise the larger crowding distance, otherwise a coin), crossover
  of each pair with probability ``crossover_prob`` (else the parents are copied), mutation of
  every child, then children equal to an earlier child, a population member or an offspring
  already made are dropped.
- **Survival** (``RankAndCrowding``): parents and offspring are sorted into fronts
  (``moocore.pareto_rank``, as pymoo's ``NonDominatedSorting``); whole fronts survive while they
  fit, the front that does not is cut by crowding distance (pymoo's ``calc_crowding_distance``)
  in a randomized descending order.
- **Constraints** (pymoo's constraint violation ``CV``: the sum over constraints of how far a
  free metric lies past its bound): survival ranks the feasible members only and fills up with
  the infeasible ones by increasing violation; a tournament with an infeasible member goes to
  the smaller violation (a coin on equal ones). The harness redraws infeasible archs before
  spending a query on them, so an infeasible arch is evaluated only when 100 redraws found no
  feasible one (the last is taken anyway); this decides what happens to it then.

Every random choice pymoo makes (permutations, coins, tie breaks) is drawn from a generator
seeded from the run's, in pymoo's order; the variation operators draw from the run's generator.

The variation operators are the space's, so every child is a valid arch of any space:
sampling is ``space.sample``, mutation one ``space.mutate`` step per child (the single-site
mutation of ``re``), crossover uniform over positions with a child that the space refuses
(e.g. two pairs of a DARTS node on one input) replaced by its parent. They work on whole
batches. Infeasible archs (a free check) are redrawn, up to 100 times. If a generation cannot
produce a single new child (a tiny space, all of it already in the population), the run stops
asking, as pymoo's algorithm terminates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.oracle import Observation
from optimizers.base import MAX_RESAMPLES, OptimizerConfig, arch_key
from optimizers.multiobjective import MultiObjectiveOptimizer, pareto_ranks

MAX_MATING_ROUNDS = 100  # pymoo's InfillCriterion.n_max_iterations


@dataclass(frozen=True)
class NSGA2Config(OptimizerConfig):
    """``pop_size: 20`` is ours (pymoo's default is 100): 150 queries then give 7 generations
    rather than 1.5. ``crossover_prob: 0.9``: pymoo's default for its crossovers (SBX)."""

    pop_size: int = 20
    crossover_prob: float = 0.9

    def __post_init__(self) -> None:
        if not isinstance(self.pop_size, int) or self.pop_size < 2:
            raise ValueError(f"NSGA-II pop_size must be an int >= 2, got {self.pop_size!r}")
        if not 0.0 <= self.crossover_prob <= 1.0:
            raise ValueError(f"NSGA-II crossover_prob must be in [0, 1], got "
                             f"{self.crossover_prob!r}")


def _crowding_function():
    try:
        from pymoo.operators.survival.rank_and_crowding.metrics import calc_crowding_distance
    except ImportError as error:  # pragma: no cover - the CLI checks this first
        raise ImportError("nsga2 needs pymoo: pip install -e '.[mo]'") from error
    return calc_crowding_distance


def crowding(points: np.ndarray) -> np.ndarray:
    """pymoo's ``cd`` crowding of one front (``FunctionalDiversity`` without duplicate
    filtering): infinite for fronts of one or two points, else ``calc_crowding_distance``."""
    if len(points) <= 2:
        return np.full(len(points), np.inf)
    return _crowding_function()(np.asarray(points, dtype=np.double))


def dominance(a: tuple[float, ...], b: tuple[float, ...]) -> int:
    """1 when ``a`` dominates ``b`` (minimized), -1 when ``b`` dominates ``a``, else 0
    (pymoo's ``Dominator.get_relation``)."""
    relation = 0
    for x, y in zip(a, b, strict=True):
        if x < y:
            if relation == -1:
                return 0
            relation = 1
        elif y < x:
            if relation == 1:
                return 0
            relation = -1
    return relation


def rank_and_crowding(points: np.ndarray, n_survive: int, rng: np.random.Generator,
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pymoo's ``RankAndCrowding`` survival of ``points`` (minimized, (n, k)): the indices of
    the survivors in pymoo's order, and their ranks and crowding distances."""
    n_survive = min(n_survive, len(points))
    ranks = pareto_ranks(points)
    survivors: list[np.ndarray] = []
    rank_of: list[np.ndarray] = []
    crowding_of: list[np.ndarray] = []
    kept = 0
    for rank in range(int(ranks.max()) + 1 if len(points) else 0):
        front = np.flatnonzero(ranks == rank)
        distance = crowding(points[front])
        chosen = np.arange(len(front))
        if kept + len(front) > n_survive:  # the front that does not fit: cut by crowding
            n_remove = kept + len(front) - n_survive
            permutation = rng.permutation(len(front))  # pymoo's randomized_argsort
            order = permutation[np.argsort(distance[permutation], kind="quicksort")][::-1]
            chosen = order[:-n_remove]
        survivors.append(front[chosen])
        rank_of.append(np.full(len(chosen), rank))
        crowding_of.append(distance[chosen])
        kept += len(chosen)
        if kept >= n_survive:
            break
    return (np.concatenate(survivors), np.concatenate(rank_of).astype(np.int64),
            np.concatenate(crowding_of))


def survival(points: np.ndarray, violations: np.ndarray, n_survive: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """pymoo's ``Survival.do`` around ``RankAndCrowding`` (``filter_infeasible``): the feasible
    members (violation 0) by rank and crowding, then, if they are too few, the infeasible ones by
    increasing constraint violation. The survivors' indices and crowding distances (NaN for an
    infeasible survivor, which pymoo leaves unranked: its tournaments go by violation)."""
    n_survive = min(n_survive, len(points))
    feasible = np.flatnonzero(violations <= 0.0)
    infeasible = np.flatnonzero(violations > 0.0)
    infeasible = infeasible[np.argsort(violations[infeasible])]
    survivors, distances = np.zeros(0, dtype=np.int64), np.zeros(0)
    if len(feasible):
        kept, _, distances = rank_and_crowding(points[feasible], n_survive, rng)
        survivors = feasible[kept]
    n_remaining = n_survive - len(survivors)
    if n_remaining > 0:
        survivors = np.concatenate([survivors, infeasible[:n_remaining]])
        distances = np.concatenate([distances, np.full(min(n_remaining, len(infeasible)),
                                                       np.nan)])
    return survivors, distances


def binary_tournaments(points: list[tuple[float, ...]], crowding_distances: list[float],
                       violations: list[float], n_matings: int,
                       rng: np.random.Generator) -> np.ndarray:
    """pymoo's ``TournamentSelection(binary_tournament)`` for ``n_matings`` pairs of parents:
    when either is infeasible the smaller constraint violation wins (a coin on equal ones),
    else NSGA-II's ``comp_by_dom_and_crowding``. Returns (n_matings, 2)."""
    n = len(points)
    n_random = n_matings * 2 * 2
    draws = np.concatenate([rng.permutation(n) for _ in range(math.ceil(n_random / n))])
    pairs = draws[:n_random].reshape(n_matings * 2, 2).tolist()
    winners = []
    for a, b in pairs:
        if violations[a] > 0.0 or violations[b] > 0.0:
            if violations[a] < violations[b]:
                winners.append(a)
            elif violations[a] > violations[b]:
                winners.append(b)
            else:
                winners.append(int(rng.choice([a, b])))
            continue
        relation = dominance(points[a], points[b])
        if relation == 1:
            winners.append(a)
        elif relation == -1:
            winners.append(b)
        elif crowding_distances[a] > crowding_distances[b]:
            winners.append(a)
        elif crowding_distances[a] < crowding_distances[b]:
            winners.append(b)
        else:
            winners.append(int(rng.choice([a, b])))
    return np.array(winners, dtype=np.int64).reshape(n_matings, 2)


def unique_new_rows(children: np.ndarray, *others: np.ndarray) -> np.ndarray:
    """``children`` less those equal to an earlier child or to a row of ``others`` (pymoo's
    ``DefaultDuplicateElimination``: exact equality on integer vectors)."""
    seen = {tuple(row) for other in others for row in other.tolist()}
    keep = []
    for i, row in enumerate(map(tuple, children.tolist())):
        if row not in seen:
            seen.add(row)
            keep.append(i)
    return children[keep]


class NSGA2(MultiObjectiveOptimizer):
    name = "nsga2"
    Config = NSGA2Config

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        self._selection_rng: np.random.Generator | None = None  # pymoo's random_state
        self._population: np.ndarray | None = None  # (n, d), survival's order
        self._points: np.ndarray | None = None  # their minimized objective vectors
        self._crowding: np.ndarray | None = None
        self._violations: np.ndarray | None = None  # their constraint violations (0: feasible)
        self._offspring: np.ndarray | None = None  # the generation being evaluated
        self._told: list[tuple[float, ...]] = []  # objective vectors of the offspring told
        self._told_violations: list[float] = []
        self._stopped = False

    # --- variation operators (batches; pymoo calls them on whole populations too) -----------
    def sample_batch(self, n: int) -> np.ndarray:
        archs = np.array(np.atleast_2d(self.space.sample(self.rng, n)), dtype=np.int64)
        return self._redraw_infeasible(archs, lambda _: self.space.sample(self.rng))

    def mutate_batch(self, archs: np.ndarray) -> np.ndarray:
        children = np.array(np.atleast_2d(self.space.mutate(archs, self.rng)), dtype=np.int64)
        return self._redraw_infeasible(children, lambda i: self.space.mutate(archs[i], self.rng))

    def crossover_batch(self, parents: np.ndarray) -> np.ndarray:
        """Uniform crossover of each mating (``parents``: (2, n_matings, d)): a child takes each
        position from either parent with probability 1/2, its sibling the other one."""
        first, second = parents[0], parents[1]
        mask = self.rng.random(first.shape) < 0.5
        return np.stack([self._valid_or(np.where(mask, first, second), first),
                         self._valid_or(np.where(mask, second, first), second)])

    def _valid_or(self, children: np.ndarray, parents: np.ndarray) -> np.ndarray:
        """Each child in the space's canonical form, or its parent where the space refuses it."""
        canonical = getattr(self.space, "canonical", None)
        try:
            children = canonical(children) if canonical is not None else children
            valid = np.asarray(self.space.is_valid(children), dtype=bool)
        except ValueError:  # a space whose canonical form checks validity: child by child
            rows, valid = [], []
            for child in children:
                try:
                    child = canonical(child) if canonical is not None else child
                    self.space.validate(child)
                    valid.append(True)
                except ValueError:
                    valid.append(False)
                rows.append(child)
            children, valid = np.stack(rows), np.array(valid)
        return np.where(valid[:, None], children, parents)

    def _redraw_infeasible(self, archs: np.ndarray,
                           redraw: Callable[[int], np.ndarray]) -> np.ndarray:
        """Each infeasible row of ``archs`` redrawn (``redraw(row)``) up to ``MAX_RESAMPLES``
        times while it is infeasible; the last draw is taken anyway."""
        if not self._require_problem().constraints:
            return archs
        for i in np.flatnonzero(~self.feasible(archs)):
            for _ in range(MAX_RESAMPLES):
                archs[i] = redraw(i)
                if self.feasible(archs[i])[0]:
                    break
        return archs

    # --- pymoo's NSGA2 generation ------------------------------------------------------------
    def _mate(self) -> np.ndarray:
        """pymoo's ``Mating`` until ``pop_size`` unique new offspring (or 100 rounds)."""
        n_offsprings, width = self.config.pop_size, self._population.shape[1]
        points = [tuple(p) for p in self._points.tolist()]
        distances = self._crowding.tolist()
        violations = self._violations.tolist()
        offspring = np.empty((0, width), dtype=np.int64)
        for _ in range(MAX_MATING_ROUNDS):
            n_remaining = n_offsprings - len(offspring)
            n_matings = math.ceil(n_remaining / 2)
            pairs = binary_tournaments(points, distances, violations, n_matings,
                                       self._selection_rng)
            parents = np.stack([self._population[pairs[:, 0]], self._population[pairs[:, 1]]])
            # Crossover.do: a coin per mating; the operator sees every mating when any crosses
            cross = self._selection_rng.random(n_matings) < self.config.crossover_prob
            children = parents.copy()
            if cross.any():
                children[:, cross] = self.crossover_batch(parents)[:, cross]
            children = children.reshape(-1, width)
            children = self.mutate_batch(children)
            self._selection_rng.random(len(children))  # Mutation.do's coins (prob 1: all)
            children = unique_new_rows(children, self._population, offspring)[:n_remaining]
            offspring = np.concatenate([offspring, children])
            if len(offspring) >= n_offsprings:
                break
        return offspring

    def _survive(self, points: np.ndarray, violations: np.ndarray, archs: np.ndarray,
                 n_survive: int) -> None:
        survivors, distances = survival(points, violations, n_survive, self._selection_rng)
        self._population, self._points = archs[survivors], points[survivors]
        self._violations, self._crowding = violations[survivors], distances

    def violation(self, observation: Observation) -> float:
        """pymoo's constraint violation of a told arch: the sum over the run's constraints of
        how far its free metric lies past the bound (0 when feasible)."""
        return float(sum(c.violation(observation.free[c.metric])
                         for c in self._require_problem().constraints))

    # --- ask / tell ----------------------------------------------------------------------------
    def ask(self) -> np.ndarray | None:
        if self._selection_rng is None:  # pymoo's seed is drawn before the first sampling
            self._require_problem()
            self._selection_rng = np.random.default_rng(int(self.rng.integers(2**31 - 1)))
        if self._stopped:
            return None
        if self._offspring is None:
            if self._population is None:
                self._offspring = unique_new_rows(self.sample_batch(self.config.pop_size))
            else:
                self._offspring = self._mate()
                if len(self._offspring) == 0:  # pymoo: force_termination
                    self._stopped = True
                    self._offspring = None
                    return None
            self._told, self._told_violations = [], []
        return self._offspring[len(self._told)].copy()

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        offspring = self._offspring
        if offspring is None or arch_key(offspring[len(self._told)]) != arch_key(arch):
            return  # not the member asked for: kept in the history, not in the generation
        self._told.append(self.history_points[-1])
        self._told_violations.append(self.violation(observation))
        if len(self._told) < len(offspring):
            return
        points = np.array(self._told, dtype=np.float64)
        violations = np.array(self._told_violations, dtype=np.float64)
        if self._population is None:  # the initial population: ranked, every member kept
            self._survive(points, violations, offspring, len(offspring))
        else:
            self._survive(np.concatenate([self._points, points]),
                          np.concatenate([self._violations, violations]),
                          np.concatenate([self._population, offspring]), self.config.pop_size)
        self._offspring = None
