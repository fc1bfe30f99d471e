"""Build the project's TransNAS-Bench-101 tables from the public record.

Usage::

    python -m benchmarks.build.tnb101 --source ../shared/data/tnb101 [--out benchmarks/data/tnb101]

Reads ``tnb101_final_val_all_archs.json`` (NASLib's NAS-Bench-Suite-Zero record: for each
``transbench101_<space>/<task>``, NASLib op tuple -> final validation metric), maps every key to
an arch of ``benchmarks.spaces.tnb101``, refuses anything it cannot place (unknown space or task,
a key that is no valid arch, a duplicate, a full task missing an arch, subset tasks that disagree
on their cells), and writes one dense float64 array per task in the space's row order, the row
order itself, ``MANIFEST.json`` (SHA-256 of every table and every source) and ``PROVENANCE.md``.

When ``../naslib_suite_zero`` sits beside the source (``--zc`` to point elsewhere) the build also
cross-checks: NAS-Bench-Suite-Zero's zero-cost files hold, for a few hundred archs per task, a
``val_accuracy`` that is never below our final-epoch value and often equal to it (a
best-over-epochs value of the same runs, it seems), which the build requires; and its extra-task
files hold the 192-cell ninapro/scifar100/svhn values, which must be equal.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path

import numpy as np

from benchmarks.build.common import write_tables
from benchmarks.spaces.tnb101 import TNB101MacroSpace, TNB101MicroSpace
from benchmarks.tnb101 import SPACES, SUBSET_ROWS_STEM, SUBSET_TASKS, TASK_METRICS, table_stem

SOURCE_FILE = "tnb101_final_val_all_archs.json"
N_SUBSET = 192
TOLERANCE = 1e-9



def _rows(space, keys, what: str) -> np.ndarray:
    """Row of each NASLib key in ``space``; stops the build on a key that is no valid arch."""
    rows = []
    for key in keys:
        try:
            rows.append(space.to_index(space.from_string(key)))
        except ValueError as error:
            raise SystemExit(f"{what}: key {key!r} is not a {space.name} arch: {error}") from None
    rows = np.asarray(rows, dtype=np.int64)
    if np.unique(rows).size != rows.size:
        raise SystemExit(f"{what}: two keys name the same arch")
    return rows


def build(source: Path, zc: Path | None = None) -> tuple[dict[str, np.ndarray], list[Path]]:
    """The tables to write (by file stem) and the source files read."""
    path = source / SOURCE_FILE
    if not path.exists():
        raise SystemExit(f"missing build input {path}; see ../shared/data/PROVENANCE.md")
    record: dict[str, dict[str, float]] = json.loads(path.read_text())
    spaces = {"micro": TNB101MicroSpace(), "macro": TNB101MacroSpace()}
    expected = {f"transbench101_{s}/{t}" for s, tasks in SPACES.items() for t in tasks}
    if set(record) != expected:
        raise SystemExit(
            f"{path.name}: unexpected keys {sorted(set(record) - expected)}, missing "
            f"{sorted(expected - set(record))}"
        )
    tables: dict[str, np.ndarray] = {
        "micro.arch_of_row": spaces["micro"].enumerate().astype(np.uint8),
        "macro.arch_of_row": spaces["macro"].enumerate().astype(np.uint8),
    }
    subset_rows: np.ndarray | None = None
    for space_kind, tasks in SPACES.items():
        space = spaces[space_kind]
        for task in tasks:
            what = f"transbench101_{space_kind}/{task}"
            entries = record[what]
            rows = _rows(space, entries.keys(), what)
            values = np.array(list(entries.values()), dtype=np.float64)
            if not np.isfinite(values).all():
                raise SystemExit(f"{what}: non-finite values")
            if task in SUBSET_TASKS:
                order = np.argsort(rows)
                if subset_rows is None:
                    subset_rows = rows[order]
                if rows.size != N_SUBSET or not np.array_equal(rows[order], subset_rows):
                    raise SystemExit(
                        f"{what}: expected the same {N_SUBSET} cells as {SUBSET_TASKS[0]}"
                    )
                tables[table_stem(space_kind, task)] = values[order]
                continue
            if rows.size != space.size:
                raise SystemExit(f"{what}: {space.size - rows.size} of {space.size} archs have "
                                 "no value")
            dense = np.empty(space.size)
            dense[rows] = values
            tables[table_stem(space_kind, task)] = dense
    tables[SUBSET_ROWS_STEM] = subset_rows
    sources = [path]
    if zc is not None:
        sources += cross_check(zc, tables, spaces)
    return tables, sources


def cross_check(zc: Path, tables: dict[str, np.ndarray], spaces: dict) -> list[Path]:
    """Check the tables against NAS-Bench-Suite-Zero's other files; return the files read."""
    read = []
    for space_kind, tasks in SPACES.items():
        path = zc / f"zc_transbench101_{space_kind}_subset.json"
        read.append(path)
        data = json.loads(path.read_text())
        space = spaces[space_kind]
        for task in set(tasks) - set(SUBSET_TASKS):
            entries = data[task]
            rows = _rows(space, entries.keys(), f"{path.name} {task}")
            best = np.array([e["val_accuracy"] for e in entries.values()])
            final = tables[table_stem(space_kind, task)][rows]
            if (best < final - TOLERANCE).any():
                raise SystemExit(f"{path.name} {task}: a val_accuracy is below the final value")
    archive = zc / "extra_tasks_9x_all.zip"
    read.append(archive)
    micro = spaces["micro"]
    with zipfile.ZipFile(archive) as zipped:
        for task in SUBSET_TASKS:
            member = f"flops/benchmark--transbench101_micro--{task}--0.json"
            entries = json.loads(zipped.read(member))
            rows = _rows(micro, [e["arch"] for e in entries], f"{archive.name} {task}")
            position = np.searchsorted(tables[SUBSET_ROWS_STEM], rows)
            if not np.array_equal(tables[SUBSET_ROWS_STEM][position], rows):
                raise SystemExit(f"{archive.name} {task}: cells outside the 192")
            got = tables[table_stem("micro", task)][position]
            want = np.array([e["val_accuracy"] for e in entries])
            if rows.size != N_SUBSET or np.abs(got - want).max() > TOLERANCE:
                raise SystemExit(f"{archive.name} {task}: values differ from {SOURCE_FILE}")
    return read


