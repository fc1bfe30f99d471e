"""An ensemble of small fully connected networks: BANANAS's neural predictor.

BANANAS (White, Neiswanger and Savani, AAAI 2021) gets its uncertainty from an ensemble of
feed-forward networks that differ only by their random seed: the spread of the members'
predictions stands in for a posterior. The defaults follow the authors' code (naszilla,
``meta_neuralnet_params('standard')``: 5 members, 10 ReLU layers of width 20, Adam with learning
rate 0.01, batch 32, 150 epochs, MAE loss).

Why numpy and not scikit-learn or torch: the networks are tiny (about 7,000 weights) and a search
refits the ensemble every 10 queries, so the cost is per-call overhead, not arithmetic.
scikit-learn's ``MLPRegressor`` trains one member at a time, has no MAE loss, and costs roughly
ten times more per step. Here the members are trained side by side as one stack of batched
matrix products, each with its own initialisation and its own minibatch order, and Adam updates
one flat parameter vector. A BANANAS run of 150 queries on NB201 refits it 14 times.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from predictors.encoded import EncodedPredictor

LOSSES = ("mae", "mse")
# float32: the step cost is memory traffic and call overhead; the targets are standardized.
DTYPE = np.float32


class MLPEnsemble:
    """``n_members`` ReLU networks trained on standardized (or, with ``standardize=False``, raw)
    targets; sklearn-style fit/predict.

    ``random_state`` is a ``np.random.Generator`` (or a seed): each ``fit`` draws one seed per
    member from it, so members differ by their seed and the whole fit is reproducible.
    """

    def __init__(
        self,
        n_members: int = 5,
        n_layers: int = 10,
        width: int = 20,
        epochs: int = 150,
        batch_size: int = 32,
        lr: float = 0.01,
        beta1: float = 0.9,
        beta2: float = 0.99,
        eps: float = 1e-7,
        loss: str = "mae",
        standardize: bool = True,
        random_state: np.random.Generator | int | None = None,
    ) -> None:
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; accepted: {', '.join(LOSSES)}")
        if min(n_members, n_layers, width, epochs, batch_size) < 1:
            raise ValueError("n_members, n_layers, width, epochs and batch_size must be >= 1")
        self.n_members = n_members
        self.n_layers = n_layers
        self.width = width
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.loss = loss
        # False: fit the raw targets, as the authors' code does (naszilla's MetaNeuralnet fits
        # Keras on the validation loss 100 - accuracy, unscaled).
        self.standardize = standardize
        self.random_state = random_state
        self._weights: list[np.ndarray] | None = None

    # --- parameters ---------------------------------------------------------------------
    def _allocate(self, n_features: int) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """One flat vector holding every member's weights; per-layer views into it.

        Layer ``l`` has weights of shape (members, fan_in, fan_out) and biases of shape
        (members, 1, fan_out), so a forward pass is one batched matmul per layer.
        """
        sizes = [n_features] + [self.width] * self.n_layers + [1]
        shapes = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            shapes.append((self.n_members, fan_in, fan_out))
            shapes.append((self.n_members, 1, fan_out))
        flat = np.zeros(sum(int(np.prod(s)) for s in shapes), dtype=DTYPE)
        views, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            views.append(flat[start : start + size].reshape(shape))
            start += size
        return flat, views[0::2], views[1::2]

    # --- training -----------------------------------------------------------------------
    def fit(self, X: np.ndarray, y: np.ndarray) -> MLPEnsemble:
        """Train every member from scratch on (X, y); targets are standardized first unless
        ``standardize`` is False.

        Speed-up without a change in the result: an input column that is 0 in every training
        row gets a zero gradient, and Adam leaves a weight with zero gradients at its initial
        value, so those first-layer rows are kept aside at their initialisation and training
        runs on the other columns only (a path encoding has most columns empty).
        """
        X = np.asarray(X, dtype=DTYPE)
        y = np.asarray(y, dtype=np.float64).ravel()
        if X.ndim != 2 or X.shape[0] != y.size or y.size == 0:
            raise ValueError(f"fit needs X of shape (n, d) and y of shape (n,), got {X.shape}")
        rng = np.random.default_rng(self.random_state)
        member_rngs = [
            np.random.default_rng(int(s)) for s in rng.integers(0, 2**63 - 1, self.n_members)
        ]
        std = float(y.std())
        if self.standardize:
            self._y_mean, self._y_std = float(y.mean()), (std if std > 0 else 1.0)
        else:
            self._y_mean, self._y_std = 0.0, 1.0
        target = ((y - self._y_mean) / self._y_std).astype(DTYPE)

        # Initialise the full network (Glorot uniform weights, zero biases: the Keras default).
        _, full_weights, full_biases = self._allocate(X.shape[1])
        for m, member_rng in enumerate(member_rngs):
            for w in full_weights:
                limit = np.sqrt(6.0 / (w.shape[1] + w.shape[2]))
                w[m] = member_rng.uniform(-limit, limit, size=w.shape[1:])
        live = np.flatnonzero(X.any(axis=0))
        X_live = np.ascontiguousarray(X[:, live])
        theta, weights, biases = self._allocate(live.size)
        weights[0][...] = full_weights[0][:, live]
        for w, w_full in zip(weights[1:], full_weights[1:], strict=True):
            w[...] = w_full
        grad, grad_w, grad_b = self._allocate(live.size)
        first = np.zeros_like(theta)
        second = np.zeros_like(theta)
        scratch = np.empty_like(theta)
        b1, b2 = self.beta1, self.beta2

        n = y.size
        step = 0
        for _ in range(self.epochs):
            order = np.stack([r.permutation(n) for r in member_rngs])
            for start in range(0, n, self.batch_size):
                rows = order[:, start : start + self.batch_size]
                self._gradient(X_live[rows], target[rows], weights, biases, grad_w, grad_b)
                step += 1
                # Adam (Kingma & Ba 2015) on the flat vector, with bias-corrected step size:
                # m += (1 - b1)(g - m); v += (1 - b2)(g^2 - v); theta -= lr_t m / (sqrt(v) + eps)
                np.subtract(grad, first, out=scratch)
                scratch *= 1.0 - b1
                first += scratch
                np.multiply(grad, grad, out=scratch)
                scratch -= second
                scratch *= 1.0 - b2
                second += scratch
                lr_t = self.lr * np.sqrt(1.0 - b2**step) / (1.0 - b1**step)
                np.sqrt(second, out=scratch)
                scratch += self.eps
                np.divide(first, scratch, out=scratch)
                scratch *= lr_t
                theta -= scratch
        full_weights[0][:, live] = weights[0]
        for w_full, w in zip(full_weights[1:], weights[1:], strict=True):
            w_full[...] = w
        for b_full, b in zip(full_biases, biases, strict=True):
            b_full[...] = b
        self._weights, self._biases = full_weights, full_biases
        return self

    def _gradient(self, xb, yb, weights, biases, grad_w, grad_b) -> None:
        """Backpropagate the mean batch loss of every member into ``grad_w`` / ``grad_b``.

        Written for call overhead, which dominates at this size: the ReLU masks are taken in the
        forward pass, and bias gradients are a product with a row of ones.
        """
        activations = [xb]
        masks = [None]
        h = xb
        for w, b in zip(weights[:-1], biases[:-1], strict=True):
            h = np.matmul(h, w)
            h += b
            np.maximum(h, 0.0, out=h)
            activations.append(h)
            masks.append(h > 0)
        residual = (np.matmul(h, weights[-1]) + biases[-1]) - yb[..., None]
        batch = yb.shape[1]
        if self.loss == "mae":
            delta = np.sign(residual)
            delta *= DTYPE(1.0 / batch)
        else:
            delta = residual * DTYPE(2.0 / batch)
        ones = np.ones((self.n_members, 1, batch), dtype=DTYPE)
        for layer in range(len(weights) - 1, -1, -1):
            np.matmul(activations[layer].transpose(0, 2, 1), delta, out=grad_w[layer])
            np.matmul(ones, delta, out=grad_b[layer])
            if layer:
                delta = np.matmul(delta, weights[layer].transpose(0, 2, 1))
                delta *= masks[layer]

    # --- prediction ---------------------------------------------------------------------
    def predict_members(self, X: np.ndarray) -> np.ndarray:
        """Each member's prediction, in target units: shape (n_members, n)."""
        if self._weights is None:
            raise RuntimeError("MLPEnsemble.predict called before fit")
        h = np.asarray(X, dtype=DTYPE)
        for w, b in zip(self._weights[:-1], self._biases[:-1], strict=True):
            h = np.maximum(np.matmul(h, w) + b, 0.0)
        out = (np.matmul(h, self._weights[-1]) + self._biases[-1])[..., 0]
        return out.astype(np.float64) * self._y_std + self._y_mean

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The ensemble mean."""
        return self.predict_members(X).mean(axis=0)

    def predict_mean_std(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation across members (population std, as NASLib's ITS)."""
        preds = self.predict_members(X)
        return preds.mean(axis=0), preds.std(axis=0)


