"""What every build script does last: write its tables, the SHA-256 manifest and provenance."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from benchmarks.store import atomic_write_text, write_manifest


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_tables(out: Path, tables: dict[str, np.ndarray], sources_read: Iterable[Path],
                 source_root: Path, provenance: str) -> None:
    """Save ``tables`` as ``<stem>.npy`` (no pickle) under ``out``, then ``MANIFEST.json`` with
    the SHA-256 of every table and of every source read (named relative to ``source_root``
    where they lie under it), then ``PROVENANCE.md``."""
    out.mkdir(parents=True, exist_ok=True)
    for stem, array in tables.items():
        np.save(out / f"{stem}.npy", array, allow_pickle=False)
    sources = {
        (str(p.relative_to(source_root)) if p.is_relative_to(source_root) else str(p)): sha256(p)
        for p in sorted(set(map(Path, sources_read)))
    }
    write_manifest(out, sorted(f"{stem}.npy" for stem in tables), sources)
    atomic_write_text(out / "PROVENANCE.md", provenance)
    print(f"wrote {len(tables)} tables to {out}")
