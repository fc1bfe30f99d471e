"""NAS-Bench-201 on cifar10, cifar100 and ImageNet16-120, answered from the project's tables.

Which official split each metric is (see ``docs/nb201-metrics.md``):

- ``nb201-cifar10``: ``valid_acc`` is cifar10-valid ``x-valid`` (trained on 25k train images,
  evaluated on the other 25k); ``test_acc`` is cifar10 ``ori-test`` of the run trained on all 50k,
  as the NB201 paper reports it.
- ``nb201-cifar100`` / ``nb201-imagenet16-120``: ``valid_acc`` is ``x-valid`` and ``test_acc``
  ``x-test``, the two disjoint halves of the original test set.

Fidelities: ``hp200`` (the 200-epoch schedule, default) and ``hp12`` (the 12-epoch schedule).
``query`` returns the seed mean unless an ``rng`` is given, in which case it returns one seed's
value drawn uniformly from that arch's seeds, as one real training run would. The mean is the
default because ``query`` is the ground truth for regret and reports; the oracle draws a seed.

Tables: the shipped ones (built from the public record: per-seed validation values at hp200
only, seed means at hp12, learning curves for 200 nb201-cifar10 archs), or a build from the
official NATS-Bench archive (``tables=DIR``, see ``benchmarks.build.nb201_archive``): per-seed
values at hp12 too, and per-epoch curves of every arch at both schedules, memory-mapped on first
use. ``capabilities()`` says which the loaded tables have; a partial build is refused.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from operator import mul
from pathlib import Path

import numpy as np

from benchmarks.base import Benchmark, Metric
from benchmarks.networks import nb201_cost
from benchmarks.spaces.nb201 import N_ARCHS, NB201Space
from benchmarks.store import DATA_ROOT, TableStore

DATASETS = {
    "nb201-cifar10": "cifar10",
    "nb201-cifar100": "cifar100",
    "nb201-imagenet16-120": "imagenet16-120",
}
FIDELITY_EPOCHS = {"hp200": 200, "hp12": 12}

_SPLITS = {
    "cifar10": ("cifar10-valid x-valid", "cifar10 ori-test (trained on train+valid)"),
    "cifar100": ("cifar100 x-valid", "cifar100 x-test"),
    "imagenet16-120": ("ImageNet16-120 x-valid", "ImageNet16-120 x-test"),
}


CURVE_METRICS = ("train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss")


class PartialBuildError(ValueError):
    """Tables built from a partial archive: they lack archs, so they cannot serve a search."""


@lru_cache(maxsize=4)
def _store(folder: str | None = None) -> TableStore:
    return TableStore(Path(folder) if folder else DATA_ROOT / "nb201")


@lru_cache(maxsize=4)
def _space(folder: str | None = None) -> NB201Space:
    return NB201Space(_store(folder).load("arch_of_row"))


def tables_folder(tables: str | Path | None) -> str | None:
    """The canonical form of a ``tables`` option: an absolute path, or None (shipped)."""
    return None if tables is None else str(Path(tables).expanduser().resolve())


class NB201Benchmark(Benchmark):
    """One NB201 dataset. Tables are re-indexed by the arch's mixed-radix code at load, so a
    query is one matrix-vector product and one gather, whatever the batch size."""

    kind = "tabular"
    fidelities = ("hp200", "hp12")
    default_fidelity = "hp200"

    def __init__(self, name: str, tables: str | Path | None = None,
                 allow_partial: bool = False) -> None:
        """``tables``: a folder built by ``python -m benchmarks.build.nb201`` (None: the shipped
        tables). A partial build (from an archive lacking records) is refused unless
        ``allow_partial``, for inspecting what it holds (its missing archs read NaN);
        ``benchmarks.load``, and so every search, never passes it."""
        if name not in DATASETS:
            raise ValueError(f"unknown NB201 benchmark {name!r}; accepted: {', '.join(DATASETS)}")
        self.name = name
        self.dataset = ds = DATASETS[name]
        self.tables = folder = tables_folder(tables)
        if folder is not None and not (Path(folder) / "MANIFEST.json").is_file():
            raise ValueError(f"{folder} holds no NB201 tables (no MANIFEST.json): build them "
                             "with python -m benchmarks.build.nb201 --official-archive DIR "
                             "--out " + folder)
        store = self._store = _store(folder)
        build = store.manifest.get("build", {})
        self.partial = bool(build.get("partial"))
        if self.partial and not allow_partial:
            raise PartialBuildError(
                f"{folder} was built from a partial archive ({build.get('records')} of "
                f"{N_ARCHS} archs, built with --allow-partial): it cannot serve a search or its "
                "ground truth; build from the whole archive")
        self.tables_from = build.get("from", "public-record")
        self.space = _space(folder)
        self.checksum = store.checksum
        per_seed = tuple(f for f in ("hp200", "hp12") if store.has(f"{ds}.valid_acc.{f}.seeds"))
        by_code = self.space._row_of_code  # row of each code: tables below become code-indexed
        valid_split, test_split = _SPLITS[ds]
        self.metrics = {
            "valid_acc": Metric("valid_acc", "top-1 validation accuracy (%)", valid_split,
                                validation=True, per_seed=per_seed),
            "test_acc": Metric("test_acc", "top-1 test accuracy (%), seed mean", test_split,
                               validation=False),
            "train_time": Metric("train_time", "training seconds of the schedule on the search "
                                 "split", "timing", validation=True, higher_is_better=False,
                                 unit="s"),
            "params": Metric("params", "parameters (millions), as NATS-Bench records them",
                             "network", validation=True, higher_is_better=False, free=True,
                             unit="M"),
            "flops": Metric("flops", "MFLOPs of one image (multiply-adds of convs and the "
                            "classifier, NATS-Bench's flop), of the network the space builds",
                            "network", validation=True, higher_is_better=False, free=True,
                            unit="MFLOPs"),
            "latency": Metric("latency", "inference latency (s) as NATS-Bench measured it",
                              "timing", validation=True, higher_is_better=False, free=True,
                              unit="s"),
        }
        seeds = store.load(f"{ds}.valid_acc.hp200.seeds")[by_code]
        self._seed_values = {f: store.load(f"{ds}.valid_acc.{f}.seeds")[by_code]
                             for f in per_seed}
        self._seed_counts = {f: (~np.isnan(v)).sum(axis=1) for f, v in self._seed_values.items()}
        train_time = store.load(f"{ds}.train_time.hp200")[by_code]
        params = store.load(f"{ds}.params")[by_code]
        latency = store.load(f"{ds}.latency")[by_code]
        # closed form of the network (benchmarks.networks.nb201_cost): equals the official
        # records' flop; code order, like the tables
        flops = nb201_cost.flops(self.space.from_index(by_code), ds)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a partial build's missing archs
            valid200 = np.nanmean(seeds, axis=1)
        self._tables: dict[tuple[str, str], np.ndarray] = {
            ("valid_acc", "hp200"): valid200,
            ("test_acc", "hp200"): store.load(f"{ds}.test_acc.hp200")[by_code],
            ("valid_acc", "hp12"): store.load(f"{ds}.valid_acc.hp12")[by_code],
            ("test_acc", "hp12"): store.load(f"{ds}.test_acc.hp12")[by_code],
        }
        for fidelity in self.fidelities:  # costs of the network, whatever the schedule
            self._tables[("params", fidelity)] = params
            self._tables[("flops", fidelity)] = flops
            self._tables[("latency", fidelity)] = latency
        # NATS-Bench times an epoch the same in both schedules (checked on the official
        # records: hp12 time = hp200 time * 12 / 200 exactly), so the hp12 cost is derived.
        for fidelity, epochs in FIDELITY_EPOCHS.items():
            self._tables[("train_time", fidelity)] = train_time * (epochs / 200)
        for table in self._tables.values():
            table.flags.writeable = False
        self._radix = tuple(int(r) for r in self.space._radix)

    def fidelity_epochs(self, fidelity: str | None = None) -> int:
        """12 or 200. Not ``resumable``: hp12 is its own 12-epoch cosine schedule, not the
        first 12 epochs of hp200, so hp12 -> hp200 is a new training run, charged in full."""
        return FIDELITY_EPOCHS[self.check_fidelity(fidelity)]

    # --- queries ------------------------------------------------------------------------
    def _table(self, metric: str, fidelity: str | None) -> np.ndarray:
        table = self._tables.get((metric, fidelity or self.default_fidelity))
        if table is None:
            self.check_metric(metric)
            self.check_fidelity(fidelity)
            raise ValueError(f"{self.name} has no {metric!r} at fidelity {fidelity!r}")
        return table

    def query(
        self,
        archs: np.ndarray,
        metric: str,
        fidelity: str | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray | float:
        """Answer ``metric`` for each arch: an array for a batch (n, 6), a float for one arch.

        With ``rng``, per-seed metrics (``valid_acc`` at hp200) return one seed's value drawn
        uniformly among the seeds the arch was trained with; others return their seed mean.
        """
        table = self._table(metric, fidelity)
        fidelity = fidelity or self.default_fidelity
        if rng is not None and fidelity in self.metrics[metric].per_seed:
            return self._query_one_seed(archs, rng, fidelity)
        if type(archs) is tuple or type(archs) is list or getattr(archs, "ndim", 2) == 1:
            return self._query_scalar(table, archs)
        archs = np.asarray(archs)
        if archs.ndim != 2 or archs.shape[1] != 6 or archs.dtype.kind not in "iu":
            archs = self.space.validate(archs)
        codes = archs @ self.space._radix
        if codes.size and (archs.min() < 0 or archs.max() > 4):
            self.space.validate(archs)  # raises with the bad value named
        return table[codes]

    def _query_scalar(self, table: np.ndarray, arch) -> float:
        """One arch without numpy calls on the way (a search asks one arch at a time, and a
        multi-objective one looks up each free metric too)."""
        if not isinstance(arch, tuple | list):
            arch = arch.tolist()
        code = sum(map(mul, arch, self._radix)) if len(arch) == 6 else None
        if type(code) is not int or min(arch) < 0 or max(arch) > 4:  # NaN: a float code
            vector = self.space.validate(np.asarray(arch))  # raises, naming the bad value,
            if vector.ndim != 1:  # or accepts whole floats
                raise ValueError(f"one NB201 arch expected, got shape {vector.shape}")
            code = int(vector @ self.space._radix)
        return float(table[code])

    def _query_one_seed(self, archs, rng: np.random.Generator,
                        fidelity: str) -> np.ndarray | float:
        archs = self.space.validate(archs)
        codes = self.space.code(np.atleast_2d(archs))
        pick = (rng.random(codes.size) * self._seed_counts[fidelity][codes]).astype(np.int64)
        values = self._seed_values[fidelity][codes, pick]
        return float(values[0]) if archs.ndim == 1 else values

    def cost(self, archs: np.ndarray, fidelity: str | None = None) -> np.ndarray | float:
        return self.query(archs, "train_time", fidelity)

    # --- table facts --------------------------------------------------------------------
    def optimum(self, metric: str, fidelity: str | None = None) -> tuple[float, np.ndarray]:
        """Best value of ``metric`` over all 15,625 archs and the arch that attains it; ties go
        to the lowest official row, as in the NB201 paper's tables."""
        values = self.query(self.all_archs(), metric, fidelity)
        higher = self.metrics[metric].higher_is_better
        best = int(np.argmax(values) if higher else np.argmin(values))
        return float(values[best]), self.space.from_index(best)

    def all_archs(self) -> np.ndarray:
        """Every arch, in official row order."""
        return self.space.from_index(np.arange(N_ARCHS))

    # --- curves and capabilities -------------------------------------------------------
    def curve_metrics(self, fidelity: str | None = None) -> tuple[str, ...]:
        """The metrics with a per-epoch curve at ``fidelity`` for every arch (empty: none).
        Shipped tables: none (nb201-cifar10 has train/valid curves for 200 archs only, served by
        ``learning_curves`` all the same). Archive build: all six, except at hp200 on cifar100
        and ImageNet16-120, whose x-valid and x-test NATS-Bench evaluated at the last epoch
        only (train curves remain)."""
        fidelity = self.check_fidelity(fidelity)
        if self.tables_from != "official-archive":
            return ()
        return tuple(m for m in CURVE_METRICS
                     if np.isfinite(self._archive_curve(m, fidelity)[0, 0, 0]))

    def capabilities(self) -> dict:
        """What the loaded tables can serve, for predictors and protocols to check before they
        start: per-epoch curves (which metrics, at which fidelity, for how many archs) and the
        fidelities with one value per training seed."""
        if self.tables_from == "official-archive":
            curves = {f: list(self.curve_metrics(f)) for f in self.fidelities}
            curve_archs = N_ARCHS
        else:
            shipped = self.dataset == "cifar10"
            curves = {"hp200": ["train_acc", "valid_acc"] if shipped else [], "hp12": []}
            curve_archs = int(_curve_rows().size) if shipped else 0
        return {"tables": self.tables_from, "checksum": self.checksum,
                "curves": curves, "curve_archs": curve_archs,
                "per_seed": {"valid_acc": list(self.metrics["valid_acc"].per_seed)}}

    def _archive_curve(self, metric: str, fidelity: str) -> np.ndarray:
        return _archive_curve(self.tables, f"{self.dataset}.curves.{fidelity}.{metric}")

    def learning_curves(self, archs: np.ndarray, metric: str = "valid_acc",
                        fidelity: str | None = None, seed: int | None = None) -> np.ndarray:
        """Per-epoch curves of the schedule at ``fidelity`` (default hp200), one row per arch:
        the seed mean, or the ``seed``-th training seed's (0, 1, 2 in ascending seed order;
        NaN where the arch has fewer). Shipped tables: nb201-cifar10 at hp200, train_acc and
        valid_acc, rows 0-199 (seed mean only), NaN rows for other archs. An archive build:
        every arch, the metrics of ``curve_metrics``."""
        fidelity = self.check_fidelity(fidelity)
        if self.tables_from == "official-archive":
            available = self.curve_metrics(fidelity)
            if metric not in available:
                raise ValueError(
                    f"{self.name} has no per-epoch {metric!r} curve at {fidelity}; accepted: "
                    f"{', '.join(available) or 'none'}")
            rows = np.atleast_1d(self.space.to_index(np.atleast_2d(archs)))
            curves = np.asarray(self._archive_curve(metric, fidelity)[rows], dtype=np.float64)
            if seed is None:
                with np.errstate(invalid="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # epochs never evaluated
                    return np.nanmean(curves, axis=1)
            if not 0 <= seed < curves.shape[1]:
                raise ValueError(f"bad seed {seed}; accepted: 0..{curves.shape[1] - 1}")
            return curves[:, seed]
        if seed is not None:
            raise ValueError(f"{self.name} (shipped tables) has seed-mean curves only; per-seed "
                             "curves need tables built from the official archive (--nb201-tables)")
        if self.dataset != "cifar10" or fidelity != "hp200":
            raise ValueError(f"{self.name} has no learning curves at {fidelity} in the shipped "
                             "tables (only nb201-cifar10 at hp200, 200 archs); build tables from "
                             "the official archive for every arch (--nb201-tables)")
        if metric not in ("train_acc", "valid_acc"):
            raise ValueError(f"unknown curve {metric!r}; accepted: train_acc, valid_acc")
        curves = _curves(metric)
        rows = np.atleast_1d(self.space.to_index(np.atleast_2d(archs)))
        position = np.searchsorted(_curve_rows(), rows)
        position = np.minimum(position, _curve_rows().size - 1)
        found = _curve_rows()[position] == rows
        out = np.full((rows.size, curves.shape[1]), np.nan)
        out[found] = curves[position[found]]
        return out


@lru_cache(maxsize=64)
def _archive_curve(folder: str, stem: str) -> np.ndarray:
    """One curve table of an archive build, checked once, then memory-mapped."""
    return _store(folder).load(stem, mmap=True)


@lru_cache(maxsize=1)
def _curve_rows() -> np.ndarray:
    return _store().load("cifar10.curves.rows")


@lru_cache(maxsize=2)
def _curves(metric: str) -> np.ndarray:
    return _store().load(f"cifar10.curves.{metric}")
