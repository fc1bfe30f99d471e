"""Shared plumbing for predictors that regress on a fixed-length architecture encoding.

Such a predictor (``gp``, ``xgb``, ``mlp``) turns archs into a feature matrix with the search
space's ``encode`` and learns a map to standardized validation accuracy. What differs between
them is the regressor; what they share is choosing the encoding, which lives here.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from predictors.base import Predictor


def resolve_encoding(space: Any, encoding: str) -> str:
    """The encoding to use on ``space``: ``"auto"`` is the space's ``default_encoding`` where it
    names one (NAS-Bench-Graph: one-hot, measured better there), else the path encoding
    (BANANAS, White et al. 2021) where the space offers it, else one-hot; a named encoding must
    be offered.

    A space lists its encodings in ``encodings``; one without the attribute has one-hot only.
    """
    offered = tuple(getattr(space, "encodings", ("onehot",)))
    if encoding == "auto":
        preferred = getattr(space, "default_encoding", None)
        if preferred in offered:
            return preferred
        return "path" if "path" in offered else "onehot"
    if encoding not in offered:
        raise ValueError(
            f"encoding {encoding!r} is not offered by {getattr(space, 'name', space)!r}; "
            f"accepted: auto, {', '.join(offered)}"
        )
    return encoding


class EncodedPredictor(Predictor):
    """A predictor on ``space.encode(archs, encoding)``; subclasses set ``default_encoding``."""

    needs = frozenset({"encoding"})
    default_encoding: ClassVar[str] = "auto"

    def __init__(
        self, space: Any, rng: np.random.Generator | None = None, encoding: str | None = None
    ) -> None:
        super().__init__(space, rng)
        self.encoding = resolve_encoding(space, encoding or self.default_encoding)

    def _features(self, archs: np.ndarray) -> np.ndarray:
        return np.asarray(self.space.encode(np.atleast_2d(archs), self.encoding), dtype=np.float64)

    @staticmethod
    def _check_xy(X: np.ndarray, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64).ravel()
        if X.shape[0] != y.size or y.size == 0:
            raise ValueError(f"fit needs as many values as archs (> 0), got {X.shape[0]} archs "
                             f"and {y.size} values")
        if not np.isfinite(y).all():
            raise ValueError("fit got non-finite target values")
        return y

    def _seed(self) -> int:
        """A 31-bit seed for a library that takes an int, drawn from the predictor's rng."""
        return int(self.rng.integers(0, 2**31 - 1))
