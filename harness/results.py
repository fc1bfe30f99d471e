"""The results store: one Parquet file per job, written atomically, plus an experiment manifest.

Layout of ``<out>/``::

    experiment.json                          the grid's configuration and software versions
    <benchmark>/<optimizer>/seed-0007.parquet the trajectory; the run's manifest (seed, budget,
                                             data checksum, versions) in the file's metadata

A job is done exactly when its Parquet file exists: the file is written to a temporary name in
the same folder, flushed to disk and renamed over the final name, so a crash (SIGKILL included)
leaves either the whole result or none, and a rerun skips what is done.

Several runners may share one folder (the same command started twice, a cluster's job array on a
shared file system): a job is *claimed* before it runs by holding an exclusive lock on
``.claims/<key>.lock`` (the ``filelock`` library: ``flock``, which the operating system releases
when the holder dies, however it dies). So no job runs twice, and the claim of a runner that
died is free for the others to take over. Only the claim's holder writes a job's temporary file,
so a temporary whose claim is free belongs to nobody alive and may be deleted.

Limits: this needs a file system whose ``flock`` is shared between machines: local disks, NFSv4
(and NFSv3 with lockd: Linux maps ``flock`` to NFS byte-range locks), Lustre mounted with
``-o flock``, GPFS, CephFS. On a file system without ``flock``, filelock 4 falls back to a marker
file that a dead runner leaves behind (older releases raise an error): there, delete the
``.claims`` folder once no runner is left, and run one runner at a time.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from benchmarks.store import atomic_write, atomic_write_text

METADATA_KEY = b"nas_harness.manifest"
EXPERIMENT_FILE = "experiment.json"
CLAIMS = ".claims"  # one lock file per job, held by the runner that runs it
# experiment settings that may grow between runs of one experiment: more seeds are added to it
GROWING = ("seeds",)


class ExperimentMismatchError(ValueError):
    """The output folder already holds an experiment with a different configuration."""


class ResultsStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / f"{key}.parquet"

    def is_done(self, key: str) -> bool:
        return self.path(key).exists()

    def write(self, key: str, table: pa.Table, manifest: dict) -> Path:
        """Atomically write a job's trajectory with its manifest in the file metadata."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        metadata = dict(table.schema.metadata or {})
        metadata[METADATA_KEY] = json.dumps(manifest, sort_keys=True).encode()
        table = table.replace_schema_metadata(metadata)
        return atomic_write(path, lambda tmp: pq.write_table(table, tmp))

    def read(self, key: str) -> tuple[pa.Table, dict]:
        table = pq.read_table(self.path(key))
        manifest = json.loads(table.schema.metadata[METADATA_KEY])
        return table.replace_schema_metadata(None), manifest

    def job_keys(self) -> Iterator[str]:
        """Every finished job, in sorted order."""
        for path in sorted(self.root.glob("*/*/*.parquet")):
            yield str(path.relative_to(self.root).with_suffix(""))

    # --- claims: several runners on one folder -------------------------------------------
    def claim_path(self, key: str) -> Path:
        return self.root / CLAIMS / f"{key}.lock"

    @contextlib.contextmanager
    def claim(self, key: str) -> Iterator[bool]:
        """Try to claim job ``key`` without waiting: yields True while this process holds the
        claim (released on exit, or by the OS if the process dies), False when another live
        process holds it."""
        path = self.claim_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    def is_claimed(self, key: str) -> bool:
        """Whether another live process holds job ``key``'s claim right now."""
        with self.claim(key) as mine:
            return not mine

    def partial_files(self, key: str) -> list[Path]:
        """Temporary files of job ``key`` (see ``benchmarks.store.atomic_write``)."""
        path = self.path(key)
        return sorted(path.parent.glob(f".{path.name}.*.tmp"))

    def remove_partial_files(self, key: str | None = None) -> int:
        """Delete temporary files left by runs that were killed mid-write: of job ``key``
        (whose claim the caller holds), or of every job whose claim is free (a temporary whose
        claim is held belongs to a runner that is writing it now, and is left alone)."""
        if key is not None:
            stale = self.partial_files(key)
            for path in stale:
                path.unlink(missing_ok=True)
            return len(stale)
        keys = {self._key_of_partial(path) for path in self.root.glob("*/*/.*.parquet.*.tmp")}
        removed = 0
        for orphan in sorted(keys):
            with self.claim(orphan) as mine:
                if mine:
                    removed += self.remove_partial_files(orphan)
        return removed

    def _key_of_partial(self, path: Path) -> str:
        name = path.name[1:].split(".parquet.", 1)[0]  # .seed-0001.parquet.<random>.tmp
        return str(path.parent.relative_to(self.root) / name)

    # --- the experiment ------------------------------------------------------------------
    def open_experiment(self, config: dict, versions: dict) -> None:
        """Create ``experiment.json``, or check that an existing one is the same experiment:
        every setting equal except those in ``GROWING`` (more seeds are added to it, and the
        file then records the larger number). ``ExperimentMismatchError`` names each setting
        that differs, with the folder's value and the new one."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / CLAIMS).mkdir(exist_ok=True)
        path = self.root / EXPERIMENT_FILE
        # two runners starting together: one writes the file, the other then checks it
        with FileLock(str(self.root / CLAIMS / "experiment.lock"), timeout=120):
            if path.exists():
                existing = json.loads(path.read_text())
                old = existing.get("config") or {}
                differences = config_differences(old, config, ignore=GROWING)
                if differences:
                    raise ExperimentMismatchError(
                        f"{self.root} holds an experiment with another configuration: "
                        + "; ".join(differences)
                        + ". Use another --out (the default folder names these settings) or "
                        "delete it"
                    )
                grown = {k: config[k] for k in GROWING
                         if k in config and config[k] > old.get(k, 0)}
                if not grown:
                    return
                existing["config"] = {**old, **grown}
                text = json.dumps(existing, indent=1) + "\n"
            else:
                text = json.dumps({"config": config, "versions": versions}, indent=1) + "\n"
            atomic_write_text(path, text)

    def experiment(self) -> dict:
        return json.loads((self.root / EXPERIMENT_FILE).read_text())


def config_differences(old: dict, new: dict, ignore: tuple[str, ...] = ()) -> list[str]:
    """``name: <old> in the folder, <new> now`` for each setting (nested ones dotted, e.g.
    ``optimizer_config.re.population_size``) that differs between two configurations."""
    flat_old, flat_new = _flatten(old), _flatten(new)
    absent = "(not set)"
    return [
        f"{name}: {flat_old.get(name, absent)!r} in the folder, {flat_new.get(name, absent)!r} now"
        for name in sorted(set(flat_old) | set(flat_new))
        if name.split(".")[0] not in ignore and flat_old.get(name, absent) != flat_new.get(
            name, absent)
    ]


def _flatten(config: dict, prefix: str = "") -> dict:
    out = {}
    for name, value in config.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = value
    return out
