"""Where results become conclusions: each checked against a value the test computes on its own.

Regret, the reported test accuracy, the predictor evaluation's target and the retraining
selection are recomputed here from the raw NB201 arrays (``TableStore``: official row order, the
per-seed validation table), not through ``benchmarks.load(...).query``, so a leak of the test
metric into any of them (the bugs of issue 18) fails a test. Rank statistics are checked against
hand-computed numbers and against scikit-posthocs.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest

import benchmarks
from benchmarks.store import DATA_ROOT, TableStore
from harness import run as run_cli
from harness.oracle import Budget
from harness.report import ranks
from harness.retrain.selection import top_architectures
from harness.search import Job, run
from predictors import evaluate, registry
from predictors.base import Predictor

BENCH = "nb201-cifar10"


@pytest.fixture(scope="module")
def raw():
    """The NB201 cifar10 ground truth, indexed by official row, read without the benchmark
    class: seed-mean 200-epoch validation accuracy and the 200-epoch test accuracy."""
    store = TableStore(DATA_ROOT / "nb201")
    valid = np.nanmean(store.load("cifar10.valid_acc.hp200.seeds"), axis=1)
    test = np.asarray(store.load("cifar10.test_acc.hp200"), dtype=np.float64)
    return {"valid": valid, "test": test, "space": benchmarks.load(BENCH).space}


def rows_of(space, arch_strings) -> np.ndarray:
    return np.array([space.to_index(space.from_string(s)) for s in arch_strings])


# --- regret and the reported test accuracy ---------------------------------------------------
@pytest.mark.parametrize("optimizer,seed", [("rs", 0), ("re", 1), ("ls", 2)])
def test_regret_and_test_accuracy_recomputed_from_the_table(raw, optimizer, seed):
    table, manifest = run(Job(BENCH, optimizer, seed, Budget(queries=40)))
    rows = rows_of(raw["space"], table["incumbent"].to_pylist())
    valid_optimum = raw["valid"].max()
    assert valid_optimum != pytest.approx(raw["test"].max(), abs=1.0)  # the two optima differ
    np.testing.assert_allclose(table["incumbent_valid"].to_numpy(), raw["valid"][rows],
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(table["incumbent_regret"].to_numpy(),
                               valid_optimum - raw["valid"][rows], rtol=0, atol=1e-9)
    np.testing.assert_allclose(table["incumbent_test"].to_numpy(), raw["test"][rows],
                               rtol=0, atol=1e-9)
    final = manifest["final"]
    assert final["incumbent_regret"] == pytest.approx(valid_optimum - raw["valid"][rows[-1]],
                                                      abs=1e-9)
    assert final["incumbent_test"] == pytest.approx(raw["test"][rows[-1]], abs=1e-9)


# --- the predictor evaluation's target --------------------------------------------------------
class _TableReader(Predictor):
    """Returns ``sign`` x the seed-mean validation accuracy, read from the raw arrays."""

    name = "table-reader"
    requires_fit = False
    sign = 1.0

    def predict(self, archs, info=None):
        store = TableStore(DATA_ROOT / "nb201")
        valid = np.nanmean(store.load("cifar10.valid_acc.hp200.seeds"), axis=1)
        return self.sign * valid[self.space.to_index(np.atleast_2d(archs))]


class _NegatedTableReader(_TableReader):
    sign = -1.0


@pytest.mark.parametrize("cls,expected", [(_TableReader, 1.0), (_NegatedTableReader, -1.0)])
def test_predictor_target_is_the_validation_accuracy(monkeypatch, cls, expected):
    real_get = registry.get
    monkeypatch.setattr(registry, "get",
                        lambda name: cls if name == cls.name else real_get(name))
    protocol = evaluate.Protocol(train_sizes=(10,), test_size=300, fidelities=())
    table, manifest = evaluate.run_job(BENCH, cls.name, 0, protocol)
    row = table.to_pylist()[0]
    assert row["n_test"] == 300
    assert row["kendall_tau"] == pytest.approx(expected, abs=1e-12)  # 1.0 up to rounding
    assert row["spearman"] == pytest.approx(expected, abs=1e-12)
    assert row["precision_at_10"] == (1.0 if expected > 0 else 0.0)
    assert manifest["benchmark"]["target"].startswith("valid_acc")


def stats_pearson(x, y) -> float:
    """Pearson's r from its definition."""
    x, y = x - x.mean(), y - y.mean()
    return float((x * y).sum() / math.sqrt((x * x).sum() * (y * y).sum()))


def test_score_keeps_the_sign_of_kendall_tau():
    truth = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert evaluate.score(truth, truth)["kendall_tau"] == pytest.approx(1.0, abs=1e-12)
    assert evaluate.score(truth, -truth)["kendall_tau"] == pytest.approx(-1.0, abs=1e-12)
    curved = evaluate.score(truth, truth**3)  # same order, not linear
    assert set(curved) == {"kendall_tau", "spearman", "pearson", "precision_at_10"}
    assert curved["spearman"] == pytest.approx(1.0)
    assert curved["pearson"] == pytest.approx(stats_pearson(truth, truth**3))
    assert curved["pearson"] < 0.99
    # one discordant pair of 10: tau = (9 - 1) / 10
    assert evaluate.score(truth, np.array([2.0, 1.0, 3.0, 4.0, 5.0]))["kendall_tau"] == \
        pytest.approx(0.8)