class MLPEnsemblePredictor(EncodedPredictor):
    """BANANAS's ensemble through the predictor protocol: ``predict`` is the ensemble mean.

    The hyperparameters default to ``MLPEnsemble``'s (the authors' code, see above) and the
    encoding to the path encoding where the space offers it (the BANANAS paper's), else one-hot.
    """

    name = "mlp"
    default_encoding = "auto"

    def __init__(
        self,
        space: Any,
        rng: np.random.Generator | None = None,
        encoding: str | None = None,
        **ensemble_params: Any,
    ) -> None:
        super().__init__(space, rng, encoding)
        if "random_state" in ensemble_params:
            raise ValueError("the ensemble's randomness comes from the predictor's rng")
        self.ensemble_params = ensemble_params
        MLPEnsemble(**ensemble_params)  # refuse bad hyperparameters now, not at fit time

    def fit(
        self, archs: np.ndarray, y: np.ndarray, info: dict | None = None
    ) -> MLPEnsemblePredictor:
        X = self._features(archs)
        y = self._check_xy(X, y)
        self.ensemble_ = MLPEnsemble(**self.ensemble_params, random_state=self.rng).fit(X, y)
        return self

    def predict(self, archs: np.ndarray, info: dict | None = None) -> np.ndarray:
        if not hasattr(self, "ensemble_"):
            raise RuntimeError("MLPEnsemblePredictor.predict called before fit")
        return self.ensemble_.predict(self._features(archs))

    def predict_mean_std(self, archs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation across members."""
        return self.ensemble_.predict_mean_std(self._features(archs))
