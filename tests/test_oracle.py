import re

import numpy as np
import pytest

import benchmarks
from harness.objectives import Constraint, Problem, single_objective
from harness.oracle import (
    Budget,
    BudgetedMetricError,
    BudgetExhaustedError,
    Oracle,
    TestMetricRefusedError,
)


def make_oracle(budget, **kwargs):
    bench = benchmarks.load("nb201-cifar10")
    return bench, Oracle(bench, budget, rng=np.random.default_rng(0), **kwargs)


def test_test_metric_is_refused_and_not_charged():
    _, oracle = make_oracle(Budget(queries=5))
    arch = oracle.space.sample(np.random.default_rng(0))
    with pytest.raises(TestMetricRefusedError, match="'test_acc'.*accepted: valid_acc"):
        oracle.evaluate(arch, metric="test_acc")
    assert oracle.n_queries == 0 and oracle.seconds == 0 and not oracle.trajectory


def test_query_budget_cannot_be_exceeded():
    _, oracle = make_oracle(Budget(queries=3))
    rng = np.random.default_rng(1)
    for _ in range(3):
        oracle.evaluate(oracle.space.sample(rng))
    with pytest.raises(BudgetExhaustedError, match="query budget of 3"):
        oracle.evaluate(oracle.space.sample(rng))
    assert oracle.n_queries == 3 and len(oracle.trajectory) == 3 and oracle.exhausted


def test_seconds_budget_charges_the_fidelity_and_is_never_exceeded():
    bench, oracle = make_oracle(Budget(seconds=2000.0), fidelity="hp12")
    rng = np.random.default_rng(2)
    spent = 0.0
    while True:
        arch = oracle.space.sample(rng)
        cost = bench.query(arch, "train_time", "hp12")
        assert cost == pytest.approx(bench.query(arch, "train_time") * 12 / 200)
        if not oracle.can_afford(arch):
            with pytest.raises(BudgetExhaustedError):
                oracle.evaluate(arch)
            break
        obs = oracle.evaluate(arch)
        spent += cost
        assert obs.cost == cost and obs.fidelity == "hp12" and not obs.noisy
        assert obs.value == bench.query(arch, "valid_acc", "hp12")
    assert oracle.seconds == pytest.approx(spent) and oracle.seconds <= 2000.0
    assert oracle.trajectory[-1].cum_seconds == pytest.approx(spent)


def test_noise_modes():
    bench, noisy = make_oracle(Budget(queries=200))
    _, exact = make_oracle(Budget(queries=200), noise="mean")
    archs = bench.space.sample(np.random.default_rng(4), 200)
    seed_values = [noisy.evaluate(a).value for a in archs]
    means = [exact.evaluate(a).value for a in archs]
    np.testing.assert_array_equal(means, bench.query(archs, "valid_acc"))
    assert not np.array_equal(seed_values, means)
    with pytest.raises(ValueError, match="unknown noise 'loud'; accepted: seed, mean"):
        make_oracle(Budget(queries=1), noise="loud")


