"""Stored baselines: the suite's search runs and the predictors suite's rows, shipped with the
package (``harness/baselines/data/``, written by ``scripts/make_baselines.py``), so that a new
method is ranked against the built-in ones, and a predictor's Kendall tau checked against a
baseline, without rerunning them.

A baseline is named (``suite``: the stored files) or given as a path: a results folder written
by ``python -m harness.run`` / ``python -m predictors.evaluate``, or a stored-format Parquet
file. Either way it is read into the same rows, each carrying what a comparison must match: the
benchmark data's checksum and, for search runs, budget, noise and fidelity; for predictor rows,
the test set's SHA-256 and the protocol.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from harness.results import EXPERIMENT_FILE, ResultsStore

DATA = Path(__file__).resolve().parent / "data"
STORED = {"suite"}  # names of stored baselines
MANIFEST = "MANIFEST.json"
PREDICTOR_FILE = "predictors-suite.parquet"
SEARCH_FILE = "suite.parquet"
# What a predictor row's protocol is besides its training size (a subset of a baseline's sizes
# and seeds gives identical rows: training sets are nested, every setting has its own stream).
PROTOCOL_KEYS = ("test_size", "fidelities", "zc_source")


class BaselineError(ValueError):
    """A baseline cannot be read or does not match what it is compared with; exit code 2."""


def manifest() -> dict:
    """The stored baselines' manifest: the commands that made them, their configs, versions."""
    path = DATA / MANIFEST
    if not path.exists():
        raise BaselineError(f"no stored baselines in {DATA}: run scripts/make_baselines.py")
    return json.loads(path.read_text())


def stored_file(name: str, kind: str) -> Path:
    """The Parquet file of stored baseline ``name`` for ``kind`` ('search' or 'predictors')."""
    if name not in STORED:
        raise BaselineError(f"unknown stored baseline {name!r}; accepted: {', '.join(STORED)}, "
                            "or a results folder or Parquet file")
    path = DATA / (SEARCH_FILE if kind == "search" else PREDICTOR_FILE)
    if not path.exists():
        raise BaselineError(f"the stored baseline {name!r} has no {kind} results ({path} is "
                            "missing): run scripts/make_baselines.py")
    return path


def _resolve(source: str | Path, kind: str) -> Path:
    text = str(source)
    if text in STORED:
        return stored_file(text, kind)
    path = Path(source)
    if not path.exists():
        raise BaselineError(f"baseline {text!r} does not exist; give a stored baseline "
                            f"({', '.join(STORED)}), a results folder or a Parquet file")
    return path


# --- predictor rows -----------------------------------------------------------------------
def protocol_key(job: dict) -> str:
    """A predictor job's protocol, as one comparable string (from its manifest's ``job``)."""
    return json.dumps({k: job[k] for k in PROTOCOL_KEYS}, sort_keys=True)


def predictor_table(root: Path) -> pa.Table:
    """Every predictor row under the results folder ``root`` (each of its experiments: the
    predictors suite writes the small TNB101 tasks to a subfolder) with the columns a check
    needs: ``test_set_sha256``, ``benchmark_checksum``, ``protocol``."""
    tables = []
    for experiment in sorted(Path(root).rglob(EXPERIMENT_FILE)):
        store = ResultsStore(experiment.parent)
        for key in store.job_keys():
            table, manifest = store.read(key)
            if "predictor" not in manifest.get("job", {}):
                continue
            n = table.num_rows
            tables.append(table.append_column("test_set_sha256",
                                              pa.array([manifest["test_set_sha256"]] * n))
                          .append_column("benchmark_checksum",
                                         pa.array([manifest["benchmark"]["checksum"]] * n))
                          .append_column("protocol",
                                         pa.array([protocol_key(manifest["job"])] * n)))
    if not tables:
        raise BaselineError(f"{str(root)!r} holds no predictor results (written by "
                            "python -m predictors.evaluate)")
    return pa.concat_tables(tables)


