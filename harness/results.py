"""The results store: one Parquet file per job, written atomically, plus an experiment manifest.

Layout of ``<out>/``::

    experiment.json                          the grid's configuration and software versions
    <benchmark>/<optimizer>/seed-0007.parquet the trajectory; the run's manifest (seed, budget,
                                             data checksum, versions) in the file's metadata

A job is done exactly when its Parquet file exists: the file is written to a temporary name in
the same folder, flushed to disk and renamed over the final name, so a crash (SIGKILL included)
leaves either the whole result or none, and a rerun skips what is done.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.store import atomic_write, atomic_write_text

METADATA_KEY = b"nas_harness.manifest"
EXPERIMENT_FILE = "experiment.json"


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

    def remove_partial_files(self) -> int:
        """Delete temporary files left by a run that was killed mid-write."""
        stale = list(self.root.glob("*/*/.*.tmp"))
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    # --- the experiment ------------------------------------------------------------------
    def open_experiment(self, config: dict, versions: dict) -> None:
        """Create ``experiment.json``, or check that an existing one has the same config."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / EXPERIMENT_FILE
        if path.exists():
            existing = json.loads(path.read_text())
            if existing.get("config") != config:
                raise ExperimentMismatchError(
                    f"{self.root} holds an experiment with another configuration "
                    f"({existing.get('config')}); use a new --out or delete it"
                )
            return
        atomic_write_text(
            path, json.dumps({"config": config, "versions": versions}, indent=1) + "\n"
        )

    def experiment(self) -> dict:
        return json.loads((self.root / EXPERIMENT_FILE).read_text())
