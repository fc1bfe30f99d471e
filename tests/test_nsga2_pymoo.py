"""``nsga2`` is pymoo's NSGA2, draw for draw: the same archs in the same order as pymoo's own
algorithm object run through ask/tell (``tests/nsga2_pymoo_reference.py``), and its survival and
tournaments equal pymoo's operators on the same populations and generators."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from harness import search
from harness.oracle import Budget
from optimizers.nsga2 import binary_tournaments, rank_and_crowding, survival, unique_new_rows

REFERENCE = "tests.nsga2_pymoo_reference:PymooNSGA2"
LATENCY = ("valid_acc:max", "latency:min")


@pytest.mark.parametrize("bench, objectives, constraints, seed", [
    ("nb201-cifar10", LATENCY, (), 0),
    ("nb201-cifar100", LATENCY, ("latency<=0.02",), 3),
    # so tight (under 1 % of the archs feasible) that many of the last of 100 redraws are
    # infeasible: pymoo's constraint handling decides tournaments and survival
    ("nb201-cifar10", LATENCY, ("latency<=0.009", "params<=1.0"), 5),
    ("nb301-cifar10", ("valid_acc:max", "params:min"), (), 1),
])
def test_nsga2_evaluates_what_pymoos_nsga2_evaluates(bench, objectives, constraints, seed):
    runs = [search.run(search.Job(bench, "nsga2", seed=seed, budget=Budget(queries=120),
                                  objectives=objectives, constraints=constraints,
                                  optimizer_path=path))[0]
            for path in (None, REFERENCE)]
    ours, pymoos = (table.column("arch").to_pylist() for table in runs)
    assert len(ours) == 120 and ours == pymoos
    assert len(set(ours)) > 80  # a real search: pymoo's duplicate elimination at work
    if "latency<=0.009" in constraints:  # pymoo's constraint handling was exercised
        assert runs[0].column("feasible").to_pylist().count(False) > 10


def _pymoo_population(points, **attributes):
    from pymoo.core.population import Population

    population = Population.new("F", points)
    for name, values in attributes.items():
        population.set(name, values)
    return population


@pytest.mark.parametrize("seed", range(5))
def test_survival_equals_pymoos_rank_and_crowding(seed):
    from pymoo.core.problem import Problem
    from pymoo.operators.survival.rank_and_crowding import RankAndCrowding

    rng = np.random.default_rng(seed)
    points = rng.integers(0, 6, size=(40, 2)).astype(float)  # ties and duplicates on purpose
    survivors, ranks, distances = rank_and_crowding(points, 20, np.random.default_rng(seed))
    population = _pymoo_population(points)
    kept = RankAndCrowding().do(Problem(n_var=1, n_obj=2), population, n_survive=20,
                                random_state=np.random.default_rng(seed))
    index = {id(individual): i for i, individual in enumerate(population)}
    assert survivors.tolist() == [index[id(individual)] for individual in kept]
    assert ranks.tolist() == kept.get("rank").tolist()
    np.testing.assert_array_equal(distances, kept.get("crowding"))


@pytest.mark.parametrize("seed, infeasible_share", [(0, 0.3), (1, 0.6), (2, 1.0)])
def test_constrained_survival_equals_pymoos(seed, infeasible_share):
    """Feasible members first by rank and crowding, then infeasible ones by violation; with
    too few feasible members (seeds 1, 2) the infeasible fill up."""
    from pymoo.core.problem import Problem
    from pymoo.operators.survival.rank_and_crowding import RankAndCrowding

    rng = np.random.default_rng(seed)
    points = rng.integers(0, 6, size=(40, 2)).astype(float)
    gaps = np.where(rng.random(40) < infeasible_share, rng.integers(1, 4, size=40), -1.0)
    survivors, _ = survival(points, np.maximum(gaps, 0.0), 20, np.random.default_rng(seed))
    population = _pymoo_population(points, G=gaps[:, None])
    kept = RankAndCrowding().do(Problem(n_var=1, n_obj=2, n_ieq_constr=1), population,
                                n_survive=20, random_state=np.random.default_rng(seed))
    index = {id(individual): i for i, individual in enumerate(population)}
    assert survivors.tolist() == [index[id(individual)] for individual in kept]


@pytest.mark.parametrize("seed", range(5))
def test_tournaments_equal_pymoos_binary_tournament(seed):
    from pymoo.algorithms.moo.nsga2 import binary_tournament
    from pymoo.core.problem import Problem
    from pymoo.operators.selection.tournament import TournamentSelection

    rng = np.random.default_rng(seed)
    points = rng.integers(0, 4, size=(20, 2)).astype(float)
    crowding = rng.choice([0.5, 1.0, np.inf], size=20)  # equal crowding: pymoo's coin
    violation = np.where(rng.random(20) < 0.3, rng.choice([0.5, 2.0], size=20), 0.0)
    ours = binary_tournaments([tuple(p) for p in points.tolist()], crowding.tolist(),
                              violation.tolist(), 10, np.random.default_rng(seed))
    population = _pymoo_population(points, rank=np.zeros(20), crowding=crowding,
                                   CV=violation[:, None])
    theirs_rng = np.random.default_rng(seed)
    selection = TournamentSelection(func_comp=binary_tournament)
    theirs = selection.do(Problem(n_var=1, n_obj=2), population, 10, n_parents=2, to_pop=False,
                          random_state=theirs_rng,
                          algorithm=SimpleNamespace(tournament_type="comp_by_dom_and_crowding",
                                                    random_state=theirs_rng))
    np.testing.assert_array_equal(ours, theirs)


def test_duplicate_elimination_equals_pymoos():
    from pymoo.core.duplicate import DefaultDuplicateElimination
    from pymoo.core.population import Population

    rng = np.random.default_rng(0)
    children, population, offspring = (rng.integers(0, 3, size=(n, 3)) for n in (30, 10, 5))
    theirs = DefaultDuplicateElimination().do(Population.new("X", children),
                                              Population.new("X", population),
                                              Population.new("X", offspring))
    np.testing.assert_array_equal(unique_new_rows(children, population, offspring),
                                  theirs.get("X"))
