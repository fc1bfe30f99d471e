"""The one check every search space starts with: archs are int vectors of the space's length."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def as_int_vectors(
    archs: np.ndarray | Sequence[int], name: str, n_dims: int, dtype_hint: str = "",
    shape_hint: str = "",
) -> np.ndarray:
    """``archs`` as an integer array of shape (d,) or (n, d); whole floats are accepted. A
    ValueError names the bad dtype or shape; the hints are appended to say what to do."""
    arr = np.asarray(archs)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and arr.size and np.array_equal(arr, np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(
                f"{name} archs must be integer vectors of length {n_dims}, got dtype "
                f"{arr.dtype}{dtype_hint}"
            )
    if arr.ndim not in (1, 2) or arr.shape[-1] != n_dims:
        raise ValueError(
            f"{name} archs must have shape ({n_dims},) or (n, {n_dims}){shape_hint}, got "
            f"{arr.shape}"
        )
    return arr
