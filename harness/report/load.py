"""Read a results folder: search runs (one Parquet file per job, manifest in its metadata) and
predictor tables. Nothing else is consulted: a report must be reproducible from the store alone,
on a machine without the benchmark tables.

Predictor table format (what ``python -m predictors.evaluate`` writes, and what this module
accepts from anyone): any Parquet file under the folder with the columns ``benchmark``,
``predictor``, ``seed``, ``kendall_tau``, ``spearman`` and ``train_size`` or ``fidelity`` (or
both; a null means "not applicable": train_size 0 or null for a predictor without training,
fidelity null for one that sees no learning curve), optionally ``pearson``,
``precision_at_10``, ``fit_seconds``, ``query_seconds``; one row per (benchmark, predictor,
seed, train_size, fidelity).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from harness.baselines import run_settings
from harness.report import ReportError
from harness.results import EXPERIMENT_FILE, METADATA_KEY
from harness.summary import final_row

CURVE_COLUMNS = ("cum_queries", "cum_seconds", "best_observed", "incumbent_valid",
                 "incumbent_test", "incumbent_regret")
# a multi-objective run's trajectory (harness.multi_objective): its incumbent is a set
MO_CURVE_COLUMNS = ("cum_queries", "cum_seconds", "best_observed", "hypervolume", "hv_regret",
                    "front_size")
WALL_CLOCK = "wall_clock"  # simulated wall clock of a run's workers (harness.simulator)
PREDICTOR_REQUIRED = ("benchmark", "predictor", "seed", "kendall_tau", "spearman")
PREDICTOR_X = ("train_size", "fidelity")
PREDICTOR_OPTIONAL = ("pearson", "precision_at_10", "fit_seconds", "query_seconds")


@dataclass
class Run:
    """One search run: its final numbers (a ``harness.summary.final_row``), its trajectory
    columns and the search space it ran in."""

    final: dict
    curve: dict[str, np.ndarray]
    space: str
    experiment: Path | None = None  # the folder of its experiment.json (the results root if none)
    setting: str = ""  # its budget, fidelity and noise, as JSON: runs of one report share it
    pareto: dict | None = None  # multi-objective runs: objectives, bounds, exact front
    settings: dict | None = None  # what a comparison must match (harness.baselines.SETTINGS)

    @property
    def multi(self) -> bool:
        return self.pareto is not None


@dataclass
class Experiment:
    root: Path
    runs: list[Run] = field(default_factory=list)
    predictor_rows: list[dict] = field(default_factory=list)
    config: dict | None = None  # experiment.json's "config", when present
    skipped: list[str] = field(default_factory=list)  # Parquet files that are neither kind

    @property
    def rows(self) -> list[dict]:
        """Final rows of the single-objective search runs, in the store's sorted order (as the
        summary's); multi-objective runs are analysed apart (``harness.report.multiobjective``)."""
        return [run.final for run in self.runs if not run.multi]


def load(root: Path) -> Experiment:
    """Every search run and predictor row under ``root``; ``ReportError`` when the folder does
    not exist or holds neither."""
    root = Path(root)
    if not root.is_dir():
        raise ReportError(f"results folder {str(root)!r} does not exist; give a folder written "
                          "by python -m harness.run or python -m predictors.evaluate")
    exp = Experiment(root)
    if (root / EXPERIMENT_FILE).exists():
        exp.config = json.loads((root / EXPERIMENT_FILE).read_text()).get("config")
    for path in sorted(root.rglob("*.parquet")):
        if path.name.startswith("."):
            continue  # a temporary file of a write in progress
        schema = pq.read_schema(path)
        manifest = _manifest(schema.metadata)
        if manifest is not None and "optimizer" in manifest.get("job", {}):
            exp.runs.append(_run(path, manifest, _experiment_of(path, root)))
        elif set(PREDICTOR_REQUIRED) <= set(schema.names) and set(PREDICTOR_X) & set(schema.names):
            exp.predictor_rows.extend(_predictor_rows(path, schema.names))
        else:
            exp.skipped.append(str(path.relative_to(root)))
    _refuse_unlike_runs(root, exp.runs)
    if not exp.runs and not exp.predictor_rows:
        raise ReportError(
            f"results folder {str(root)!r} holds no runs: expected <benchmark>/<optimizer>/"
            "seed-NNNN.parquet files with a nas_harness manifest, or predictor tables with "
            f"columns {', '.join(PREDICTOR_REQUIRED)} and one of {', '.join(PREDICTOR_X)}"
        )
    return exp


