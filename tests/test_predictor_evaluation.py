"""The predictor evaluation's numbers, each checked against a value computed here on its own.

``predictors/evaluate.py`` decides which archs a predictor trains and is tested on, what it is
compared with and how seeds are pooled; the project's predictor conclusions rest on it. Here:

- the test sets of ``draw_split`` are the ones of the stored predictors suite
  (``harness/baselines/data/predictors-suite.parquet``: their SHA-256, written by earlier runs),
  for a listable table, a surrogate sampled archs at a time and a pool of archs with curves; the
  training archs are recomputed by hand from the documented seeded shuffle or stream;
- ``run_job`` is run with spy predictors and a spy information builder: what each one is given
  (archs, targets read from the raw NB201 arrays, information, random streams, constructor
  arguments), every column of every row (scores recomputed with ``scipy.stats`` on the raw
  targets) and every block of the manifest;
- ``score``'s precision@10 and its handling of integer input, recomputed by hand;
- ``summarize``'s groups, means and standard errors, recomputed with ``statistics``.

These are the tests ``scripts/mutation.py predictors/evaluate.py`` runs (with
``tests/test_conclusions.py``); the survivors they leave are listed in
``docs/mutation-survivors.md``.
"""

from __future__ import annotations

import hashlib
import math
import statistics
import time
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

import benchmarks
from benchmarks.store import DATA_ROOT, TableStore
from harness.provenance import versions
from harness.results import ResultsStore
from predictors import evaluate
from predictors.base import Predictor
from predictors.evaluate import Protocol, draw_split, run_job, score, summarize

BENCH = "nb201-cifar10"
SUITE = "harness/baselines/data/predictors-suite.parquet"


def stream(*words: str | int) -> np.random.SeedSequence:
    """The documented stream of a job's identity: words as their crc32, integers as they are."""
    return np.random.SeedSequence([w if isinstance(w, int) else zlib.crc32(w.encode())
                                   for w in words])


def sha256(archs: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(archs, dtype=np.int64)).hexdigest()


@pytest.fixture(scope="module")
def suite():
    """The stored predictors suite's rows (test-set SHA-256 and scores of earlier runs)."""
    return pq.read_table(Path(__file__).resolve().parents[1] / SUITE).to_pandas()


def stored_test_set(suite, bench: str, predictor: str, seed: int) -> tuple[str, int]:
    rows = suite[(suite.benchmark == bench) & (suite.predictor == predictor)
                 & (suite.seed == seed)]
    assert rows.test_set_sha256.nunique() == 1
    return rows.test_set_sha256.iloc[0], int(rows.n_test.iloc[0])


@pytest.fixture(scope="module")
def raw():
    """NB201 cifar10 by official row, read without the benchmark class: the seed-mean
    200-epoch validation accuracy (the target) and the space (arch -> row)."""
    store = TableStore(DATA_ROOT / "nb201")
    valid = np.nanmean(store.load("cifar10.valid_acc.hp200.seeds"), axis=1)
    bench = benchmarks.load(BENCH)
    return {"valid": valid, "space": bench.space, "bench": bench}


def rows_of(raw, archs: np.ndarray) -> np.ndarray:
    return np.asarray(raw["space"].to_index(np.atleast_2d(archs)))


# --- the split ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_test_sets_are_the_stored_suites_and_training_archs_follow_the_shuffle(suite, raw,
                                                                               seed):
    bench = raw["bench"]
    digest, n_test = stored_test_set(suite, BENCH, "xgb", seed)
    test, train = draw_split(bench, seed, n_test, 400)
    assert sha256(test) == digest
    # by hand: every arch (all have a target), one shuffle in the split stream of the seed
    order = np.random.default_rng(stream("split", BENCH, seed)).permutation(len(raw["valid"]))
    all_archs = raw["space"].from_index(np.arange(len(raw["valid"])))
    np.testing.assert_array_equal(test, all_archs[order[:n_test]])
    np.testing.assert_array_equal(train, all_archs[order[n_test:n_test + 400]])
    assert not set(rows_of(raw, test)) & set(rows_of(raw, train))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_surrogates_split_is_sampled_test_first_without_duplicates(suite, seed):
    bench = benchmarks.load("nb301-cifar10")
    digest, n_test = stored_test_set(suite, "nb301-cifar10", "xgb", seed)
    test, train = draw_split(bench, seed, n_test, 400)
    assert sha256(test) == digest
    rng = np.random.default_rng(stream("split", "nb301-cifar10", seed))
    drawn = np.concatenate([bench.space.sample(rng, 256) for _ in range(4)])
    _, first = np.unique(drawn, axis=0, return_index=True)
    distinct = drawn[np.sort(first)]
    np.testing.assert_array_equal(np.concatenate([test, train]), distinct[:n_test + 400])