# --- the retraining selection -----------------------------------------------------------------
def test_retraining_selection_follows_validation_not_test(raw, tmp_path):
    out = tmp_path / "results"
    with contextlib.redirect_stdout(io.StringIO()):
        assert run_cli.main(["--optimizer", "rs", "--bench", BENCH, "--seeds", "16",
                             "--budget", "3", "--out", str(out), "--no-progress",
                             "--no-per-seed", "-j", "1"]) == 0
    chosen = top_architectures(out, BENCH, top=5)
    # independently: the distinct final incumbents, ordered by the raw validation table
    from harness.results import ResultsStore
    store = ResultsStore(out)
    finals = [store.read(k)[1]["final"]["incumbent"] for k in store.job_keys()]
    distinct = sorted(set(finals))
    rows = rows_of(raw["space"], distinct)
    by_valid = [distinct[i] for i in np.lexsort((np.arange(len(distinct)), -raw["valid"][rows]))]
    by_test = [distinct[i] for i in np.lexsort((np.arange(len(distinct)), -raw["test"][rows]))]
    assert by_valid[:5] != by_test[:5], "this store cannot tell validation from test order"
    assert [c.arch for c in chosen] == by_valid[:5]
    np.testing.assert_allclose([c.valid for c in chosen], np.sort(raw["valid"][rows])[::-1][:5],
                               atol=1e-9)
    assert sum(c.runs for c in top_architectures(out, BENCH, top=100)) == 16


# --- rank statistics --------------------------------------------------------------------------
# Demšar (JMLR 2006), Table 5(a): Nemenyi q_0.05 (the studentized range over sqrt 2).
DEMSAR_Q05 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850}


@pytest.mark.parametrize("k,n", [(3, 10), (4, 14), (5, 8)])
def test_critical_difference_equals_demsar(k, n):
    rng = np.random.default_rng(k * 100 + n)
    scores = {f"t{t}": {f"m{m}": float(rng.random()) for m in range(k)} for t in range(n)}
    test = ranks.friedman(scores)
    expected = DEMSAR_Q05[k] * math.sqrt(k * (k + 1) / (6 * n))
    assert test.critical_difference == pytest.approx(expected, abs=2e-3)


def hand_case():
    """Four methods on six tasks, lower is better; the ranks per task (1 = best):

    task:  1 2 3 4 5 6   mean
    a      1 1 1 1 2 1   7/6
    b      2 3 2 2 1 2   2
    c      3 2 4 3 3 4   19/6
    d      4 4 3 4 4 3   11/3
    """
    order = {"a": [1, 1, 1, 1, 2, 1], "b": [2, 3, 2, 2, 1, 2],
             "c": [3, 2, 4, 3, 3, 4], "d": [4, 4, 3, 4, 4, 3]}
    return {f"t{t}": {m: 10.0 * r[t] for m, r in order.items()} for t in range(6)}


def test_friedman_and_nemenyi_by_hand():
    test = ranks.friedman(hand_case())
    assert test.methods == ("a", "b", "c", "d")
    assert test.average_ranks == pytest.approx({"a": 7 / 6, "b": 2.0, "c": 19 / 6, "d": 11 / 3})
    k, n = 4, 6
    # Friedman's chi² = 12n / (k(k+1)) * (sum R_j² - k(k+1)²/4)
    sum_sq = (7 / 6) ** 2 + 2.0 ** 2 + (19 / 6) ** 2 + (11 / 3) ** 2
    assert test.statistic == pytest.approx(12 * n / (k * (k + 1)) * (sum_sq - k * (k + 1) ** 2 / 4))
    cd = 2.569 * math.sqrt(k * (k + 1) / (6 * n))  # = 1.915
    assert test.critical_difference == pytest.approx(cd, abs=1e-3)
    # decisions: only a-c (2.0) and a-d (2.5) differ by more than the CD
    differ = {(i, j) for i in test.methods for j in test.methods
              if i < j and abs(test.average_ranks[i] - test.average_ranks[j]) > cd}
    assert differ == {("a", "c"), ("a", "d")}
    pvalues = ranks.nemenyi(test)
    significant = {(i, j) for i in test.methods for j in test.methods
                   if i < j and pvalues.loc[i, j] < test.alpha}
    assert significant == differ


def test_nemenyi_decisions_agree_with_scikit_posthocs_on_the_same_matrix():
    import scikit_posthocs as sp

    rng = np.random.default_rng(7)
    k, n = 5, 12
    skill = np.linspace(0, 1.5, k)  # method m is on average worse than m - 1
    scores = {f"t{t}": {f"m{m}": float(skill[m] + rng.normal()) for m in range(k)}
              for t in range(n)}
    test = ranks.friedman(scores)
    matrix = np.array([[scores[t][m] for m in test.methods] for t in sorted(scores)])
    np.testing.assert_array_equal(test.matrix, matrix)
    reference = sp.posthoc_nemenyi_friedman(matrix).to_numpy()
    pvalues = ranks.nemenyi(test)
    np.testing.assert_allclose(pvalues.to_numpy(), reference)
    # the CD and the p-values take the same decision on every pair
    average = np.array([test.average_ranks[m] for m in test.methods])
    by_cd = np.abs(average[:, None] - average[None, :]) > test.critical_difference
    by_p = reference < test.alpha
    np.fill_diagonal(by_p, False)
    np.testing.assert_array_equal(by_cd, by_p)
    assert by_cd.any() and not by_cd.all()  # the case has both decisions


