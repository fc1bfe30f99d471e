"""Evaluate performance predictors: ``python -m predictors.evaluate --predictor gp,xgb
--bench nb201-cifar10 --train-sizes 10,25,50,100,200,400 --test-size 500 --seeds 10``.

The protocol (after White et al., NeurIPS 2021, "How powerful are performance predictors in
neural architecture search?", and NASLib's predictor evaluator):

- For each seed, a random test set of ``--test-size`` distinct archs is drawn once; it is the
  same for every predictor and every training size of that seed. Training sets are drawn from
  the other archs of the same seeded shuffle and are nested: the first 10 of the 25, the first
  25 of the 50, and so on, so a bigger training set only adds data.
- The target is the benchmark's seed-mean validation accuracy, ``bench.query(archs,
  bench.objective)`` (never a test metric).
- A predictor is fitted on each training set and scores the test set; we record Kendall tau
  (tau-b), Spearman and Pearson correlations with the target (``scipy.stats``), precision@10
  (the fraction of the test set's true top 10 among the predicted top 10), and the fit and
  query wall-clock seconds.
- Learning-curve predictors (``needs`` has ``"curve"``) are evaluated at fidelities instead:
  fractions of the training schedule (``--fidelities 0.1,0.25,0.5``); the partial curves are
  cut at that fraction of the benchmark's epochs. Their archs are the archs that have curves
  (nb201-cifar10: the 200 of rows 0-199), the test set all of them or ``--test-size`` of them
  if fewer.
- Predictors that need no training (``requires_fit = False``: learning-curve extrapolation,
  zero-cost proxies) are scored once per seed (and fidelity) on the test set, with train size
  reported as 0.

Results: one Parquet file per (benchmark, predictor, seed) under ``--out``, written atomically
by ``harness.results.ResultsStore`` (a row per training size and fidelity; the job's manifest,
including the predictor's parameters and a hash of the test set, in the file metadata), so a
rerun skips what is done. ``experiment.json`` records the protocol (sizes, test size,
fidelities): a rerun with another protocol into the same folder is refused, while adding
predictors, benchmarks or seeds is not. The summary is mean ± standard error over seeds.

Hook for other information: ``build_info`` assembles the ``info`` dict a predictor's ``needs``
ask for, from ``INFO_BUILDERS`` (need -> builder). ``"network"``, ``"data"`` and ``"zc"`` have
no builder yet; a predictor needing them is refused with a message naming what is missing
(exit code 2) until a builder is registered there.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import inspect
import json
import math
import re
import sys
import time
import warnings
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

import benchmarks
from benchmarks.base import Benchmark
from harness import plugins
from harness.choices import parse_methods, parse_names
from harness.provenance import versions
from harness.report.tables import describe, mean_std_se
from harness.results import ExperimentMismatchError, ResultsStore
from predictors import registry, tau_check
from predictors.base import Predictor

DEFAULTS = {"train_sizes": "10,25,50,100,200,400", "test_size": 500, "seeds": 10,
            "fidelities": "0.1,0.25,0.5"}
TOP_K = 10
METRICS = ("kendall_tau", "spearman", "pearson", "precision_at_10")
_MAX_DRAWS = 100  # batches of random archs tried when sampling a space that cannot be listed


@dataclass(frozen=True)
class Protocol:
    """What a job's numbers depend on besides (benchmark, predictor, seed)."""

    train_sizes: tuple[int, ...]
    test_size: int
    fidelities: tuple[float, ...]
    zc_source: str = "compute"  # zero-cost proxies: computed on networks, or NAS-Bench-Suite-Zero


@dataclass(frozen=True)
class InfoArgs:
    """What ``build_info`` is told about the request: the fidelity (fraction of the schedule,
    None for final-fidelity predictors), the seed, and a generator for any randomness (e.g. the
    minibatch a zero-cost proxy scores)."""

    fidelity: float | None
    seed: int
    rng: np.random.Generator


# --- the information predictors need ------------------------------------------------------
CURVE_SAMPLE = 1_000  # archs drawn (seed 0) where curves come from a surrogate: nb301
CURVE_SAMPLE_SEED = 0


@lru_cache(maxsize=8)
def curve_pool(bench_name: str) -> np.ndarray:
    """The archs of ``bench_name`` that have full validation curves (empty if none). A
    surrogate with curves for every arch of a space too large to list (nb301-cifar10) gets a
    fixed sample of ``CURVE_SAMPLE`` distinct archs, the same in every process."""
    bench = benchmarks.load(bench_name)
    if not hasattr(bench, "learning_curves"):
        return np.empty((0, 0), dtype=np.int64)
    if not hasattr(bench, "all_archs"):
        rng = np.random.default_rng(CURVE_SAMPLE_SEED)
        archs = bench.space.sample(rng, 2 * CURVE_SAMPLE)
        _, first = np.unique(archs, axis=0, return_index=True)
        return archs[np.sort(first)[:CURVE_SAMPLE]]
    archs = bench.all_archs()
    try:
        curves = bench.learning_curves(archs, "valid_acc")
    except ValueError:  # e.g. nb201-cifar100: the public record has no curves for it
        return np.empty((0, archs.shape[1]), dtype=np.int64)
    return archs[np.isfinite(curves).all(axis=1)]


