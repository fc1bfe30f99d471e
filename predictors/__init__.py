"""Performance predictors (fit/predict on architectures; the protocol is ``predictors.base``).

``predictors.evaluate_predictor`` is the Python API of ``python -m predictors.evaluate``, and
``predictors.testing.assert_no_tau_regression`` its Kendall-tau regression check as a pytest
helper; both are imported on first use."""

from __future__ import annotations

__all__ = ["evaluate_predictor"]


def __getattr__(name: str):
    if name == "evaluate_predictor":
        from predictors.evaluate import evaluate_predictor

        return evaluate_predictor
    raise AttributeError(f"module 'predictors' has no attribute {name!r}")
