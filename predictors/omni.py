"""OMNI: one model on every kind of information (White et al., NeurIPS 2021, "How powerful are
performance predictors in neural architecture search?", section 6).

The paper's OMNI feeds a model-based predictor (NGBoost there) with the architecture encoding,
zero-cost proxy scores (jacov among them) and a learning-curve feature, and beats every family
alone. Here the model is the harness's XGBoost predictor (NGBoost is not a dependency of this
project; the NASLib XGBoost defaults are kept), the zero-cost features are NAS-Bench-Suite-Zero's
precomputed scores (``info["zc"]``, columns in ``proxies`` order; computing them on CPU for
hundreds of archs per fit would cost minutes), and, when the caller supplies partial learning
curves (``info["curve"]``), the last observed value and the mean of the last 5 epochs are added.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from predictors.xgb import XGBPredictor

# The proxies OMNI uses where the table has them (TNB101 has no synflow); jacov is the paper's.
DEFAULT_PROXIES: tuple[str, ...] = ("jacov", "nwot", "snip", "synflow", "flops", "params")


class OmniPredictor(XGBPredictor):
    """XGBoost on [encoding, zero-cost scores, (curve features)]."""

    name = "omni"
    needs: ClassVar[frozenset[str]] = frozenset({"encoding", "zc"})

    def __init__(
        self,
        space: Any,
        rng: np.random.Generator | None = None,
        encoding: str | None = None,
        proxies: tuple[str, ...] = DEFAULT_PROXIES,
        n_jobs: int = 1,
    ) -> None:
        super().__init__(space, rng, encoding=encoding, n_jobs=n_jobs)
        self.proxies = tuple(proxies)

    def _matrix(self, archs: np.ndarray, info: dict | None) -> np.ndarray:
        info = info or {}
        zc = info.get("zc")
        if zc is None:
            raise ValueError("omni needs zero-cost scores: info['zc'] of shape (n, n_proxies)")
        blocks = [self._features(archs), np.asarray(zc, dtype=np.float64)]
        curve = info.get("curve")
        if curve is not None:
            curve = np.asarray(curve, dtype=np.float64)
            blocks.append(np.stack([curve[:, -1], curve[:, -5:].mean(axis=1)], axis=1))
        X = np.hstack(blocks)
        if X.shape[0] != np.atleast_2d(archs).shape[0]:
            raise ValueError(f"info['zc'] has {X.shape[0]} rows for {len(archs)} archs")
        return X
