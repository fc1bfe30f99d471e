"""Spaces whose valid archs are an explicit list of rows: a lookup table from an arch's code to
its row, and a neighbour graph (CSR) for ``mutate`` and ``neighbours``.

TransNAS-Bench-101 macro (a constrained sequence space), a subset of cells with data, and
NAS-Bench-Graph (many vectors per architecture, one row per equivalence class) are of this kind.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_rows(rows, size: int, name: str) -> np.ndarray:
    """``rows`` as an int array, after checking each is a row of a space of ``size`` archs."""
    rows_arr = np.asarray(rows)
    if rows_arr.dtype.kind not in "iu" or rows_arr.size and (
        rows_arr.min() < 0 or rows_arr.max() >= size
    ):
        raise ValueError(f"{name} row must be an int in [0, {size - 1}], got {rows!r}")
    return rows_arr


class TableSpace:
    """Shared machinery of spaces whose valid archs are an explicit list: the rows, a map from
    an arch's code to its row through a lookup table, and a neighbour graph (CSR) for
    mutate/neighbours. Subclasses set ``name``, ``n_dims``, ``_arch_of_row`` and ``_lookup``,
    implement ``_codes`` (arch -> lookup position) and ``_explain``, and either install the
    neighbour graph in ``__init__`` or implement ``_build_neighbours``, which is then called on
    the first move (so that loading a benchmark does not pay for it)."""

    name = "table-space"
    encodings: tuple[str, ...] = ("onehot",)
    n_dims: int
    _arch_of_row: np.ndarray
    _lookup: np.ndarray  # row of each lookup position, -1 where no valid arch
    _nbr_ptr: np.ndarray | None = None
    _nbr_rows: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self._arch_of_row.shape[0])

    def _codes(self, archs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _explain(self, arch: np.ndarray) -> str:
        raise NotImplementedError

    def _rows_of(self, archs: np.ndarray) -> np.ndarray:
        """Rows of an int array already in range; -1 for archs outside the space."""
        return self._lookup[self._codes(archs)]

    # --- validity -----------------------------------------------------------------------
    def validate(self, archs: np.ndarray | Sequence[int]) -> np.ndarray:
        """Return ``archs`` as int64, raising ValueError that names the first bad arch and the
        rule it breaks."""
        arr = self._validate_range(archs)
        if arr.size:
            rows = self._rows_of(np.atleast_2d(arr))
            if (rows < 0).any():
                bad = np.atleast_2d(arr)[int(np.flatnonzero(rows < 0)[0])]
                raise ValueError(f"bad {self.name} arch {bad.tolist()}: {self._explain(bad)}")
        return arr

    def _validate_range(self, archs) -> np.ndarray:
        raise NotImplementedError

    def is_valid(self, archs: np.ndarray) -> np.ndarray:
        """Boolean per arch (never raises for a well-shaped int array)."""
        arr = np.atleast_2d(np.asarray(archs))
        ok = np.zeros(arr.shape[0], dtype=bool)
        if arr.ndim != 2 or arr.shape[1] != self.n_dims or arr.dtype.kind not in "iu":
            return ok
        in_range = self._in_range(arr)
        ok[in_range] = self._rows_of(arr[in_range].astype(np.int64)) >= 0
        return ok

    def _in_range(self, arr: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # --- rows ---------------------------------------------------------------------------
    def to_index(self, archs: np.ndarray | Sequence[int]) -> np.ndarray | int:
        """Table row of each arch (an int for a single arch)."""
        archs = self.validate(archs)
        rows = self._rows_of(np.atleast_2d(archs))
        return int(rows[0]) if archs.ndim == 1 else rows

    def from_index(self, rows: np.ndarray | int) -> np.ndarray:
        """Arch vector(s) of table row(s)."""
        return self._arch_of_row[check_rows(rows, self.size, self.name)].copy()

    def enumerate(self) -> np.ndarray:
        """Every arch of the space, in row order."""
        return self._arch_of_row.copy()

    # --- sampling and moves -------------------------------------------------------------
    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """Uniform over the valid archs: shape (n, d), or (d,) when ``n`` is None."""
        rows = (rng.random(1 if n is None else int(n)) * self.size).astype(np.int64)
        archs = self._arch_of_row[rows].copy()
        return archs[0] if n is None else archs

    def mutate(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Replace each arch by one of its ``neighbours``, drawn uniformly."""
        archs = self.validate(archs)
        rows = self._rows_of(np.atleast_2d(archs))
        ptr, nbr = self._neighbour_graph()
        start = ptr[rows]
        count = ptr[rows + 1] - start
        pick = start + (rng.random(rows.size) * count).astype(np.int64)
        out = self._arch_of_row[nbr[pick]].copy()
        return out[0] if archs.ndim == 1 else out

    def neighbours(self, arch: np.ndarray | Sequence[int]) -> np.ndarray:
        """Every arch one move away from ``arch`` (the move is the subclass's), in row order."""
        arch = self.validate(arch)
        if arch.ndim != 1:
            raise ValueError("neighbours takes one arch")
        row = int(self._rows_of(arch[None, :])[0])
        ptr, nbr = self._neighbour_graph()
        return self._arch_of_row[nbr[ptr[row]: ptr[row + 1]]].copy()

    def _neighbour_graph(self) -> tuple[np.ndarray, np.ndarray]:
        if self._nbr_ptr is None:
            self._build_neighbours()
        return self._nbr_ptr, self._nbr_rows

    def _build_neighbours(self) -> None:
        raise NotImplementedError

    def _install_neighbours(self, src: np.ndarray, dst: np.ndarray) -> None:
        """Store the directed neighbour pairs (src row -> dst row) as CSR, deduplicated."""
        src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
        pairs = np.sort(src[src != dst] * self.size + dst[src != dst])  # by src, then dst
        pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]  # (np.unique hashes:
        # 20x slower here)
        src, dst = pairs // self.size, pairs % self.size
        counts = np.bincount(src, minlength=self.size)
        if (counts == 0).any():
            raise ValueError(f"{self.name}: an arch has no neighbour")
        self._nbr_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._nbr_rows = dst
