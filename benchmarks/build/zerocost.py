"""Build the precomputed zero-cost tables from NAS-Bench-Suite-Zero's score files.

Usage::

    python -m benchmarks.build.zerocost --source ../shared/data [--out benchmarks/data/zerocost]

Reads NASLib's NAS-Bench-Suite-Zero files (Krishnakumar et al., NeurIPS 2022 Datasets and
Benchmarks; automl/NASLib, Apache-2.0) for NB201 (3 datasets), NB301 and TransNAS-Bench-101
(micro and macro, 7 tasks each), maps every NASLib key to an arch vector of the project's space,
refuses anything it cannot place, and writes per benchmark the archs, a score matrix (one column
per proxy, NaN where the source has no score) and NASLib's ``val_accuracy``, plus
``MANIFEST.json`` (SHA-256 of every table and source) and ``PROVENANCE.md``.

Cross-checks (the build stops on a disagreement): NB201 keys go through NASLib's op order and
edge order (``naslib/search_spaces/nasbench201/conversions.py``) and must reproduce, for every
arch and dataset, the ``params`` and ``flops`` the file stores from our closed forms exactly;
NASLib's NB201 ``val_accuracy`` must equal the 15,625-arch file ``nb201_val_and_zen.zip`` of the
same suite, whose values for official rows 0, 11 and 284 must equal one training seed's (888)
test-split accuracy in the official records.
"""

from __future__ import annotations

import argparse
import bz2
import json
import pickle
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.build.common import write_tables
from benchmarks.networks import nb201_cost

PROXIES: tuple[str, ...] = (
    "flops", "params", "synflow", "snip", "grasp", "fisher", "grad_norm", "jacov", "nwot",
    "epe_nas", "l2_norm", "plain",
)
NON_SCORE_KEYS = {"idx", "arch", "val_accuracy"}
NB201_FILE = "naslib_suite_zero/zc_nasbench201_725.json"
NB201_ZEN_ZIP = "naslib_suite_zero/nb201_val_and_zen.zip"
NB201_DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet16-120"}
NB301_FILE = "nb301/naslib_zc_nasbench301_725.json"
TNB101_FILES = {
    "micro": "naslib_suite_zero/zc_transbench101_micro_subset.json",
    "macro": "naslib_suite_zero/zc_transbench101_macro_subset.json",
}
OFFICIAL_ROWS = (0, 11, 284)

# NASLib's NB201 op indices (OP_NAMES = Identity, Zero, ReLUConvBN3x3, ReLUConvBN1x1,
# AvgPool1x1) as our op indices (OPS = none, skip_connect, nor_conv_1x1, nor_conv_3x3,
# avg_pool_3x3), and NASLib's edge order EDGE_LIST = (1,2), (1,3), (1,4), (2,3), (2,4), (3,4)
# (1-based nodes) as positions of ours, EDGES = (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2).
NASLIB_NB201_OP = np.array([1, 0, 3, 2, 4])
NASLIB_NB201_EDGE_OF_OURS = np.array([0, 1, 3, 2, 4, 5])


def nb201_from_naslib(key: str) -> np.ndarray:
    """Our NB201 vector of a NASLib op tuple such as ``'(0, 2, 3, 2, 3, 1)'``."""
    values = [int(v) for v in key.strip("() ").split(",")]
    if len(values) != 6 or min(values) < 0 or max(values) > 4:
        raise SystemExit(f"NB201: key {key!r} is not a NASLib op tuple of 6 digits 0-4")
    return NASLIB_NB201_OP[np.array(values)[NASLIB_NB201_EDGE_OF_OURS]]


def nb201_to_naslib(arch: np.ndarray) -> str:
    """Inverse of ``nb201_from_naslib``."""
    ops = np.argsort(NASLIB_NB201_OP)[np.asarray(arch)]
    naslib = np.empty(6, dtype=np.int64)
    naslib[NASLIB_NB201_EDGE_OF_OURS] = ops
    return str(tuple(int(v) for v in naslib))



def _table(records: dict, parse: Callable[[str], np.ndarray], what: str):
    """Arch vectors, scores (n, len(PROXIES)) and val_accuracy of one task's records."""
    archs, scores, val = [], [], []
    for key, record in records.items():
        if record.get("arch", key) != key:
            raise SystemExit(f"{what}: record {key!r} names arch {record['arch']!r}")
        unknown = set(record) - NON_SCORE_KEYS - set(PROXIES)
        if unknown:
            raise SystemExit(f"{what}: unknown proxies {sorted(unknown)}; known: {PROXIES}")
        try:
            archs.append(parse(key))
        except ValueError as error:
            raise SystemExit(f"{what}: key {key!r} is no arch of the space: {error}") from None
        scores.append([record[p]["score"] if p in record else np.nan for p in PROXIES])
        val.append(record["val_accuracy"])
    archs = np.stack(archs).astype(np.int64)
    if len({tuple(a) for a in archs.tolist()}) != len(archs):
        raise SystemExit(f"{what}: two keys name the same arch")
    return archs, np.asarray(scores, dtype=np.float64), np.asarray(val, dtype=np.float64)


def _read_json(path: Path, sources_read: list[Path]) -> dict:
    if not path.exists():
        raise SystemExit(f"missing build input {path}; see ../shared/data/PROVENANCE.md")
    sources_read.append(path)
    return json.loads(path.read_text())


