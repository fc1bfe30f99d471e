"""A small predictor: ridge regression on the search space's one-hot encoding (numpy only)."""

from __future__ import annotations

import numpy as np

from predictors.base import Predictor


class RidgePredictor(Predictor):
    """Least squares with an L2 penalty ``alpha`` on the one-hot encoding of an arch."""

    name = "ridge"
    needs = frozenset({"encoding"})

    def __init__(self, space, rng=None, alpha: float = 1.0) -> None:
        super().__init__(space, rng)
        self.alpha = alpha

    def fit(self, archs, y, info=None) -> RidgePredictor:
        X = self._features(archs)
        y = np.asarray(y, dtype=np.float64)
        self.mean_ = y.mean()
        gram = X.T @ X + self.alpha * np.eye(X.shape[1])
        self.coef_ = np.linalg.solve(gram, X.T @ (y - self.mean_))
        return self

    def predict(self, archs, info=None) -> np.ndarray:
        return self._features(archs) @ self.coef_ + self.mean_

    def _features(self, archs) -> np.ndarray:
        X = np.asarray(self.space.encode(np.atleast_2d(archs), "onehot"), dtype=np.float64)
        return np.hstack([X, np.ones((X.shape[0], 1))])