def test_a_method_missing_a_task_of_a_space_gets_no_rank_there():
    scores = {  # two spaces; c did not run on t2 of space A
        "t1": {"a": 0.1, "b": 0.2, "c": 0.3},
        "t2": {"a": 0.3, "b": 0.2},
        "u1": {"a": 0.3, "b": 0.1, "c": 0.2},
    }
    space_of = {"t1": "A", "t2": "A", "u1": "B"}
    task_ranks = ranks.ranks_per_task(scores)
    assert task_ranks == {"t1": {"a": 1, "b": 2, "c": 3}, "t2": {"b": 1, "a": 2},
                          "u1": {"b": 1, "c": 2, "a": 3}}
    by_space = ranks.average_ranks_by_space(task_ranks, space_of)
    assert by_space == {"A": {"a": 1.5, "b": 1.5}, "B": {"a": 3.0, "b": 1.0, "c": 2.0}}
    assert ranks.average_across_spaces(by_space) == {"a": 2.25, "b": 1.25}
    # with fewer than 3 complete methods, the Friedman test keeps all three on the tasks
    # where every one has a score: t2 is left out, not filled in
    test = ranks.friedman({**scores, "u2": {"a": 0.5, "b": 0.4, "c": 0.6}})
    assert test.tasks == ("t1", "u1", "u2") and test.methods == ("a", "b", "c")


def test_a_nan_score_is_left_out_of_the_task_ranking():
    task_ranks = ranks.ranks_per_task({"t": {"a": 2.0, "b": math.nan, "c": 1.0, "d": 2.0}})
    assert task_ranks == {"t": {"a": 2.5, "c": 1.0, "d": 2.5}}


def _store_with_finals(root, finals: list[tuple[str, str, float, float]]) -> None:
    """A results folder whose runs end on the given (benchmark, incumbent, valid, test)."""
    import pyarrow as pa

    from harness.results import ResultsStore
    store = ResultsStore(root)
    store.open_experiment({"grid": "hand-made"}, {})
    for seed, (bench, arch, valid, test) in enumerate(finals):
        manifest = {"job": {"benchmark": bench, "optimizer": "rs", "seed": seed},
                    "spent": {"queries": 1, "seconds": 1.0},
                    "final": {"incumbent": arch, "incumbent_valid": valid, "incumbent_test": test,
                              "incumbent_regret": None, "best_observed": valid}}
        store.write(f"{bench}/rs/seed-{seed:04d}", pa.table({"step": [1]}), manifest)


def test_selection_counts_each_arch_once_with_its_runs(tmp_path):
    _store_with_finals(tmp_path, [("b", "A", 90.0, 80.0), ("b", "B", 91.0, 70.0),
                                  ("b", "A", 90.0, 80.0), ("b", "C", 89.0, 99.0),
                                  ("b", "A", 90.0, 80.0), ("b", "D", 90.0, 60.0),
                                  ("other", "E", 99.0, 99.0)])
    chosen = top_architectures(tmp_path, "b", top=3)
    assert [(c.arch, c.valid, c.runs) for c in chosen] == [
        ("B", 91.0, 1), ("A", 90.0, 3), ("D", 90.0, 1)]  # a tie on validation: by arch string
    assert [c.arch for c in top_architectures(tmp_path, "b", top=10)] == ["B", "A", "D", "C"]


def test_selection_refuses_bad_input_with_the_exact_reason(tmp_path):
    from harness.retrain.selection import SelectionError

    missing = tmp_path / "nowhere"
    with pytest.raises(SelectionError) as error:
        top_architectures(missing, "b", top=1)
    assert str(error.value) == (f"{missing} is not a results folder of python -m harness.run "
                                "(no experiment.json; the folder does not exist)")
    tmp_path.joinpath("empty").mkdir()
    with pytest.raises(SelectionError) as error:
        top_architectures(tmp_path / "empty", "b", top=1)
    assert str(error.value) == (f"{tmp_path / 'empty'} is not a results folder of python -m "
                                "harness.run (no experiment.json)")
    _store_with_finals(tmp_path / "r", [("b", "A", 90.0, 80.0), ("c", "B", 1.0, 1.0)])
    with pytest.raises(SelectionError) as error:
        top_architectures(tmp_path / "r", "b", top=0)
    assert str(error.value) == "bad --top 0: need at least 1"
    with pytest.raises(SelectionError) as error:
        top_architectures(tmp_path / "r", "x", top=1)
    assert str(error.value) == f"{tmp_path / 'r'} holds no finished run of x; it has: b, c"
    _store_with_finals(tmp_path / "none", [])
    with pytest.raises(SelectionError) as error:
        top_architectures(tmp_path / "none", "x", top=1)
    assert str(error.value).endswith("holds no finished run of x; it has: none")


# --- mean, std and standard error over seeds --------------------------------------------------
def test_describe_drops_missing_values_and_uses_the_sample_std():
    from harness.report.tables import Stat, describe, mean_std_se

    values = [1.0, None, 2.0, math.nan, 4.0]
    std = math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2)  # ddof 1
    stat = describe(values)
    assert (stat.n, stat.known) == (3, True)
    assert (stat.mean, stat.std, stat.se) == pytest.approx((7 / 3, std, std / math.sqrt(3)))
    assert mean_std_se(values) == pytest.approx((7 / 3, std, std / math.sqrt(3)))
    assert describe([5.0]) == Stat(1, 5.0, 0.0, 0.0)
    assert describe([1.0, 3.0]) == Stat(2, 2.0, math.sqrt(2), 1.0)  # two values: a spread
    empty = describe([None, math.nan])
    assert empty.n == 0 and not empty.known
    assert all(math.isnan(v) for v in (empty.mean, empty.std, empty.se))


