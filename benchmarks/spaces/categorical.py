"""Search spaces whose architectures are fixed-length vectors of independent categorical choices.

NB201 (6 edges x 5 ops) and TransNAS-Bench-101 micro are of this kind. Everything here works on
batches: an arch is an int vector of shape (d,), a batch an array of shape (n, d). No graph
objects: sampling, mutation, neighbours and encodings are a few numpy operations each.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.spaces.vectors import as_int_vectors


class CategoricalSpace:
    """Product of ``d`` categorical choices; dimension ``k`` takes ``0 .. n_choices[k] - 1``."""

    name = "categorical"

    def __init__(self, n_choices: Sequence[int]) -> None:
        self.n_choices = np.asarray(n_choices, dtype=np.int64)
        if self.n_choices.ndim != 1 or (self.n_choices < 1).any():
            raise ValueError(f"n_choices must be a list of positive ints, got {n_choices!r}")
        self.n_dims = int(self.n_choices.size)
        self.size = int(np.prod(self.n_choices))
        # Mixed-radix place values: code = sum(arch[k] * radix[k]), first dimension highest.
        radix = np.ones(self.n_dims, dtype=np.int64)
        for k in range(self.n_dims - 2, -1, -1):
            radix[k] = radix[k + 1] * self.n_choices[k + 1]
        self._radix = radix

    # --- validity -----------------------------------------------------------------------
    def validate(self, archs: np.ndarray | Sequence[int]) -> np.ndarray:
        """Return ``archs`` as an int64 array, raising ValueError that names any bad value."""
        arr = as_int_vectors(archs, self.name, self.n_dims)
        if arr.size and ((arr < 0).any() or (arr >= self.n_choices).any()):
            bad = np.argwhere((arr < 0) | (arr >= self.n_choices))[0]
            value = arr[tuple(bad)]
            dim = int(bad[-1])
            raise ValueError(
                f"bad {self.name} arch: value {int(value)} at position {dim} is outside the "
                f"accepted range 0..{int(self.n_choices[dim]) - 1}"
            )
        return arr.astype(np.int64, copy=False)

    def is_valid(self, archs: np.ndarray) -> np.ndarray:
        """Boolean per arch: every value within its dimension's range."""
        arr = np.atleast_2d(np.asarray(archs))
        return ((arr >= 0) & (arr < self.n_choices)).all(axis=1)

    def code(self, archs: np.ndarray) -> np.ndarray:
        """Mixed-radix integer code of each arch: a dense id in ``[0, size)``."""
        return np.asarray(archs, dtype=np.int64) @ self._radix

    def from_code(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.int64)
        return (codes[..., None] // self._radix) % self.n_choices

    def enumerate(self) -> np.ndarray:
        """Every arch of the space, in code order."""
        return self.from_code(np.arange(self.size))

    # --- sampling and moves -------------------------------------------------------------
    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """Uniform random archs: shape (n, d), or (d,) when ``n`` is None."""
        size = (1 if n is None else int(n), self.n_dims)
        archs = (rng.random(size) * self.n_choices).astype(np.int64)
        return archs[0] if n is None else archs

    def mutate(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Change exactly one uniformly chosen position of each arch to a different value."""
        archs = self.validate(archs)
        n = np.atleast_2d(archs).shape[0]
        return self.change_positions(archs, rng.integers(0, self.n_dims, size=n), rng)

    def change_positions(
        self, archs: np.ndarray, dims: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Set position ``dims[i]`` of arch ``i`` to a value drawn uniformly among the
        ``n_choices - 1`` values it does not hold (the op draw of every one-edit mutation)."""
        archs = self.validate(archs)
        single = archs.ndim == 1
        out = np.atleast_2d(archs).copy()
        n = out.shape[0]
        dims = np.asarray(dims, dtype=np.int64)
        rows = np.arange(n)
        # Draw among the n_choices - 1 other values: shift past the current one.
        shift = (rng.random(n) * (self.n_choices[dims] - 1)).astype(np.int64) + 1
        out[rows, dims] = (out[rows, dims] + shift) % self.n_choices[dims]
        return out[0] if single else out

    def mutate_each(
        self, archs: np.ndarray, rng: np.random.Generator, prob: float | np.ndarray
    ) -> np.ndarray:
        """Change each position independently with probability ``prob`` to a different value
        drawn uniformly (BANANAS's mutation in the authors' code; possibly no change at all).
        ``prob`` may be an array that broadcasts against (n, d), e.g. one row per arch."""
        archs = self.validate(archs)
        single = archs.ndim == 1
        out = np.atleast_2d(archs).copy()
        change = rng.random(out.shape) < prob
        shift = (rng.random(out.shape) * (self.n_choices - 1)).astype(np.int64) + 1
        out = np.where(change, (out + shift) % self.n_choices, out)
        return out[0] if single else out

    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        """All archs that differ from ``arch`` in exactly one position (NB201: 24)."""
        arch = self.validate(arch)
        if arch.ndim != 1:
            raise ValueError("neighbours takes one arch")
        blocks = []
        for dim in range(self.n_dims):
            values = np.delete(np.arange(self.n_choices[dim]), arch[dim])
            block = np.repeat(arch[None, :], values.size, axis=0)
            block[:, dim] = values
            blocks.append(block)
        return np.concatenate(blocks, axis=0)

    # --- encodings ----------------------------------------------------------------------
    def encode(self, archs: np.ndarray, encoding: str = "onehot") -> np.ndarray:
        """Feature matrix for predictors. ``onehot``: one block of n_choices[k] per dimension."""
        archs = np.atleast_2d(self.validate(archs))
        if encoding != "onehot":
            raise ValueError(f"unknown encoding {encoding!r} for {self.name}; accepted: onehot")
        offsets = np.concatenate([[0], np.cumsum(self.n_choices)[:-1]])
        out = np.zeros((archs.shape[0], int(self.n_choices.sum())), dtype=np.float32)
        out[np.arange(archs.shape[0])[:, None], archs + offsets] = 1.0
        return out
