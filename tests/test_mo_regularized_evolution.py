"""``mo-re`` keeps its population's first front up to date instead of sorting the population on
every ask; its decisions must be those of the plain computation (``tests/mo_re_reference.py``),
and the pieces it is built from must agree with moocore and with brute force."""

from __future__ import annotations

import random

import moocore
import numpy as np
import pytest

from harness import search
from harness.objectives import Objective, Problem
from harness.oracle import Budget, Observation
from optimizers.mo_regularized_evolution import MOREConfig, MORegularizedEvolution
from optimizers.multiobjective import (
    crowding_by_member,
    crowding_distance,
    first_front,
    place_among,
)
from tests.mo_re_reference import DECIDED
from tests.mo_re_reference import crowding_distance as reference_crowding

REFERENCE = "tests.mo_re_reference:ReferenceMORE"
LATENCY = ("valid_acc:max", "latency:min")


# each way a tournament is decided is taken somewhere: the fallback (no drawn member on the
# first front) and crowding (a tie on the first front won by a finite distance) with two
# objectives; three put most of the population on the first front, with six extremes, and a
# tournament of 25 from 12 always draws an extreme
@pytest.mark.parametrize("bench, objectives, constraints, config, seed, paths", [
    ("nb201-cifar10", LATENCY, (), (), 0, {"fallback", "crowding"}),
    ("nb201-cifar10", LATENCY, (), (("population_size", 5), ("sample_size", 3)), 1,
     {"crowding"}),
    ("nb201-cifar100", ("valid_acc:max", "latency:min", "params:min"), (), (), 2, set()),
    ("nb201-imagenet16-120", ("valid_acc:max", "flops:min"), ("latency<=0.012",),
     (("population_size", 12), ("sample_size", 25)), 3, set()),
    ("nb301-cifar10", ("valid_acc:max", "params:min"), (), (), 4, {"fallback", "crowding"}),
])
def test_mo_re_evaluates_what_sorting_the_population_every_ask_evaluates(
        bench, objectives, constraints, config, seed, paths, monkeypatch):
    fallbacks = []
    original = MORegularizedEvolution._best_ranked
    monkeypatch.setattr(MORegularizedEvolution, "_best_ranked",
                        lambda self, picks: fallbacks.append(picks) or original(self, picks))
    DECIDED.clear()
    tables = [search.run(search.Job(bench, "mo-re", seed=seed, budget=Budget(queries=150),
                                    objectives=objectives, constraints=constraints,
                                    config=config, optimizer_path=path))[0]
              for path in (None, REFERENCE)]
    ours, plain = (table.column("arch").to_pylist() for table in tables)
    assert len(ours) == 150 and ours == plain
    assert tables[0].column("hypervolume").to_pylist() == tables[1].column(
        "hypervolume").to_pylist()
    assert len(fallbacks) == DECIDED["fallback"]
    assert {path for path, calls in DECIDED.items() if calls} >= paths


def _random_points(rng: random.Random, n: int, k: int) -> list[tuple[float, ...]]:
    """Few distinct values: ties in every objective and equal points."""
    return [tuple(float(rng.randint(0, 5)) for _ in range(k)) for _ in range(n)]


@pytest.mark.parametrize("k", [2, 3])
def test_first_front_is_moocores_first_rank(k):
    rng = random.Random(k)
    for _ in range(300):
        points = _random_points(rng, rng.randint(1, 30), k)
        ranks = moocore.pareto_rank(np.array(points))
        assert first_front(points) == np.flatnonzero(ranks == 0).tolist(), points


@pytest.mark.parametrize("k", [2, 3])
def test_place_among_is_brute_force_dominance(k):
    rng = random.Random(10 + k)

    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b, strict=True)) and a != b

    for _ in range(500):
        pool = _random_points(rng, 12, k)
        others = [pool[i] for i in first_front(pool)]  # a non-dominated set, duplicates too
        new = _random_points(rng, 1, k)[0]
        expected = None if any(dominates(o, new) for o in others) else (
            [i for i, o in enumerate(others) if dominates(new, o)],
            [i for i, o in enumerate(others) if o == new])
        assert place_among(new, others) == expected, (new, others)


@pytest.mark.parametrize("k", [2, 3])
def test_crowding_distance_is_the_numpy_reference(k):
    rng = random.Random(20 + k)
    for _ in range(300):
        rows = _random_points(rng, rng.randint(1, 12), k)  # ties and equal points
        assert crowding_distance(rows) == reference_crowding(np.array(rows)).tolist(), rows


@pytest.mark.parametrize("k", [2, 3])
def test_crowding_by_member_is_the_reference_over_a_front_in_key_order(k):
    """Fronts with and without equal points, of continuous values (the two-objective shortcut)
    and of few distinct ones; keys in ascending order, as mo-re's serials and positions."""
    rng = random.Random(30 + k)
    shortcut = 0
    for trial in range(600):
        pool = (_random_points(rng, 25, k) if trial % 2 else
                [tuple(rng.random() for _ in range(k)) for _ in range(25)])
        if trial % 3 == 0:  # an equal point or two on the front
            pool += [pool[i] for i in first_front(pool)[:rng.randint(1, 2)]]
        members = first_front(pool)
        keys = sorted(rng.sample(range(1000), len(members)))
        front = {key: pool[i] for key, i in zip(keys, members, strict=True)}
        expected = reference_crowding(np.array([pool[i] for i in members])).tolist()
        assert crowding_by_member(front) == dict(zip(keys, expected, strict=True)), front
        shortcut += k == 2 and len(set(front.values())) == len(front) > 2
    assert k == 3 or shortcut > 100  # the one-sort path was exercised



def _reference_winner(points: list[tuple[float, ...]], picks: list[int]) -> int:
    """ReferenceMORE's rule on a given draw: the best rank drawn, then the first of the
    largest crowding distance within that rank (NaN compares false, so it stays if first)."""
    ranks = moocore.pareto_rank(np.array(points))
    best = min(ranks[p] for p in picks)
    members = np.flatnonzero(ranks == best).tolist()
    with np.errstate(invalid="ignore"):
        crowding = dict(zip(members, reference_crowding(np.array(points)[members]), strict=True))
    tied = [p for p in picks if ranks[p] == best]
    winner = tied[0]
    for pick in tied[1:]:
        if crowding[pick] > crowding[winner]:
            winner = pick
    return winner


@pytest.mark.parametrize("points, picks, winner", [
    # an infinite objective makes a front member's crowding NaN (inf / inf), and NaN is not
    # above NOT_ON_FRONT: the dominated pick 0 must not win over the front member 2
    ([(2.0, 2.0), (0.0, 2.0), (1.0, 1.0), (np.inf, 0.0)], [0, 2], 2),
    # nor may a later finite distance (member 2's) overtake the NaN (member 3's) drawn first
    ([(3.0, 3.0), (0.0, 3.0), (1.0, 2.0), (2.0, 1.0), (np.inf, 0.0)], [0, 3, 2], 3),
])
def test_an_infinite_objective_decides_as_the_reference(points, picks, winner):
    problem = Problem((Objective("valid_acc", True, False), Objective("latency", False, True)))

    class Told(MORegularizedEvolution):
        def point(self, arch, observation):
            return points[int(arch[0])]

    ours = Told(None, np.random.default_rng(0), MOREConfig(len(points), len(picks)))
    ours.bind(problem, None)
    for i, point in enumerate(points):
        ours.tell(np.array([i]), Observation(value=-point[0], metric="valid_acc",
                                             fidelity="hp200", cost=0.0, noisy=False))
    assert _reference_winner(points, picks) == winner
    assert ours._tournament(picks) == winner