def space_name(benchmark: str, manifest_space: str | None = None) -> str:
    """The search space a benchmark belongs to, as the NAS-Bench-Suite groups them: from the
    manifest when it names a known space, else from the benchmark name's prefix."""
    known = {"nb201": "NB201", "darts": "DARTS", "tnb101-micro": "TNB101-micro",
             "tnb101-macro": "TNB101-macro", "nbgraph": "Graph", "nbgraph-proteins": "Graph"}
    if manifest_space in known:
        return known[manifest_space]
    for prefix, space in (("nb201-", "NB201"), ("nb301-", "DARTS"),
                          ("tnb101-micro-", "TNB101-micro"), ("tnb101-macro-", "TNB101-macro"),
                          ("nbgraph-", "Graph")):
        if benchmark.startswith(prefix):
            return space
    return benchmark.split("-")[0]  # an unknown family is a space of its own


def _manifest(metadata: dict | None) -> dict | None:
    if not metadata or METADATA_KEY not in metadata:
        return None
    return json.loads(metadata[METADATA_KEY])


def _run(path: Path, manifest: dict, experiment: Path) -> Run:
    columns = MO_CURVE_COLUMNS if "pareto" in manifest else CURVE_COLUMNS
    names = set(pq.read_schema(path).names)
    table = pq.read_table(path, columns=[c for c in (*columns, WALL_CLOCK) if c in names])
    curve = {c: table[c].to_numpy(zero_copy_only=False).astype(np.float64) for c in columns}
    # runs written before simulated workers existed, and multi-objective runs, have one
    # worker: their wall clock is their cumulative training time
    curve[WALL_CLOCK] = (table[WALL_CLOCK].to_numpy().astype(np.float64) if WALL_CLOCK in names
                         else curve["cum_seconds"])
    final = final_row(manifest)
    data = manifest.get("data", {})
    job = manifest["job"]
    setting = json.dumps({k: job.get(k) for k in ("budget", "fidelity", "noise", "workers")},
                         sort_keys=True)
    return Run(final, curve, space_name(final["benchmark"], data.get("space")), experiment,
               setting, manifest.get("pareto"), run_settings(manifest))


def _experiment_of(path: Path, root: Path) -> Path:
    """The experiment folder a run belongs to: its nearest folder (up to ``root``) holding an
    ``experiment.json``; ``root`` when there is none."""
    for folder in path.parents:
        if (folder / EXPERIMENT_FILE).exists():
            return folder
        if folder == root:
            break
    return root


def _refuse_unlike_runs(root: Path, runs: list[Run]) -> None:
    """A report compares runs made alike: ``ReportError`` when the runs under ``root`` come
    from several experiments (listed, with what each holds, to be reported one by one) or,
    without experiment files, when their budget, fidelity or noise differ."""
    groups: dict[Path, list[Run]] = {}
    for run in runs:
        groups.setdefault(run.experiment, []).append(run)
    if len(groups) > 1:
        listing = "; ".join(
            f"{folder} ({_describe(members)})" for folder, members in sorted(groups.items()))
        raise ReportError(
            f"{str(root)!r} holds {len(groups)} experiments, which a report does not pool: "
            f"{listing}. Report each on its own: python -m harness.report <one of them>")
    settings = {run.setting for run in runs}
    if len(settings) > 1:
        raise ReportError(
            f"{str(root)!r} holds runs with different settings, which a report does not pool: "
            + "; ".join(sorted(settings)) + ". Put each setting's runs in its own folder")


def _describe(runs: list[Run]) -> str:
    optimizers = sorted({run.final["optimizer"] for run in runs})
    benches = sorted({run.final["benchmark"] for run in runs})
    return f"{'+'.join(optimizers)} on {'+'.join(benches)}, {len(runs)} runs"


def _predictor_rows(path: Path, names: list[str]) -> list[dict]:
    wanted = [c for c in (*PREDICTOR_REQUIRED, *PREDICTOR_X, *PREDICTOR_OPTIONAL) if c in names]
    return pq.read_table(path, columns=wanted).to_pylist()
