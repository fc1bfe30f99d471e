"""TransNAS-Bench-101 (Duan et al., CVPR 2021): micro and macro spaces, one benchmark per task.

``tnb101-micro-<task>`` and ``tnb101-macro-<task>`` answer the **final-epoch validation metric**
of each architecture, from NASLib's NAS-Bench-Suite-Zero record (see the tables'
``PROVENANCE.md``). Each task keeps its own metric, named for what it is and oriented
higher-is-better (it is also the search objective):

- ``valid_top1`` (%): class_object, class_scene, jigsaw (TNB101 ``valid_top1``), and the three
  NAS-Bench-Suite-Zero tasks on micro cells, ninapro, scifar100, svhn (its ``val_accuracy``);
- ``valid_ssim``: autoencoder, normal (TNB101 ``valid_ssim``);
- ``valid_neg_l2_loss``: room_layout, minus the MSE loss (TNB101 ``valid_neg_loss``);
- ``valid_pixel_acc`` (%): segmentsemantic, pixel accuracy (TNB101 ``valid_acc``, not mIoU).

There is no test metric (``report_metric`` is None) and one fidelity, ``final``. The paper trained
each architecture once per task (7,352 x 7 = 51,464 models), so a query has no seed noise and an
``rng`` is ignored. No training time is in the public record: ``cost`` is 0 and ``cost_known`` is
False, so budgets on TNB101 must be given in queries (``harness.search.run`` refuses a budget in
seconds, which could never bind). Nor has it any cost metric (no parameters, FLOPs or latency
in the public record): TNB101 is single-objective only, and ``--objectives``/``--constraint``
naming a cost refuse it.

ninapro, scifar100 and svhn were evaluated on 192 of the 4,096 micro cells only. Their
benchmarks search ``SubsetSpace`` of exactly those cells (``space.size == 192``), so every
proposal is answered from real data; nothing is imputed.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from benchmarks.base import Benchmark, Metric
from benchmarks.spaces.tnb101 import SubsetSpace, TNB101MacroSpace, TNB101MicroSpace
from benchmarks.store import DATA_ROOT, DataIntegrityError, TableStore

MACRO_TASKS: tuple[str, ...] = (
    "autoencoder",
    "class_object",
    "class_scene",
    "jigsaw",
    "normal",
    "room_layout",
    "segmentsemantic",
)
SUBSET_TASKS: tuple[str, ...] = ("ninapro", "scifar100", "svhn")  # 192 micro cells each
MICRO_TASKS: tuple[str, ...] = MACRO_TASKS + SUBSET_TASKS
SPACES: dict[str, tuple[str, ...]] = {"micro": MICRO_TASKS, "macro": MACRO_TASKS}
NAMES: tuple[str, ...] = tuple(
    f"tnb101-{space}-{task}" for space, tasks in SPACES.items() for task in tasks
)
FIDELITY = "final"

# task -> (metric name, description, what the public record calls it)
TASK_METRICS: dict[str, tuple[str, str, str]] = {
    "class_object": ("valid_top1", "top-1 validation accuracy (%), 100 object classes",
                     "TNB101 valid_top1"),
    "class_scene": ("valid_top1", "top-1 validation accuracy (%), 63 scene classes",
                    "TNB101 valid_top1"),
    "jigsaw": ("valid_top1", "top-1 validation accuracy (%) over 1,000 jigsaw permutations",
               "TNB101 valid_top1"),
    "autoencoder": ("valid_ssim", "SSIM of the reconstructed image, validation split",
                    "TNB101 valid_ssim"),
    "normal": ("valid_ssim", "SSIM of the predicted surface normals, validation split",
               "TNB101 valid_ssim"),
    "room_layout": ("valid_neg_l2_loss", "minus the MSE (L2) loss of the 9 layout parameters, "
                    "validation split", "TNB101 valid_neg_loss"),
    "segmentsemantic": ("valid_pixel_acc", "pixel accuracy (%) of the semantic segmentation, "
                        "validation split", "TNB101 valid_acc"),
    "ninapro": ("valid_top1", "validation accuracy (%) on NinaPro",
                "NAS-Bench-Suite-Zero val_accuracy"),
    "scifar100": ("valid_top1", "validation accuracy (%) on Spherical CIFAR-100",
                  "NAS-Bench-Suite-Zero val_accuracy"),
    "svhn": ("valid_top1", "validation accuracy (%) on SVHN",
             "NAS-Bench-Suite-Zero val_accuracy"),
}


def table_stem(space: str, task: str) -> str:
    """File stem of a task's table: ``micro.jigsaw.valid_top1`` (192 rows for SUBSET_TASKS)."""
    return f"{space}.{task}.{TASK_METRICS[task][0]}"


