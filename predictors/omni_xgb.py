"""``omni-xgb``: XGBoost on the encoding plus six zero-cost proxy scores.

Not White et al.'s OMNI (that is ``omni``, NGBoost in ``predictors/omni.py``): this is the
harness's XGBoost predictor (NASLib's XGBoost defaults) on a wider input, kept because it is a
strong, fast baseline for what zero-cost features add to an encoding. The zero-cost features are
NAS-Bench-Suite-Zero's precomputed scores (``info["zc"]``, the columns of ``DEFAULT_PROXIES``
the table has; computing them on CPU for hundreds of archs per fit would cost minutes), raw (not
normalized: trees are invariant to monotone rescaling), and, when the caller supplies partial
learning curves (``info["curve"]``), the last observed value and the mean of the last 5 epochs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from predictors.xgb import XGBPredictor

# The proxies used where the table has them (TNB101 has no synflow).
DEFAULT_PROXIES: tuple[str, ...] = ("jacov", "nwot", "snip", "synflow", "flops", "params")


class OmniXGBPredictor(XGBPredictor):
    """XGBoost on [encoding, zero-cost scores, (curve features)]."""

    name = "omni-xgb"
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
            raise ValueError("omni-xgb needs zero-cost scores: info['zc'] of shape (n, n_proxies)")
        blocks = [self._features(archs), np.asarray(zc, dtype=np.float64)]
        curve = info.get("curve")
        if curve is not None:
            curve = np.asarray(curve, dtype=np.float64)
            blocks.append(np.stack([curve[:, -1], curve[:, -5:].mean(axis=1)], axis=1))
        X = np.hstack(blocks)
        if X.shape[0] != np.atleast_2d(archs).shape[0]:
            raise ValueError(f"info['zc'] has {X.shape[0]} rows for {len(archs)} archs")
        return X
