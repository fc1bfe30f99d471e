"""NAS-Bench-Graph (Qin et al., NeurIPS 2022 Datasets and Benchmarks): GNN architectures on 9
node-classification datasets, one benchmark ``nbgraph-<dataset>`` each.

The answers are the upstream light record's (see the tables' ``PROVENANCE.md``), one value per
architecture:

- ``valid_acc`` (%): validation accuracy, the search objective (upstream ``valid_perf`` x 100);
- ``test_acc`` (%): test accuracy, the reported metric (upstream ``perf`` x 100);
- ``latency`` (s) and ``params`` (millions): free cost metrics (``Metric.free``: known without
  training, answered at no budget), lower is better, as NB201's; with them the benchmarks are
  multi-objective tasks (``--objectives valid_acc:max,latency:min``, ``--constraint``).

The light record holds no per-seed values, so a query has no seed noise and an ``rng`` is
ignored; one fidelity, ``final``. It holds no training time either: ``cost`` is 0 and
``cost_known`` is False, so budgets must be in queries (a budget in seconds is refused).

``nbgraph-proteins`` searches its own space (ops ``gcn, sage, arma, fc, skip``; 2,021 distinct
architectures), the other 8 the 9-op space (26,206). Both are ``NBGraphSpace``; its rows are the
equivalence classes that the record keys, in ascending order of the upstream key.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from benchmarks.base import Benchmark, Metric
from benchmarks.spaces.nbgraph import OPS, PROTEINS_OPS, NBGraphSpace
from benchmarks.store import DATA_ROOT, DataIntegrityError, TableStore

DATASETS: tuple[str, ...] = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers",
                             "arxiv", "proteins")
NAMES: tuple[str, ...] = tuple(f"nbgraph-{d}" for d in DATASETS)
FIDELITY = "final"
METRICS: tuple[str, ...] = ("valid_acc", "test_acc", "latency", "params")
# space -> (ops, datasets searched in it)
SPACES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "nbgraph": (OPS, DATASETS[:-1]),
    "nbgraph-proteins": (PROTEINS_OPS, ("proteins",)),
}
NO_NETWORKS = ("NAS-Bench-Graph's public record has no networks and no graphs to score: only "
               "the accuracies, latency and parameter count of each architecture")


def space_of(dataset: str) -> str:
    return "nbgraph-proteins" if dataset == "proteins" else "nbgraph"


def table_stem(dataset: str, metric: str) -> str:
    return f"{dataset}.{metric}"


@lru_cache(maxsize=1)
def _store() -> TableStore:
    return TableStore(DATA_ROOT / "nbgraph")


@lru_cache(maxsize=2)
def load_space(name: str) -> NBGraphSpace:
    """The space ``name`` with its row tables from the checked store (computing the canonical
    form of every vector takes longer than loading them; the tests check they agree)."""
    store = _store()
    rows = (store.load(f"{name}.arch_of_row"), store.load(f"{name}.row_of_code"))
    return NBGraphSpace(SPACES[name][0], name, rows=rows)


class NBGraphBenchmark(Benchmark):
    """One dataset of NAS-Bench-Graph. Tables are re-indexed by the arch's base-10 code on first
    use, so a query is one matrix-vector product and one gather, as on NB201."""

    kind = "tabular"
    fidelities = (FIDELITY,)
    default_fidelity = FIDELITY
    objective = "valid_acc"
    report_metric = "test_acc"
    cost_known = False  # no training time in the public record: budgets must be in queries
    no_networks = NO_NETWORKS  # why zero-cost proxies cannot run here

    def __init__(self, name: str) -> None:
        if name not in NAMES:
            raise ValueError(f"unknown NAS-Bench-Graph benchmark {name!r}; accepted: "
                             f"{', '.join(NAMES)}")
        self.name = name
        self.dataset = name.removeprefix("nbgraph-")
        self.space = load_space(space_of(self.dataset))
        store = _store()
        self.checksum = store.checksum
        split = f"{self.dataset} (NAS-Bench-Graph light record)"
        self.metrics = {
            "valid_acc": Metric("valid_acc", "validation accuracy (%)", f"{split} valid_perf",
                                validation=True),
            "test_acc": Metric("test_acc", "test accuracy (%)", f"{split} perf",
                               validation=False),
            # costs known without training: free to query (multi-objective search)
            "latency": Metric("latency", "inference latency (s)", f"{split} latency",
                              validation=True, higher_is_better=False, free=True, unit="s"),
            "params": Metric("params", "parameters (millions)", f"{split} para",
                             validation=True, higher_is_better=False, free=True, unit="M"),
        }
        self._rows: dict[str, np.ndarray] = {}  # metric -> values in row order, on first use
        self._by_code: dict[str, np.ndarray] = {}
        self._radix = self.space._radix

    def _values(self, metric: str) -> np.ndarray:
        """A metric's table in row order, loaded (and its checksum verified) on first use: a
        run queries one or two of the four, and loading is the cold start's main cost."""
        values = self._rows.get(metric)
        if values is None:
            self.check_metric(metric)
            values = _store().load(table_stem(self.dataset, metric))
            if values.shape != (self.space.size,):
                raise DataIntegrityError(f"{table_stem(self.dataset, metric)} has shape "
                                         f"{values.shape}, expected ({self.space.size},)")
            self._rows[metric] = values
        return values

    def _code_table(self, metric: str, fidelity: str | None) -> np.ndarray:
        table = self._by_code.get(metric)
        if table is None:
            lookup = self.space._lookup
            values = self._values(metric)
            table = np.full(lookup.shape, np.nan)
            known = lookup >= 0
            table[known] = values[lookup[known]]
            table.flags.writeable = False
            self._by_code[metric] = table
        if fidelity is not None and fidelity != FIDELITY:
            self.check_fidelity(fidelity)
        return table

    def query(
        self,
        archs: np.ndarray,
        metric: str,
        fidelity: str | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray | float:
        """``metric`` of each arch: an array for a batch (n, 5), a float for one arch.
        Equivalent archs get the same answer (one trained network). ``rng`` is accepted for the
        common interface and ignored: the record has one value per arch."""
        table = self._code_table(metric, fidelity)
        if type(archs) is tuple or type(archs) is list or getattr(archs, "ndim", 2) == 1:
            return self._query_scalar(table, archs)
        arr = np.asarray(archs)
        if arr.dtype.kind not in "iu" or arr.ndim not in (1, 2) or arr.shape[-1] != 5:
            arr = self.space.validate(arr)
        if arr.size and (arr.min() < 0 or arr.max() > 9):
            self.space.validate(arr)  # raises with the bad value named
        values = table[arr @ self._radix]
        if np.isnan(values).any():
            self.space.validate(arr)  # an all-skip arch, or an op outside proteins' five
        return float(values) if arr.ndim == 1 else values

    def _query_scalar(self, table: np.ndarray, arch) -> float:
        """One arch without numpy calls on the way (a search asks one arch at a time)."""
        values = arch.tolist() if isinstance(arch, np.ndarray) else arch
        try:
            link, a, b, c, d = values
            code = link * 10000 + a * 1000 + b * 100 + c * 10 + d
            ok = (type(code) is int and 0 <= link < 10 and 0 <= a < 10 and 0 <= b < 10
                  and 0 <= c < 10 and 0 <= d < 10)
        except (TypeError, ValueError):
            ok = False
        value = float(table[code]) if ok else np.nan
        if value != value:  # not a plain valid arch: validate raises naming what is wrong,
            arr = self.space.validate(np.asarray(arch))  # or accepts whole floats
            value = float(table[int(arr @ self._radix)])
        return value

    def cost(self, archs: np.ndarray, fidelity: str | None = None) -> np.ndarray | float:
        """0 simulated seconds: the record has no training time (``cost_known`` is False)."""
        self.check_fidelity(fidelity)
        archs = self.space.validate(archs)
        return 0.0 if archs.ndim == 1 else np.zeros(archs.shape[0])

    def optimum(self, metric: str, fidelity: str | None = None) -> tuple[float, np.ndarray]:
        """Best value of ``metric`` (the lowest for latency and params) over every distinct
        architecture and its canonical vector; ties go to the lowest row (upstream key)."""
        self.check_fidelity(fidelity)
        values = self._values(metric)
        best = int(np.argmax(values) if self.metrics[metric].higher_is_better
                   else np.argmin(values))
        return float(values[best]), self.space.from_index(best)

    def all_archs(self) -> np.ndarray:
        """Every distinct architecture (canonical vectors), in row order."""
        return self.space.enumerate()