class _Unlisted:
    """A benchmark whose space cannot be listed (no ``all_archs``), over ``space``."""

    def __init__(self, name, space):
        self.name, self.space = name, space


class _TinySpace:
    """Nine archs (two positions with three choices): draws repeat archs all the time."""

    def sample(self, rng, n=None):
        archs = (rng.random((1 if n is None else n, 2)) * 3).astype(np.int64)
        return archs[0] if n is None else archs


def _first_distinct(space, seed_words, count, batch=256):
    rng = np.random.default_rng(stream(*seed_words))
    seen, out = set(), []
    while len(out) < count:
        for arch in space.sample(rng, batch):
            if tuple(arch) not in seen:
                seen.add(tuple(arch))
                out.append(arch)
    return np.array(out[:count])


def test_a_sampled_split_drops_repeated_archs_in_draw_order(raw):
    space = raw["space"]  # 15,625 archs: a batch of 256 repeats some, 800 draws many
    bench = _Unlisted("nb201-unlisted", space)
    test, train = draw_split(bench, 5, 500, 300)
    expected = _first_distinct(space, ("split", "nb201-unlisted", 5), 800)
    np.testing.assert_array_equal(test, expected[:500])
    np.testing.assert_array_equal(train, expected[500:])
    assert len(set(rows_of(raw, np.concatenate([test, train])))) == 800


def test_a_sampled_split_can_take_every_arch_and_names_what_it_cannot_draw():
    bench = _Unlisted("tiny", _TinySpace())
    test, train = draw_split(bench, 0, 5, 4)  # all nine
    expected = _first_distinct(bench.space, ("split", "tiny", 0), 9)
    np.testing.assert_array_equal(np.concatenate([test, train]), expected)
    assert {tuple(a) for a in expected} == {(i, j) for i in range(3) for j in range(3)}
    with pytest.raises(ValueError) as error:
        draw_split(bench, 0, 6, 4)
    assert str(error.value) == "could not draw 10 distinct archs from tiny"


# --- scores ---------------------------------------------------------------------------------
def test_precision_at_10_breaks_ties_by_test_set_order():
    # 40 archs; predictions tie at the 10th place: 8 clear winners, then 12 tied values
    rng = np.random.default_rng(7)
    y_true = rng.permutation(40).astype(np.float64)
    y_pred = np.zeros(40)
    winners = rng.choice(40, size=8, replace=False)
    y_pred[winners] = 10.0 + np.arange(8)
    tied = np.setdiff1d(np.arange(40), winners)[::2][:12]  # in test-set order
    y_pred[tied] = 5.0
    # by hand: the 8 winners and the first 2 tied archs in test-set order
    predicted_top = set(winners) | set(np.sort(tied)[:2])
    true_top = set(np.argsort(-y_true)[:10])  # no ties in y_true
    expected = len(predicted_top & true_top) / 10
    # tied archs that would enter with another tie order and change the score
    assert len(set(np.sort(tied)[2:]) & true_top) != len(set(np.sort(tied)[:2]) & true_top)
    assert score(y_true, y_pred)["precision_at_10"] == expected
    assert score(y_pred, y_true)["precision_at_10"] == \
        len(set(np.argsort(-y_true)[:10]) & predicted_top) / 10


def test_integer_and_unsigned_scores_are_ranked_by_value():
    truth = np.arange(20, dtype=np.uint8)  # negating an unsigned array would wrap 0 to the top
    assert score(truth, truth.astype(np.float64))["precision_at_10"] == 1.0
    assert score(truth.astype(np.float64), truth)["precision_at_10"] == 1.0
    assert score(truth, truth)["kendall_tau"] == pytest.approx(1.0, abs=1e-12)