def test_aggregate_groups_by_benchmark_and_optimizer_in_sorted_order():
    from harness.report.tables import aggregate

    rows = [{"benchmark": "b2", "optimizer": "rs", "incumbent_regret": 1.0},
            {"benchmark": "b1", "optimizer": "re", "incumbent_regret": 2.0},
            {"benchmark": "b1", "optimizer": "re", "incumbent_regret": 4.0},
            {"benchmark": "b1", "optimizer": None, "incumbent_regret": 7.0},
            {"benchmark": "b1", "optimizer": "ls"}]
    stats = aggregate(rows, metrics=("incumbent_regret",))
    assert list(stats) == [("b1", "ls"), ("b1", "re"), ("b1", None), ("b2", "rs")]
    assert stats[("b1", "re")]["incumbent_regret"].mean == 3.0
    assert stats[("b1", "re")]["incumbent_regret"].n == 2
    assert stats[("b1", "ls")]["incumbent_regret"].n == 0
    by_bench = aggregate(rows, metrics=("incumbent_regret",), by=("benchmark",))
    assert by_bench[("b1",)]["incumbent_regret"].n == 3  # the ls row has no value
    default = aggregate(rows)
    assert set(default[("b2", "rs")]) == {"best_observed", "incumbent_valid",
                                          "incumbent_regret", "incumbent_test"}


def test_friedman_tests_the_complete_methods_and_says_why_it_cannot_run():
    from scipy import stats

    scores = hand_case()
    scores["t0"] = {m: s for m, s in scores["t0"].items() if m != "d"}  # d misses a task
    test = ranks.friedman(scores)
    # three complete methods: d is left out, every task kept
    assert test.methods == ("a", "b", "c") and test.left_out == ("d",)
    assert test.tasks == tuple(f"t{t}" for t in range(6))
    expected = stats.friedmanchisquare(*np.array(
        [[scores[t][m] for m in "abc"] for t in sorted(scores)]).T)
    assert (test.statistic, test.pvalue) == pytest.approx((expected.statistic, expected.pvalue))
    assert test.matrix.dtype == np.float64
    two_tasks = {t: scores[t] for t in ("t1", "t2")}  # the fewest tasks the test accepts
    assert ranks.friedman(two_tasks).tasks == ("t1", "t2")
    assert ranks.friedman({"t1": scores["t1"]}) == (
        "the Friedman test needs at least 2 tasks where all of at least 3 methods ran; "
        "this experiment has 1")
    assert ranks.friedman({"t1": {"a": 1.0, "b": 2.0}, "t2": {"a": 1.0, "b": 2.0}}) == (
        "the Friedman test needs at least 3 methods; this experiment has 2 (a, b)")
    assert ranks.friedman({}) == (
        "the Friedman test needs at least 3 methods; this experiment has 0 (none)")


# --- what a run records -----------------------------------------------------------------------
def test_a_run_records_what_it_saw_and_how_it_was_set_up(raw):
    import time

    job = Job(BENCH, "re", 5, Budget(queries=12), fidelity="hp12", noise="mean",
              config=(("population_size", 5),))
    start = time.perf_counter()
    table, manifest = run(job)
    elapsed = time.perf_counter() - start
    again, _ = run(job)
    assert table.equals(again)  # the job's seed, not the clock, drives the optimizer and noise
    types = {f.name: str(f.type) for f in table.schema}
    assert {k: types[k] for k in ("step", "arch", "fidelity", "value", "cost", "cum_queries",
                                  "cum_seconds", "best_observed", "incumbent", "incumbent_valid",
                                  "incumbent_regret", "incumbent_test")} == {
        "step": "int32", "arch": "string", "fidelity": "string", "value": "double",
        "cost": "double", "cum_queries": "int32", "cum_seconds": "double",
        "best_observed": "double", "incumbent": "string", "incumbent_valid": "double",
        "incumbent_regret": "double", "incumbent_test": "double"}
    # what the search saw: the 12-epoch seed mean, as configured
    bench = benchmarks.load(BENCH)
    archs = np.stack([bench.space.from_string(a) for a in table["arch"].to_pylist()])
    assert set(table["fidelity"].to_pylist()) == {"hp12"}
    np.testing.assert_array_equal(table["value"].to_numpy(),
                                  bench.query(archs, "valid_acc", "hp12"))
    assert manifest["job"] == {"benchmark": BENCH, "optimizer": "re", "seed": 5,
                               "budget": {"queries": 12, "seconds": None}, "fidelity": "hp12",
                               "noise": "mean", "config": {"population_size": 5}}
    oracle = manifest["oracle"]
    assert (oracle["fidelity"], oracle["noise"], oracle["objective"], oracle["served"]) == (
        "hp12", "mean", "valid_acc", "mean")
    assert manifest["data"] == {"benchmark_kind": "tabular", "checksum": bench.checksum}
    assert manifest["optimizer_config"]["population_size"] == 5
    assert {"numpy", "pyarrow"} <= set(manifest["versions"])
    assert "diagnostics" in manifest and "plugin" not in manifest  # a built-in optimizer
    assert manifest["spent"]["queries"] == 12
    wall = manifest["wall_seconds"]
    assert isinstance(wall, float) and 0 <= wall <= elapsed + 0.0005  # rounded to 3 decimals
    last = table.slice(table.num_rows - 1).to_pylist()[0]
    assert {k: manifest["final"][k] for k in ("incumbent", "incumbent_valid", "incumbent_test",
                                              "incumbent_regret")} == {
        k: last[k] for k in ("incumbent", "incumbent_valid", "incumbent_test", "incumbent_regret")}
    # one training seed's value is served at hp200 with noise "seed", and the manifest says so
    _, seeded = run(Job(BENCH, "rs", 0, Budget(queries=2)))
    assert seeded["oracle"]["served"] == "seed"
    _, hp12_seeded = run(Job(BENCH, "rs", 0, Budget(queries=2), fidelity="hp12"))
    assert hp12_seeded["oracle"]["served"] == "mean"  # the record has no seeds at hp12


