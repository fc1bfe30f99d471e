"""Learning-curve extrapolation with parametric curve families (Domhan, Springenberg & Hutter,
IJCAI 2015, "Speeding up automatic hyperparameter optimization of deep neural networks by
extrapolation of learning curves").

Domhan et al. fit 11 parametric families (their Table 1) to the partial validation curve and
combine them. Under least squares several are the same set of curves in another
parametrisation: Janoschek ``a - (a - b) exp(-k x^d)``, Weibull ``a - (a - b) exp(-(k x)^d)``
and exp4 ``c - exp(-a x^alpha + b)`` are one family, as are Hill3 ``t x^e / (k^e + x^e)`` and
log power ``a / (1 + (x / e^b)^c)``. Each is fitted once, which leaves 8 families:

==================  ============================  ==================  ================
family              curve (x = epoch, from 1)     nonlinear (grid)    linear
==================  ============================  ==================  ================
``pow3``            c - a x^-alpha                alpha               c, a >= 0
``pow4``            c - a (x + s)^-alpha          alpha, s            c, a >= 0
``log_power``       a / (1 + (m / x)^e)           m, e                a >= 0
``vapor_pressure``  a exp(b / x) x^c              b, c                a >= 0
``mmf``             a - b / (1 + (k x)^d)         k, d                a, b >= 0
``janoschek``       a - b exp(-k x^d)             k, d                a, b >= 0
``ilog2``           c - a / log(x + 1)            -                   c, a >= 0
``loglog_linear``   log(a log x + b)              r = b / a           log a
==================  ============================  ==================  ================

Fitting. Each family is linear in one or two coefficients given its nonlinear parameters, so
the least-squares fit is done by variable projection (Golub & Pereyra 1973): for every
nonlinear value on a grid the optimal coefficients are a closed-form 1x1 or 2x2 solve, the grid
point with the least squared error wins, and the grid is then zoomed around each curve's winner
(``refinements`` times, 9 points per dimension over one previous step either side). This is
all batched numpy over curves and grid points: no per-curve optimizer, no failed starts; 500
curves of 100 epochs take about 2 s on a loaded 2-core machine (``curve_fit`` took about 100 s
for 200 curves and 6 families). The fit reaches the least-squares error of
``scipy.optimize.curve_fit`` started from Domhan et al.'s initial values, or a lower one where
curve_fit stops in a local minimum (tested).

Constraints (Domhan et al.'s prior, as hard constraints): a fit counts only if its curve is
increasing (the sign constraints above) and its value at ``final_epoch`` is finite, in
[0, 100] % and not below its value at epoch 1; grid points violating them are skipped.

Combination: the simple average of the families' extrapolations, i.e. Domhan et al.'s model
combination with equal weights (their starting point, and the weights NASLib's ``LCEPredictor``
keeps), without their MCMC over parameters and weights. ``combine="inverse_sse"`` weights each
family by the inverse of its squared fitting error instead. A curve no family fits gets its
last observed value.

Measured on nb201-cifar10 (the 200 archs with curves; Kendall tau with the final validation
accuracy): at half the schedule (100 of 200 epochs) the combination ranks better than the last
observed value (0.777 against 0.738), about as well as the mean of the last 5 epochs (0.781);
at 50 epochs it ties with the last value (0.699 against 0.702) and at 20 epochs it is worse
(0.599 against 0.656). The likely reason: NB201 trains with cosine annealing over 200 epochs,
so accuracy still rises steeply at the end, when the learning rate vanishes, a shape none of
these saturating families has. Alone, ``loglog_linear`` does best (0.68, 0.75, 0.80 at 20, 50,
100 epochs) and the 4-parameter families worst; the default keeps Domhan et al.'s whole set
rather than a set picked on these 200 curves.

Differences from NASLib's ``LCEPredictor`` (``naslib/predictors/lce``, Domhan's
pylearningcurvepredictor), the ``lce`` White et al. 2021 evaluate: it uses 4 families
(``logloglinear, logpower, mmf, hill3``; hill3 and log power are one family under least
squares, so 3 here), fits each by Gaussian maximum likelihood (the least-squares optimum) with
L-BFGS-B from an all-ones start, then runs a Metropolis-Hastings chain (300 steps on NB201, 1000
on DARTS) over every parameter, the 4 weights and the noise variance, with Gaussian random-walk
proposals of standard deviation 1e-4, rejecting candidates whose curve does not rise from epoch
1 to the epoch after the last seen; it predicts the chain's mean ensemble value at the final
epoch (85 % plus noise if that is not finite). A random walk of 300 steps of 1e-4 moves a
parameter by about 2e-3 (1e-4 x sqrt(300)) from the maximum-likelihood start, so its prediction
is in effect the equal-weight mean of the maximum-likelihood fits: what this module computes,
with least squares by variable projection (not a local optimizer from one start), 8 families
and no chain. Measured
consequence of the family set (nb201-cifar10, the 200 archs with curves, Kendall tau at 20 /
50 / 100 epochs): the default 0.599 / 0.699 / 0.777, NASLib's set
(``families=("loglog_linear", "log_power", "mmf")``) 0.616 / 0.713 / 0.779, the last observed
value 0.656 / 0.702 / 0.738.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from predictors.base import Predictor

COMBINE = ("mean", "inverse_sse")

Basis = Callable[..., list[np.ndarray]]


@dataclass(frozen=True)
class Family:
    """One parametric curve family in the form ``sum_j w_j basis_j(x; theta) + offset(x; theta)``.

    ``grid``: per nonlinear parameter ``(lo, hi, log)``; ``basis(x, *theta)`` returns the
    columns; ``positive[j]``: coefficient ``j`` must be >= 0 (the curve increases).
    """

    name: str
    grid: tuple[tuple[float, float, bool], ...]
    basis: Basis
    positive: tuple[bool, ...]
    offset: Callable[..., np.ndarray] | None = None

    @property
    def n_params(self) -> int:
        return len(self.grid) + len(self.positive)


def _ones(x: np.ndarray, *theta: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(x.shape, *(t.shape for t in theta))
    return np.ones(shape)


FAMILIES: tuple[Family, ...] = (
    Family("pow3", ((1e-3, 3.0, True),),
           lambda x, al: [_ones(x, al), -(x ** -al)], (False, True)),
    Family("pow4", ((1e-3, 3.0, True), (0.1, 1e3, True)),  # (alpha, s + 1): x + s > 0 at x = 1
           lambda x, al, s1: [_ones(x, al, s1), -((x - 1.0 + s1) ** -al)], (False, True)),
    Family("log_power", ((0.1, 1e4, True), (0.01, 10.0, True)),
           lambda x, m, e: [1.0 / (1.0 + (m / x) ** e)], (True,)),
    Family("vapor_pressure", ((-10.0, 2.0, False), (-1.0, 1.0, False)),
           lambda x, b, c: [np.exp(b / x + c * np.log(x))], (True,)),
    Family("mmf", ((1e-4, 10.0, True), (0.05, 10.0, True)),
           lambda x, k, d: [_ones(x, k, d), -1.0 / (1.0 + (k * x) ** d)], (False, True)),
    Family("janoschek", ((1e-4, 10.0, True), (0.05, 5.0, True)),
           lambda x, k, d: [_ones(x, k, d), -np.exp(-k * x**d)], (False, True)),
    Family("ilog2", (), lambda x: [np.ones_like(x), -1.0 / np.log(x + 1.0)], (False, True)),
    Family("loglog_linear", ((1e-3, 1e4, True),),
           lambda x, r: [_ones(x, r)], (False,),
           offset=lambda x, r: np.log(np.log(x) + r)),
)
FAMILY_NAMES = tuple(f.name for f in FAMILIES)


# --- batched variable projection ----------------------------------------------------------
def _to_theta(u: np.ndarray, grid: tuple[tuple[float, float, bool], ...]) -> list[np.ndarray]:
    """Grid coordinates (..., p) to parameter values (log10 coordinates where ``log``)."""
    return [10.0 ** u[..., j] if log else u[..., j] for j, (_, _, log) in enumerate(grid)]


def _fit_on_grid(family: Family, Y: np.ndarray, x: np.ndarray, x_end: float,
                 u: np.ndarray) -> tuple[np.ndarray, ...]:
    """Best grid point per curve. ``Y`` (n, T), ``u`` (m, G, p) grid coordinates, m in {1, n}.

    Returns per curve: index of the best grid point, its squared error and its value at
    ``x_end``; the error is inf where no grid point gives a valid fit.
    """
    xs = np.concatenate([x, [x[0], x_end]])  # fitted epochs, then epoch 1 and the final one
    theta = [t[..., None] for t in _to_theta(u, family.grid)]  # each (m, G, 1)
    with np.errstate(all="ignore"):  # overflow or 0/0 at extreme grid points: judged below
        return _project(family, Y, x, xs, theta)


def _project(family: Family, Y: np.ndarray, x: np.ndarray, xs: np.ndarray,
             theta: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    n = Y.shape[0]
    cols = np.stack(np.broadcast_arrays(*family.basis(xs, *theta)), axis=-1)  # (m, G, T+2, k)
    off = family.offset(xs, *theta) if family.offset is not None else None
    T = x.size
    G = cols.shape[1]
    B = cols[..., :T, :]  # (m, G, T, k)
    k = B.shape[-1]
    # Small per-grid-point arrays are broadcast (as views) to one row per curve.
    b_ends = np.broadcast_to(cols[..., T:, :], (n, G, 2, k))
    BtY = (Y[:, None, None, :] @ B)[..., 0, :]  # (n, G, k)
    BtB = np.broadcast_to(np.swapaxes(B, -1, -2) @ B, (n, G, k, k))
    yy = np.einsum("nt,nt->n", Y, Y)[:, None]  # (n, 1)
    if off is not None:  # fit Y - offset instead of Y
        off = np.broadcast_to(off, cols.shape[:-1])
        o = np.broadcast_to(off[..., :T], (n, G, T))
        BtY = BtY - np.broadcast_to(np.einsum("mgtk,mgt->mgk", B, off[..., :T]), (n, G, k))
        yy = yy - 2.0 * np.einsum("nt,ngt->ng", Y, o) + np.einsum("ngt,ngt->ng", o, o)
    if k == 1:
        coef = BtY / BtB[..., 0]
    else:  # closed-form 2x2 solve
        a, b, d = BtB[..., 0, 0], BtB[..., 0, 1], BtB[..., 1, 1]
        det = a * d - b * b
        coef = np.stack([d * BtY[..., 0] - b * BtY[..., 1],
                         a * BtY[..., 1] - b * BtY[..., 0]], axis=-1) / det[..., None]
    # ||y - B w||^2 = y.y - 2 w.B'y + w'B'Bw, without forming the (n, G, T) residuals.
    sse = yy - 2.0 * np.einsum("ngk,ngk->ng", coef, BtY) + np.einsum(
        "ngk,ngkl,ngl->ng", coef, BtB, coef)
    ends = np.einsum("ngk,ngek->nge", coef, b_ends)
    if off is not None:
        ends = ends + np.broadcast_to(off[..., T:], (n, G, 2))
    start, end = ends[..., 0], ends[..., 1]
    positive = np.asarray(family.positive)
    valid = (
        np.isfinite(sse) & np.isfinite(end) & (end >= 0.0) & (end <= 1.0) & (end >= start)
        & ((coef >= 0.0) | ~positive).all(axis=-1)
    )
    sse = np.where(valid, np.maximum(sse, 0.0), np.inf)
    best = np.argmin(sse, axis=1)
    rows = np.arange(n)
    return best, sse[rows, best], end[rows, best]


def _grid(axes: list[np.ndarray]) -> np.ndarray:
    """Cartesian product of 1-D axes as grid coordinates of shape (1, G, p); G = 1 if p = 0."""
    if not axes:
        return np.zeros((1, 1, 0))
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(1, -1, len(axes))


def fit_family(family: Family, Y: np.ndarray, x_end: float, grid_points: int = 40,
               refinements: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares fit of one family to each row of ``Y`` (n, T) (values in [0, 1], epochs
    1..T). Returns the value at epoch ``x_end`` and the squared error, NaN / inf where no valid
    fit exists."""
    n, T = Y.shape
    x = np.arange(1, T + 1, dtype=np.float64)
    p = len(family.grid)
    if family.n_params >= T:
        return np.full(n, np.nan), np.full(n, np.inf)
    lo = np.array([np.log10(a) if log else a for a, _, log in family.grid])
    hi = np.array([np.log10(b) if log else b for _, b, log in family.grid])
    u = _grid([np.linspace(lo[j], hi[j], grid_points) for j in range(p)])
    best, sse, end = _fit_on_grid(family, Y, x, x_end, u)
    if not p:  # nothing nonlinear: the one "grid point" is the exact least-squares fit
        return np.where(np.isfinite(sse), end, np.nan), sse
    step = (hi - lo) / (grid_points - 1)
    offsets = _grid([np.linspace(-1.0, 1.0, 9)] * p)
    for _ in range(refinements):
        centre = u[np.arange(n) if u.shape[0] == n else 0, best]  # (n, p)
        u = np.clip(centre[:, None, :] + offsets * step, lo, hi)  # (n, 81, p)
        new_best, new_sse, new_end = _fit_on_grid(family, Y, x, x_end, u)
        # The zoomed grid contains the previous winner, so the error cannot increase; keep the
        # old answer where the zoom found no valid point (only possible at inf already).
        better = new_sse <= sse
        best = new_best
        sse = np.where(better, new_sse, sse)
        end = np.where(better, new_end, end)
        step = step / 4.0
    return np.where(np.isfinite(sse), end, np.nan), sse