# --- one job --------------------------------------------------------------------------------
CALLS: list[tuple] = []


def _spy_info(bench, archs, args):
    CALLS.append(("info", bench.name, archs.copy(), args.fidelity, args.seed,
                  args.rng.bit_generator.state))
    return {"spy": archs.copy()}


class _Spy(Predictor):
    """Records what the evaluation gives it; predicts the raw target with seeded noise."""

    name = "spy"
    needs = frozenset({"encoding"})  # its builder is replaced by ``_spy_info``
    requires_fit = True

    def __init__(self, space, rng=None, final_epoch=None, benchmark=None, zc_source=None,
                 width=3):
        super().__init__(space, rng)
        self.final_epoch, self.benchmark, self.zc_source, self.width = (final_epoch, benchmark,
                                                                       zc_source, width)
        CALLS.append(("init", rng.bit_generator.state, final_epoch, benchmark, zc_source))

    def fit(self, archs, y, info=None):
        time.sleep(0.02)
        CALLS.append(("fit", archs.copy(), np.asarray(y).copy(), info))
        return self

    def predict(self, archs, info=None):
        time.sleep(0.01)
        store = TableStore(DATA_ROOT / "nb201")
        valid = np.nanmean(store.load("cifar10.valid_acc.hp200.seeds"), axis=1)
        pred = valid[self.space.to_index(np.atleast_2d(archs))] + self.rng.normal(0, 3, len(archs))
        CALLS.append(("predict", archs.copy(), info, pred.copy()))
        return pred


COLUMNS = {"benchmark": pa.string(), "predictor": pa.string(), "seed": pa.int64(),
           "train_size": pa.int64(), "fidelity": pa.float64(), "epochs_seen": pa.int64(),
           "n_test": pa.int64(), "kendall_tau": pa.float64(), "spearman": pa.float64(),
           "pearson": pa.float64(), "precision_at_10": pa.float64(),
           "fit_seconds": pa.float64(), "query_seconds": pa.float64()}


def _scores_by_hand(y_true, y_pred) -> dict:
    top_true, top_pred = set(np.argsort(-y_true)[:10]), set(np.argsort(-y_pred)[:10])
    return {"kendall_tau": stats.kendalltau(y_true, y_pred).statistic,
            "spearman": stats.spearmanr(y_true, y_pred).statistic,
            "pearson": stats.pearsonr(y_true, y_pred).statistic,
            "precision_at_10": len(top_true & top_pred) / 10}