def load_predictor_rows(source: str | Path):
    """A predictor baseline as a pandas DataFrame (see ``predictor_table``)."""
    path = _resolve(source, "predictors")
    table = predictor_table(path) if path.is_dir() else pq.read_table(path)
    missing = {"test_set_sha256", "benchmark_checksum", "protocol", "kendall_tau"} - set(
        table.column_names)
    if missing:
        raise BaselineError(f"{str(source)!r} is not a predictor baseline: it lacks "
                            f"{', '.join(sorted(missing))}")
    return table.to_pandas()


# --- search runs --------------------------------------------------------------------------
# Per step: what the report's anytime curves and final numbers read (harness.report.load).
SEARCH_CURVE = ("cum_queries", "cum_seconds", "best_observed", "incumbent_valid",
                "incumbent_test", "incumbent_regret")
# Per run, repeated on its rows (dictionary-encoded: they cost almost nothing): what a
# comparison must match.
SETTINGS = ("budget", "noise", "fidelity", "benchmark_checksum")


def run_settings(manifest: dict) -> dict[str, str]:
    """The settings of a search run that a comparison with another run must share: budget,
    noise, the fidelity the search saw and the benchmark data's checksum."""
    budget = manifest["job"]["budget"]
    spent = (f"{budget['queries']} queries" if budget.get("queries")
             else f"{budget['seconds']:g} simulated seconds")
    return {"budget": spent, "noise": manifest["job"]["noise"],
            "fidelity": str(manifest["oracle"]["fidelity"]),
            "benchmark_checksum": manifest["data"]["checksum"]}


def search_table(root: Path) -> pa.Table:
    """Every search run of the results folder ``root`` as rows (benchmark, optimizer, seed,
    step, the curve columns, the incumbent arch and the run's ``SETTINGS``)."""
    store = ResultsStore(root)
    tables = []
    for key in store.job_keys():
        table, manifest = store.read(key)
        if "optimizer" not in manifest.get("job", {}):
            continue
        n = table.num_rows
        job = manifest["job"]
        columns = {"benchmark": pa.array([job["benchmark"]] * n),
                   "optimizer": pa.array([job["optimizer"]] * n),
                   "seed": pa.array([job["seed"]] * n, pa.int32()),
                   "step": table["step"]}
        columns.update({c: table[c] for c in (*SEARCH_CURVE, "incumbent")})
        columns.update({k: pa.array([v] * n) for k, v in run_settings(manifest).items()})
        tables.append(pa.table(columns))
    if not tables:
        raise BaselineError(f"{str(root)!r} holds no search runs (written by python -m "
                            "harness.run)")
    return pa.concat_tables(tables)


def load_search_table(source: str | Path) -> pa.Table:
    """A search baseline (stored name, results folder or Parquet file) as ``search_table``
    rows."""
    path = _resolve(source, "search")
    table = search_table(path) if path.is_dir() else pq.read_table(path)
    missing = {"benchmark", "optimizer", "seed", *SEARCH_CURVE, *SETTINGS} - set(
        table.column_names)
    if missing:
        raise BaselineError(f"{str(source)!r} is not a search baseline: it lacks "
                            f"{', '.join(sorted(missing))}")
    return table


def setting_differences(mine: dict[str, set[tuple]], theirs: dict[str, set[tuple]]) -> list[str]:
    """Per benchmark, the settings (tuples in ``SETTINGS`` order) of two sets of runs; a
    sentence per difference, or per benchmark the baseline lacks."""
    problems = []
    for bench in sorted(mine):
        if bench not in theirs:
            problems.append(f"{bench}: the baseline has no runs on it")
            continue
        for index, name in enumerate(SETTINGS):
            a = sorted({s[index] for s in mine[bench]})
            b = sorted({s[index] for s in theirs[bench]})
            if a != b:
                what = name.replace("_", " ")
                problems.append(f"{bench}: {what} {', '.join(a)} here, {', '.join(b)} in the "
                                "baseline")
    return problems
