"""Performance predictors and their evaluation protocol.

The Kendall-tau checks assert bands around values measured by running this code (test set of
500 archs, seeds 0-2), not a value to three decimals on a handful of points (the NASLib
counter-example). A band is wide enough for a library upgrade to move the number a little and
narrow enough to catch a real regression: a broken encoding or a shuffled target gives tau near
0, a leaked target near 1. Measured values are in the comments; the 10-seed means with their
standard errors are in the predictors' docstrings and the evaluation report.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.optimize import curve_fit
from scipy.stats import kendalltau

import benchmarks
from predictors import registry
from predictors.base import NEEDS, Predictor
from predictors.evaluate import Protocol, draw_split, main, run_job, score
from predictors.lce import FAMILIES, LCEPredictor, fit_family
from predictors.mlp_ensemble import MLPEnsemble
from predictors.sotla import SoTLAPredictor
from predictors.testing import assert_no_tau_regression

OURS = ("gp", "xgb", "mlp", "lce", "sotla")


@pytest.fixture(scope="module")
def bench():
    return benchmarks.load("nb201-cifar10")


@pytest.fixture(scope="module")
def curves(bench):
    archs = bench.space.from_index(np.arange(200))
    return (bench.learning_curves(archs, "valid_acc"), bench.learning_curves(archs, "train_acc"),
            bench.query(archs, "valid_acc"))


@pytest.fixture(scope="module")
def taus() -> dict[tuple[str, int], float]:
    """Mean Kendall tau over seeds 0-2, test set 500, per (predictor, train size)."""
    out = {}
    for name, sizes in (("gp", (25, 100, 200)), ("xgb", (25, 100, 200, 400)), ("mlp", (100,))):
        protocol = Protocol(train_sizes=sizes, test_size=500, fidelities=(0.5,))
        rows = [r for seed in range(3) for r in run_job("nb201-cifar10", name, seed,
                                                        protocol)[0].to_pylist()]
        for n in sizes:
            out[(name, n)] = float(np.mean([r["kendall_tau"] for r in rows
                                            if r["train_size"] == n]))
    return out


# --- the protocol -------------------------------------------------------------------------
@pytest.mark.parametrize("name", OURS)
def test_registered_predictors_follow_the_protocol(name, bench):
    cls = registry.get(name)
    assert issubclass(cls, Predictor) and cls.name == name
    assert cls.needs <= set(NEEDS)
    predictor = cls(bench.space, rng=np.random.default_rng(0))
    assert predictor.rng is not None


# --- model-based predictors on nb201-cifar10 ----------------------------------------------
@pytest.mark.parametrize("name, sizes", [("xgb", [100, 400]), ("gp", [100])])
def test_kendall_tau_no_regression_against_the_stored_baseline(name, sizes):
    """The stored predictors suite (harness/baselines) on its own seeds 0-2 and test sets: a
    tau below it by more than the paired t-test allows fails (predictors.tau_check). A change
    that moves the numbers on purpose regenerates the baseline (scripts/make_baselines.py)."""
    comparison = assert_no_tau_regression(name, "nb201-cifar10", baseline="suite", seeds=3,
                                          train_sizes=sizes)
    assert [row["train_size"] for row in comparison.rows] == sizes


@pytest.mark.parametrize("name, n, low, high", [
    ("mlp", 100, 0.55, 0.72),  # measured 0.629 (10 seeds: 0.649 ± 0.009)
])
def test_kendall_tau_within_measured_band(taus, name, n, low, high):
    assert low <= taus[(name, n)] <= high, taus


@pytest.mark.parametrize("name", ["xgb", "gp"])
def test_more_training_data_ranks_better(taus, name):
    # measured: xgb 0.279 -> 0.573, gp 0.312 -> 0.516
    assert taus[(name, 200)] > taus[(name, 25)] + 0.15, taus


def test_mlp_adapter_is_the_bananas_ensemble_mean(bench):
    archs = bench.space.from_index(np.arange(0, 15625, 300))
    y = bench.query(archs, "valid_acc")
    small = {"n_members": 3, "n_layers": 2, "width": 8, "epochs": 5}
    ours = registry.get("mlp")(bench.space, rng=np.random.default_rng(4), **small)
    pred = ours.fit(archs, y).predict(archs)
    X = bench.space.encode(archs, "path")
    direct = MLPEnsemble(**small, random_state=np.random.default_rng(4)).fit(X, y).predict(X)
    np.testing.assert_allclose(pred, direct)


# --- learning-curve predictors ------------------------------------------------------------
def test_lce_at_half_the_schedule_beats_the_last_value(curves):
    valid, _, final = curves
    seen = valid[:, :100]
    tau_lce = kendalltau(LCEPredictor().predict(None, {"curve": seen}), final).statistic
    tau_last = kendalltau(seen[:, -1], final).statistic
    # measured: lce 0.777, last observed value 0.738. (At 0.25 and 0.1 of the schedule lce is
    # not better: 0.699 vs 0.702 and 0.599 vs 0.656; see predictors/lce.py.)
    assert tau_lce >= 0.75
    assert tau_lce > tau_last + 0.02


def test_lce_at_a_fifth_of_the_schedule_within_its_band(curves):
    """Deterministic (no seeds): measured 0.666 on the 200 curves at 40 of 200 epochs, below
    the last observed value (0.688): NB201's cosine schedule lifts accuracy late, a shape none
    of Domhan's families has. The band catches a regression of the fit, not seed noise."""
    valid, _, final = curves
    tau = kendalltau(LCEPredictor().predict(None, {"curve": valid[:, :40]}), final).statistic
    assert 0.62 <= tau <= 0.72