def test_a_job_fits_on_the_training_archs_and_scores_against_the_validation_target(
        monkeypatch, suite, raw):
    monkeypatch.setitem(evaluate.INFO_BUILDERS, "encoding", _spy_info)
    CALLS.clear()
    protocol = Protocol(train_sizes=(10, 30), test_size=500, fidelities=(0.5,))
    start = time.perf_counter()
    table, manifest = run_job(BENCH, _Spy, 1, protocol)
    elapsed = time.perf_counter() - start

    digest, _ = stored_test_set(suite, BENCH, "xgb", 1)
    order = np.random.default_rng(stream("split", BENCH, 1)).permutation(len(raw["valid"]))
    test_rows, train_rows = order[:500], order[500:530]
    assert [c[0] for c in CALLS] == ["init", "info", "fit", "info", "predict"] * 2
    for n, calls in zip((10, 30), (CALLS[:5], CALLS[5:]), strict=True):
        init, train_info, fit, test_info, predict = calls
        setting = (n, 0)
        assert init == ("init", np.random.default_rng(
            stream("predictor", BENCH, "spy", 1, *setting)).bit_generator.state,
            200, BENCH, "compute")
        info_state = np.random.default_rng(stream("info", BENCH, 1, *setting)).bit_generator.state
        np.testing.assert_array_equal(rows_of(raw, fit[1]), train_rows[:n])
        np.testing.assert_array_equal(fit[2], raw["valid"][train_rows[:n]])
        assert fit[2].dtype == np.float64
        for info, archs, rows in ((train_info, fit[1], train_rows[:n]),
                                  (test_info, predict[1], test_rows)):
            assert info[:2] == ("info", BENCH) and info[3:5] == (None, 1)
            assert info[5] == info_state
            np.testing.assert_array_equal(rows_of(raw, info[2]), rows)
            np.testing.assert_array_equal(info[2], archs)
        np.testing.assert_array_equal(fit[3]["spy"], fit[1])
        np.testing.assert_array_equal(rows_of(raw, predict[1]), test_rows)
        np.testing.assert_array_equal(predict[2]["spy"], predict[1])

    assert {f.name: f.type for f in table.schema} == COLUMNS
    rows = table.to_pylist()
    assert [(r["train_size"], r["fidelity"], r["epochs_seen"]) for r in rows] == \
        [(10, None, None), (30, None, None)]
    for row, predict in zip(rows, (CALLS[4], CALLS[9]), strict=True):
        expected = {"benchmark": BENCH, "predictor": "spy", "seed": 1, "n_test": 500,
                    **_scores_by_hand(raw["valid"][test_rows], predict[3])}
        assert {k: row[k] for k in expected} == pytest.approx(expected, abs=1e-12)
        assert 0.02 <= row["fit_seconds"] <= elapsed
        assert 0.01 <= row["query_seconds"] <= elapsed
    assert 0.1 < rows[0]["kendall_tau"] < rows[0]["spearman"] < 1.0  # a real, noisy ranking

    bench = raw["bench"]
    assert manifest == {
        "job": {"benchmark": BENCH, "predictor": "spy", "seed": 1, "train_sizes": (10, 30),
                "test_size": 500, "fidelities": (0.5,), "zc_source": "compute"},
        "predictor": {"class": f"{_Spy.__module__}._Spy",
                      "params": {"final_epoch": 200, "benchmark": BENCH,
                                 "zc_source": "compute", "width": 3},
                      "needs": ["encoding"], "requires_fit": True},
        "benchmark": {"kind": "tabular", "checksum": bench.checksum,
                      "target": "valid_acc (seed mean, default fidelity)"},
        "test_set_sha256": digest,
        "versions": versions(),
        "plugin": manifest["plugin"],
    }
    assert manifest["plugin"]["import_path"].endswith(":_Spy")


class _CurveSpy(_Spy):
    name = "curve-spy"
    needs = frozenset({"curve"})

    def predict(self, archs, info=None):
        CALLS.append(("predict", archs.copy(), info))
        return info["curve"][:, -1] + self.rng.normal(0, 1, len(archs))


class _UnfittedCurveSpy(_CurveSpy):
    name = "unfitted-curve-spy"
    requires_fit = False


def test_a_curve_job_runs_each_fidelity_on_archs_with_curves(raw):
    CALLS.clear()
    protocol = Protocol(train_sizes=(10, 40), test_size=150, fidelities=(0.1, 0.75))
    table, manifest = run_job(BENCH, _CurveSpy, 0, protocol)
    rows = table.to_pylist()
    # nb201-cifar10's shipped curves: the 200 archs of rows 0-199, 200 epochs
    order = np.random.default_rng(stream("split", BENCH, 0)).permutation(200)
    assert [(r["fidelity"], r["epochs_seen"], r["train_size"], r["n_test"]) for r in rows] == \
        [(0.1, 20, 10, 150), (0.1, 20, 40, 150), (0.75, 150, 10, 150), (0.75, 150, 40, 150)]
    inits = [c for c in CALLS if c[0] == "init"]
    fits = [c for c in CALLS if c[0] == "fit"]
    predicts = [c for c in CALLS if c[0] == "predict"]
    for (fidelity, n), init, fit, predict in zip([(0.1, 10), (0.1, 40), (0.75, 10), (0.75, 40)],
                                                 inits, fits, predicts, strict=True):
        setting = (n, 1 + round(fidelity * 1e6))
        assert init[1] == np.random.default_rng(
            stream("predictor", BENCH, "curve-spy", 0, *setting)).bit_generator.state
        np.testing.assert_array_equal(rows_of(raw, fit[1]), order[150:150 + n])
        np.testing.assert_array_equal(rows_of(raw, predict[1]), order[:150])
        curves = raw["bench"].learning_curves(predict[1], "valid_acc")
        np.testing.assert_array_equal(predict[2]["curve"], curves[:, :round(fidelity * 200)])
        assert fit[3]["curve"].shape == (n, round(fidelity * 200))
    assert manifest["job"]["fidelities"] == (0.1, 0.75)
    assert manifest["predictor"]["needs"] == ["curve"]


