"""Build the exact Pareto fronts and the fixed hypervolume bounds of every multi-objective task.

Usage::

    python -m benchmarks.build.pareto [--out benchmarks/data/pareto]

Reads the benchmarks through ``benchmarks.load`` (so their own checksums hold), and writes per
task (``<benchmark>__<objectives>``) ``bounds.npy`` (ideal and nadir of the minimized objectives),
for tabular benchmarks ``front.npy`` and ``front_rows.npy`` (the exact front and the rows of
``all_archs()`` it comes from), an ``index.json`` and the SHA-256 manifest. See
``benchmarks.pareto`` for what they mean. Rebuild after any benchmark table changes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

import benchmarks
from benchmarks.pareto import key
from benchmarks.store import atomic_write_text, write_manifest
from harness.hypervolume import hypervolume, moocore

SURROGATE_SAMPLE = 10_000  # random archs (seed 0) that bound a surrogate's objectives


def objective_sets(bench) -> list[tuple[str, ...]]:
    """The budgeted objective with every non-empty subset of the free metrics, in order."""
    free = bench.free_metrics
    return [(bench.objective, *subset) for size in range(1, len(free) + 1)
            for subset in itertools.combinations(free, size)]


def minimized(bench, archs: np.ndarray, objectives: tuple[str, ...]) -> np.ndarray:
    """Seed-mean values at the default fidelity, maximized objectives negated."""
    columns = []
    for name in objectives:
        values = np.asarray(bench.query(archs, name), dtype=np.float64)
        columns.append(-values if bench.metrics[name].higher_is_better else values)
    return np.stack(columns, axis=1)


def build(out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    index, files = {}, []
    for name in benchmarks.names():
        bench = benchmarks.load(name)
        if not bench.free_metrics:
            continue  # single-objective only (TNB101)
        tabular = bench.kind == "tabular" and hasattr(bench, "all_archs")
        archs = (bench.all_archs() if tabular
                 else bench.space.sample(np.random.default_rng(0), SURROGATE_SAMPLE))
        for objectives in objective_sets(bench):
            stem = key(name, objectives)
            points = minimized(bench, archs, objectives)
            if not np.isfinite(points).all():
                raise SystemExit(f"{stem}: non-finite objective values")
            ideal, nadir = points.min(axis=0), points.max(axis=0)
            np.save(out / f"{stem}.bounds.npy", np.stack([ideal, nadir]), allow_pickle=False)
            files.append(f"{stem}.bounds.npy")
            entry = {"benchmark": name, "objectives": list(objectives), "exact": tabular,
                     "checksum": bench.checksum,
                     "ideal_nadir_from": "all archs" if tabular else
                     f"{SURROGATE_SAMPLE} random archs, seed 0"}
            if tabular:
                rows = np.flatnonzero(moocore().is_nondominated(points, keep_weakly=True))
                front = points[rows]
                np.save(out / f"{stem}.front.npy", front, allow_pickle=False)
                np.save(out / f"{stem}.front_rows.npy", rows.astype(np.int64), allow_pickle=False)
                files += [f"{stem}.front.npy", f"{stem}.front_rows.npy"]
                entry.update(n_front=int(len(rows)),
                             hypervolume=hypervolume(front, ideal, nadir))
            index[stem] = entry
            print(f"{stem}: {entry.get('n_front', 'no exact')} front archs")
    atomic_write_text(out / "index.json", json.dumps(index, indent=1, sort_keys=True) + "\n")
    write_manifest(out, sorted([*files, "index.json"]), {})
    atomic_write_text(out / "PROVENANCE.md", (
        "# Pareto fronts: provenance\n\nBuilt by `python -m benchmarks.build.pareto` from the "
        "project's own benchmarks (their checksums are in `index.json`); see "
        "`benchmarks/pareto.py` for what each file holds.\n"))
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "data" / "pareto")
    args = parser.parse_args(argv)
    build(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
