"""The two TransNAS-Bench-101 search spaces (Duan et al., CVPR 2021), and a subset wrapper.

**Micro (cell) space**: a cell of 4 nodes whose 6 edges ``j -> i`` (j < i) each carry one of 4
ops, stacked in the fixed skeleton ``64-41414``. The vector holds one op per edge in the order of
the official cell code ``a_bc_def``: (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2), the NB201
edge order (``MicroCell`` of the official code reads ``code[node]`` as the ops from nodes
``0 .. node-1``). Op digits are the official ones (``OPS`` of the official ``cell_ops.py``):
0 zeroize, 1 skip connect, 2 ReLU-conv1x1-BN, 3 ReLU-conv3x3-BN. NASLib's op tuples use the same
digits: its ``convert_naslib_to_transbench101_micro`` formats the tuple straight into
``64-41414-{}_{}{}_{}{}{}``. 4^6 = 4,096 cells. Rows are the mixed-radix code of the tuple
(lexicographic order of NASLib's tuples, i.e. ``itertools.product(range(4), repeat=6)``, the
order of NASLib's ``get_arch_iterator``), not the official API's index, which the public record
here does not carry.

**Macro space**: a ResNet-style network of 4 to 6 modules (each two basic blocks), each module
one of 1 normal, 2 channels x2, 3 resolution /2, 4 both (official ``MacroNet``: a digit is even
when it doubles the channels and > 2 when it halves the resolution). The constraints of NASLib's
macro sampler (``r + 4`` modules, ``p`` in 1..4 resolution halvings, ``q`` in 1..3 channel
doublings) give exactly the 3,256 networks of the official macro space (the official API's
count; the build checks them against every key of the data).
An arch is a vector of 6 ints, the module digits followed by 0 for "no module": NASLib's
``op_indices`` with its zero padding. Rows are the lexicographic order of these vectors.

**Subset space**: the tasks ninapro, scifar100 and svhn have values for only 192 micro cells;
``SubsetSpace`` confines sampling, mutation and neighbourhoods to such a subset so that every
query is answered from real data. See its docstring for the neighbourhood it uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from benchmarks.spaces.categorical import CategoricalSpace
from benchmarks.spaces.table import TableSpace, check_rows
from benchmarks.spaces.vectors import as_int_vectors

# --- micro ------------------------------------------------------------------------------------
MICRO_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
MICRO_EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
N_MICRO = len(MICRO_OPS) ** len(MICRO_EDGES)  # 4,096
MICRO_PREFIX = "64-41414-"  # base channels and fixed macro skeleton of every micro network

# --- macro ------------------------------------------------------------------------------------
MACRO_MODULES: tuple[str, ...] = (
    "(no module)",
    "normal",
    "channel x2",
    "resolution /2",
    "channel x2, resolution /2",
)
MACRO_LENGTH = 6
MIN_MODULES, MAX_MODULES = 4, 6
DOWNSAMPLE_RANGE = (1, 4)  # modules 3 or 4
CHANNEL_RANGE = (1, 3)  # modules 2 or 4
N_MACRO = 3256
MACRO_SUFFIX = "-basic"  # the official macro networks use the ResNet basic block

_TUPLE = re.compile(r"^\(\s*(\d+(?:\s*,\s*\d+)*)\s*,?\s*\)$")


def _parse_tuple(text: str) -> list[int] | None:
    match = _TUPLE.match(text.strip())
    if not match:
        return None
    return [int(t) for t in match.group(1).split(",")]


def _check_style(style: str) -> None:
    if style not in ("tnb101", "naslib"):
        raise ValueError(f"unknown string style {style!r}; accepted: tnb101, naslib")


class TNB101MicroSpace(CategoricalSpace):
    """6 edges x 4 ops; 4,096 cells; row = mixed-radix code of the op tuple.

    ``sample`` is uniform over all 4,096 cells, all of which have data. (NASLib's micro sampler
    also rejects cells whose edges 0, 1, 2 or 2, 4, 5 are all skip connections; the benchmark
    has those cells, so nothing here excludes them.) ``mutate``/``neighbours`` change one edge's
    op, as NASLib's micro ``mutate``/``get_nbhd`` do: 18 neighbours per cell."""

    name = "tnb101-micro"
    encodings: tuple[str, ...] = ("onehot",)

    def __init__(self) -> None:
        super().__init__(n_choices=[len(MICRO_OPS)] * len(MICRO_EDGES))
        self.ops = MICRO_OPS

    # --- rows ---------------------------------------------------------------------------
    def to_index(self, archs: np.ndarray | Sequence[int]) -> np.ndarray | int:
        """Table row of each arch (an int for a single arch)."""
        archs = self.validate(archs)
        rows = self.code(archs)
        return int(rows) if archs.ndim == 1 else rows

    def from_index(self, rows: np.ndarray | int) -> np.ndarray:
        """Arch vector(s) of table row(s)."""
        return self.from_code(check_rows(rows, self.size, self.name))

    # --- strings ------------------------------------------------------------------------
    def to_string(self, arch: np.ndarray | Sequence[int], style: str = "tnb101") -> str:
        """``tnb101``: the official arch string ``64-41414-1_02_333``; ``naslib``: the op tuple
        ``(1, 0, 2, 0, 0, 3)`` that NASLib and NAS-Bench-Suite-Zero use as a key."""
        _check_style(style)
        arch = self.validate(arch)
        if arch.ndim != 1:
            raise ValueError("to_string takes one arch; use to_strings for a batch")
        d = [str(int(o)) for o in arch]
        if style == "naslib":
            return "(" + ", ".join(d) + ")"
        return f"{MICRO_PREFIX}{d[0]}_{d[1]}{d[2]}_{d[3]}{d[4]}{d[5]}"

    def to_strings(self, archs: np.ndarray, style: str = "tnb101") -> list[str]:
        return [self.to_string(a, style) for a in self.validate(archs).reshape(-1, self.n_dims)]

    def from_string(self, text: str) -> np.ndarray:
        """Parse ``64-41414-1_02_333``, the bare cell code ``1_02_333``, or the NASLib tuple
        ``(1, 0, 2, 0, 0, 3)``; errors name the bad part and the accepted forms."""
        if not isinstance(text, str):
            raise ValueError(f"{self.name} arch string must be a str, got {type(text).__name__}")
        values = _parse_tuple(text)
        if values is None:
            cell = text.strip()
            if cell.startswith(MICRO_PREFIX):
                cell = cell[len(MICRO_PREFIX):]
            elif "-" in cell:
                raise ValueError(
                    f"bad {self.name} arch string {text!r}: the official form starts with "
                    f"{MICRO_PREFIX!r} (e.g. '64-41414-1_02_333'), or give the NASLib tuple "
                    "'(1, 0, 2, 0, 0, 3)'"
                )
            parts = cell.split("_")
            if [len(p) for p in parts] != [1, 2, 3] or not cell.replace("_", "").isdigit():
                raise ValueError(
                    f"bad {self.name} arch string {text!r}: expected a cell code like "
                    "'64-41414-1_02_333' (node 1, 2 and 3 list 1, 2 and 3 op digits) or a NASLib "
                    "tuple like '(1, 0, 2, 0, 0, 3)'"
                )
            values = [int(c) for c in "".join(parts)]
        if len(values) != self.n_dims:
            raise ValueError(
                f"bad {self.name} arch string {text!r}: need {self.n_dims} op digits, got "
                f"{len(values)}"
            )
        return self.validate(np.array(values, dtype=np.int64))