def _nb201(source: Path, sources_read: list[Path]) -> dict[str, tuple]:
    from benchmarks.nb201 import _space

    space = _space()
    data = _read_json(source / NB201_FILE, sources_read)
    out = {}
    for key, dataset in NB201_DATASETS.items():
        what = f"{NB201_FILE} {key}"
        archs, scores, val = _table(data[key], nb201_from_naslib, what)
        for proxy, convention in (("params", None), ("flops", "tensorwatch")):
            ours = (nb201_cost.params(archs, dataset) if convention is None
                    else nb201_cost.flops(archs, dataset, convention))
            theirs = scores[:, PROXIES.index(proxy)]
            if not np.array_equal(ours, theirs):
                bad = int((ours != theirs).sum())
                raise SystemExit(f"{what}: {proxy} of {bad} archs differs from the network's")
        rows = space.to_index(archs)
        order = np.argsort(rows)
        out[f"nb201-{dataset}"] = (archs[order], scores[order], val[order], rows[order])
    _check_nb201_val(source, out, sources_read)
    return out


def _check_nb201_val(source: Path, tables: dict, sources_read: list[Path]) -> None:
    """NASLib's NB201 val_accuracy = the suite's all-arch file = seed 888's test split."""
    path = source / NB201_ZEN_ZIP
    if not path.exists():
        raise SystemExit(f"missing build input {path}")
    sources_read.append(path)
    by_arch: dict[str, dict[str, float]] = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".json"):
                key = name.split("--")[2]
                for record in json.loads(archive.read(name)):
                    by_arch.setdefault(NB201_DATASETS[key], {})[record["arch"]] = record[
                        "val_accuracy"
                    ]
    for dataset, values in by_arch.items():
        archs, _, val, _ = tables[f"nb201-{dataset}"]
        full = np.array([values[nb201_to_naslib(a)] for a in archs])
        if not np.array_equal(full, val):
            raise SystemExit(f"NB201 {dataset}: val_accuracy differs from {NB201_ZEN_ZIP}")
    from benchmarks.nb201 import _space

    split = {"cifar10": ("cifar10-valid", "ori-test"), "cifar100": ("cifar100", "x-test"),
             "imagenet16-120": ("ImageNet16-120", "x-test")}
    for row in OFFICIAL_ROWS:
        record_path = source / f"nb201/official_format/{row:06d}.pickle.pbz2"
        sources_read.append(record_path)
        with bz2.open(record_path, "rb") as handle:
            record = pickle.load(handle)  # noqa: S301 - build input only, see PROVENANCE.md
        key = nb201_to_naslib(_space().from_index(row))
        for dataset, (official, test_split) in split.items():
            run = record["200"]["all_results"][(official, 888)]
            expected = run["eval_acc1es"][f"{test_split}@{run['epochs'] - 1}"]
            if abs(by_arch[dataset][key] - expected) > 1e-4:
                raise SystemExit(
                    f"NB201 row {row} {dataset}: NASLib val_accuracy {by_arch[dataset][key]} is "
                    f"not seed 888's {official} {test_split} ({expected})"
                )


def _others(source: Path, sources_read: list[Path]) -> dict[str, tuple]:
    from benchmarks.spaces.darts import DartsSpace
    from benchmarks.spaces.tnb101 import TNB101MicroSpace
    from benchmarks.tnb101 import macro_space

    out = {}
    darts = DartsSpace()
    for key, records in _read_json(source / NB301_FILE, sources_read).items():
        if key != "cifar10":
            raise SystemExit(f"{NB301_FILE}: unknown dataset {key!r}; expected cifar10")
        out["nb301-cifar10"] = _table(records, darts.from_string, NB301_FILE)
    for space_name, rel in TNB101_FILES.items():
        space = TNB101MicroSpace() if space_name == "micro" else macro_space()
        for task, records in _read_json(source / rel, sources_read).items():
            out[f"tnb101-{space_name}-{task}"] = _table(records, space.from_string, f"{rel} {task}")
    for name, (archs, scores, val) in list(out.items()):
        order = np.lexsort(archs.T[::-1])
        out[name] = (archs[order], scores[order], val[order], None)
    return out


def build(source: Path) -> tuple[dict[str, np.ndarray], list[Path]]:
    """Tables to write (by file stem) and the source files read."""
    sources_read: list[Path] = []
    per_benchmark = {**_nb201(source, sources_read), **_others(source, sources_read)}
    tables: dict[str, np.ndarray] = {"proxies": np.array(PROXIES)}
    for name, (archs, scores, val, rows) in per_benchmark.items():
        if archs.max() > np.iinfo(np.uint8).max:
            raise SystemExit(f"{name}: arch entries do not fit uint8")
        tables[f"{name}.archs"] = archs.astype(np.uint8)
        tables[f"{name}.scores"] = scores
        tables[f"{name}.val_accuracy"] = val
        if rows is not None:
            tables[f"{name}.rows"] = rows.astype(np.int64)
    return tables, sources_read


PROVENANCE_TEMPLATE = Path(__file__).with_name("zerocost_provenance.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "data" / "zerocost")
    args = parser.parse_args(argv)
    tables, sources_read = build(args.source)
    write_tables(args.out, tables, sources_read, args.source, PROVENANCE_TEMPLATE.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
