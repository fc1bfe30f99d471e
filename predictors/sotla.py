"""Sum of training accuracies, the accuracy form of SoTL (Ru, Lyle, Schut, Fil, van der Wilk and
Gal, NeurIPS 2021, "Speedy performance estimation for neural architecture search").

SoTL ranks partially trained archs by the sum of their training losses; its best variant,
SoTL-E, sums the minibatch losses of the most recent ``E`` epochs only (E = 1 in the paper's
main results). The public NB201 record in this project keeps per-epoch training *accuracy*
curves for the 200 archs with curves (nb201-cifar10 rows 0-199), not losses, so this predictor
sums training accuracies instead: higher is better, so no sign flip. NB201's per-epoch training
accuracy is the batch-size-weighted mean of the accuracies of that epoch's minibatches, recorded
as the model trains (AutoDL-Projects, ``exps/NAS-Bench-201/functions.py``, ``procedure``), so
the one-epoch sum of minibatch accuracies is, up to the constant number of minibatches and the
weight of the smaller last batch, that epoch's recorded value: SoTLA-E with E = 1 ranks archs
by the last training accuracy seen.

It needs ``info["train_curve"]`` (n, epochs_seen), the training curve up to the fidelity, and
no fit. ``epochs=None`` sums the whole curve seen (plain SoTL's sum over all epochs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from predictors.base import Predictor


class SoTLAPredictor(Predictor):
    """Sum of the training accuracies of the last ``epochs`` epochs seen (all if None)."""

    name = "sotla"
    # "train_curve": the training-accuracy curves, which not every benchmark with validation
    # curves has (nb301's surrogate predicts validation accuracy and time only).
    needs = frozenset({"curve", "train_curve"})
    requires_fit = False

    def __init__(
        self, space: Any = None, rng: np.random.Generator | None = None, epochs: int | None = 1
    ) -> None:
        super().__init__(space, rng)
        if epochs is not None and epochs < 1:
            raise ValueError(f"epochs must be >= 1 or None (all), got {epochs}")
        self.epochs = epochs

    def predict(self, archs: np.ndarray | None = None, info: dict | None = None) -> np.ndarray:
        if not info or "train_curve" not in info:
            raise ValueError("sotla needs info['train_curve']: partial training-accuracy "
                             "curves (n, epochs_seen)")
        curves = np.asarray(info["train_curve"], dtype=np.float64)
        if curves.ndim != 2 or curves.shape[1] < 1:
            raise ValueError(
                f"info['train_curve'] must have shape (n, epochs_seen), got {curves.shape}"
            )
        window = curves if self.epochs is None else curves[:, -self.epochs:]
        return window.sum(axis=1)