def test_a_predictor_without_training_is_scored_once_on_the_whole_curve_pool(suite, raw):
    CALLS.clear()
    protocol = Protocol(train_sizes=(10, 25), test_size=500, fidelities=(0.25,))
    table, manifest = run_job(BENCH, _UnfittedCurveSpy, 2, protocol)
    digest, n_test = stored_test_set(suite, BENCH, "lce", 2)  # lce: the same pool and protocol
    assert n_test == 200
    assert manifest["test_set_sha256"] == digest
    assert [c[0] for c in CALLS] == ["init", "predict"]
    assert CALLS[0][1] == np.random.default_rng(
        stream("predictor", BENCH, "unfitted-curve-spy", 2, 0, 1 + 250_000)).bit_generator.state
    row, = table.to_pylist()
    assert (row["train_size"], row["fidelity"], row["epochs_seen"], row["n_test"]) == \
        (0, 0.25, 50, 200)
    assert row["fit_seconds"] == 0.0
    assert manifest["predictor"]["requires_fit"] is False


def test_too_few_archs_left_for_training_is_refused_with_the_counts():
    protocol = Protocol(train_sizes=(60,), test_size=150, fidelities=(0.5,))
    with pytest.raises(ValueError) as error:
        run_job(BENCH, _CurveSpy, 0, protocol)
    assert str(error.value) == ("nb201-cifar10 has 50 archs left for training beside a test "
                                "set of 150; train sizes up to 60 asked")


def test_a_builtin_proxy_reproduces_the_stored_suite_row(suite):
    """``params`` read from NAS-Bench-Suite-Zero: the stored run's test set and scores, no
    training, no plugin record."""
    protocol = Protocol(train_sizes=(10, 25), test_size=500, fidelities=(0.5,),
                        zc_source="precomputed")
    table, manifest = run_job(BENCH, "params", 0, protocol)
    stored = suite[(suite.benchmark == BENCH) & (suite.predictor == "params")
                   & (suite.seed == 0)].iloc[0]
    row, = table.to_pylist()
    assert manifest["test_set_sha256"] == stored.test_set_sha256
    assert (row["train_size"], row["n_test"], row["fit_seconds"]) == (0, 500, 0.0)
    for metric in ("kendall_tau", "spearman", "pearson", "precision_at_10"):
        assert row[metric] == pytest.approx(stored[metric], abs=1e-12)
    assert "plugin" not in manifest
    assert manifest["predictor"]["class"] == "predictors.zerocost.Params"


# --- the summary ----------------------------------------------------------------------------
def _row(bench, pred, seed, n, fidelity, tau, fit):
    return {"benchmark": bench, "predictor": pred, "seed": seed, "train_size": n,
            "fidelity": fidelity, "epochs_seen": None if fidelity is None else 20, "n_test": 100,
            "kendall_tau": tau, "spearman": tau + 0.1, "pearson": tau + 0.2,
            "precision_at_10": tau / 2, "fit_seconds": fit, "query_seconds": fit / 10}