@pytest.mark.parametrize("kwargs, message", [
    ({}, "a budget needs queries or seconds"),
    ({"queries": 0}, "budget queries must be a positive int, got 0"),
    ({"seconds": -1.0}, "budget seconds must be a positive number, got -1.0"),
    ({"seconds": 0.0}, "budget seconds must be a positive number, got 0.0"),
])
def test_bad_budgets(kwargs, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        Budget(**kwargs)


# --- what mutation testing of harness/oracle.py asked for (docs/mutation-survivors.md) -------
def _exact(message: str) -> str:
    """A pattern that matches ``message`` and nothing longer."""
    return "^" + re.escape(message) + "$"


@pytest.fixture(scope="module")
def nb301():
    return benchmarks.load("nb301-cifar10")


def test_budget_descriptions():
    assert Budget(queries=5).describe() == "5 queries"
    assert Budget(seconds=1500.0).describe() == "1500 simulated s"
    assert Budget(queries=3, seconds=100.5).describe() == "3 queries or 100.5 simulated s"


def test_a_seconds_budget_is_refused_where_training_costs_nothing():
    bench = benchmarks.load("nbgraph-cora")  # its public record has no training time
    with pytest.raises(ValueError, match=_exact(
            "nbgraph-cora has no training times, so a budget in simulated seconds "
            "(100 simulated s) can never bind; give the budget in queries")):
        Oracle(bench, Budget(seconds=100.0), rng=np.random.default_rng(0))
    oracle = Oracle(bench, Budget(queries=2), rng=np.random.default_rng(0))  # by count: fine
    assert oracle.evaluate(oracle.space.sample(np.random.default_rng(0))).cost == 0.0


def test_refusals_name_the_metric_and_charge_nothing():
    _, oracle = make_oracle(Budget(queries=5))
    archs = oracle.space.sample(np.random.default_rng(0), 2)
    with pytest.raises(TestMetricRefusedError, match=_exact(
            "metric 'test_acc' (cifar10 ori-test (trained on train+valid)) is not available to a "
            "search; accepted: "
            "valid_acc, train_time, params, flops, latency")):
        oracle.evaluate(archs[0], metric="test_acc")
    with pytest.raises(BudgetedMetricError, match=_exact(
            "metric 'params' is known without training: measure() it at no budget rather than "
            "spend a query")):
        oracle.evaluate(archs[0], metric="params")
    with pytest.raises(ValueError, match=_exact(
            "evaluate takes one arch; every evaluation is a counted query")):
        oracle.evaluate(archs)
    assert oracle.n_queries == 0 and oracle.seconds == 0 and not oracle.trajectory
    assert not oracle.free_queries


def test_free_lookups_are_answered_from_the_table_and_counted_apart():
    bench, oracle = make_oracle(Budget(queries=1))
    archs = bench.space.sample(np.random.default_rng(5), 3)
    table = bench.query(archs, "params")  # the table itself, no oracle in between
    assert oracle.measure(archs[0], "params") == table[0]
    np.testing.assert_array_equal(oracle.measure(archs, "params"), table)
    oracle.measure(archs[1:], "latency")
    assert oracle.free_queries == {"params": 4, "latency": 2}
    assert oracle.n_queries == 0 and oracle.seconds == 0 and not oracle.trajectory
    free = "free: params, flops, latency"
    with pytest.raises(BudgetedMetricError, match=_exact(
            f"metric 'valid_acc' needs training: evaluate() it (a counted query); {free}")):
        oracle.measure(archs[0], "valid_acc")
    with pytest.raises(TestMetricRefusedError, match=_exact(
            f"metric 'test_acc' (cifar10 ori-test (trained on train+valid)) is not available to a "
            f"search; {free}")):
        oracle.measure(archs[0], "test_acc")
    assert oracle.free_queries == {"params": 4, "latency": 2}


def test_a_seconds_budget_is_spent_to_the_last_second_at_the_asked_fidelity():
    bench = benchmarks.load("nb201-cifar10")
    a, b = bench.space.sample(np.random.default_rng(6), 2)
    # NATS-Bench's hp200 training seconds; hp12 is 12 of its 200 epochs (same epoch time)
    full_a = float(bench.query(a, "train_time", "hp200"))
    short_a, short_b = (float(bench.query(x, "train_time", "hp200")) * 12 / 200 for x in (a, b))
    oracle = Oracle(bench, Budget(seconds=short_a), rng=np.random.default_rng(0))  # at hp200
    assert oracle.cost_of(a) == pytest.approx(full_a)
    assert oracle.cost_of(a, "hp12") == pytest.approx(short_a)
    cost, resumed = oracle.charge_of(a, "hp12")
    assert cost == pytest.approx(short_a) and resumed is None
    assert oracle.can_afford(a, "hp12") and not oracle.can_afford(a)
    with pytest.raises(BudgetExhaustedError, match=_exact(
            f"evaluation costs {full_a:.1f} s; {short_a:.1f} s of {short_a:g} s remain")):
        oracle.evaluate(a)
    obs = oracle.evaluate(a, "hp12")  # exactly the whole budget: allowed
    assert obs.cost == pytest.approx(short_a) and obs.fidelity == "hp12"
    assert obs.value == bench.query(a, "valid_acc", "hp12") and obs.noisy is False
    assert oracle.seconds == pytest.approx(short_a) and oracle.trajectory[0].cost == obs.cost
    assert not oracle.can_afford(b, "hp12")
    with pytest.raises(BudgetExhaustedError, match=_exact(
            f"evaluation costs {short_b:.1f} s; 0.0 s of {short_a:g} s remain")):
        oracle.evaluate(b, "hp12")
    assert oracle.n_queries == 1 and len(oracle.trajectory) == 1


def test_each_evaluation_is_recorded_as_it_was_answered():
    bench, oracle = make_oracle(Budget(queries=3))
    archs = bench.space.sample(np.random.default_rng(7), 3)
    for i, arch in enumerate(archs):
        assert oracle.can_afford(arch)
        obs = oracle.evaluate(arch, metric="valid_acc" if i < 2 else "train_time")
        # no problem given: nothing to look up and no constraint to break
        assert obs.free == {} and obs.feasible is True and obs.curve is None
        assert obs.noisy is (i < 2)  # hp200 accuracy is per seed, training time a mean
    assert not oracle.can_afford(archs[0]) and oracle.exhausted
    rows = oracle.trajectory
    assert [r.step for r in rows] == [0, 1, 2] and [r.cum_queries for r in rows] == [1, 2, 3]
    assert [r.metric for r in rows] == ["valid_acc", "valid_acc", "train_time"]
    assert [r.arch for r in rows] == [tuple(int(v) for v in a) for a in archs]
    assert obs.metric == "train_time" and obs.value == bench.query(archs[2], "train_time")
    assert rows[2].value == obs.value and all(r.feasible is True for r in rows)
    assert np.cumsum([bench.query(a, "train_time") for a in archs]) == pytest.approx(
        [r.cum_seconds for r in rows])


def test_the_free_metrics_and_feasibility_of_a_constrained_run():
    bench = benchmarks.load("nb201-cifar10")
    archs = bench.space.sample(np.random.default_rng(8), 6)
    params = bench.query(archs, "params")
    bound = float(np.median(params))
    problem = Problem(single_objective(bench).objectives, (Constraint("params", "<=", bound),))
    oracle = Oracle(bench, Budget(queries=6), rng=np.random.default_rng(0), problem=problem)
    observed = [oracle.evaluate(a) for a in archs]
    expected = [bool(p <= bound) for p in params]
    assert True in expected and False in expected
    assert [o.feasible for o in observed] == expected
    assert [r.feasible for r in oracle.trajectory] == expected
    assert [o.free for o in observed] == [{"params": float(p)} for p in params]
    assert oracle.free_queries == {"params": 6}


def test_a_continuation_is_charged_the_difference_of_the_running_maximum(nb301):
    arch = nb301.space.sample(np.random.default_rng(0))
    times = nb301.learning_curves(arch[None], "train_time")[0]  # epochs 1..98
    running = np.maximum.accumulate(times)
    assert running[2] == running[0]  # epoch 1 takes longer than epochs 2 and 3 together
    oracle = Oracle(nb301, Budget(seconds=1e6), rng=np.random.default_rng(0))
    first = oracle.evaluate(arch, "epoch1")
    assert first.cost == pytest.approx(times[0], rel=1e-6) and first.resumed_from is None
    assert oracle.charge_of(arch, "epoch3") == (pytest.approx(0.0, abs=1e-9), "epoch1")
    assert oracle.evaluate(arch, "epoch3").cost == pytest.approx(0.0, abs=1e-9)
    cost, resumed = oracle.charge_of(arch, "epoch11")
    assert cost == pytest.approx(running[10] - running[2], rel=1e-6) and resumed == "epoch3"
    third = oracle.evaluate(arch, "epoch11")
    assert third.cost == pytest.approx(cost) and third.resumed_from == "epoch3"
    # the same fidelity again, then an earlier one: new training runs, charged in full
    again = oracle.evaluate(arch, "epoch11")
    assert again.cost == pytest.approx(times[10], rel=1e-6) and again.resumed_from is None
    back = oracle.evaluate(arch, "epoch5")
    assert back.cost == pytest.approx(times[4], rel=1e-6) and back.resumed_from is None
    rows = oracle.trajectory
    assert [r.resumed_from for r in rows] == [None, "epoch1", "epoch3", None, None]
    assert [r.fidelity for r in rows] == ["epoch1", "epoch3", "epoch11", "epoch11", "epoch5"]
    assert oracle.seconds == pytest.approx(
        times[0] + running[10] - running[2] + times[10] + times[4], rel=1e-6)


def test_curves_are_the_runs_own_up_to_the_asked_epoch(nb301):
    arch = nb301.space.sample(np.random.default_rng(1))
    accuracy = nb301.learning_curves(arch[None], "valid_acc")[0]
    with_curves = Oracle(nb301, Budget(queries=3), rng=np.random.default_rng(0), curves=True)
    curve = with_curves.evaluate(arch, "epoch4").curve
    assert isinstance(curve, tuple) and curve == pytest.approx(accuracy[:4], rel=1e-6)
    assert with_curves.evaluate(arch, "epoch4", metric="train_time").curve is None
    without = Oracle(nb301, Budget(queries=1), rng=np.random.default_rng(0))
    assert without.evaluate(arch, "epoch4").curve is None
    # NB201 has no per-epoch curves in its tables: nothing to attach
    bench, nb201 = make_oracle(Budget(queries=1), curves=True)
    assert nb201.evaluate(bench.space.sample(np.random.default_rng(0))).curve is None


def test_a_benchmark_without_free_metrics_says_so():
    bench = benchmarks.load("tnb101-micro-jigsaw")  # single-objective only: no free cost
    oracle = Oracle(bench, Budget(queries=1), rng=np.random.default_rng(0))
    with pytest.raises(BudgetedMetricError, match=_exact(
            "metric 'valid_top1' needs training: evaluate() it (a counted query); free: none")):
        oracle.measure(bench.space.sample(np.random.default_rng(0)), "valid_top1")
    assert not oracle.free_queries
