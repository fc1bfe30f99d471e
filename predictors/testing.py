"""Pytest helpers for anyone's predictor: ``assert_no_tau_regression``.

In a plugin's own tests::

    from predictors.testing import assert_no_tau_regression

    def test_my_predictor_ranks_as_well_as_xgb():
        assert_no_tau_regression(MyPredictor, "nb201-cifar10", baseline="suite",
                                 baseline_predictor="xgb", seeds=5, train_sizes=[25, 100])

The check and its statistic are ``predictors.tau_check``'s (a Bonferroni-corrected one-sided
paired t-test over seeds, on the baseline's own test sets).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from predictors import tau_check


def assert_no_tau_regression(predictor: Any, benchmarks: str | list[str], *,
                             baseline: str | Path = "suite", baseline_predictor: str | None = None,
                             seeds: int | None = None, train_sizes: list[int] | None = None,
                             alpha: float = tau_check.ALPHA, margin: float = tau_check.MARGIN,
                             out: str | Path | None = None) -> tau_check.Comparison:
    """Evaluate ``predictor`` (a class, name or ``package.module:ClassName``) on the splits of
    ``baseline`` and fail with the comparison table when its Kendall tau regressed against
    ``baseline_predictor``'s (default: the baseline's predictor of the same name). ``seeds``:
    the first N of the baseline's seeds; ``train_sizes``: a subset of its sizes. A baseline that
    cannot be compared raises ``harness.baselines.BaselineError``. Returns the comparison."""
    comparison = tau_check.check(predictor, baseline, benchmarks,
                                 baseline_predictor=baseline_predictor, seeds=seeds,
                                 train_sizes=train_sizes, alpha=alpha, margin=margin, out=out)
    assert not comparison.regressed, "\n" + comparison.format()
    return comparison