def test_a_seconds_budget_stops_before_the_evaluation_it_cannot_afford():
    table, manifest = run(Job(BENCH, "rs", 1, Budget(seconds=20_000.0)))
    assert 0 < manifest["spent"]["seconds"] <= 20_000.0
    assert table["cum_seconds"].to_pylist()[-1] == pytest.approx(manifest["spent"]["seconds"])
    with pytest.raises(RuntimeError, match="affords no evaluation"):
        run(Job(BENCH, "rs", 1, Budget(seconds=1.0)))


def test_a_task_without_test_metric_or_optimum_records_nulls():
    table, manifest = run(Job("tnb101-micro-jigsaw", "rs", 0, Budget(queries=3)))
    assert all(math.isnan(v) for v in table["incumbent_test"].to_pylist())
    assert manifest["final"]["incumbent_test"] is None
    assert manifest["final"]["incumbent_regret"] is not None  # its optimum is known
    table, manifest = run(Job("nb301-cifar10", "rs", 0, Budget(queries=2)))
    assert all(math.isnan(v) for v in table["incumbent_regret"].to_pylist())
    assert manifest["final"]["incumbent_regret"] is None
    assert manifest["final"]["incumbent_test"] is None


def test_hyperparameter_overrides_apply_and_unknown_ones_are_refused():
    from harness.search import make_config
    from optimizers.regularized_evolution import RegularizedEvolution

    assert make_config(RegularizedEvolution, {"sample_size": 4}).sample_size == 4
    with pytest.raises(ValueError) as error:
        make_config(RegularizedEvolution, {"size": 1, "pop": 2})
    fields = ", ".join(sorted(f for f in RegularizedEvolution.Config.__dataclass_fields__))
    assert str(error.value) == f"unknown hyperparameter(s) pop, size for re; accepted: {fields}"


def test_a_job_describes_its_options_only_when_set():
    plain = Job(BENCH, "rs", 0, Budget(queries=1)).describe()
    assert "benchmark_options" not in plain and "optimizer_path" not in plain
    full = Job(BENCH, "rs", 0, Budget(queries=1), benchmark_options=(("official_models", "/m"),),
               optimizer_path="pkg.mod:Cls").describe()
    assert full["benchmark_options"] == {"official_models": "/m"}
    assert full["optimizer_path"] == "pkg.mod:Cls"


# --- the constrained and best-sampled columns, from hand-made arrivals ------------------------
def _arrival(bench, step, index, fidelity, value, worker, incumbent, constraint):
    from harness.oracle import TrajectoryRow
    from harness.simulator import Arrival

    arch = bench.all_archs()[index]
    flops = float(bench.query(arch[None], "flops")[0])
    row = TrajectoryRow(step=step, arch=tuple(int(x) for x in arch), metric="valid_acc",
                        fidelity=fidelity, value=value, cost=1.0, cum_queries=step + 1,
                        cum_seconds=step + 1.0, free={"flops": flops},
                        feasible=bool(constraint.satisfied(flops)))
    return Arrival(row=row, observation=None, worker=worker, started=float(step),
                   finished=step + 0.5, incumbent=bench.all_archs()[incumbent])


