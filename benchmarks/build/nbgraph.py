"""Build the project's NAS-Bench-Graph tables from the public record.

Usage::

    python -m benchmarks.build.nbgraph --source ../shared/data/nbgraph [--out DIR]

Reads ``light/<dataset>.bench`` for the 9 datasets: pickles of plain dicts (upstream key ->
``valid_perf``, ``perf``, ``latency``, ``para``), read here with an unpickler that can build
nothing but numpy float scalars (the only objects the files hold besides dicts, strings and
floats), so no code in them runs. The build computes the canonical form of every vector of both
spaces with ``benchmarks.spaces.nbgraph`` and stops unless the classes are exactly the record's
keys (every key reached, no class without a key), then writes per space its row tables
(``arch_of_row``: the canonical vector of each class, ascending upstream key; ``row_of_code``:
the class of every vector by its code, the vector read as a 5-digit decimal number, -1 where no
valid vector has that code) and per dataset
one float64 array per metric in row order, ``MANIFEST.json`` (SHA-256 of every table and every
source) and ``PROVENANCE.md``.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

from benchmarks.build.common import write_tables
from benchmarks.nbgraph import DATASETS, SPACES, space_of, table_stem
from benchmarks.spaces.nbgraph import NBGraphSpace

FIELDS = {"valid_acc": "valid_perf", "test_acc": "perf", "latency": "latency", "params": "para"}
PERCENT = {"valid_acc", "test_acc"}  # stored in %, like the other benchmarks' accuracies


class _FloatsOnly(pickle.Unpickler):
    """Unpickles dicts, strings and floats, and numpy float scalars; refuses any other class."""

    ALLOWED = {("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def read_record(path: Path) -> dict[int, dict[str, float]]:
    with open(path, "rb") as handle:
        record = _FloatsOnly(handle).load()
    if not isinstance(record, dict):
        raise SystemExit(f"{path}: expected a dict, got {type(record).__name__}")
    return record


def build(source: Path) -> tuple[dict[str, np.ndarray], list[Path]]:
    """The tables to write (by file stem) and the source files read."""
    tables: dict[str, np.ndarray] = {}
    spaces: dict[str, NBGraphSpace] = {}
    for name, (ops, _) in SPACES.items():
        space = NBGraphSpace(ops, name)
        arch_of_row, row_of_code = space.row_tables()
        tables[f"{name}.arch_of_row"] = arch_of_row.astype(np.uint8)
        tables[f"{name}.row_of_code"] = row_of_code.astype(np.int32)
        spaces[name] = space
    read = []
    for dataset in DATASETS:
        path = source / "light" / f"{dataset}.bench"
        if not path.exists():
            raise SystemExit(f"missing build input {path}; see ../shared/data/PROVENANCE.md")
        read.append(path)
        record = read_record(path)
        space = spaces[space_of(dataset)]
        keys = np.asarray(space.upstream_key(space.enumerate()))
        record_keys = np.array(sorted(record), dtype=np.int64)
        if not np.array_equal(keys, record_keys):
            extra = np.setdiff1d(record_keys, keys)[:5].tolist()
            missing = np.setdiff1d(keys, record_keys)[:5].tolist()
            raise SystemExit(f"{path.name}: the record's keys are not the {space.size} classes "
                             f"of {space.name}: keys without a class {extra}, classes without a "
                             f"key {missing}")
        for metric, field in FIELDS.items():
            values = np.array([float(record[int(k)][field]) for k in keys], dtype=np.float64)
            if not np.isfinite(values).all() or (values < 0).any():
                raise SystemExit(f"{path.name}: non-finite or negative {field}")
            if metric in PERCENT:
                if values.max() > 1:
                    raise SystemExit(f"{path.name}: {field} above 1; expected a fraction")
                values = values * 100.0
            tables[table_stem(dataset, metric)] = values
    return tables, read


PROVENANCE = Path(__file__).with_name("nbgraph_provenance.md")  # written beside the tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="the shared data/nbgraph folder")
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "data" / "nbgraph")
    args = parser.parse_args(argv)
    tables, sources_read = build(args.source)
    write_tables(args.out, tables, sources_read, args.source.parent, PROVENANCE.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
