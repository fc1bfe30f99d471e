import numpy as np
import pytest

import benchmarks
from harness.oracle import Budget, BudgetExhaustedError, Oracle, TestMetricRefusedError


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
    ({}, "needs queries or seconds"),
    ({"queries": 0}, "positive int"),
    ({"seconds": -1.0}, "positive number"),
])
def test_bad_budgets(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Budget(**kwargs)
