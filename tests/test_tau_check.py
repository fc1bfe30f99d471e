"""Kendall-tau regression checks (predictors.tau_check, --check-against, predictors.testing)."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import stats

from harness.baselines import BaselineError, predictor_table
from predictors import evaluate, tau_check
from predictors.testing import assert_no_tau_regression

NOISE = "tests.plugin_fixtures:NoisePredictor"
BENCH = "nb201-cifar10"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """xgb on nb201-cifar10: 4 seeds, training sizes 20 and 100, 200 test archs."""
    out = tmp_path_factory.mktemp("baseline")
    assert evaluate.main(["--predictor", "xgb", "--bench", BENCH, "--train-sizes", "20,100",
                          "--test-size", "200", "--seeds", "4", "--out", str(out),
                          "--quiet"]) == 0
    return out


def test_the_same_predictor_passes_with_zero_differences(baseline, tmp_path, capsys):
    code = evaluate.main(["--predictor", "xgb", "--bench", BENCH, "--check-against",
                          str(baseline), "--out", str(tmp_path), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert printed.count("+0.000 ± 0.000") == 2 and "passed: no tau regression" in printed
    # it ran the baseline's protocol: the same test sets
    mine = predictor_table(tmp_path).to_pandas()
    theirs = predictor_table(baseline).to_pandas()
    assert sorted(set(mine["test_set_sha256"])) == sorted(set(theirs["test_set_sha256"]))
    assert set(mine["n_test"]) == {200}


def test_a_worse_predictor_fails_with_exit_1_and_the_statistic_is_a_paired_t_test(
        baseline, tmp_path, capsys):
    code = evaluate.main(["--predictor", NOISE, "--bench", BENCH, "--check-against",
                          str(baseline), "--baseline-predictor", "xgb", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 1, printed
    assert "REGRESSION" in printed and "FAILED: tau regressed" in printed
    # the verdicts equal a one-sided paired t-test at alpha / m, computed here by scipy
    new = predictor_table(tmp_path).to_pandas()
    base = predictor_table(baseline).to_pandas()
    rows = tau_check.compare(new, base)
    for row in rows:
        a = new[new["train_size"] == row["train_size"]].sort_values("seed")["kendall_tau"]
        b = base[base["train_size"] == row["train_size"]].sort_values("seed")["kendall_tau"]
        p = stats.ttest_rel(a.to_numpy(), b.to_numpy(), alternative="less").pvalue
        assert row["regressed"] == (p < tau_check.ALPHA / len(rows))
        assert row["d"] == pytest.approx(np.mean(a.to_numpy() - b.to_numpy()))
    assert any(row["regressed"] for row in rows)


def test_the_pytest_helper_raises_with_the_table(baseline):
    with pytest.raises(AssertionError, match="REGRESSION"):
        assert_no_tau_regression(NOISE, BENCH, baseline=baseline, baseline_predictor="xgb")
    comparison = assert_no_tau_regression("xgb", BENCH, baseline=baseline, seeds=2,
                                          train_sizes=[100])
    assert [(r["train_size"], r["seeds"]) for r in comparison.rows] == [(100, 2)]


@pytest.mark.parametrize("argv, message", [
    (["--test-size", "300"], "--test-size 300 differs from the baseline's 200"),
    (["--train-sizes", "50"], "training sizes [50] are not in the baseline's [20, 100]"),
    (["--baseline-predictor", "gp"], "has no predictor 'gp'; it has xgb"),
    (["--seeds", "1"], "1 common seed(s); a paired test needs at least 2"),
])
def test_an_incomparable_check_exits_2_naming_the_difference(baseline, tmp_path, argv, message,
                                                             capsys):
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main(["--predictor", "xgb", "--bench", BENCH, "--check-against", str(baseline),
                       "--out", str(tmp_path), "--quiet", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_another_test_set_is_refused(baseline, tmp_path):
    table = predictor_table(baseline).to_pandas()
    table.loc[table["seed"] == 2, "test_set_sha256"] = "0" * 64
    stored = tmp_path / "baseline.parquet"
    table.to_parquet(stored)
    assert pq.read_table(stored).num_rows == 8
    with pytest.raises(BaselineError, match=r"another test set .* for seed\(s\) \[2\]"):
        tau_check.check("xgb", stored, BENCH, out=tmp_path / "new")