class LCEPredictor(Predictor):
    """Extrapolates each partial validation curve ``info["curve"]`` (n, epochs_seen), in %, to
    ``final_epoch``. Needs no training: each curve is extrapolated on its own."""

    name = "lce"
    needs = frozenset({"curve"})
    requires_fit = False

    def __init__(
        self,
        space: Any = None,
        rng: np.random.Generator | None = None,
        final_epoch: int = 200,
        families: tuple[str, ...] = FAMILY_NAMES,
        combine: str = "mean",
        grid_points: int = 40,
        refinements: int = 2,
    ) -> None:
        super().__init__(space, rng)
        unknown = [f for f in families if f not in FAMILY_NAMES]
        if unknown or not families:
            raise ValueError(f"unknown curve families {unknown!r}; accepted: "
                             f"{', '.join(FAMILY_NAMES)}")
        if combine not in COMBINE:
            raise ValueError(f"unknown combine {combine!r}; accepted: {', '.join(COMBINE)}")
        if final_epoch < 1:
            raise ValueError(f"final_epoch must be >= 1, got {final_epoch}")
        self.final_epoch = int(final_epoch)
        self.families = tuple(families)
        self.combine = combine
        self.grid_points = grid_points
        self.refinements = refinements

    def extrapolate(self, curves: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per family: (value at ``final_epoch`` in %, squared fitting error in %^2)."""
        Y = np.asarray(curves, dtype=np.float64) / 100.0
        out = {}
        for family in FAMILIES:
            if family.name in self.families:
                end, sse = fit_family(family, Y, float(self.final_epoch), self.grid_points,
                                      self.refinements)
                out[family.name] = (end * 100.0, sse * 1e4)
        return out

    def predict(self, archs: np.ndarray | None = None, info: dict | None = None) -> np.ndarray:
        curves = _curves(info)
        seen = curves.shape[1]
        if seen >= self.final_epoch:  # nothing to extrapolate
            return curves[:, self.final_epoch - 1].copy()
        fits = self.extrapolate(curves)
        ends = np.stack([end for end, _ in fits.values()])  # (families, n)
        if self.combine == "mean":
            weights = np.isfinite(ends).astype(np.float64)
        else:
            sse = np.stack([s for _, s in fits.values()])
            weights = np.where(np.isfinite(ends), 1.0 / np.maximum(sse, 1e-12), 0.0)
        total = weights.sum(axis=0)
        combined = (np.nan_to_num(ends) * weights).sum(axis=0) / np.where(total > 0, total, 1.0)
        return np.where(total > 0, combined, curves[:, -1])


def _curves(info: dict | None) -> np.ndarray:
    if not info or "curve" not in info:
        raise ValueError("lce needs info['curve']: partial validation curves (n, epochs_seen)")
    curves = np.asarray(info["curve"], dtype=np.float64)
    if curves.ndim != 2 or curves.shape[1] < 1:
        raise ValueError(f"info['curve'] must have shape (n, epochs_seen), got {curves.shape}")
    if not np.isfinite(curves).all():
        raise ValueError("info['curve'] has non-finite values")
    return curves
