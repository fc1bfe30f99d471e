"""Checked storage of benchmark tables: ``.npy`` arrays plus a SHA-256 ``MANIFEST.json``.

Tables are plain numpy arrays (no pickle, ``allow_pickle=False``). Every file is hashed as it is
read and compared with the manifest, so a table edited by hand or half-written cannot silently
change a published number.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import socket
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

DATA_ROOT = Path(__file__).parent / "data"
MANIFEST = "MANIFEST.json"


class DataIntegrityError(RuntimeError):
    """A table is missing or its checksum differs from the manifest."""


def write_manifest(folder: Path, files: Iterable[str], sources: dict[str, str]) -> None:
    """Record the SHA-256 of each table in ``folder`` and of each build source."""
    tables = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in files}
    manifest = {"tables": tables, "sources": sources}
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def atomic_write(path: Path, write: Callable[[str], object]) -> Path:
    """Have ``write(tmp_name)`` write a temporary file beside ``path``, flush it to disk and
    rename it over ``path``: readers (and a rerun after a crash, SIGKILL included) see the old
    file or the new one, never half of one. The temporary is removed if ``write`` fails; its
    name, ``.<name>.<host>-<pid>.<random>.tmp``, says who writes it (``orphaned``)."""
    path = Path(path)
    owner = f"{socket.gethostname().replace('.', '_')}-{os.getpid()}"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{owner}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o644)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def orphaned(tmp: Path) -> bool:
    """Whether the temporary file ``tmp`` of ``atomic_write`` was left by a process of this
    machine that no longer exists (a crash mid-write), so that deleting it cannot hurt a writer.
    A temporary from another machine, or in an older naming, is never called orphaned here."""
    match = re.fullmatch(r"\..+\.(?P<host>[^.]+)-(?P<pid>\d+)\.[^.]+\.tmp", Path(tmp).name)
    if not match or match["host"] != socket.gethostname().replace(".", "_"):
        return False
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see ``atomic_write``)."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


class TableStore:
    """Read-only access to one benchmark's folder of checked tables."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        manifest_path = self.folder / MANIFEST
        if not manifest_path.exists():
            raise DataIntegrityError(
                f"no {MANIFEST} in {self.folder}: the benchmark tables are not built; "
                "see README (python -m benchmarks.build.<name> --source ...)"
            )
        self.manifest = json.loads(manifest_path.read_text())
        self._tables: dict[str, str] = self.manifest["tables"]

    @property
    def checksum(self) -> str:
        """One SHA-256 over the manifest's table hashes: the data version a run records."""
        joined = "".join(f"{k}:{v};" for k, v in sorted(self._tables.items()))
        return hashlib.sha256(joined.encode()).hexdigest()

    def has(self, stem: str) -> bool:
        """Whether the manifest lists ``<stem>.npy``."""
        return f"{stem}.npy" in self._tables

    def load(self, stem: str, mmap: bool = False) -> np.ndarray:
        """Load ``<stem>.npy`` after checking its SHA-256 against the manifest. ``mmap``: hash
        the file in blocks, then map it read-only (large tables: only the rows read are paged
        in)."""
        name = f"{stem}.npy"
        expected = self._tables.get(name)
        if expected is None:
            raise DataIntegrityError(f"table {name} is not in {self.folder / MANIFEST}")
        if mmap:
            digest = hashlib.sha256()
            with open(self.folder / name, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 22), b""):
                    digest.update(block)
            self._check(name, expected, digest.hexdigest())
            return np.load(self.folder / name, mmap_mode="r", allow_pickle=False)
        raw = (self.folder / name).read_bytes()
        self._check(name, expected, hashlib.sha256(raw).hexdigest())
        array = np.load(io.BytesIO(raw), allow_pickle=False)
        array.flags.writeable = False
        return array

    def _check(self, name: str, expected: str, actual: str) -> None:
        if actual != expected:
            raise DataIntegrityError(
                f"checksum mismatch for {self.folder / name}: manifest {expected[:12]}..., "
                f"file {actual[:12]}...; rebuild the tables"
            )