def _curve_epochs(bench: Benchmark) -> int:
    pool = curve_pool(bench.name)
    return int(bench.learning_curves(pool[:1], "valid_acc").shape[1])


def epochs_seen(bench: Benchmark, fidelity: float) -> int:
    """Epochs of the schedule at ``fidelity`` (a fraction): at least 1."""
    return max(1, int(round(fidelity * _curve_epochs(bench))))


def _encoding_info(bench: Benchmark, archs: np.ndarray, args: InfoArgs) -> dict:
    return {}  # encoding predictors encode the archs themselves


def _curve_info(bench: Benchmark, archs: np.ndarray, args: InfoArgs) -> dict:
    """``curve``: validation curves cut at the fidelity; ``train_curve`` likewise for the
    training accuracy where the benchmark has it (SoTL-style predictors)."""
    if args.fidelity is None:
        raise ValueError("curve information needs a fidelity (a fraction of the schedule)")
    seen = epochs_seen(bench, args.fidelity)
    info = {"curve": bench.learning_curves(archs, "valid_acc")[:, :seen]}
    with contextlib.suppress(ValueError):  # no training curves: predictors needing them say so
        info["train_curve"] = bench.learning_curves(archs, "train_acc")[:, :seen]
    return info


def _network_info(bench: Benchmark, archs: np.ndarray, args: InfoArgs) -> dict:
    from predictors import zerocost  # torch is imported only when a proxy is computed

    return zerocost.network_info(bench, archs, args)


# need -> builder(bench, archs, args) -> the info entries for that need. "data" is registered by
# ``use_data_dir`` when a CIFAR-10 folder is given (--data-dir).
INFO_BUILDERS: dict[str, Callable[[Benchmark, np.ndarray, InfoArgs], dict]] = {
    "encoding": _encoding_info,
    "curve": _curve_info,
    "train_curve": _encoding_info,  # supplied with "curve" by _curve_info where it exists
    "network": _network_info,
    "precomputed": _encoding_info,  # nothing to supply; the test set is drawn from the table
    "zc": lambda bench, archs, args: _zc_info(bench, archs, args),
}


def zc_proxies(bench_name: str) -> tuple[str, ...]:
    """The zero-cost features offered to predictors that need ``zc`` (omni, omni-xgb) on
    ``bench_name``: omni-xgb's default proxies that the NAS-Bench-Suite-Zero table holds for
    that benchmark (jacov, omni's, among them)."""
    from benchmarks import zerocost
    from predictors.omni_xgb import DEFAULT_PROXIES

    try:
        table = zerocost.load(bench_name)
    except ValueError:
        return ()
    present = [p for p in DEFAULT_PROXIES if p in table.proxies
               and np.isfinite(table.scores[:, table.proxies.index(p)]).any()]
    return tuple(present)


def _zc_info(bench: Benchmark, archs: np.ndarray, args: InfoArgs) -> dict:
    """``zc``: precomputed zero-cost scores of ``archs`` (n, n_proxies) and ``zc_proxies``, the
    column names; the archs come from ``zc_pool`` so every one has them."""
    from benchmarks import zerocost

    table = zerocost.load(bench.name)
    names = zc_proxies(bench.name)
    return {"zc": np.stack([table.score(archs, p) for p in names], axis=1), "zc_proxies": names}


@lru_cache(maxsize=16)
def zc_pool(bench_name: str) -> np.ndarray:
    """Archs of ``bench_name`` with every one of the zero-cost features of ``zc_proxies``."""
    from benchmarks import zerocost

    proxies = zc_proxies(bench_name)
    if not proxies:
        return np.empty((0, 0), dtype=np.int64)
    table = zerocost.load(bench_name)
    columns = [table.proxies.index(p) for p in proxies]
    return np.asarray(table.archs[np.isfinite(table.scores[:, columns]).all(axis=1)])


