"""BOHB (Falkner, Klein & Hutter, ICML 2018, "BOHB: Robust and Efficient Hyperparameter
Optimization at Scale"): Hyperband whose new archs come from a TPE-style density model.

No maintained implementation fits the ask/tell protocol over this harness's integer arch
vectors without a ConfigSpace translation layer and its own worker/master loop (HpBandSter is
unmaintained; SMAC3's BOHB facade drives its own runner), so this is our own, written after
HpBandSter's ``config_generators/bohb.py`` (the authors' code) with its defaults:

- A model is kept per rung once that rung has enough results: the best ``top_n_percent`` = 15 %
  (at least ``d + 1``, d = the arch's dimensions) are "good", the next ones (at least ``d + 1``)
  "bad"; each set gets a product kernel density (Aitchison-Aitken kernel per categorical
  position, statsmodels' ``KDEMultivariate`` with ``var_type='u'``), bandwidth by the normal
  reference rule ``1.06 * std * n^(-1 / (4 + d))``, at least ``min_bandwidth = 1e-3``.
  HpBandSter builds it only when both sets have more rows than dimensions.
- A new arch: with probability ``random_fraction = 1/3``, or while no rung has a model, uniform;
  else, on the highest rung with a model, ``num_samples = 64`` candidates are drawn from the good
  density (a random good arch; each position kept with probability ``1 - bandwidth``, else
  uniform) and the one with the least ``bad(x) / good(x)`` is taken.

Differences from HpBandSter, each a choice: the kernel's number of levels per position is the
space's number of choices (statsmodels counts the levels seen in the data, and divides by zero
when a position has one level); the categorical bandwidth is capped at ``(c - 1) / c``, where the
kernel is uniform (the normal reference rule on integer codes can exceed 1 and make the kernel
negative); a candidate the space rejects (DARTS: a node's two inputs equal) is skipped; archs are
not repeated within a run; brackets are strictly synchronous as in ``optimizers.hyperband``
(HpBandSter starts the next bracket on idle workers); ``bandwidth_factor`` applies to
continuous parameters only, and archs have none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.oracle import Observation
from optimizers.base import arch_key
from optimizers.hyperband import Hyperband, HyperbandConfig


@dataclass(frozen=True)
class BOHBConfig(HyperbandConfig):
    """HpBandSter's BOHB defaults (``hpbandster/optimizers/bohb.py``): eta 3,
    ``top_n_percent`` 15, ``num_samples`` 64, ``random_fraction`` 1/3, ``min_bandwidth``
    1e-3; ``min_points_in_model`` None means d + 1."""

    top_n_percent: int = 15
    num_samples: int = 64
    random_fraction: float = 1 / 3
    min_bandwidth: float = 1e-3
    min_points_in_model: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (0 < self.top_n_percent < 100):
            raise ValueError(f"top_n_percent must be in 1..99, got {self.top_n_percent!r}")
        if not (0 <= self.random_fraction <= 1):
            raise ValueError(f"random_fraction must be in [0, 1], got {self.random_fraction!r}")
        if self.num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, got {self.num_samples!r}")


class KDE:
    """Product Aitchison-Aitken kernel density over categorical vectors (n, d)."""

    def __init__(self, data: np.ndarray, levels: np.ndarray, min_bandwidth: float) -> None:
        self.data = np.asarray(data, dtype=np.int64)
        self.levels = np.asarray(levels, dtype=np.int64)
        n, d = self.data.shape
        bw = 1.06 * self.data.std(axis=0) * n ** (-1.0 / (4 + d))  # normal reference rule
        self.bw = np.clip(bw, min_bandwidth, (self.levels - 1) / self.levels)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density at each row of ``x`` (m, d)."""
        same = x[:, None, :] == self.data[None, :, :]  # (m, n, d)
        kernel = np.where(same, 1 - self.bw, self.bw / (self.levels - 1))
        return kernel.prod(axis=2).mean(axis=1)


class BOHB(Hyperband):
    """Hyperband with BOHB's model-based sampling (see the module docstring)."""

    name = "bohb"
    Config = BOHBConfig

    def __init__(self, space, rng, config=None, budget=None, fidelities=None):
        super().__init__(space, rng, config, budget, fidelities)
        self._levels = np.asarray(space.n_choices, dtype=np.int64)
        d = self._levels.size
        self._min_points = self.config.min_points_in_model or d + 1
        self._observed: list[list[tuple[np.ndarray, float]]] = [[] for _ in self.rungs]
        self.models: dict[int, tuple[KDE, KDE]] = {}
        self.sampled_from_model = 0

    def tell(self, arch: np.ndarray, observation: Observation) -> None:
        super().tell(arch, observation)
        rung = self._rung_of[observation.fidelity]
        self._observed[rung].append((np.asarray(arch), observation.value))
        self._fit(rung)

    def _fit(self, rung: int) -> None:
        """HpBandSter's ``new_result``: (re)build the rung's good and bad densities."""
        observed = self._observed[rung]
        n, d = len(observed), self._levels.size
        if n < self._min_points:
            return
        archs = np.stack([a for a, _ in observed])
        order = np.argsort([-v for _, v in observed], kind="stable")  # best first
        n_good = max(self._min_points, self.config.top_n_percent * n // 100)
        n_bad = max(self._min_points, (100 - self.config.top_n_percent) * n // 100)
        good, bad = archs[order[:n_good]], archs[order[n_good:n_good + n_bad]]
        if good.shape[0] <= d or bad.shape[0] <= d:
            return
        self.models[rung] = (KDE(good, self._levels, self.config.min_bandwidth),
                             KDE(bad, self._levels, self.config.min_bandwidth))

    def _sample_arch(self) -> np.ndarray:
        """HpBandSter's ``get_config``."""
        if not self.models or self.rng.random() < self.config.random_fraction:
            return self._new_arch()
        good, bad = self.models[max(self.models)]
        picks = self.rng.integers(0, good.data.shape[0], size=self.config.num_samples)
        keep = self.rng.random((self.config.num_samples, good.bw.size)) < 1 - good.bw
        uniform = (self.rng.random(keep.shape) * self._levels).astype(np.int64)
        candidates = np.where(keep, good.data[picks], uniform)
        if hasattr(self.space, "canonical"):
            candidates = self.space.canonical(candidates)
        valid = self.space.is_valid(candidates)
        fresh = np.array([arch_key(c) not in self._started for c in candidates])
        usable = valid & fresh
        if not usable.any():
            return self._new_arch()
        ratio = np.maximum(bad.pdf(candidates), 1e-32) / np.maximum(good.pdf(candidates), 1e-32)
        ratio[~usable] = np.inf
        arch = candidates[int(np.argmin(ratio))]
        self._started.add(arch_key(arch))
        self.sampled_from_model += 1
        return arch

    def diagnostics(self) -> dict:
        return {**super().diagnostics(), "sampled_from_model": self.sampled_from_model,
                "model_rungs": sorted(self.models)}
