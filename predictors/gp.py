"""Gaussian process regression on an architecture encoding (Rasmussen & Williams 2006).

A GP is the classic surrogate of Bayesian optimization and one of the model-based predictors
White et al. (NeurIPS 2021) compare. Here it is scikit-learn's ``GaussianProcessRegressor``:
the kernel is ``ConstantKernel * Matern(nu=2.5) + WhiteKernel`` (isotropic: one length scale, as
an ARD kernel has more hyperparameters than there are training points at small train sizes),
targets are standardized (``normalize_y``), and every kernel hyperparameter is fitted by
maximizing the log marginal likelihood with L-BFGS-B from the initial values and from
``n_restarts`` random starts drawn with a seed from the predictor's rng.

Bounds: the length scale is kept in [0.3, 1000]. On a binary encoding two distinct archs are
at least sqrt(2) apart, so a length scale far below 1 makes every pair uncorrelated and the GP
predicts its prior mean everywhere (no ranking at all); a prototype with an RBF kernel and
scikit-learn's default bounds (1e-5, 1e5) landed there on some seeds at 10-25 training points.
With the Matern kernel the bound changed no measured tau by more than its standard error.

Differences from NASLib's ``GPPredictor`` (``naslib/predictors/gp/gp.py``, the GP White et al.
2021 evaluate), all in how the kernel and its hyperparameters are set. NASLib: a pyro
``GPRegression`` with an isotropic RBF kernel (built with variance 5, length scale 10, noise 1),
LogNormal(0, 1) priors on the kernel variance and length scale, which are then point-estimated
(MAP, pyro's default Delta guide) together with the noise (maximum likelihood) by 200 Adam steps
of ``gp.util.train`` (lr 0.01; a fixed step budget, not run to convergence). Here: Matern 5/2
(``kernel="rbf"`` gives the RBF shape), no priors, maximum marginal likelihood by L-BFGS-B to
convergence with restarts, the length scale bounded to [0.3, 1000]. Same in both: standardized
targets, the encoding (NASLib's ``adjacency_one_hot`` = our ``onehot`` on NB201) and the
posterior mean as the prediction. The consequence is not measured (pyro is not a dependency);
the priors (median 1) and the step budget keep NASLib's hyperparameters near their start and
the prior, where maximum likelihood goes wherever the data put it, so the two differ most at the
smallest training sets.

BLAS threads are limited to one during fit and predict: the matrices are at most a few hundred
rows, where multithreaded BLAS is slower (a 400 x 400 Cholesky took 30 ms with 2 threads on a
loaded 2-core machine against 2 ms with one).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel
from threadpoolctl import threadpool_limits

from predictors.encoded import EncodedPredictor

KERNELS = ("matern52", "rbf")


class GPPredictor(EncodedPredictor):
    """GP regression; ``predict`` returns the posterior mean in accuracy units."""

    name = "gp"
    # NASLib's GPPredictor encodes with adjacency_one_hot (our ``onehot`` on NB201); measured on
    # nb201-cifar10 (test 500, 10 seeds) it also ranks better than the path encoding from 50 to
    # 200 training points (Kendall tau 0.44 against 0.35 at 100) and as well elsewhere.
    default_encoding = "onehot"

    def __init__(
        self,
        space: Any,
        rng: np.random.Generator | None = None,
        encoding: str | None = None,
        kernel: str = "matern52",
        n_restarts: int = 2,
        length_scale_bounds: tuple[float, float] = (0.3, 1e3),
    ) -> None:
        super().__init__(space, rng, encoding)
        if kernel not in KERNELS:
            raise ValueError(f"unknown kernel {kernel!r}; accepted: {', '.join(KERNELS)}")
        self.kernel = kernel
        self.n_restarts = n_restarts
        self.length_scale_bounds = tuple(length_scale_bounds)

    def _make_kernel(self, n_features: int):
        # Initial length scale: the typical distance between two random one-hot archs is of
        # the order of sqrt(n_features / 5); start at a value inside the bounds of that order.
        start = float(np.clip(np.sqrt(max(n_features, 1) / 5.0), *self.length_scale_bounds))
        if self.kernel == "rbf":
            shape = RBF(length_scale=start, length_scale_bounds=self.length_scale_bounds)
        else:
            shape = Matern(length_scale=start, length_scale_bounds=self.length_scale_bounds,
                           nu=2.5)
        return (ConstantKernel(1.0, (1e-3, 1e3)) * shape
                + WhiteKernel(noise_level=1e-2, noise_level_bounds=(1e-6, 1e1)))

    def fit(self, archs: np.ndarray, y: np.ndarray, info: dict | None = None) -> GPPredictor:
        X = self._features(archs)
        y = self._check_xy(X, y)
        self.gp_ = GaussianProcessRegressor(
            kernel=self._make_kernel(X.shape[1]),
            normalize_y=True,
            n_restarts_optimizer=self.n_restarts,
            random_state=self._seed(),
        )
        with threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
            # A hyperparameter at its bound is an expected outcome (e.g. no noise), not an error.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.gp_.fit(X, y)
        return self

    def predict(self, archs: np.ndarray, info: dict | None = None) -> np.ndarray:
        if not hasattr(self, "gp_"):
            raise RuntimeError("GPPredictor.predict called before fit")
        with threadpool_limits(1, user_api="blas"):
            return np.asarray(self.gp_.predict(self._features(archs)), dtype=np.float64)

    def predict_mean_std(self, archs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation (for acquisition functions)."""
        with threadpool_limits(1, user_api="blas"):
            mean, std = self.gp_.predict(self._features(archs), return_std=True)
        return np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
