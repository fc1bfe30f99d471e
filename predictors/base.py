"""The predictor protocol, in the scikit-learn style.

A predictor estimates the final validation performance of architectures. It declares what it
needs, and the caller (the evaluation protocol, or a model-based optimizer) supplies it:

- ``"encoding"``: nothing beyond the archs; the predictor encodes them with ``space.encode``;
- ``"curve"``: partial validation learning curves up to a fidelity, ``info["curve"]`` of shape
  (n, epochs_seen), for the archs to fit and to predict;
- ``"train_curve"``: with ``"curve"``, the training-accuracy curves up to the same fidelity,
  ``info["train_curve"]`` (SoTL-style predictors; not every benchmark with curves has them);
- ``"network"``: the torch network the search space builds for each arch (zero-cost proxies);
- ``"data"``: one minibatch of real training data, ``info["batch"] = (inputs, targets)``;
- ``"zc"``: zero-cost proxy scores as features, ``info["zc"]`` of shape (n, n_proxies).

``fit`` returns the predictor; fitted state has a trailing underscore, as in scikit-learn.
Predictors that need no training (zero-cost proxies) have ``requires_fit = False`` and score
archs in ``predict`` directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

NEEDS = ("encoding", "curve", "train_curve", "network", "data", "zc")


class Predictor(ABC):
    """Base class. Subclasses set ``name`` and ``needs`` and implement ``fit``/``predict``."""

    name: ClassVar[str]
    needs: ClassVar[frozenset[str]] = frozenset({"encoding"})
    requires_fit: ClassVar[bool] = True

    @classmethod
    def needs_with(cls, options: dict) -> frozenset[str]:
        """What the predictor needs when built with constructor ``options`` (a zero-cost proxy
        read from precomputed tables needs no network and no data)."""
        return cls.needs

    def __init__(self, space: Any, rng: np.random.Generator | None = None) -> None:
        self.space = space
        self.rng = rng if rng is not None else np.random.default_rng(0)

    def fit(self, archs: np.ndarray, y: np.ndarray, info: dict | None = None) -> Predictor:
        """Learn from ``archs`` (n, d) and their validation performance ``y`` (n,)."""
        return self

    @abstractmethod
    def predict(self, archs: np.ndarray, info: dict | None = None) -> np.ndarray:
        """Scores (n,) whose order should follow the true performance (higher is better)."""