@pytest.mark.parametrize("epochs, bound", [(20, 0.74), (100, 0.85)])  # measured 0.772, 0.877
def test_sotla_ranks_better_than_the_validation_accuracy_seen(curves, epochs, bound):
    valid, train, final = curves
    tau = kendalltau(SoTLAPredictor().predict(None, {"train_curve": train[:, :epochs]}),
                     final).statistic
    assert tau >= bound
    assert tau > kendalltau(valid[:, epochs - 1], final).statistic + 0.05


def test_lce_recovers_a_curve_of_its_own_family():
    x = np.arange(1, 201, dtype=np.float64)
    truth = np.stack([90 - 60 * x**-0.5, 80 - 50 * x**-0.3])  # pow3, in %
    end, _ = fit_family(FAMILIES[0], truth[:, :60] / 100, 200.0)
    np.testing.assert_allclose(end * 100, truth[:, -1], atol=0.1)


@pytest.mark.parametrize("family, fn, p0", [
    ("pow3", lambda x, c, a, al: c - a * x**-al, [0.84, 0.52, 0.01]),
    ("janoschek", lambda x, a, b, k, d: a - b * np.exp(-k * x**d), [0.73, 0.66, 0.355, 0.46]),
    ("log_power", lambda x, a, m, e: a / (1 + (m / x) ** e), [0.77, np.exp(2.98), 0.51]),
])
def test_lce_least_squares_matches_curve_fit(curves, family, fn, p0):
    """The batched grid fit reaches curve_fit's squared error (from Domhan et al.'s initial
    values) wherever curve_fit's answer satisfies the same constraints."""
    Y = curves[0][::25, :50] / 100
    x = np.arange(1, 51, dtype=np.float64)
    fam = next(f for f in FAMILIES if f.name == family)
    _, sse = fit_family(fam, Y, 200.0)
    compared = 0
    for i, y in enumerate(Y):
        try:
            with np.errstate(all="ignore"):
                params, _ = curve_fit(fn, x, y, p0=p0, maxfev=5000)
        except RuntimeError:
            continue
        end = fn(200.0, *params)
        if 0 <= end <= 1 and end >= fn(1.0, *params):
            assert sse[i] <= 1.01 * np.sum((fn(x, *params) - y) ** 2) + 1e-12
            compared += 1
    assert compared >= 4


def test_lce_predicts_500_noisy_curves(curves):
    # Its speed is printed by python -m predictors.perf, not asserted here: a timed test fails
    # on a busy machine without any bug.
    rng = np.random.default_rng(0)
    Y = curves[0][rng.integers(0, 200, 500), :100] + rng.normal(0, 0.3, (500, 100))
    out = LCEPredictor().predict(None, {"curve": Y})
    assert out.shape == (500,) and np.isfinite(out).all()


def test_curve_predictors_refuse_missing_info():
    with pytest.raises(ValueError, match="curve"):
        LCEPredictor().predict(None, {})
    with pytest.raises(ValueError, match="train_curve"):
        SoTLAPredictor().predict(None, {"curve": np.ones((2, 3))})


