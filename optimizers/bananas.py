"""BANANAS: Bayesian optimization with a neural-network ensemble (White, Neiswanger & Savani,
AAAI 2021), as in the authors' code (naszilla: ``bananas`` in ``naszilla/nas_algorithms.py``,
``get_candidates`` in ``naszilla/nas_benchmarks.py``, ``Cell201`` in
``naszilla/nas_bench_201/cell_201.py``, ``MetaNeuralnet`` in ``naszilla/meta_neural_net.py``).

The loop: evaluate ``num_init`` random archs; then, each round, fit an ensemble of MLPs on every
(encoding, target) seen; make candidates by mutating the best archs (below); score each candidate
with independent Thompson sampling (one draw from N(ensemble mean, ensemble std)); and evaluate the
``k`` best-scored candidates, one per ``ask()``, before fitting again. Scoring a candidate costs
nothing: only the archs that ``ask()`` returns are evaluated (and charged) by the harness.

Candidates, as naszilla's ``get_candidates`` (``acq_opt_type='mutation'``) makes them: the
parents are the ``num_arches_to_mutate * patience_factor`` = 5 best evaluated archs, best first;
each parent in turn, while fewer than ``num_candidates`` (100) candidates exist, is mutated
``num_candidates / num_arches_to_mutate / max_mutation_rate`` = 100 times, and a mutation is kept
if it is neither evaluated nor already a candidate. So the set holds at least 100 unique,
unevaluated archs unless the 5 parents' 500 mutations run out, and may hold more (the count is
checked only between parents). On NB201 a mutation changes each of the 6 edges with probability
``rate / (6 - 2)`` = 1/4 to a different op (``Cell201.mutate``, ``mutate_encoding='adj'``), so
it may change none (then it is the parent, which is evaluated, and is dropped) or several.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.spaces.categorical import CategoricalSpace
from optimizers.base import Optimizer, OptimizerConfig, arch_key, draw_unseen
from predictors.mlp_ensemble import LOSSES, MLPEnsemble

TARGETS = ("auto", "error", "standardized")
# Spaces naszilla runs BANANAS on whose objective is an accuracy in percent, so that its target,
# the raw validation loss 100 - accuracy, is defined the same way here.
ERROR_TARGET_SPACES = ("nb201", "darts")
ERROR_OFFSET = 100.0  # naszilla's val_loss = 100 - validation accuracy (%)


@dataclass(frozen=True)
class BananasConfig(OptimizerConfig):
    """Defaults and their sources. "naszilla": the authors' code (github.com/naszilla/naszilla,
    ``bananas()`` defaults, ``get_candidates()`` defaults, ``meta_neuralnet_params('standard')``).

    Remaining differences from naszilla, each stated where it applies:

    - the harness serves one training seed per query by default (``--noise seed``); naszilla
      queries NB201 with ``deterministic=True``, the seed mean (``--noise mean`` does that);
    - if a round yields fewer than ``k`` candidates (all 5 parents' mutations evaluated), naszilla
      evaluates fewer archs that round and moves on; here each missing arch is a random
      unevaluated one, so every query of the budget is spent;
    - the MLPs are our numpy re-implementation of naszilla's Keras ``MetaNeuralnet`` (Glorot
      uniform weights, zero biases, Adam with beta_2 0.99 and Keras's epsilon 1e-7, shuffled
      minibatches), with their own random streams;
    - on spaces other than NB201 and TNB101-micro (categorical vectors), a mutation is the space's
      one-edit ``mutate`` (naszilla's NB301 mutation is its own; the other spaces are not in
      naszilla);
    - ``target='auto'`` fits naszilla's raw validation loss (100 - accuracy) on NB201 and DARTS,
      where the objective is an accuracy in percent; on TNB101 (not in naszilla; its objectives
      include SSIM and negative L2 losses) it fits standardized values, as NASLib's MLP does.
    """

    num_init: int = 10  # random archs before the first fit: naszilla DEFAULT_NUM_INIT 10
    k: int = 10  # archs evaluated per fit: naszilla DEFAULT_K 10
    num_candidates: int = 100  # get_candidates(num=100)
    num_arches_to_mutate: int = 1  # bananas(num_arches_to_mutate=1)
    patience_factor: int = 5  # get_candidates(patience_factor=5): parents = 1 * 5 best archs
    max_mutation_rate: int = 1  # bananas(max_mutation_rate=1): mutation rates 1..this
    num_ensemble: int = 5  # bananas(num_ensemble=5) (NASLib: 3)
    num_layers: int = 10  # meta_neuralnet_params('standard'): 10 dense ReLU layers
    layer_width: int = 20  # 'standard': width 20
    epochs: int = 150  # 'standard': 150 epochs (NASLib: 500)
    batch_size: int = 32  # 'standard': 32
    lr: float = 0.01  # 'standard': Adam, learning rate 0.01 (beta_2 0.99 in MetaNeuralnet.fit)
    loss: str = "mae"  # 'standard': mean absolute error
    # What the ensemble fits: "error" = 100 - value, raw (naszilla: DEFAULT_LOSS 'val_loss', fed
    # to Keras unscaled); "standardized" = z-scored value (NASLib's MLP); "auto" as above.
    target: str = "auto"
    # "auto": the space's default_encoding where it names one (NAS-Bench-Graph: one-hot,
    # measured better there), else trunc_path where the space offers it (naszilla's default
    # predictor_encoding: on NB201 cutoff 30, on DARTS 100), else path (the paper's), else
    # one-hot.
    encoding: str = "auto"

    def __post_init__(self) -> None:
        counts = (self.num_init, self.k, self.num_candidates, self.num_arches_to_mutate,
                  self.patience_factor, self.max_mutation_rate)
        if min(counts) < 1:
            raise ValueError(
                "num_init, k, num_candidates, num_arches_to_mutate, patience_factor and "
                f"max_mutation_rate must be >= 1, got {counts}"
            )
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; accepted: {', '.join(LOSSES)}")
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}; accepted: {', '.join(TARGETS)}")


class Bananas(Optimizer):
    """BANANAS with a (truncated) path encoding, an MLP ensemble, ITS and naszilla's
    mutation-based candidates.

    Departures from NASLib, as naszilla does: the random initial design has no duplicate, and
    candidates are de-duplicated and exclude evaluated archs.
    """

    name = "bananas"
    Config = BananasConfig

    def __init__(self, space, rng, config=None, budget=None):
        super().__init__(space, rng, config, budget)
        cfg = self.config
        # A space lists its encodings in ``encodings``; one without the attribute has one-hot.
        offered = getattr(space, "encodings", ("onehot",))
        if cfg.encoding == "auto":
            first = getattr(space, "default_encoding", None)
            preferred = [e for e in (first, "trunc_path", "path") if e in offered]
            self.encoding = preferred[0] if preferred else "onehot"
        elif cfg.encoding in offered:
            self.encoding = cfg.encoding
        else:
            raise ValueError(
                f"encoding {cfg.encoding!r} is not offered by {space.name}; accepted: auto, "
                f"{', '.join(offered)}"
            )
        self.target = cfg.target
        if self.target == "auto":
            self.target = "error" if space.name in ERROR_TARGET_SPACES else "standardized"
        self._seen: set[tuple[int, ...]] = set()
        self._queue: list[np.ndarray] = []
        self._n_asked = 0
        self.n_candidates_: list[int] = []  # candidates scored in each round

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
        values = self._fit_targets()
        candidates = self.candidates(archs, values)
        self.n_candidates_.append(len(candidates))
        if len(candidates) == 0:
            return []
        error = self.target == "error"
        ensemble = MLPEnsemble(
            n_members=cfg.num_ensemble,
            n_layers=cfg.num_layers,
            width=cfg.layer_width,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            loss=cfg.loss,
            standardize=not error,
            random_state=self.rng,
        ).fit(self.space.encode(archs, self.encoding), ERROR_OFFSET - values if error else values)
        mean, std = ensemble.predict_mean_std(self.space.encode(candidates, self.encoding))
        if error:  # back to values: higher is better
            mean = ERROR_OFFSET - mean
        # Independent Thompson sampling: one draw per candidate from its own Gaussian.
        score = self.rng.normal(mean, std)
        order = np.argsort(-score, kind="stable")[: cfg.k]
        return [candidates[i] for i in order]

    def _fit_targets(self) -> np.ndarray:
        """What the ensemble learns for each evaluated arch (higher is better): the observed
        values here; a scalarization of several objectives in ``parego``."""
        return np.asarray(self.history_values, dtype=np.float64)

    def candidates(self, archs: np.ndarray, values: np.ndarray) -> np.ndarray:
        """naszilla's ``get_candidates``: mutations of the best archs, unique and unevaluated,
        in order of creation (see the module docstring)."""
        cfg = self.config
        n_parents = min(cfg.num_arches_to_mutate * cfg.patience_factor, len(values))
        parents = archs[np.argsort(-values, kind="stable")[:n_parents]]
        rounds = int(cfg.num_candidates / cfg.num_arches_to_mutate / cfg.max_mutation_rate)
        keep: list[np.ndarray] = []
        keys = set(self._seen)
        for parent in parents:
            if len(keep) >= cfg.num_candidates:
                break
            # rounds x rates mutations, in naszilla's loop order (round-major).
            rates = np.tile(np.arange(1, cfg.max_mutation_rate + 1), rounds)
            children = self._mutate(np.repeat(parent[None, :], len(rates), axis=0), rates)
            for child in children:
                key = arch_key(child)
                if key not in keys:
                    keys.add(key)
                    keep.append(child)
        if not keep:
            return np.empty((0, archs.shape[1]), dtype=np.int64)
        return np.stack(keep)

    def _mutate(self, archs: np.ndarray, rates: np.ndarray) -> np.ndarray:
        """naszilla's mutation at ``rates``: on a categorical space (NB201: ``Cell201.mutate``)
        each position changes with probability ``rate / (d - 2)``; elsewhere one edit each."""
        if isinstance(self.space, CategoricalSpace):
            prob = np.minimum(1.0, rates / max(self.space.n_dims - 2, 1))[:, None]
            return self.space.mutate_each(archs, self.rng, prob)
        return self.space.mutate(archs, self.rng)

    def _random_unseen(self) -> np.ndarray:
        return draw_unseen(lambda: self.space.sample(self.rng), self._seen)

    def diagnostics(self) -> dict:
        """How many candidates each round scored, the encoding and the fitted target."""
        return {"candidates_per_round": list(self.n_candidates_), "encoding": self.encoding,
                "target": self.target}