def test_constrained_best_sampled_columns_recomputed_from_the_table(raw):
    from types import SimpleNamespace

    from harness.objectives import Constraint, Objective, Problem
    from harness.search import _trajectory_table

    bench = benchmarks.load(BENCH)
    space = raw["space"]
    flops = bench.query(bench.all_archs(), "flops")
    bound = float(np.median(flops))
    constraint = Constraint("flops", "<=", bound)
    problem = Problem((Objective("valid_acc", True, False),), (constraint,))
    ok = flops <= bound
    feas, infeas = np.flatnonzero(ok), np.flatnonzero(~ok)
    # evaluated archs (row 4 infeasible) and incumbents (steps 1 and 3 infeasible)
    evaluated = [feas[0], feas[1], feas[2], feas[3], infeas[0]]
    incumbents = [feas[0], infeas[1], feas[2], infeas[2], feas[4]]
    plan = [("hp12", 99.0), ("hp200", 50.0), ("hp200", 70.0), ("hp12", 95.0), ("hp200", 80.0)]
    arrivals = [_arrival(bench, i, evaluated[i], f, v, i % 2, incumbents[i], constraint)
                for i, (f, v) in enumerate(plan)]
    table = _trajectory_table(bench, SimpleNamespace(fidelity="hp200"), arrivals, problem,
                              best_sampled=True)
    to_row = {int(i): int(space.to_index(bench.all_archs()[i])) for i in (*evaluated,
                                                                           *incumbents)}
    optimum = raw["valid"][[space.to_index(a) for a in bench.all_archs()[ok]]].max()
    # best_observed: only the run's fidelity counts; null before its first value
    assert table["best_observed"].null_count == 1
    assert table["best_observed"].to_pylist() == [None, 50.0, 70.0, 70.0, 80.0]
    inc_rows = [to_row[int(i)] for i in incumbents]
    inc_ok = ok[incumbents]
    assert table["incumbent_feasible"].to_pylist() == inc_ok.tolist() == [
        True, False, True, False, True]
    np.testing.assert_allclose(table["incumbent_valid"].to_numpy(), raw["valid"][inc_rows],
                               atol=1e-9)
    np.testing.assert_allclose(table["incumbent_regret"].to_numpy(),
                               np.where(inc_ok, optimum - raw["valid"][inc_rows], np.nan),
                               atol=1e-9)
    np.testing.assert_allclose(table["incumbent_test"].to_numpy(), raw["test"][inc_rows],
                               atol=1e-9)
    # an undefined regret is NaN, as for a task with no known optimum, not null
    assert table["incumbent_regret"].null_count == table["best_sampled_regret"].null_count == 0
    assert table["feasible"].to_pylist() == [True, True, True, True, False]
    np.testing.assert_array_equal(table["flops"].to_numpy(), flops[evaluated])
    # best sampled: the first highest value at the run's fidelity (index 0 before any)
    picks = [evaluated[i] for i in (0, 1, 2, 2, 4)]
    rows = [to_row[int(i)] for i in picks]
    assert table["best_sampled"].to_pylist() == space.to_strings(bench.all_archs()[picks])
    np.testing.assert_allclose(table["best_sampled_valid"].to_numpy(), raw["valid"][rows],
                               atol=1e-9)
    np.testing.assert_allclose(table["best_sampled_regret"].to_numpy(),
                               np.where(ok[picks], optimum - raw["valid"][rows], np.nan),
                               atol=1e-9)
    np.testing.assert_allclose(table["best_sampled_test"].to_numpy(), raw["test"][rows],
                               atol=1e-9)
    assert table["worker"].to_pylist() == [0, 1, 0, 1, 0]
    assert table["wall_clock"].to_pylist() == [0.5, 1.5, 2.5, 3.5, 4.5]
    types = {f.name: str(f.type) for f in table.schema}
    assert (types["resumed_from"], types["worker"], types["incumbent_feasible"],
            types["best_sampled_test"]) == ("string", "int32", "bool", "double")


def test_best_sampled_without_test_metric_is_null_and_off_by_default():
    from types import SimpleNamespace

    from harness.search import _trajectory_table

    bench = benchmarks.load("tnb101-micro-jigsaw")
    assert bench.report_metric is None
    archs = bench.all_archs()[:2]
    from harness.oracle import TrajectoryRow
    from harness.simulator import Arrival

    fidelity = bench.default_fidelity if hasattr(bench, "default_fidelity") else None
    values = bench.query(archs, bench.objective)
    arrivals = [Arrival(TrajectoryRow(i, tuple(int(x) for x in a), bench.objective, fidelity,
                                      float(v), 1.0, i + 1, i + 1.0),
                        None, 0, float(i), i + 1.0, a) for i, (a, v) in enumerate(
                            zip(archs, values, strict=True))]
    oracle = SimpleNamespace(fidelity=fidelity)
    assert "best_sampled" not in _trajectory_table(bench, oracle, arrivals).column_names
    table = _trajectory_table(bench, oracle, arrivals, best_sampled=True)
    assert str(table.schema.field("best_sampled_test").type) == "double"
    assert all(math.isnan(v) for v in table["best_sampled_test"].to_pylist())
    assert "incumbent_feasible" not in table.column_names  # no problem: unconstrained


def test_an_infeasible_incumbent_is_replaced_by_the_best_feasible_arch_observed():
    from harness.objectives import Constraint, Objective, Problem
    from harness.search import _feasible_incumbent

    bench = benchmarks.load(BENCH)
    flops = bench.query(bench.all_archs(), "flops")
    constraint = Constraint("flops", "<=", float(np.median(flops)))
    objective = (Objective("valid_acc", True, False),)
    constrained, plain = Problem(objective, (constraint,)), Problem(objective)
    ok = flops <= constraint.bound
    good = bench.all_archs()[np.flatnonzero(ok)[:3]]
    bad = bench.all_archs()[np.flatnonzero(~ok)[:2]]
    arrivals = [_arrival(bench, i, index, "hp200", value, 0, index, constraint)
                for i, (index, value) in enumerate([(np.flatnonzero(ok)[1], 60.0),
                                                    (np.flatnonzero(~ok)[1], 90.0),
                                                    (np.flatnonzero(ok)[2], 70.0),
                                                    (np.flatnonzero(ok)[0], 65.0)])]
    rows = [a.row for a in arrivals]

    def pick(problem, arch, arrived):
        return _feasible_incumbent(bench, arrived, problem, arch).tolist()

    assert pick(plain, bad[0], rows) == bad[0].tolist()  # unconstrained: as recommended
    assert pick(constrained, good[0], rows) == good[0].tolist()  # feasible: kept
    # infeasible: the feasible row with the highest observed value (70), not the 90 one
    assert pick(constrained, bad[0], rows) == good[2].tolist()
    assert pick(constrained, bad[0], [rows[1]]) == bad[0].tolist()  # no feasible row yet


