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
"""

from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=1)
def _store() -> TableStore:
    return TableStore(DATA_ROOT / "nb201")


@lru_cache(maxsize=1)
def _space() -> NB201Space:
    return NB201Space(_store().load("arch_of_row"))


class NB201Benchmark(Benchmark):
    """One NB201 dataset. Tables are re-indexed by the arch's mixed-radix code at load, so a
    query is one matrix-vector product and one gather, whatever the batch size."""

    kind = "tabular"
    fidelities = ("hp200", "hp12")
    default_fidelity = "hp200"

    def __init__(self, name: str) -> None:
        if name not in DATASETS:
            raise ValueError(f"unknown NB201 benchmark {name!r}; accepted: {', '.join(DATASETS)}")
        self.name = name
        self.dataset = ds = DATASETS[name]
        store = _store()
        self.space = _space()
        self.checksum = store.checksum
        by_code = self.space._row_of_code  # row of each code: tables below become code-indexed
        valid_split, test_split = _SPLITS[ds]
        self.metrics = {
            "valid_acc": Metric("valid_acc", "top-1 validation accuracy (%)", valid_split,
                                validation=True, per_seed=("hp200",)),
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
        self._seed_values = seeds
        self._seed_counts = (~np.isnan(seeds)).sum(axis=1)
        train_time = store.load(f"{ds}.train_time.hp200")[by_code]
        params = store.load(f"{ds}.params")[by_code]
        latency = store.load(f"{ds}.latency")[by_code]
        # closed form of the network (benchmarks.networks.nb201_cost): equals the official
        # records' flop; code order, like the tables
        flops = nb201_cost.flops(self.space.from_index(by_code), ds)
        self._tables: dict[tuple[str, str], np.ndarray] = {
            ("valid_acc", "hp200"): np.nanmean(seeds, axis=1),
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
        if rng is not None and (fidelity or self.default_fidelity) in self.metrics[metric].per_seed:
            return self._query_one_seed(archs, rng)
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
        if not isinstance(arch, tuple | list):
            arch = arch.tolist()
        r0, r1, r2, r3, r4, r5 = self._radix
        try:
            a0, a1, a2, a3, a4, a5 = arch
        except ValueError:
            self.space.validate(arch)
            raise
        if not (0 <= a0 < 5 and 0 <= a1 < 5 and 0 <= a2 < 5 and 0 <= a3 < 5 and 0 <= a4 < 5
                and 0 <= a5 < 5):
            self.space.validate(np.asarray(arch))
        return float(table[a0 * r0 + a1 * r1 + a2 * r2 + a3 * r3 + a4 * r4 + a5 * r5])

    def _query_one_seed(self, archs, rng: np.random.Generator) -> np.ndarray | float:
        archs = self.space.validate(archs)
        codes = self.space.code(np.atleast_2d(archs))
        pick = (rng.random(codes.size) * self._seed_counts[codes]).astype(np.int64)
        values = self._seed_values[codes, pick]
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

    def learning_curves(self, archs: np.ndarray, metric: str = "valid_acc") -> np.ndarray:
        """Per-epoch curves of the 200-epoch schedule (seed mean) where the public record has
        them: nb201-cifar10, rows 0-199. NaN rows for archs without one."""
        if self.dataset != "cifar10":
            raise ValueError(f"{self.name} has no learning curves; only nb201-cifar10 has them")
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


@lru_cache(maxsize=1)
def _curve_rows() -> np.ndarray:
    return _store().load("cifar10.curves.rows")


@lru_cache(maxsize=2)
def _curves(metric: str) -> np.ndarray:
    return _store().load(f"cifar10.curves.{metric}")
