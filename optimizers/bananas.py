"""BANANAS: Bayesian optimization with a neural-network ensemble (White, Neiswanger & Savani,
AAAI 2021), as in the authors' code (naszilla) and NASLib's ``Bananas``.

The loop: evaluate ``num_init`` random archs; then, each round, fit an ensemble of MLPs on every
(encoding, value) seen; make candidates by mutating the best archs; score each candidate with
independent Thompson sampling (one draw from N(ensemble mean, ensemble std)); and evaluate the
``k`` best-scored candidates, one per ``ask()``, before fitting again. Scoring a candidate costs
nothing: only the archs that ``ask()`` returns are evaluated (and charged) by the harness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizers.base import Optimizer, OptimizerConfig, arch_key, draw_unseen
from predictors.mlp_ensemble import LOSSES, MLPEnsemble


@dataclass(frozen=True)
class BananasConfig(OptimizerConfig):
    """Defaults and their sources. "naszilla": the authors' code (github.com/naszilla/naszilla,
    ``bananas()`` and ``meta_neuralnet_params('standard')``); "NASLib": the NAS-Bench-Suite
    configuration of ``Bananas`` (``search.*``)."""

    num_init: int = 10  # random archs before the first fit: naszilla and NASLib, 10
    k: int = 10  # archs evaluated per fit: naszilla and NASLib, 10
    num_candidates: int = 100  # mutations scored per fit: naszilla and NASLib, 100
    num_arches_to_mutate: int = 2  # best archs mutated: NASLib 2 (naszilla 1, topped up)
    max_mutations: int = 1  # single-op edits per candidate: NASLib 1 (naszilla rate 1)
    num_ensemble: int = 5  # paper and naszilla: 5 networks (NASLib: 3)
    num_layers: int = 10  # naszilla: 10 fully connected layers
    layer_width: int = 20  # naszilla: width 20
    epochs: int = 150  # naszilla: 150 epochs (NASLib: 500)
    batch_size: int = 32  # naszilla and NASLib: 32
    lr: float = 0.01  # naszilla: Adam, learning rate 0.01 (beta_2 0.99 in the predictor)
    loss: str = "mae"  # naszilla 'standard' and NASLib's MLP default: mean absolute error
    # "auto": the path encoding (the paper's) where the space offers it, else one-hot.
    encoding: str = "auto"


class Bananas(Optimizer):
    """BANANAS with path encoding, an MLP ensemble, ITS and mutation-based candidates.

    Departures from NASLib, each to avoid paying budget for nothing: the random initial design
    redraws archs already evaluated (as ``rs`` does), and candidates are de-duplicated and
    exclude evaluated archs (as naszilla does). If no candidate is left (the best archs'
    neighbourhoods are all evaluated), the next arch is a random unevaluated one.
    """

    name = "bananas"
    Config = BananasConfig

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        cfg = self.config
        if cfg.loss not in LOSSES:
            raise ValueError(f"unknown loss {cfg.loss!r}; accepted: {', '.join(LOSSES)}")
        counts = (cfg.num_init, cfg.k, cfg.num_candidates, cfg.num_arches_to_mutate)
        if min(*counts, cfg.max_mutations) < 1:
            raise ValueError(
                "num_init, k, num_candidates, num_arches_to_mutate and max_mutations must be >= 1"
            )
        # A space lists its encodings in ``encodings``; one without the attribute has one-hot.
        offered = getattr(space, "encodings", ("onehot",))
        if cfg.encoding == "auto":
            self.encoding = "path" if "path" in offered else "onehot"
        elif cfg.encoding in offered:
            self.encoding = cfg.encoding
        else:
            raise ValueError(
                f"encoding {cfg.encoding!r} is not offered by {space.name}; accepted: auto, "
                f"{', '.join(offered)}"
            )
        self._seen: set[tuple[int, ...]] = set()
        self._queue: list[np.ndarray] = []
        self._n_asked = 0

    def ask(self) -> np.ndarray:
        if self._n_asked < self.config.num_init or not self.history_values:
            arch = self._random_unseen()
        else:
            if not self._queue:
                self._queue = self._next_batch()
            arch = self._queue.pop(0) if self._queue else self._random_unseen()
        self._n_asked += 1
        self._seen.add(arch_key(arch))
        return arch

    # --- one BANANAS round --------------------------------------------------------------
    def _next_batch(self) -> list[np.ndarray]:
        """Fit the ensemble, score the candidates by ITS, return the top ``k`` (best first)."""
        cfg = self.config
        archs = np.stack(self.history_archs)
        values = np.asarray(self.history_values, dtype=np.float64)
        candidates = self._candidates(archs, values)
        if len(candidates) == 0:
            return []
        ensemble = MLPEnsemble(
            n_members=cfg.num_ensemble,
            n_layers=cfg.num_layers,
            width=cfg.layer_width,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            loss=cfg.loss,
            random_state=self.rng,
        ).fit(self.space.encode(archs, self.encoding), values)
        mean, std = ensemble.predict_mean_std(self.space.encode(candidates, self.encoding))
        # Independent Thompson sampling: one draw per candidate from its own Gaussian.
        score = self.rng.normal(mean, std)
        order = np.argsort(-score, kind="stable")[: cfg.k]
        return [candidates[i] for i in order]

    def _candidates(self, archs: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Mutations of the best archs, unique and not yet evaluated, in order of creation."""
        cfg = self.config
        n_parents = min(cfg.num_arches_to_mutate, len(values))
        parents = archs[np.argsort(-values, kind="stable")[:n_parents]]
        per_parent = max(1, cfg.num_candidates // n_parents // cfg.max_mutations)
        children = np.repeat(parents, per_parent, axis=0)
        for _ in range(cfg.max_mutations):
            children = self.space.mutate(children, self.rng)
        keep, keys = [], set(self._seen)
        for i, child in enumerate(children):
            key = arch_key(child)
            if key not in keys:
                keys.add(key)
                keep.append(i)
        return children[keep]

    def _random_unseen(self) -> np.ndarray:
        return draw_unseen(lambda: self.space.sample(self.rng), self._seen)