def test_a_constrained_run_keeps_a_feasible_incumbent_and_records_its_problem():
    bench = benchmarks.load(BENCH)
    bound = 0.0125
    job = Job(BENCH, "rs", 3, Budget(queries=30), constraints=(f"latency<={bound}",))
    table, manifest = run(job)
    archs = np.stack([bench.space.from_string(a) for a in table["arch"].to_pylist()])
    feasible = bench.query(archs, "latency") <= bound
    assert 0 < feasible.sum() < len(feasible)  # the constraint binds
    assert table["feasible"].to_pylist() == feasible.tolist()
    # per step: random search's best observed value if feasible, else the best feasible one
    values = table["value"].to_numpy()
    expected = []
    for i in range(len(values)):
        best = int(np.argmax(values[:i + 1]))
        if not feasible[best] and feasible[:i + 1].any():
            candidates = np.flatnonzero(feasible[:i + 1])
            best = int(candidates[np.argmax(values[candidates])])
        expected.append(table["arch"][best].as_py())
    assert table["incumbent"].to_pylist() == expected
    last = table.slice(table.num_rows - 1).to_pylist()[0]
    assert manifest["final"]["incumbent_feasible"] == last["incumbent_feasible"] is True
    assert manifest["problem"] == {"objectives": ["valid_acc:max"],
                                   "constraints": [f"latency<={bound:g}"]}
    assert manifest["free"] == {"metrics": list(bench.free_metrics), "lookups": {"latency": 30}}
    assert manifest["spent"]["wall_clock"] == last["wall_clock"]
    assert "problem" not in run(Job(BENCH, "rs", 3, Budget(queries=2)))[1]  # unconstrained


def test_simulated_workers_reach_the_run_and_a_multi_objective_run_has_one():
    table, _ = run(Job(BENCH, "rs", 0, Budget(queries=6), workers=2))
    assert set(table["worker"].to_pylist()) == {0, 1}
    objectives = ("valid_acc:max", "latency:min")
    one_worker = r"^a multi-objective run has one simulated worker .*got workers=2$"
    with pytest.raises(ValueError, match=one_worker):
        run(Job(BENCH, "mo-rs", 0, Budget(queries=4), objectives=objectives, workers=2))
    _, manifest = run(Job(BENCH, "mo-rs", 0, Budget(queries=4), objectives=objectives))
    assert manifest["problem"] == {"objectives": list(objectives), "constraints": []}
    assert manifest["pareto"] is not None


def test_an_optimizer_not_recommending_its_best_observed_gets_the_best_sampled_final(raw):
    from optimizers.random_search import RandomSearch

    with pytest.MonkeyPatch.context() as patch:  # random search, declared like XNAS
        patch.setattr(RandomSearch, "recommends_best_observed", False)
        table, manifest = run(Job(BENCH, "rs", 4, Budget(queries=15), noise="mean"))
    values = table["value"].to_numpy()
    rows = rows_of(raw["space"], table["arch"].to_pylist())
    np.testing.assert_allclose(values, raw["valid"][rows], atol=1e-9)  # noise "mean" reached
    best = rows[int(np.argmax(values))]
    final = manifest["final"]
    assert final["best_sampled"] == table["arch"][int(np.argmax(values))].as_py()
    assert final["best_sampled_valid"] == pytest.approx(raw["valid"][best], abs=1e-9)
    assert final["best_sampled_test"] == pytest.approx(raw["test"][best], abs=1e-9)
    assert final["best_sampled_regret"] == pytest.approx(raw["valid"].max() - raw["valid"][best],
                                                         abs=1e-9)
    # the default noise serves one training seed's value, not the seed mean
    plain, manifest = run(Job(BENCH, "rs", 4, Budget(queries=15)))
    rows = rows_of(raw["space"], plain["arch"].to_pylist())
    assert not np.allclose(plain["value"].to_numpy(), raw["valid"][rows])
    assert "best_sampled" not in manifest["final"] and "best_sampled" not in plain.column_names


class _Spy:
    """Records what ``build_optimizer`` constructs it with."""

    def __init__(self, space, rng, config, budget=None, fidelities=None):
        self.args = (space, rng, config, budget, fidelities)


class _MultiFidelitySpy(_Spy):
    uses_fidelities = True


def test_build_optimizer_passes_the_budget_and_the_fidelity_ladder_to_the_run_target():
    from harness.search import build_optimizer

    bench = benchmarks.load(BENCH)  # fidelities hp12 (12 epochs) and hp200 (200 epochs)
    rng, config, budget = np.random.default_rng(0), object(), Budget(queries=3)
    plain = build_optimizer(_Spy, bench, rng, config, budget, "hp12")
    assert plain.args == (bench.space, rng, config, budget, None)
    for fidelity, ladder in [("hp12", [("hp12", 12)]),
                             ("hp200", [("hp12", 12), ("hp200", 200)]),
                             (None, [("hp12", 12), ("hp200", 200)])]:  # None: the default
        made = build_optimizer(_MultiFidelitySpy, bench, rng, config, budget, fidelity)
        assert made.args == (bench.space, rng, config, budget, ladder)