@lru_cache(maxsize=64)
def precomputed_pool(bench_name: str, proxy: str) -> np.ndarray:
    """The archs of ``bench_name`` with a NAS-Bench-Suite-Zero score for ``proxy`` (empty if
    none): the test set of a precomputed proxy is drawn from them."""
    from benchmarks import zerocost

    try:
        table = zerocost.load(bench_name)
    except ValueError:
        return np.empty((0, 0), dtype=np.int64)
    if proxy not in table.proxies:
        return np.empty((0, table.archs.shape[1]), dtype=np.int64)
    scored = np.isfinite(table.scores[:, table.proxies.index(proxy)])
    return np.asarray(table.archs[scored])


def use_data_dir(data_dir: str | Path) -> None:
    """Supply one minibatch of real images per (seed, setting) from the CIFAR-10 python folder
    ``data_dir`` to predictors that need data (zero-cost proxies)."""
    from predictors import zerocost

    INFO_BUILDERS["data"] = zerocost.data_info_builder(str(data_dir))


def arch_pool(bench_name: str, predictor_name: str, needs: frozenset[str]) -> np.ndarray | None:
    """The archs a predictor with ``needs`` can be evaluated on (None: any arch): those with
    learning curves, or with precomputed zero-cost scores."""
    if "curve" in needs:
        return curve_pool(bench_name)
    if "precomputed" in needs:
        return precomputed_pool(bench_name, predictor_name)
    if "zc" in needs:
        return zc_pool(bench_name)
    return None


def _is_zero_cost(predictor: str) -> bool:
    from predictors.zerocost import ZeroCostPredictor

    return predictor in registry.names() and issubclass(registry.get(predictor),
                                                         ZeroCostPredictor)


def _no_curves_reason(bench: Benchmark) -> str:
    """Why ``bench`` has no validation curves: its own refusal where it gives one (NB201's
    shipped tables, or the epochs an archive never evaluated)."""
    if hasattr(bench, "learning_curves") and hasattr(bench, "all_archs"):
        try:
            bench.learning_curves(bench.all_archs()[:1], "valid_acc")
        except ValueError as error:
            return str(error)
    return f"{bench.name} has no per-epoch learning curves"


def _has_train_curves(bench: Benchmark) -> bool:
    """Whether ``bench`` has training-accuracy curves for the archs it has curves for."""
    pool = curve_pool(bench.name)
    if pool.shape[0] == 0:
        return False
    try:
        bench.learning_curves(pool[:1], "train_acc")
    except ValueError:
        return False
    return True


def unmet_needs(bench: Benchmark, needs: frozenset[str], predictor: str = "") -> list[str]:
    """A sentence per need of a predictor that this evaluation cannot meet on ``bench``."""
    missing = []
    no_networks = getattr(bench, "no_networks", None)  # e.g. NAS-Bench-Graph says why
    scored = {"network", "data", "precomputed", "zc"} & set(needs) if no_networks else set()
    if no_networks and (scored or _is_zero_cost(predictor)):  # params/flops need no info
        missing.append(f"{', '.join(repr(n) for n in sorted(scored)) or 'a network'} "
                       f"({no_networks})")
    for need in sorted(set(needs) - scored):
        if need == "data" and need not in INFO_BUILDERS:
            missing.append("'data' (one minibatch of real images: give --data-dir, the CIFAR-10 "
                           "python-batch folder, or --zc-source precomputed)")
        elif need not in INFO_BUILDERS:
            missing.append(f"{need!r} (no information builder for it in "
                           "predictors.evaluate.INFO_BUILDERS)")
        elif need == "precomputed" and precomputed_pool(bench.name, predictor).shape[0] == 0:
            missing.append(f"'precomputed' (no NAS-Bench-Suite-Zero {predictor} scores for "
                           f"{bench.name})")
        elif need == "zc" and zc_pool(bench.name).shape[0] == 0:
            missing.append(f"'zc' (no NAS-Bench-Suite-Zero scores for {bench.name})")
        elif need == "curve" and curve_pool(bench.name).shape[0] == 0:
            missing.append(f"'curve' ({_no_curves_reason(bench)})")
        elif need == "train_curve" and not _has_train_curves(bench):
            missing.append(f"'train_curve' ({bench.name} has validation curves but no "
                           "training-accuracy curves)" if curve_pool(bench.name).shape[0]
                           else f"'train_curve' ({_no_curves_reason(bench)})")
    return missing


def build_info(bench: Benchmark, archs: np.ndarray, needs: frozenset[str],
               args: InfoArgs) -> dict:
    """The ``info`` dict for ``archs`` holding what ``needs`` asks for. Raises ValueError
    naming any need that has no builder (see ``INFO_BUILDERS``)."""
    missing = [need for need in needs if need not in INFO_BUILDERS]
    if missing:
        raise ValueError(f"cannot supply {', '.join(sorted(missing))} for {bench.name}: no "
                         "builder in predictors.evaluate.INFO_BUILDERS")
    info: dict[str, Any] = {}
    for need in sorted(needs):
        info.update(INFO_BUILDERS[need](bench, archs, args))
    return info


