"""Build the NB201 tables from the official NATS-Bench archive (``NATS-tss-v1_0-3ffb9-simple``).

Usage::

    python -m benchmarks.build.nb201 --official-archive DIR [--out DIR] [--curve-dtype float16]
        [--allow-partial]

The archive is a folder of ``meta.pickle.pbz2`` and one ``<row:06d>.pickle.pbz2`` per
architecture. It is read with the official reader (``nats_bench``, the ``build`` extra) in its
``fast_mode``, which loads one record at a time: each record is read, its values copied into the
tables, and dropped from the reader before the next, so memory stays at one record plus the
scalar tables; the curves go straight into memory-mapped ``.npy`` files on disk.

Written beside today's tables (same names, same meaning, see ``official_values``):

- ``<ds>.valid_acc.hp12.seeds``: one hp12 validation accuracy per training seed (the public
  record has only their mean), so a search can be served one seed at hp12 as the NB201 paper
  draws it;
- ``<ds>.curves.<hp>.<metric>``, shape (15625, 3 seeds, epochs), for ``metric`` in
  ``train_acc, train_loss, valid_acc, valid_loss`` (the search's training run: cifar10-valid for
  nb201-cifar10) and ``test_acc, test_loss`` (the run the test split comes from), at ``hp12`` and
  ``hp200``; seeds in ascending order, NaN where an arch has fewer seeds and at epochs the archive
  did not evaluate (at hp200 cifar100's and ImageNet16-120's ``x-valid`` and ``x-test`` exist at
  the last epoch only: NATS-Bench evaluated ``ori-test``, their union, per epoch);
  ``<ds>.curves.<hp>.seed_ids.{valid,test}`` name them (-1: none).

Pickles are read here only; the loader reads ``.npy`` files. ``MANIFEST.json`` gets a
``build`` entry: built from the official archive, its checksum (SHA-256 over the sorted
``name:sha256`` of every record file read), the records read, whether the build is partial,
the curves' dtype and the largest difference measured between a stored curve value and the
archive's, per table.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks.spaces.nb201 import N_ARCHS, NB201Space
from benchmarks.store import MANIFEST, atomic_write_text

DATASETS = ("cifar10", "cifar100", "imagenet16-120")
SCHEDULES = {"hp12": ("12", 12), "hp200": ("200", 200)}
MAX_SEEDS = 3
CURVE_METRICS = ("train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss")
CURVE_DTYPES = ("float32", "float16")
# official (dataset, split) of the search's run and of the test run, per benchmark dataset; the
# split mapping of docs/nb201-metrics.md, as benchmarks.build.nb201.official_values has it
RUNS = {
    "cifar10": (("cifar10-valid", "x-valid"), ("cifar10", "ori-test")),
    "cifar100": (("cifar100", "x-valid"), ("cifar100", "x-test")),
    "imagenet16-120": (("ImageNet16-120", "x-valid"), ("ImageNet16-120", "x-test")),
}
META = "meta.pickle.pbz2"
ARCHIVE_NAME = "NATS-tss-v1_0-3ffb9-simple"


class PartialArchiveError(ValueError):
    """The archive lacks records and the build was not told to accept that."""


def record_path(archive: Path, row: int) -> Path | None:
    """The record file of ``row`` as the official reader names it, or None if absent."""
    for name in (f"{row:06d}.pickle.pbz2", f"{row:d}.pickle.pbz2"):
        if (archive / name).is_file():
            return archive / name
    return None


def _open_reader(archive: Path):
    try:
        import nats_bench
    except ImportError as error:
        raise SystemExit(f"{error}: reading the official archive needs the official reader: "
                         "pip install -e '.[build]' (nats_bench)") from None
    return nats_bench.create(str(archive), "tss", fast_mode=True, verbose=False)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _runs(arch_results, dataset: str) -> list:
    """The reader's runs of ``dataset`` in the record's order (``all_results`` keeps it)."""
    return [r for (name, _), r in arch_results.all_results.items() if name == dataset]


def _curve(values: dict, prefix: str | None, epochs: int) -> np.ndarray:
    """Per-epoch values; NaN at epochs the archive did not evaluate (at hp200, cifar100's and
    ImageNet16-120's x-valid and x-test are evaluated at the last epoch only)."""
    keys = range(epochs) if prefix is None else [f"{prefix}@{e}" for e in range(epochs)]
    if f"{prefix}@{epochs - 1}" not in values and prefix is not None:
        raise SystemExit(f"no {prefix} at the last epoch ({epochs - 1}) in a record")
    return np.array([values.get(k, np.nan) for k in keys], dtype=np.float64)


def record_values(arch_results: dict) -> dict[str, dict]:
    """What one record (the reader's ``{hp: ArchResults}``) gives each benchmark dataset:
    scalars by table name and, per schedule, curves (seeds x epochs) and seed ids."""
    out: dict[str, dict] = {}
    for ds, ((valid_ds, valid_split), (test_ds, test_split)) in RUNS.items():
        values: dict = {}
        for hp, (key, epochs) in SCHEDULES.items():
            valid_runs = sorted(_runs(arch_results[key], valid_ds), key=lambda r: r.seed)
            test_runs = sorted(_runs(arch_results[key], test_ds), key=lambda r: r.seed)
            for runs, what in ((valid_runs, "valid"), (test_runs, "test")):
                if not runs or len(runs) > MAX_SEEDS or any(r.epochs != epochs for r in runs):
                    raise SystemExit(f"{arch_results[key].arch_str} hp{key} {what}: "
                                     f"{len(runs)} runs, epochs {[r.epochs for r in runs]}")
            curves = {
                "train_acc": [_curve(r.train_acc1es, None, epochs) for r in valid_runs],
                "train_loss": [_curve(r.train_losses, None, epochs) for r in valid_runs],
                "valid_acc": [_curve(r.eval_acc1es, valid_split, epochs) for r in valid_runs],
                "valid_loss": [_curve(r.eval_losses, valid_split, epochs) for r in valid_runs],
                "test_acc": [_curve(r.eval_acc1es, test_split, epochs) for r in test_runs],
                "test_loss": [_curve(r.eval_losses, test_split, epochs) for r in test_runs],
            }
            values[f"curves.{hp}"] = {name: np.stack(c) for name, c in curves.items()}
            values[f"seed_ids.{hp}.valid"] = [r.seed for r in valid_runs]
            values[f"seed_ids.{hp}.test"] = [r.seed for r in test_runs]
            finals = [c[-1] for c in curves["valid_acc"]]
            values[f"valid_acc.{hp}.seeds"] = finals
            values[f"valid_acc.{hp}"] = float(np.mean(finals))
            values[f"test_acc.{hp}"] = float(np.mean([c[-1] for c in curves["test_acc"]]))
        first200 = _runs(arch_results["200"], valid_ds)  # as the public record takes them
        latencies = {float(lat) for r in first200 for lat in r.latency}
        if len(latencies) != 1:
            raise SystemExit(f"{arch_results['200'].arch_str}: {valid_ds} latency varies over "
                             f"seeds: {sorted(latencies)}")
        values["latency"] = latencies.pop()
        values["train_time.hp200"] = float(sum(first200[0].train_times.values()))
        values["params"] = float(first200[0].params)
        out[ds] = values
    return out


def _progress(total: int):
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm comes with the harness's own dependencies; be safe anyway
        return None
    return tqdm(total=total, unit="arch", desc="NATS-Bench records", mininterval=1.0)


def build_from_archive(archive: Path, out: Path, curve_dtype: str = "float32",
                       allow_partial: bool = False) -> dict:
    """Stream the archive's records into the tables under ``out``; return the manifest's
    ``build`` entry. Raises PartialArchiveError (before reading any record) when records are
    missing and ``allow_partial`` is False."""
    archive, out = Path(archive), Path(out)
    if curve_dtype not in CURVE_DTYPES:
        raise ValueError(f"unknown curve dtype {curve_dtype!r}; accepted: "
                         f"{', '.join(CURVE_DTYPES)}")
    if not (archive / META).is_file():
        raise ValueError(f"{archive} is not a NATS-Bench topology archive: no {META} "
                         f"(expected the {ARCHIVE_NAME} folder)")
    paths = {row: record_path(archive, row) for row in range(N_ARCHS)}
    present = [row for row, path in paths.items() if path is not None]
    if not present:
        raise ValueError(f"{archive} holds no <row>.pickle.pbz2 record")
    if len(present) < N_ARCHS and not allow_partial:
        raise PartialArchiveError(
            f"{archive} holds {len(present)} of {N_ARCHS} records (e.g. row "
            f"{next(r for r, p in paths.items() if p is None)} is missing): a partial archive "
            "is built only with --allow-partial, and its tables cannot serve a search")

    started = time.perf_counter()
    api = _open_reader(archive)
    arch_strings = list(api.meta_archs)
    space = NB201Space()
    arch_of_row = np.stack([space.from_string(s) for s in arch_strings])
    space.set_row_order(arch_of_row)  # raises unless it is a bijection

    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)  # tables below change: no stale manifest over them
    scalars: dict[str, np.ndarray] = {"arch_of_row": arch_of_row.astype(np.uint8)}
    for ds in DATASETS:
        for name in ("latency", "train_time.hp200", "params", "valid_acc.hp12", "test_acc.hp12",
                     "test_acc.hp200"):
            scalars[f"{ds}.{name}"] = np.full(N_ARCHS, np.nan)
        for hp in SCHEDULES:
            scalars[f"{ds}.valid_acc.{hp}.seeds"] = np.full((N_ARCHS, MAX_SEEDS), np.nan)
            for run in ("valid", "test"):
                scalars[f"{ds}.curves.{hp}.seed_ids.{run}"] = np.full(
                    (N_ARCHS, MAX_SEEDS), -1, dtype=np.int32)
    curves: dict[str, RowWriter] = {}
    for ds in DATASETS:
        for hp, (_, epochs) in SCHEDULES.items():
            for metric in CURVE_METRICS:
                stem = f"{ds}.curves.{hp}.{metric}"
                curves[stem] = RowWriter(out / f"{stem}.npy", np.dtype(curve_dtype),
                                         (N_ARCHS, MAX_SEEDS, epochs))
    max_error = dict.fromkeys(curves, 0.0)

    file_hashes: dict[str, str] = {}
    bar = _progress(len(present))
    streaming = time.perf_counter()
    peak_rss = _rss_mb()
    for row in present:
        file_hashes[paths[row].name] = _sha256(paths[row])
        api.reload(str(archive), row)  # the official reader, one record
        record = api.arch2infos_dict.pop(row)
        api.evaluated_indexes.discard(row)
        if record["200"].arch_str != arch_strings[row]:
            raise SystemExit(f"record {paths[row].name} is {record['200'].arch_str}, "
                             f"not row {row} of {META} ({arch_strings[row]})")
        for ds, values in record_values(record).items():
            for name in ("latency", "train_time.hp200", "params", "valid_acc.hp12",
                         "test_acc.hp12", "test_acc.hp200"):
                scalars[f"{ds}.{name}"][row] = values[name]
            for hp in SCHEDULES:
                seeds = values[f"valid_acc.{hp}.seeds"]
                scalars[f"{ds}.valid_acc.{hp}.seeds"][row, : len(seeds)] = seeds
                for run in ("valid", "test"):
                    ids = values[f"seed_ids.{hp}.{run}"]
                    scalars[f"{ds}.curves.{hp}.seed_ids.{run}"][row, : len(ids)] = ids
                for metric, matrix in values[f"curves.{hp}"].items():
                    stem = f"{ds}.curves.{hp}.{metric}"
                    stored = curves[stem].write_row(row, matrix).astype(np.float64)
                    error = float(np.nanmax(np.abs(stored - matrix)))
                    max_error[stem] = max(max_error[stem], error)
        del record
        peak_rss = max(peak_rss, _rss_mb())
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    per_record = (time.perf_counter() - streaming) / len(present)
    for writer in curves.values():
        writer.close()
    for stem, array in scalars.items():
        np.save(out / f"{stem}.npy", array, allow_pickle=False)
    archive_sha = hashlib.sha256("".join(
        f"{name}:{digest};" for name, digest in sorted(file_hashes.items())).encode()).hexdigest()
    build = {
        "from": "official-archive",
        "archive": {"name": archive.name, "sha256": archive_sha,
                    "meta_sha256": _sha256(archive / META), "reader": _reader_version()},
        "records": len(present),
        "partial": len(present) < N_ARCHS,
        "curve_dtype": curve_dtype,
        "curve_max_abs_error": max_error,
        "seconds": round(time.perf_counter() - started, 3),
        "seconds_per_record": round(per_record, 4),
        "peak_rss_mb": round(peak_rss, 1),
    }
    if build["partial"]:
        build["rows"] = present
    return build