# --- the evaluation protocol --------------------------------------------------------------
def test_score_precision_at_10():
    truth = np.arange(100.0)
    assert score(truth, truth)["kendall_tau"] == pytest.approx(1.0)
    guess = truth.copy()
    guess[[99, 0]] = guess[[0, 99]]  # the best arch predicted worst
    assert score(truth, guess)["precision_at_10"] == pytest.approx(0.9)


def test_splits_are_disjoint_nested_and_shared(bench):
    test_a, train_a = draw_split(bench, 3, 500, 100)
    test_b, train_b = draw_split(bench, 3, 500, 400)
    np.testing.assert_array_equal(test_a, test_b)
    np.testing.assert_array_equal(train_a, train_b[:100])  # nested: 100 = first 100 of 400
    codes = bench.space.code
    assert not set(codes(test_b)) & set(codes(train_b))
    assert len(set(codes(test_b))) == 500 and len(set(codes(train_b))) == 400
    other, _ = draw_split(bench, 4, 500, 10)
    assert not np.array_equal(test_a, other)


def test_cli_runs_writes_and_resumes(tmp_path, capsys):
    out = tmp_path / "eval"
    argv = ["--predictor", "xgb,sotla", "--bench", "nb201-cifar10", "--train-sizes", "10,20",
            "--test-size", "50", "--seeds", "2", "--fidelities", "0.1,0.5", "--out", str(out)]
    assert main(argv) == 0
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    assert files == [f"nb201-cifar10/{p}/seed-000{s}.parquet" for p in ("sotla", "xgb")
                     for s in (0, 1)]
    xgb = pq.read_table(out / "nb201-cifar10/xgb/seed-0000.parquet")
    assert xgb.column("train_size").to_pylist() == [10, 20]
    sotla = pq.read_table(out / "nb201-cifar10/sotla/seed-0000.parquet")
    assert sotla.column("train_size").to_pylist() == [0, 0]
    assert sotla.column("epochs_seen").to_pylist() == [20, 100]
    meta = json.loads(xgb.schema.metadata[b"nas_harness.manifest"])
    assert meta["predictor"]["params"]["encoding"] == "onehot"
    first = capsys.readouterr().out
    assert "4 job(s) executed, 0 already done" in first
    assert main(argv) == 0  # rerun: nothing to do, same summary
    again = capsys.readouterr().out
    assert "0 job(s) executed, 4 already done" in again
    assert first.splitlines()[-6:] == again.splitlines()[-6:]


def test_same_test_set_for_every_predictor_of_a_seed(tmp_path):
    protocol = Protocol(train_sizes=(10,), test_size=60, fidelities=(0.5,))
    _, xgb = run_job("nb201-cifar10", "xgb", 1, protocol)
    _, gp = run_job("nb201-cifar10", "gp", 1, protocol)
    assert xgb["test_set_sha256"] == gp["test_set_sha256"]


@pytest.mark.parametrize("argv, message", [
    (["--predictor", "nope", "--bench", "nb201-cifar10"], "accepted: mlp"),
    (["--predictor", "xgb", "--bench", "nope"], "accepted: nb201-cifar10"),
    (["--predictor", "lce", "--bench", "nb201-cifar100"], "missing 'curve'"),
    # nb301's surrogate has validation curves (lce runs there) but no training accuracy
    (["--predictor", "sotla", "--bench", "nb301-cifar10"],
     "missing 'train_curve' (nb301-cifar10 has validation curves but no training-accuracy"),
    (["--predictor", "xgb", "--bench", "nb201-cifar10", "--fidelities", "2"], "fidelities"),
    (["--predictor", "xgb", "--bench", "nb201-cifar10", "--train-sizes", "0"], "train-sizes"),
])
def test_cli_bad_arguments_exit_2(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_refuses_another_protocol_in_the_same_folder(tmp_path, capsys):
    base = ["--predictor", "sotla", "--bench", "nb201-cifar10", "--seeds", "1", "--out",
            str(tmp_path)]
    assert main([*base, "--fidelities", "0.1"]) == 0
    with pytest.raises(SystemExit) as exit_info:
        main([*base, "--fidelities", "0.2"])
    assert exit_info.value.code == 2
    assert "another configuration" in capsys.readouterr().err