def test_optimizer_and_objective_count_must_match_with_the_exact_message():
    import optimizers
    from harness.search import check_optimizer_fits, make_config

    bench = benchmarks.load(BENCH)
    two = Job(BENCH, "rs", 0, Budget(queries=2),
              objectives=("valid_acc:max", "latency:min")).problem(bench)
    one = Job(BENCH, "rs", 0, Budget(queries=2)).problem(bench)
    assert two.names == ("valid_acc", "latency") and one.names == ("valid_acc",)
    mo_rs, rs = optimizers.get("mo-rs"), optimizers.get("rs")
    check_optimizer_fits(mo_rs, two)
    check_optimizer_fits(rs, one)
    with pytest.raises(ValueError) as refused:
        check_optimizer_fits(mo_rs, one)
    assert str(refused.value) == (
        "mo-rs is multi-objective: give --objectives with the budgeted objective and at least "
        "one free cost, e.g. valid_acc,latency")
    with pytest.raises(ValueError) as refused:
        check_optimizer_fits(rs, two)
    assert str(refused.value) == (
        "rs is single-objective, and --objectives names 2; multi-objective optimizers: "
        + ", ".join(optimizers.multi_objective_names()))
    with pytest.raises(ValueError) as refused:  # random search has no hyperparameter
        make_config(rs, (("population_size", 5),))
    assert str(refused.value).endswith("for rs; accepted: none")


def test_a_job_describes_its_objectives_constraints_and_workers():
    job = Job(BENCH, "mo-rs", 0, Budget(queries=2), objectives=("valid_acc:max", "latency:min"),
              constraints=("latency<=0.02",), workers=3)
    described = job.describe()
    assert (described["objectives"], described["constraints"], described["workers"]) == (
        ["valid_acc:max", "latency:min"], ["latency<=0.02"], 3)
    assert not {"objectives", "constraints", "workers"} & set(
        Job(BENCH, "rs", 0, Budget(queries=2)).describe())


def test_the_fidelity_ladder_is_ordered_by_epochs_not_by_name():
    from harness.search import fidelity_ladder

    bench = benchmarks.load("nb301-cifar10")  # fidelities epoch1 .. epoch98
    # by name "epoch10" would come before "epoch2": the ladder must climb in epochs
    assert fidelity_ladder(bench, "epoch12") == [(f"epoch{e}", e) for e in range(1, 13)]
    assert fidelity_ladder(bench, None) == [(f"epoch{e}", e) for e in range(1, 99)]


def test_the_best_sampled_index_keeps_the_first_of_equal_values():
    from harness.search import best_so_far

    # as Optimizer.tell keeps its best: only a strictly higher value replaces it; the -inf
    # are the rows at another fidelity, before any at the run's
    values = np.array([-np.inf, -np.inf, 5.0, 5.0, 7.0, 6.0, 7.0])
    assert best_so_far(values).tolist() == [0, 0, 2, 2, 4, 4, 4]


def test_a_run_loads_the_benchmark_with_its_options():
    job = Job(BENCH, "rs", 0, Budget(queries=2), benchmark_options=(("bogus", "x"),))
    with pytest.raises(ValueError) as refused:
        run(job)
    assert str(refused.value) == (
        f"unknown option(s) bogus for benchmark {BENCH}; accepted: tables")


def test_a_multi_fidelity_run_gets_the_ladder_up_to_the_job_fidelity():
    # at hp12 the ladder is hp12 alone, too short for Hyperband; hp200 (the default) is not on it
    with pytest.raises(ValueError, match=r"; this run has hp12 \(benchmarks with them"):
        run(Job(BENCH, "hyperband", 0, Budget(queries=12), fidelity="hp12"))


def test_a_constrained_multi_objective_optimizer_checks_feasibility_through_the_oracle():
    bench = benchmarks.load(BENCH)
    latency = bench.query(bench.all_archs(), "latency")
    bound = float(np.quantile(latency, 0.25))  # three draws in four are infeasible
    table, manifest = run(Job(BENCH, "mo-rs", 0, Budget(queries=4),
                              objectives=("valid_acc:max", "latency:min"),
                              constraints=(f"latency<={bound!r}",)))
    archs = np.stack([bench.space.from_string(a) for a in table["arch"].to_pylist()])
    assert (bench.query(archs, "latency") <= bound).all()  # redrawn by free lookups
    # counted: one per evaluation, the rest are the optimizer's own feasibility checks
    assert manifest["free"]["lookups"]["latency"] > table.num_rows == 4


def test_a_learning_curve_optimizer_gets_the_curves_it_stops_on():
    bench = benchmarks.load("nb301-cifar10")
    table, manifest = run(Job("nb301-cifar10", "re-lce", 0, Budget(queries=3)))
    stop_at = f"epoch{round(manifest['optimizer_config']['fraction'] * 98)}"  # of 98 epochs
    rows = table.to_pylist()
    # the first arch is stopped at the partial epoch, then continued (nothing to beat yet)
    assert [r["fidelity"] for r in rows[:2]] == [stop_at, "epoch98"]
    assert [r["resumed_from"] for r in rows[:2]] == [None, stop_at]
    for r in rows:  # the surrogate's seed mean at the epoch each row was run to
        arch = bench.space.from_string(r["arch"])
        assert r["value"] == bench.query(arch, "valid_acc", fidelity=r["fidelity"])
    assert manifest["diagnostics"]["completed"] == sum(r["fidelity"] == "epoch98" for r in rows)