class RowWriter:
    """A ``.npy`` file of shape (rows, ...) filled with NaN, then written one row at a time at
    its offset: the file is never mapped or held in memory, so a build's memory does not grow
    with the tables (a memory map would count every written page as resident)."""

    def __init__(self, path: Path, dtype: np.dtype, shape: tuple[int, ...]) -> None:
        self.dtype, self.shape = dtype, shape
        self.row_shape = shape[1:]
        self.row_bytes = int(np.prod(self.row_shape)) * dtype.itemsize
        self.handle = open(path, "wb+")  # noqa: SIM115 - closed by close()
        np.lib.format.write_array_header_1_0(
            self.handle, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
                          "shape": shape})
        self.offset = self.handle.tell()
        block = np.full((1024, *self.row_shape), np.nan, dtype=dtype).tobytes()
        for start in range(0, shape[0], 1024):
            self.handle.write(block[: min(1024, shape[0] - start) * self.row_bytes])

    def write_row(self, row: int, values: np.ndarray) -> np.ndarray:
        """Write ``values`` (leading seeds of the row; the rest stay NaN); return what is
        stored, in the file's dtype."""
        full = np.full(self.row_shape, np.nan, dtype=self.dtype)
        full[: len(values)] = values
        self.handle.seek(self.offset + row * self.row_bytes)
        self.handle.write(full.tobytes())
        return full[: len(values)]

    def close(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()


def _rss_mb() -> float:
    """Peak resident memory of this process so far (MB), as the kernel reports it."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reader_version() -> str:
    from importlib.metadata import version

    return f"nats_bench {version('nats_bench')}"


PROVENANCE = """# NB201 tables built from the official NATS-Bench archive

Built by `python -m benchmarks.build.nb201 --official-archive {archive}` from the official
per-architecture records of `{name}` (NATS-Bench topology search space, Dong et al., TPAMI 2021),
read with the official reader ({reader}). Archive checksum (SHA-256 over the sorted
`name:sha256` of the {records} record files read): `{sha}`.{partial}

Tables: the same as the shipped build (see docs/nb201-metrics.md for which split each holds),
plus per-seed hp12 validation accuracies and per-epoch curves for every arch, dataset, seed and
schedule, stored as {dtype}; the largest difference between a stored curve value and the
archive's, per table, is in MANIFEST.json (`build.curve_max_abs_error`).
"""


def write_manifest_and_provenance(out: Path, build: dict, archive: Path) -> None:
    """``MANIFEST.json`` (SHA-256 of every table, and the ``build`` entry) and PROVENANCE.md."""
    tables = {p.name: _sha256(p) for p in sorted(out.glob("*.npy"))}
    manifest = {"tables": tables, "sources": {"official-archive": build["archive"]["sha256"]},
                "build": build}
    partial = (f"\n\n**Partial build**: {build['records']} of {N_ARCHS} records; the loader "
               "refuses it for search." if build["partial"] else "")
    atomic_write_text(out / "PROVENANCE.md", PROVENANCE.format(
        archive=archive, name=build["archive"]["name"], reader=build["archive"]["reader"],
        records=build["records"], sha=build["archive"]["sha256"], partial=partial,
        dtype=build["curve_dtype"]))
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    size = sum(p.stat().st_size for p in out.glob("*.npy"))
    print(f"wrote {len(tables)} tables ({size / 1e6:.1f} MB) to {out} from {build['records']} "
          f"records in {build['seconds']:.1f} s (peak memory {build['peak_rss_mb']:.0f} MB)"
          + (" [PARTIAL]" if build["partial"] else ""), flush=True)