SUBSET_ROWS_STEM = "micro192.rows"  # micro rows of the 192 cells, ascending


@lru_cache(maxsize=1)
def _store() -> TableStore:
    return TableStore(DATA_ROOT / "tnb101")


def _checked_space(space, stem: str):
    """The space, after checking that the build wrote its tables in this space's row order."""
    stored = _store().load(stem)
    if not np.array_equal(stored, space.enumerate()):
        raise DataIntegrityError(f"{stem}: the tables' row order is not {space.name}'s; rebuild")
    return space


@lru_cache(maxsize=1)
def micro_space() -> TNB101MicroSpace:
    return _checked_space(TNB101MicroSpace(), "micro.arch_of_row")


@lru_cache(maxsize=1)
def macro_space() -> TNB101MacroSpace:
    return _checked_space(TNB101MacroSpace(), "macro.arch_of_row")


@lru_cache(maxsize=1)
def subset_space() -> SubsetSpace:
    base = micro_space()
    rows = _store().load(SUBSET_ROWS_STEM)
    return SubsetSpace(base, base.from_index(rows), name="tnb101-micro-192")


def _parse(name: str) -> tuple[str, str]:
    if name not in NAMES:
        raise ValueError(f"unknown TNB101 benchmark {name!r}; accepted: {', '.join(NAMES)}")
    _, space, task = name.split("-", 2)
    return space, task


class TNB101Benchmark(Benchmark):
    """One (space, task) of TransNAS-Bench-101; a query is a row lookup in one dense array."""

    kind = "tabular"
    fidelities = (FIDELITY,)
    default_fidelity = FIDELITY
    report_metric = None
    cost_known = False  # no training time in the public record: budgets must be in queries

    def __init__(self, name: str) -> None:
        space_kind, task = _parse(name)
        self.name = name
        self.search_space_kind = space_kind
        self.task = task
        if space_kind == "macro":
            self.space = macro_space()
        elif task in SUBSET_TASKS:
            self.space = subset_space()
        else:
            self.space = micro_space()
        metric, description, source_name = TASK_METRICS[task]
        self.objective = metric
        self.metrics = {
            metric: Metric(metric, f"{description}, final epoch", f"{task} validation split "
                           f"({source_name})", validation=True),
        }
        store = _store()
        self.checksum = store.checksum
        self._values = store.load(table_stem(space_kind, task))
        if self._values.shape != (self.space.size,):
            raise DataIntegrityError(
                f"{table_stem(space_kind, task)} has shape {self._values.shape}, expected "
                f"({self.space.size},)"
            )

    def _check(self, metric: str, fidelity: str | None) -> None:
        self.check_metric(metric)
        self.check_fidelity(fidelity)

    def query(
        self,
        archs: np.ndarray,
        metric: str,
        fidelity: str | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray | float:
        """``metric`` of each arch: an array for a batch (n, 6), a float for one arch. ``rng``
        is accepted for the common interface and ignored: one training run per arch."""
        self._check(metric, fidelity)
        rows = self.space.to_index(archs)
        if isinstance(rows, int):
            return float(self._values[rows])
        return self._values[rows]

    def cost(self, archs: np.ndarray, fidelity: str | None = None) -> np.ndarray | float:
        """0 simulated seconds: TNB101's public record has no training time (``cost_known``)."""
        self.check_fidelity(fidelity)
        archs = self.space.validate(archs)
        return 0.0 if archs.ndim == 1 else np.zeros(archs.shape[0])

    def optimum(self, metric: str, fidelity: str | None = None) -> tuple[float, np.ndarray]:
        """Best value of ``metric`` over the (sub)space and its arch; ties to the lowest row."""
        self._check(metric, fidelity)
        best = int(np.argmax(self._values))
        return float(self._values[best]), self.space.from_index(best)

    def all_archs(self) -> np.ndarray:
        """Every arch of the benchmark's space, in row order."""
        return self.space.enumerate()