def test_summary_pools_seeds_per_setting_with_mean_and_standard_error(tmp_path):
    store = ResultsStore(tmp_path)
    taus = {0: (0.30, 0.50, 0.20), 1: (0.42, 0.61, 0.33), 2: (0.36, 0.58, 0.29)}
    keys = []
    for seed, (tau10, tau20, tau_curve) in taus.items():
        rows = [_row("b", "p", seed, 10, None, tau10, 1.0 + seed),
                _row("b", "p", seed, 20, None, tau20, 2.0 * (seed + 1))]
        keys.append(f"b/p/seed-{seed:04d}")
        store.write(keys[-1], pa.Table.from_pylist(rows, schema=evaluate.SCHEMA), {})
        if seed < 2:  # the curve predictor ran on two seeds, at two fidelities
            rows = [_row("b", "c", seed, 0, 0.1, tau_curve, 0.0),
                    _row("b", "c", seed, 0, 0.5, tau_curve + 0.3, 0.0)]
            keys.append(f"b/c/seed-{seed:04d}")
            store.write(keys[-1], pa.Table.from_pylist(rows, schema=evaluate.SCHEMA), {})
    store.write("b2/p/seed-0000", pa.Table.from_pylist([_row("b2", "p", 0, 10, None, 0.7, 3.0)],
                                                       schema=evaluate.SCHEMA), {})
    keys.append("b2/p/seed-0000")

    entries = {(e["benchmark"], e["predictor"], e["train_size"], e["fidelity"]): e
               for e in summarize(store, keys)}
    assert len(summarize(store, keys)) == len(entries) == 5

    def check(key, values, fits, seeds, epochs):
        entry = entries[key]
        assert (entry["seeds"], entry["n_test"], entry["epochs_seen"]) == (seeds, 100, epochs)
        assert entry["seeds_scored"] == seeds
        assert entry["kendall_tau"] == pytest.approx(statistics.fmean(values), abs=1e-12)
        se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
        assert entry["kendall_tau_se"] == pytest.approx(se, abs=1e-12)
        assert entry["spearman"] == pytest.approx(statistics.fmean(values) + 0.1, abs=1e-12)
        assert entry["spearman_se"] == pytest.approx(se, abs=1e-12)
        assert entry["pearson"] == pytest.approx(statistics.fmean(values) + 0.2, abs=1e-12)
        assert entry["precision_at_10"] == pytest.approx(statistics.fmean(values) / 2, abs=1e-12)
        assert entry["precision_at_10_se"] == pytest.approx(se / 2, abs=1e-12)
        assert entry["fit_seconds"] == pytest.approx(statistics.fmean(fits), abs=1e-12)
        fit_se = statistics.stdev(fits) / math.sqrt(len(fits)) if len(fits) > 1 else 0.0
        assert entry["fit_seconds_se"] == pytest.approx(fit_se, abs=1e-12)
        assert entry["query_seconds"] == pytest.approx(statistics.fmean(fits) / 10, abs=1e-12)
        assert entry["query_seconds_se"] == pytest.approx(fit_se / 10, abs=1e-12)

    check(("b", "p", 10, None), [t[0] for t in taus.values()], [1.0, 2.0, 3.0], 3, None)
    check(("b", "p", 20, None), [t[1] for t in taus.values()], [2.0, 4.0, 6.0], 3, None)
    check(("b", "c", 0, 0.1), [taus[0][2], taus[1][2]], [0.0, 0.0], 2, 20)
    check(("b", "c", 0, 0.5), [taus[0][2] + 0.3, taus[1][2] + 0.3], [0.0, 0.0], 2, 20)
    check(("b2", "p", 10, None), [0.7], [3.0], 1, None)
    assert set(entries[("b", "p", 10, None)]) == {
        "benchmark", "predictor", "train_size", "fidelity", "epochs_seen", "seeds",
        "seeds_scored", "n_test",
        *(f"{m}{s}" for m in ("kendall_tau", "spearman", "pearson", "precision_at_10",
                              "fit_seconds", "query_seconds") for s in ("", "_se"))}


def test_summary_says_how_many_seeds_a_mean_is_over_when_a_tau_is_undefined(tmp_path):
    """Constant predictions give a NaN tau (as gp on nb301-cifar10 at 25 training archs, seed 1,
    in the stored suite): the mean is over the other seeds, and the summary says 2/3."""
    store = ResultsStore(tmp_path)
    keys = []
    for seed, tau in enumerate((0.2, math.nan, 0.4)):
        keys.append(f"b/p/seed-{seed:04d}")
        store.write(keys[-1], pa.Table.from_pylist([_row("b", "p", seed, 25, None, tau, 1.0)],
                                                   schema=evaluate.SCHEMA), {})
    (entry,) = summarize(store, keys)
    assert (entry["seeds"], entry["seeds_scored"]) == (3, 2)
    assert entry["kendall_tau"] == pytest.approx(0.3, abs=1e-12)
    line = evaluate.format_summary([entry]).splitlines()[-1]
    assert line.split()[4:7] == ["2/3", "0.300", "±"]