def provenance(zc_checked: bool) -> str:
    metric_rows = "\n".join(
        f"| {task} | `{name}` | {source} | {desc} |"
        for task, (name, desc, source) in TASK_METRICS.items()
    )
    checks = (
        "Cross-checked at build time against NAS-Bench-Suite-Zero's other files:\nits zero-cost "
        "files (`zc_transbench101_{micro,macro}_subset.json`, a few hundred archs\nper task) "
        "hold a `val_accuracy` never below the final-epoch value tabled here and\noften equal "
        "to it (a best-over-epochs value of the same runs, it seems); its extra-task\nfiles "
        "(`extra_tasks_9x_all.zip`) hold the same 192-cell ninapro, scifar100 and svhn\n"
        "values exactly."
        if zc_checked else "The NAS-Bench-Suite-Zero cross-checks were skipped (not found)."
    )
    return f"""# TransNAS-Bench-101 tables: provenance

Built by `python -m benchmarks.build.tnb101 --source <shared>/data/tnb101` from
`tnb101_final_val_all_archs.json`: NASLib's NAS-Bench-Suite-Zero record (automl/NASLib,
Apache-2.0) of TransNAS-Bench-101 (Duan et al., CVPR 2021; yawen-d/TransNASBench): the
final-epoch validation metric of every architecture of the micro space (4,096 cells) and of the
macro space (3,256 networks), per task; the micro cells also on ninapro, scifar100 and svhn (192
cells only, from NAS-Bench-Suite-Zero). There is no test metric and no training time.

| table | holds |
|---|---|
| `micro.arch_of_row` | the 4,096 micro cells in row order (base-4 code of the NASLib op tuple) |
| `macro.arch_of_row` | the 3,256 macro networks in row order (lexicographic, zero-padded to 6) |
| `micro192.rows` | micro rows of the 192 cells that ninapro, scifar100 and svhn cover |
| `micro.<task>.<metric>` | one value per micro cell (192 per subset cell for the 3 subset tasks) |
| `macro.<task>.<metric>` | one value per macro network |

| task | metric | in the source | what |
|---|---|---|---|
{metric_rows}

Every metric is higher-is-better (room_layout's is minus a loss). Each architecture was trained
once per task (7,352 x 7 = 51,464 models in the paper), so there are no seeds.

{checks}

SHA-256 of every table and every source file read is in `MANIFEST.json`; `benchmarks.load`
refuses tables whose checksum does not match.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="the shared data/tnb101 folder")
    parser.add_argument("--zc", type=Path, default=None,
                        help="NAS-Bench-Suite-Zero folder for cross-checks (default: "
                        "<source>/../naslib_suite_zero when it exists)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "data" / "tnb101")
    args = parser.parse_args(argv)
    zc = args.zc
    if zc is None and (args.source.parent / "naslib_suite_zero").is_dir():
        zc = args.source.parent / "naslib_suite_zero"
    tables, sources_read = build(args.source, zc)
    write_tables(args.out, tables, sources_read, args.source.parent, provenance(zc is not None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