# --- splits -------------------------------------------------------------------------------
def _stream(*words: str | int) -> np.random.SeedSequence:
    """A seed sequence from the job's identity, the same in any process (crc32, not hash())."""
    entropy = [w if isinstance(w, int) else zlib.crc32(w.encode()) for w in words]
    return np.random.SeedSequence(entropy)


def _listable_pool(bench: Benchmark) -> np.ndarray | None:
    if not hasattr(bench, "all_archs"):
        return None
    archs = bench.all_archs()
    values = np.asarray(bench.query(archs, bench.objective), dtype=np.float64)
    return archs[np.isfinite(values)]


def draw_split(bench: Benchmark, seed: int, test_size: int, n_train: int,
               pool: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The seed's test set and its first ``n_train`` training archs, disjoint.

    From ``pool`` (or every arch of a tabular benchmark): one seeded shuffle, the test set its
    head and the training archs what follows, so a training set of size n is the same whatever
    larger sizes are requested. A space that cannot be listed (a surrogate) is sampled
    uniformly in a seeded stream with duplicates dropped, test archs first.
    """
    rng = np.random.default_rng(_stream("split", bench.name, seed))
    if pool is None:
        pool = _listable_pool(bench)
    if pool is not None:
        order = rng.permutation(pool.shape[0])
        test = pool[order[:test_size]]
        train = pool[order[test_size:test_size + n_train]]
        return test, train
    seen: set[bytes] = set()
    drawn: list[np.ndarray] = []
    for _ in range(_MAX_DRAWS):
        for arch in np.atleast_2d(bench.space.sample(rng, 256)):
            key = np.ascontiguousarray(arch).tobytes()
            if key not in seen:
                seen.add(key)
                drawn.append(arch)
        if len(drawn) >= test_size + n_train:
            archs = np.stack(drawn[:test_size + n_train])
            return archs[:test_size], archs[test_size:]
    raise ValueError(f"could not draw {test_size + n_train} distinct archs from {bench.name}")


# --- scores -------------------------------------------------------------------------------
def score(y_true: np.ndarray, y_pred: np.ndarray, k: int = TOP_K) -> dict[str, float]:
    """Kendall tau-b, Spearman, Pearson and precision@k of predictions against the truth."""
    from scipy import stats

    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    k = min(k, y_true.size)
    top_true = np.argsort(-y_true, kind="stable")[:k]
    top_pred = np.argsort(-y_pred, kind="stable")[:k]
    with warnings.catch_warnings():  # constant predictions: correlations are NaN, say so
        warnings.simplefilter("ignore")
        return {
            "kendall_tau": float(stats.kendalltau(y_true, y_pred).statistic),
            "spearman": float(stats.spearmanr(y_true, y_pred).statistic),
            "pearson": float(stats.pearsonr(y_true, y_pred).statistic),
            "precision_at_10": len(set(top_true) & set(top_pred)) / k if k else math.nan,
        }


# --- one job ------------------------------------------------------------------------------
def predictor_class(predictor: str | type) -> type[Predictor]:
    """A predictor class from a registered name, a ``package.module:ClassName`` or a class
    (checked: ``predictors.registry.check``)."""
    if isinstance(predictor, str):
        return registry.get(predictor)
    return registry.check(predictor)


def make_predictor(name: str | type, bench: Benchmark, rng: np.random.Generator,
                   protocol: Protocol | None = None) -> Predictor:
    """The predictor ``name`` (a name, import path or class) on ``bench``'s space. Two
    constructor arguments, where the predictor has them, are filled from the benchmark:
    ``final_epoch`` (the length of its learning curves) and ``benchmark`` (its name: zero-cost
    proxies key data and tables by it)."""
    cls = predictor_class(name)
    accepted = inspect.signature(cls.__init__).parameters
    kwargs: dict[str, Any] = {}
    if "final_epoch" in accepted and curve_pool(bench.name).shape[0]:
        kwargs["final_epoch"] = _curve_epochs(bench)
    if "benchmark" in accepted:
        kwargs["benchmark"] = bench.name
    if "zc_source" in accepted and protocol is not None:
        kwargs["zc_source"] = protocol.zc_source
    return cls(bench.space, rng=rng, **kwargs)


def needs_of(cls: type[Predictor], protocol: Protocol) -> frozenset[str]:
    """What ``cls`` needs under ``protocol`` (precomputed zero-cost scores need nothing)."""
    needs_with = getattr(cls, "needs_with", None)  # a plugin need not subclass Predictor
    if needs_with is None:
        return frozenset(cls.needs)
    return needs_with({"zc_source": protocol.zc_source})


def predictor_params(predictor: Predictor) -> dict:
    """The predictor's constructor parameters as stored on it (scikit-learn convention)."""
    params = {}
    for name in inspect.signature(type(predictor).__init__).parameters:
        if name not in ("self", "space", "rng") and hasattr(predictor, name):
            params[name] = getattr(predictor, name)
    return json.loads(json.dumps(params, default=str))


def run_job(bench_name: str, predictor: str | type, seed: int,
            protocol: Protocol) -> tuple[pa.Table, dict]:
    """Every (fidelity, train size) setting of one (benchmark, predictor, seed); ``predictor``
    is a registered name, a ``package.module:ClassName`` or a class."""
    bench = benchmarks.load(bench_name)
    cls = predictor_class(predictor)
    predictor_name = cls.name
    needs = needs_of(cls, protocol)
    uses_curves = "curve" in needs
    sizes = protocol.train_sizes if cls.requires_fit else (0,)
    fidelities: tuple[float | None, ...] = protocol.fidelities if uses_curves else (None,)
    pool = arch_pool(bench_name, predictor_name, needs)
    test_size = min(protocol.test_size, pool.shape[0]) if pool is not None else protocol.test_size
    test, train_pool = draw_split(bench, seed, test_size, max(sizes), pool)
    if train_pool.shape[0] < max(sizes):
        raise ValueError(
            f"{bench_name} has {train_pool.shape[0]} archs left for training beside a test set "
            f"of {test.shape[0]}; train sizes up to {max(sizes)} asked"
        )
    y_test = np.asarray(bench.query(test, bench.objective), dtype=np.float64)
    rows, params = [], {}
    for fidelity in fidelities:
        for n in sizes:
            setting = (n, 0 if fidelity is None else 1 + int(round(fidelity * 1e6)))
            rng = np.random.default_rng(_stream("predictor", bench_name, predictor_name, seed,
                                                *setting))
            # The info stream does not depend on the predictor: every predictor of a seed gets
            # the same information (e.g. the same minibatch for zero-cost proxies).
            info_args = InfoArgs(fidelity, seed,
                                 np.random.default_rng(_stream("info", bench_name, seed, *setting)))
            predictor = make_predictor(cls, bench, rng, protocol)
            params = predictor_params(predictor)
            fit_seconds = 0.0
            if cls.requires_fit:
                train = train_pool[:n]
                y_train = np.asarray(bench.query(train, bench.objective), dtype=np.float64)
                info = build_info(bench, train, needs, info_args)
                start = time.perf_counter()
                predictor.fit(train, y_train, info)
                fit_seconds = time.perf_counter() - start
            info = build_info(bench, test, needs, info_args)
            start = time.perf_counter()
            y_pred = np.asarray(predictor.predict(test, info), dtype=np.float64)
            query_seconds = time.perf_counter() - start
            rows.append({
                "benchmark": bench_name, "predictor": predictor_name, "seed": seed,
                "train_size": n, "fidelity": fidelity,
                "epochs_seen": None if fidelity is None else epochs_seen(bench, fidelity),
                "n_test": int(test.shape[0]), **score(y_test, y_pred),
                "fit_seconds": fit_seconds, "query_seconds": query_seconds,
            })
    manifest = {
        "job": {"benchmark": bench_name, "predictor": predictor_name, "seed": seed,
                **asdict(protocol)},
        "predictor": {"class": f"{cls.__module__}.{cls.__qualname__}", "params": params,
                      "needs": sorted(needs), "requires_fit": cls.requires_fit},
        "benchmark": {"kind": bench.kind, "checksum": bench.checksum,
                      "target": f"{bench.objective} (seed mean, default fidelity)"},
        "test_set_sha256": hashlib.sha256(np.ascontiguousarray(test, dtype=np.int64)).hexdigest(),
        "versions": versions(),
    }
    if not registry.is_builtin(cls):  # what ran: import path, distribution and its version
        manifest["plugin"] = plugins.provenance(cls)
    return pa.Table.from_pylist(rows, schema=SCHEMA), manifest


SCHEMA = pa.schema([
    ("benchmark", pa.string()), ("predictor", pa.string()), ("seed", pa.int64()),
    ("train_size", pa.int64()), ("fidelity", pa.float64()), ("epochs_seen", pa.int64()),
    ("n_test", pa.int64()), *((m, pa.float64()) for m in METRICS),
    ("fit_seconds", pa.float64()), ("query_seconds", pa.float64()),
])


def job_key(bench: str, predictor: str, seed: int) -> str:
    return f"{bench}/{predictor}/seed-{seed:04d}"


# --- summary ------------------------------------------------------------------------------
def summarize(store: ResultsStore, keys: Sequence[str]) -> list[dict]:
    """Mean and standard error over seeds per (benchmark, predictor, train size, fidelity).

    A rank correlation is undefined (NaN) on a seed where the predictor predicted one constant;
    such a seed is left out of that metric's mean (as the report does; the tau regression check
    counts it as 0 instead, since it pairs seeds), and ``seeds_scored`` says how many seeds the
    Kendall tau's mean is over, beside ``seeds``, how many ran."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for key in keys:
        table, _ = store.read(key)
        for row in table.to_pylist():
            groups[(row["benchmark"], row["predictor"], row["train_size"],
                    row["fidelity"])].append(row)
    out = []
    for (bench, pred, n, fid), rows in groups.items():
        entry = {"benchmark": bench, "predictor": pred, "train_size": n, "fidelity": fid,
                 "epochs_seen": rows[0]["epochs_seen"], "seeds": len(rows),
                 "seeds_scored": describe([r["kendall_tau"] for r in rows]).n,
                 "n_test": rows[0]["n_test"]}
        for metric in (*METRICS, "fit_seconds", "query_seconds"):
            mean, _, se = mean_std_se([r[metric] for r in rows])
            entry[metric], entry[f"{metric}_se"] = mean, se
        out.append(entry)
    return out


def format_summary(entries: list[dict]) -> str:
    lines = ["mean ± standard error over seeds; target: seed-mean validation accuracy",
             f"{'benchmark':<22} {'predictor':<10} {'train':>5} {'epochs':>6} {'seeds':>5} "
             f"{'kendall tau':>15} {'spearman':>15} {'pearson':>15} {'precision@10':>15} "
             f"{'fit s':>8} {'query s':>8}"]
    for e in entries:
        cells = [f"{e[m]:.3f} ± {e[m + '_se']:.3f}" for m in METRICS]
        epochs = "final" if e["epochs_seen"] is None else str(e["epochs_seen"])
        # "2/3": the tau of one seed is undefined (constant predictions), the means are over 2
        seeds = (str(e["seeds"]) if e["seeds_scored"] == e["seeds"]
                 else f"{e['seeds_scored']}/{e['seeds']}")
        lines.append(
            f"{e['benchmark']:<22} {e['predictor']:<10} {e['train_size']:>5} {epochs:>6} "
            f"{seeds:>5} " + " ".join(f"{c:>15}" for c in cells)
            + f" {e['fit_seconds']:>8.3f} {e['query_seconds']:>8.3f}"
        )
    return "\n".join(lines)


# --- command line -------------------------------------------------------------------------


def _ints(text: str, what: str) -> tuple[int, ...]:
    parts = [t.strip() for t in str(text).split(",") if t.strip()]
    if not parts or not all(re.fullmatch(r"\d+", p) and int(p) > 0 for p in parts):
        raise ValueError(f"bad {what} {text!r}: give positive integers separated by commas")
    return tuple(sorted({int(p) for p in parts}))


def _fractions(text: str) -> tuple[float, ...]:
    try:
        values = sorted({float(t) for t in str(text).split(",") if t.strip()})
    except ValueError:
        values = []
    if not values or not all(0.0 < v <= 1.0 for v in values):
        raise ValueError(f"bad --fidelities {text!r}: give fractions of the schedule in (0, 1], "
                         "e.g. 0.1,0.25,0.5")
    return tuple(values)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults shown, except None: those options' help says what not giving them means."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m predictors.evaluate", description=__doc__.splitlines()[0],
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--predictor", required=True,
                        help=f"comma-separated; accepted: {', '.join(registry.names())}, or "
                        "package.module:ClassName (a plugin)")
    parser.add_argument("--bench", required=True,
                        help=f"comma-separated; accepted: {', '.join(benchmarks.names())}")
    # None: not given (the defaults, or with --check-against the baseline's protocol)
    parser.add_argument("--train-sizes", default=None,
                        help=f"default {DEFAULTS['train_sizes']}")
    parser.add_argument("--test-size", default=None, help=f"default {DEFAULTS['test_size']}")
    parser.add_argument("--seeds", default=None,
                        help=f"number of seeds N: runs seeds 0..N-1 (default {DEFAULTS['seeds']}"
                        "; with --check-against the baseline's seeds, or the first N of them)")
    parser.add_argument("--fidelities", default=None,
                        help="fractions of the schedule, for learning-curve predictors "
                        f"(default {DEFAULTS['fidelities']})")
    parser.add_argument("--out", default=None, help="results folder; default "
                        "results/predictors/<protocol>")
    parser.add_argument("--zc-source", default=None, choices=("compute", "precomputed"),
                        help="zero-cost proxies: compute on the space's networks (needs "
                        "--data-dir) or read NAS-Bench-Suite-Zero's scores (default compute)")
    parser.add_argument("--data-dir", default=None,
                        help="CIFAR-10 python-batch folder (cifar-10-batches-py) for proxies")
    parser.add_argument("--nb201-tables", default=None, metavar="DIR",
                        help="answer the nb201-* benchmarks from tables built from the official "
                        "NATS-Bench archive (python -m benchmarks.build.nb201 --official-archive):"
                        " curves for every arch; default: the shipped tables (nb201-cifar10 "
                        "curves for 200 archs)")
    parser.add_argument("--quiet", action="store_true", help="no line per job")
    parser.add_argument("--check-against", default=None, metavar="BASELINE",
                        help="a Kendall-tau regression check: evaluate on the splits of "
                        "BASELINE (a results folder of this command, a stored baseline's "
                        "Parquet file, or 'suite' for the stored predictors suite), print tau "
                        "beside the baseline's, exit 1 on a regression (see predictors.tau_check)")
    parser.add_argument("--baseline-predictor", default=None,
                        help="with --check-against: the baseline's predictor to compare with "
                        "(default: the one of the same name)")
    parser.add_argument("--alpha", type=float, default=tau_check.ALPHA,
                        help="with --check-against: family-wise level of the one-sided paired "
                        "t-tests")
    parser.add_argument("--margin", type=float, default=tau_check.MARGIN,
                        help="with --check-against: a tau drop up to this is no regression")
    return parser


def parse(args: argparse.Namespace) -> tuple[dict[str, type], list[str], int, Protocol]:
    """Validate the arguments; ValueError names the bad value (and the accepted ones)."""
    preds = parse_methods(args.predictor, registry, "predictor")
    benches = parse_names(args.bench, benchmarks.names(), "benchmark")
    for name in ("train_sizes", "test_size", "seeds", "fidelities"):
        if getattr(args, name, None) is None:
            setattr(args, name, str(DEFAULTS[name]))
    args.zc_source = getattr(args, "zc_source", None) or "compute"
    seeds = _ints(args.seeds, "--seeds")
    if len(seeds) != 1:
        raise ValueError(f"bad --seeds {args.seeds!r}: give one number of seeds, e.g. 10")
    test_size = _ints(args.test_size, "--test-size")
    if len(test_size) != 1:
        raise ValueError(f"bad --test-size {args.test_size!r}: give one number, e.g. 500")
    protocol = Protocol(_ints(args.train_sizes, "--train-sizes"), test_size[0],
                        _fractions(args.fidelities), args.zc_source)
    if args.data_dir is not None:
        use_data_dir(args.data_dir)
    parse_needs(preds, benches, protocol)
    return preds, benches, seeds[0], protocol


def parse_needs(preds: dict[str, type], benches: Sequence[str], protocol: Protocol) -> None:
    """ValueError unless every predictor's needs can be met on every benchmark under
    ``protocol`` (information builders, archs with curves or precomputed scores)."""
    for bench_name in benches:
        bench = benchmarks.load(bench_name)
        for pred, cls in preds.items():
            missing = unmet_needs(bench, needs_of(cls, protocol), pred)
            if missing:
                raise ValueError(f"predictor {pred!r} cannot be evaluated on {bench_name}: "
                                 f"missing {'; '.join(missing)}")
            pool = arch_pool(bench_name, pred, needs_of(cls, protocol))
            if pool is not None and cls.requires_fit and (
                    protocol.test_size + max(protocol.train_sizes) > pool.shape[0]):
                raise ValueError(
                    f"predictor {pred!r} trains on archs with curves or precomputed scores, and "
                    f"{bench_name} has {pool.shape[0]}: --test-size plus the largest "
                    "--train-sizes must not exceed it"
                )


def default_out(protocol: Protocol) -> Path:
    def join(values):
        return "-".join(f"{v:g}" for v in values)

    name = (f"test{protocol.test_size}_train{join(protocol.train_sizes)}"
            f"_fid{join(protocol.fidelities)}")
    return Path("results") / "predictors" / name


def nb201_tables_in_use(benches: Sequence[str]) -> dict | None:
    """The NB201 tables ``--nb201-tables`` made this process use (path and checksum), when
    ``benches`` has an nb201 benchmark; None for the shipped tables. An experiment records them,
    so results from other tables are never mixed into its folder."""
    nb201 = [name for name in benches if name.startswith("nb201-")]
    if not nb201:
        return None
    bench = benchmarks.load(nb201[0])
    folder = getattr(bench, "tables", None)
    return {"path": folder, "sha256": bench.checksum} if folder else None


def run_jobs(preds: dict[str, type], benches: Sequence[str], seeds: Sequence[int],
             protocol: Protocol, out: Path, quiet: bool = True) -> tuple[list[str], int]:
    """Open (or resume) the store at ``out`` and run every (benchmark, predictor, seed) job it
    does not hold; return the jobs' keys and how many ran. ExperimentMismatchError: ``out``
    holds another protocol."""
    store = ResultsStore(out)
    config = {"protocol": asdict(protocol)}
    tables = nb201_tables_in_use(benches)
    if tables:  # only then: earlier experiments resume unchanged
        config["nb201_tables"] = tables
    # Through JSON so that tuples compare equal to the lists read back on a rerun.
    store.open_experiment(json.loads(json.dumps(config)), versions())
    store.remove_partial_files()
    keys, ran = [], 0
    for bench_name in benches:
        for pred, cls in preds.items():
            for seed in seeds:
                key = job_key(bench_name, pred, seed)
                keys.append(key)
                if store.is_done(key):
                    continue
                start = time.perf_counter()
                table, manifest = run_job(bench_name, cls, seed, protocol)
                store.write(key, table, manifest)
                ran += 1
                if not quiet:
                    print(f"{key}: {table.num_rows} setting(s) in "
                          f"{time.perf_counter() - start:.1f} s", flush=True)
    return keys, ran


def evaluate_predictor(
    predictor: str | type | Sequence[str | type],
    benchmarks: str | Sequence[str],
    *,
    train_sizes: Sequence[int] = (10, 25, 50, 100, 200, 400),
    test_size: int = 500,
    seeds: int = 10,
    fidelities: Sequence[float] = (0.1, 0.25, 0.5),
    zc_source: str = "compute",
    data_dir: str | Path | None = None,
    out: str | Path | None = None,
    quiet: bool = True,
):
    """Evaluate predictors as ``python -m predictors.evaluate`` does (same protocol, store and
    resume) and return their rows as a pandas DataFrame: one per (benchmark, predictor, seed,
    training size, fidelity) with Kendall tau, Spearman, Pearson, precision@10 and times.

    ``predictor``: names (built-in or installed), ``package.module:ClassName`` strings or
    classes following ``predictors.base.Predictor``, alone or in a list. ``seeds``: N runs
    seeds 0..N-1. ``out``: the results folder (default ``results/predictors/<protocol>``).
    Bad arguments raise ValueError naming what is accepted. The folder is in
    ``DataFrame.attrs["out"]``. Example (it runs in the tests)::

        >>> from predictors import evaluate_predictor
        >>> rows = evaluate_predictor("xgb", "nb201-cifar10", train_sizes=[20, 100],
        ...                           test_size=100, seeds=2, out=tmp / "xgb")
        >>> rows[["seed", "train_size", "n_test"]].to_numpy().tolist()
        [[0, 20, 100], [0, 100, 100], [1, 20, 100], [1, 100, 100]]
        >>> bool((rows.groupby("train_size")["kendall_tau"].mean() > 0.1).all())
        True
    """
    import pandas as pd

    args = build_parser().parse_args(["--predictor", "-", "--bench", "-"])
    args.predictor = predictor
    args.bench = benchmarks if isinstance(benchmarks, str) else ",".join(benchmarks)
    args.train_sizes = ",".join(str(n) for n in train_sizes)
    args.test_size, args.seeds = str(test_size), str(seeds)
    args.fidelities = ",".join(f"{f:g}" for f in fidelities)
    args.zc_source = zc_source
    args.data_dir = None if data_dir is None else str(data_dir)
    preds, benches, n_seeds, protocol = parse(args)
    folder = Path(out) if out is not None else default_out(protocol)
    keys, _ = run_jobs(preds, benches, range(n_seeds), protocol, folder, quiet)
    store = ResultsStore(folder)
    frame = pd.concat([store.read(key)[0].to_pandas() for key in keys], ignore_index=True)
    frame.attrs["out"] = str(folder)
    return frame


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.nb201_tables is not None:
        benchmarks.use_nb201_tables(args.nb201_tables)
    if args.check_against is not None:
        return tau_check.main(args, parser)
    try:
        preds, benches, seeds, protocol = parse(args)
    except ValueError as error:
        parser.error(str(error))  # exits with code 2
    out = Path(args.out) if args.out else default_out(protocol)
    tables = nb201_tables_in_use(benches)
    if tables and not args.out:
        out = out.with_name(f"{out.name}_nb201tables-{tables['sha256'][:8]}")
    try:
        keys, ran = run_jobs(preds, benches, range(seeds), protocol, out, args.quiet)
    except ExperimentMismatchError as error:
        parser.error(str(error))
    print(f"{ran} job(s) executed, {len(keys) - ran} already done; results in {out}")
    print(format_summary(summarize(ResultsStore(out), keys)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