class TNB101MacroSpace(TableSpace):
    """3,256 networks of 4-6 modules. Moves are single edits of the module sequence.

    ``neighbours``/``mutate`` use edit distance 1 on the module sequence: change one module,
    insert one module anywhere, or delete one, keeping the constraints. NASLib's macro
    ``mutate`` instead changes one of (number of modules, of downsamplings, of channel
    doublings) and then redraws a random order of the modules, and its ``get_nbhd`` lists random
    orders for every combination of the three counts; both are close to random restarts rather
    than local moves, so local search and evolution would degenerate into random search. The
    edit moves here are the natural local structure of a sequence space and stay valid.
    """

    name = "tnb101-macro"
    n_dims = MACRO_LENGTH

    def __init__(self) -> None:
        self._radix = len(MACRO_MODULES) ** np.arange(MACRO_LENGTH - 1, -1, -1, dtype=np.int64)
        n_codes = len(MACRO_MODULES) ** MACRO_LENGTH
        codes = np.arange(n_codes, dtype=np.int64)
        every = (codes[:, None] // self._radix) % len(MACRO_MODULES)
        valid = _macro_rules(every).all(axis=1)
        self._arch_of_row = every[valid]
        self._arch_of_row.flags.writeable = False
        if self.size != N_MACRO:  # the constraints are what the benchmark says they are
            raise AssertionError(f"macro enumeration gives {self.size} networks, not {N_MACRO}")
        self._lookup = np.full(n_codes, -1, dtype=np.int64)
        self._lookup[codes[valid]] = np.arange(self.size)
        self._build_neighbours()

    def _codes(self, archs: np.ndarray) -> np.ndarray:
        return archs @ self._radix

    def _in_range(self, arr: np.ndarray) -> np.ndarray:
        return ((arr >= 0) & (arr < len(MACRO_MODULES))).all(axis=1)

    def _validate_range(self, archs) -> np.ndarray:
        arr = as_int_vectors(archs, self.name, self.n_dims,
                             shape_hint=" (module digits padded with 0)")
        if arr.size and ((arr < 0) | (arr >= len(MACRO_MODULES))).any():
            bad = np.argwhere((arr < 0) | (arr >= len(MACRO_MODULES)))[0]
            raise ValueError(
                f"bad {self.name} arch: value {int(arr[tuple(bad)])} at position {int(bad[-1])} "
                f"is outside the accepted range 0..4 (0 no module, 1 normal, 2 channel x2, "
                "3 resolution /2, 4 both)"
            )
        return arr.astype(np.int64, copy=False)

    def _explain(self, arch: np.ndarray) -> str:
        modules = arch[arch > 0]
        n = int(modules.size)
        if (arch[: n] == 0).any():
            return "a module follows an empty slot; modules come first, then 0 padding"
        if not MIN_MODULES <= n <= MAX_MODULES:
            return f"{n} modules; accepted: {MIN_MODULES} to {MAX_MODULES}"
        down = int(((modules == 3) | (modules == 4)).sum())
        if not DOWNSAMPLE_RANGE[0] <= down <= DOWNSAMPLE_RANGE[1]:
            return (f"{down} resolution halvings (modules 3 or 4); accepted: "
                    f"{DOWNSAMPLE_RANGE[0]} to {DOWNSAMPLE_RANGE[1]}")
        ch = int(((modules == 2) | (modules == 4)).sum())
        return (f"{ch} channel doublings (modules 2 or 4); accepted: {CHANNEL_RANGE[0]} to "
                f"{CHANNEL_RANGE[1]}")

    def _build_neighbours(self) -> None:
        archs = self._arch_of_row
        rows = np.arange(self.size)
        n_mod = (archs > 0).sum(axis=1)
        src, dst = [], []

        def add(cands: np.ndarray, keep: np.ndarray) -> None:
            found = self._lookup[self._codes(cands)]
            ok = keep & (found >= 0)
            src.append(rows[ok])
            dst.append(found[ok])

        for pos in range(MACRO_LENGTH):
            for value in range(1, len(MACRO_MODULES)):
                changed = archs.copy()
                changed[:, pos] = value  # at pos == n_mod this appends a module
                add(changed, pos <= n_mod)
                inserted = np.concatenate(
                    [archs[:, :pos], np.full((self.size, 1), value), archs[:, pos:-1]], axis=1
                )
                add(inserted, (pos <= n_mod) & (archs[:, -1] == 0))
            deleted = np.concatenate(
                [archs[:, :pos], archs[:, pos + 1:], np.zeros((self.size, 1), np.int64)], axis=1
            )
            add(deleted, pos < n_mod)
        self._install_neighbours(np.concatenate(src), np.concatenate(dst))

    # --- encodings ----------------------------------------------------------------------
    def encode(self, archs: np.ndarray, encoding: str = "onehot") -> np.ndarray:
        """``onehot``: per position, one of 5 (no module, or module 1-4): 30 features."""
        if encoding != "onehot":
            raise ValueError(f"unknown encoding {encoding!r} for {self.name}; accepted: onehot")
        archs = np.atleast_2d(self.validate(archs))
        k = len(MACRO_MODULES)
        out = np.zeros((archs.shape[0], self.n_dims * k), dtype=np.float32)
        out[np.arange(archs.shape[0])[:, None], archs + k * np.arange(self.n_dims)] = 1.0
        return out

    # --- strings ------------------------------------------------------------------------
    def to_string(self, arch: np.ndarray | Sequence[int], style: str = "tnb101") -> str:
        """``tnb101``: the official string ``64-1312-basic``; ``naslib``: NASLib's zero-padded
        ``op_indices`` tuple ``(1, 3, 1, 2, 0, 0)`` (its ``get_hash``)."""
        _check_style(style)
        arch = self.validate(arch)
        if arch.ndim != 1:
            raise ValueError("to_string takes one arch; use to_strings for a batch")
        if style == "naslib":
            return "(" + ", ".join(str(int(v)) for v in arch) + ")"
        return "64-" + "".join(str(int(v)) for v in arch if v) + MACRO_SUFFIX

    def to_strings(self, archs: np.ndarray, style: str = "tnb101") -> list[str]:
        return [self.to_string(a, style) for a in self.validate(archs).reshape(-1, self.n_dims)]

    def from_string(self, text: str) -> np.ndarray:
        """Parse ``64-1312-basic``, or a NASLib tuple with or without the zero padding:
        ``(1, 3, 1, 2, 0, 0)`` or ``(1, 3, 1, 2)`` (NAS-Bench-Suite-Zero's keys omit it)."""
        if not isinstance(text, str):
            raise ValueError(f"{self.name} arch string must be a str, got {type(text).__name__}")
        values = _parse_tuple(text)
        if values is None:
            match = re.fullmatch(r"64-(\d+)-basic", text.strip())
            if not match:
                raise ValueError(
                    f"bad {self.name} arch string {text!r}: expected the official form "
                    "'64-1312-basic' (4 to 6 module digits 1-4) or a NASLib tuple like "
                    "'(1, 3, 1, 2, 0, 0)'"
                )
            values = [int(c) for c in match.group(1)]
        if len(values) > self.n_dims:
            raise ValueError(
                f"bad {self.name} arch string {text!r}: {len(values)} entries; at most "
                f"{self.n_dims}"
            )
        arch = np.zeros(self.n_dims, dtype=np.int64)
        arch[: len(values)] = values
        return self.validate(arch)


def _macro_rules(archs: np.ndarray) -> np.ndarray:
    """(n, 4) booleans: contiguous modules, 4-6 of them, 1-4 halvings, 1-3 doublings."""
    contiguous = ~((archs[:, :-1] == 0) & (archs[:, 1:] > 0)).any(axis=1)
    n = (archs > 0).sum(axis=1)
    down = ((archs == 3) | (archs == 4)).sum(axis=1)
    ch = ((archs == 2) | (archs == 4)).sum(axis=1)
    return np.stack([
        contiguous,
        (n >= MIN_MODULES) & (n <= MAX_MODULES),
        (down >= DOWNSAMPLE_RANGE[0]) & (down <= DOWNSAMPLE_RANGE[1]),
        (ch >= CHANNEL_RANGE[0]) & (ch <= CHANNEL_RANGE[1]),
    ], axis=1)


class SubsetSpace(TableSpace):
    """The archs of ``base`` listed in ``archs`` (rows in ``base`` row order), nothing else.

    A benchmark whose public record covers only part of a space searches this instead, so that
    every arch an optimizer can propose has a real answer. ``sample`` is uniform over the
    subset. ``neighbours(arch)`` are the subset archs at the smallest Hamming distance from
    ``arch`` that any other subset arch has: exactly the base neighbours inside the subset when
    there are any (distance 1), else the nearest ones (on the 192 TNB101 cells: distance 2 for
    85 of them). ``mutate`` draws one of those uniformly. Strings and encodings are the base's.
    """

    def __init__(self, base, archs: np.ndarray, name: str) -> None:
        self.base = base
        self.name = name
        self.n_dims = base.n_dims
        self.encodings = getattr(base, "encodings", ("onehot",))
        base_rows = np.atleast_1d(base.to_index(np.atleast_2d(base.validate(archs))))
        base_rows = np.unique(base_rows)
        if base_rows.size < 2:
            raise ValueError(f"{name}: a subset needs at least 2 archs, got {base_rows.size}")
        self.base_rows = base_rows
        self.base_rows.flags.writeable = False
        self._arch_of_row = base.from_index(base_rows)
        self._arch_of_row.flags.writeable = False
        self._lookup = np.full(base.size, -1, dtype=np.int64)
        self._lookup[base_rows] = np.arange(base_rows.size)
        a = self._arch_of_row
        dist = (a[:, None, :] != a[None, :, :]).sum(axis=2)
        np.fill_diagonal(dist, self.n_dims + 1)
        src, dst = np.nonzero(dist == dist.min(axis=1, keepdims=True))
        self._install_neighbours(src, dst)

    def _codes(self, archs: np.ndarray) -> np.ndarray:
        return np.atleast_1d(self.base.to_index(archs))

    def _in_range(self, arr: np.ndarray) -> np.ndarray:
        return self.base.is_valid(arr)

    def _validate_range(self, archs) -> np.ndarray:
        return self.base.validate(archs)

    def _explain(self, arch: np.ndarray) -> str:
        return (f"not one of the {self.size} archs of {self.name} (the only ones with data); "
                "draw archs with space.sample or space.enumerate()")

    def encode(self, archs: np.ndarray, encoding: str = "onehot") -> np.ndarray:
        return self.base.encode(self.validate(archs), encoding)

    def to_string(self, arch: np.ndarray | Sequence[int], style: str = "tnb101") -> str:
        return self.base.to_string(self.validate(arch), style)

    def to_strings(self, archs: np.ndarray, style: str = "tnb101") -> list[str]:
        return self.base.to_strings(self.validate(archs), style)

    def from_string(self, text: str) -> np.ndarray:
        return self.validate(self.base.from_string(text))
