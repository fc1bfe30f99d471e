"""The NAS-Bench-201 / NATS-Bench topology search space.

A cell has 4 nodes; each of the 6 edges ``j -> i`` (j < i) carries one of 5 operations. An
architecture is therefore a vector of 6 small ints, one op per edge, in the edge order of the
official arch string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``: (1<-0), (2<-0), (2<-1), (3<-0),
(3<-1), (3<-2). The official row index of NATS-Bench is not a closed-form function of the cell,
so the bijection to it is a lookup table shipped with the benchmark data.
"""

from __future__ import annotations

import numpy as np

from benchmarks.spaces.categorical import CategoricalSpace

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# (target node, source node) of each of the 6 positions of the vector.
EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
N_ARCHS = len(OPS) ** len(EDGES)
# Positions of each intermediate node's incoming edges (contiguous in ``EDGES``): node 1 has
# one, node 2 two, node 3 three.
_INPUTS_OF_NODE = tuple(
    tuple(k for k, (dst, _) in enumerate(EDGES) if dst == node) for node in (1, 2, 3)
)
_FIRST_EDGE = np.array([inputs[0] for inputs in _INPUTS_OF_NODE], dtype=np.int64)
_N_INPUTS = np.array([len(inputs) for inputs in _INPUTS_OF_NODE], dtype=np.int64)

# --- path encoding (BANANAS, White et al. 2021) ---------------------------------------------
# The 4 input->output routes of the cell, as positions of the arch vector, from the input side:
# direct (3<-0); via node 1 (1<-0, 3<-1); via node 2 (2<-0, 3<-2); via 1 then 2 (1<-0, 2<-1,
# 3<-2). These are the ``path_blueprints`` [[3], [0, 4], [1, 5], [0, 2, 5]] of the authors' code
# (naszilla cell_201) and of NASLib's nasbench201 ``get_paths``; they assume the arch-string edge
# order, which is the order of ``EDGES``.
PATH_ROUTES: tuple[tuple[int, ...], ...] = ((3,), (0, 4), (1, 5), (0, 2, 5))
# Digit of each op in a path's label: the op list of naszilla's cell_201 and of NASLib's
# nasbench201 encodings module (note: not OPS order, and not strictly alphabetical).
PATH_OP_ORDER: tuple[str, ...] = (
    "avg_pool_3x3",
    "nor_conv_1x1",
    "nor_conv_3x3",
    "none",
    "skip_connect",
)
_PATH_DIGIT = np.array([PATH_OP_ORDER.index(op) for op in OPS], dtype=np.int64)
_NONE = OPS.index("none")
# Block of paths of length L starts at sum(5**i for i < L): 0 (length 1), 5 (2), 30 (3).
_PATH_BLOCK = {length: sum(len(OPS) ** i for i in range(1, length)) for length in (1, 2, 3)}
N_PATH_FEATURES = sum(len(OPS) ** length for length in (1, 2, 3))  # 5 + 25 + 125 = 155
# The truncated path encoding BANANAS uses by default on NB201 (naszilla ``cell_201``
# ``encode_freq_paths``: ``predictor_encoding='trunc_path'`` with ``cutoff=0`` becomes 30): the
# first 30 path features, i.e. the paths of length 1 and 2.
TRUNC_PATH_CUTOFF = 30


class NB201Space(CategoricalSpace):
    """6 edges x 5 ops; 15,625 cells, each mapped to its official NATS-Bench row."""

    name = "nb201"
    encodings: tuple[str, ...] = ("onehot", "path", "trunc_path")

    def __init__(self, arch_of_row: np.ndarray | None = None) -> None:
        super().__init__(n_choices=[len(OPS)] * len(EDGES))
        self.ops = OPS
        self._arch_of_row: np.ndarray | None = None
        self._row_of_code: np.ndarray | None = None
        if arch_of_row is not None:
            self.set_row_order(arch_of_row)

    # --- official row index -------------------------------------------------------------
    def set_row_order(self, arch_of_row: np.ndarray) -> None:
        """Install the official row order: ``arch_of_row[i]`` is the vector of row ``i``."""
        arch_of_row = np.asarray(arch_of_row, dtype=np.int64)
        if arch_of_row.shape != (N_ARCHS, len(EDGES)):
            raise ValueError(f"row table must have shape ({N_ARCHS}, 6), got {arch_of_row.shape}")
        codes = self.code(arch_of_row)
        row_of_code = np.full(N_ARCHS, -1, dtype=np.int64)
        row_of_code[codes] = np.arange(N_ARCHS)
        if (row_of_code < 0).any():
            raise ValueError("row table is not a bijection onto the 15,625 NB201 cells")
        self._arch_of_row = arch_of_row
        self._row_of_code = row_of_code

    def _require_rows(self) -> np.ndarray:
        if self._row_of_code is None:
            raise RuntimeError("this NB201Space has no row order; use benchmarks.load(...).space")
        return self._row_of_code

    def to_index(self, archs: np.ndarray) -> np.ndarray | int:
        """Official NATS-Bench row index of each arch (an int for a single arch)."""
        row_of_code = self._require_rows()
        archs = self.validate(archs)
        rows = row_of_code[self.code(archs)]
        return int(rows) if archs.ndim == 1 else rows

    def from_index(self, rows: np.ndarray | int) -> np.ndarray:
        """Arch vector(s) of official row index(es)."""
        self._require_rows()
        rows_arr = np.asarray(rows)
        if rows_arr.dtype.kind not in "iu" or rows_arr.size and (
            rows_arr.min() < 0 or rows_arr.max() >= N_ARCHS
        ):
            raise ValueError(f"NB201 row index must be an int in [0, {N_ARCHS - 1}], got {rows!r}")
        return self._arch_of_row[rows_arr].copy()

    # --- moves ----------------------------------------------------------------------------
    def mutate_node_first(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One-edit mutation as the NAS-Bench-201 paper's REA makes it: pick one of the 3
        intermediate nodes uniformly, then one of its incoming edges uniformly, then a different
        op uniformly (``mutate_arch_func`` in AutoDL-Projects ``exps/NAS-Bench-201-algos/R_EA.py``
        and ``mutate_topology_func`` in ``exps/NATS-algos/regularized_ea.py``:
        ``random.randint`` over ``nodes``, again over the node's inputs, then ``random.choice``
        over the 5 ops until it differs). Edge 1<-0 is therefore changed with probability 1/3,
        each node-2 edge 1/6 and each node-3 edge 1/9, where ``mutate`` gives every edge 1/6."""
        archs = self.validate(archs)
        n = np.atleast_2d(archs).shape[0]
        nodes = rng.integers(0, len(_INPUTS_OF_NODE), size=n)
        picks = (rng.random(n) * _N_INPUTS[nodes]).astype(np.int64)
        return self.change_positions(archs, _FIRST_EDGE[nodes] + picks, rng)

    # --- encodings ----------------------------------------------------------------------
    def encode(self, archs: np.ndarray, encoding: str = "onehot") -> np.ndarray:
        """Feature matrix for predictors: ``onehot`` (per edge), ``path`` (BANANAS) or
        ``trunc_path`` (BANANAS's default in the authors' code, see ``_trunc_path``).

        ``path``: one binary feature per labelled input->output path, float32 of shape
        (n, 155), laid out as NASLib's ``encode_paths`` for nasbench201: feature
        ``block(L) + sum_j digit(op_j) * 5**j`` for a path of length L whose j-th op (from the
        input) is op_j, with block(1) = 0, block(2) = 5, block(3) = 30 and digits in
        ``PATH_OP_ORDER``. A path is named by its ops only, as in the paper, so the two length-2
        routes set the same feature when they carry the same ops (all-``nor_conv_3x3``: 4 paths,
        3 features). Unlike NASLib, a route through a ``none`` edge is no path and sets nothing
        (the paper's definition), so the 71 features whose label contains ``none`` are always
        0; they are kept so that column indices match NASLib's.
        """
        if encoding == "trunc_path":
            return self._trunc_path(archs)
        if encoding != "path":
            if encoding not in self.encodings:
                raise ValueError(
                    f"unknown encoding {encoding!r} for {self.name}; accepted: "
                    f"{', '.join(self.encodings)}"
                )
            return super().encode(archs, encoding)
        archs = np.atleast_2d(self.validate(archs))
        digits = _PATH_DIGIT[archs]
        alive = archs != _NONE
        out = np.zeros((archs.shape[0], N_PATH_FEATURES), dtype=np.float32)
        for route in PATH_ROUTES:
            route_idx = list(route)
            place = len(OPS) ** np.arange(len(route))
            feature = _PATH_BLOCK[len(route)] + digits[:, route_idx] @ place
            exists = np.flatnonzero(alive[:, route_idx].all(axis=1))
            out[exists, feature[exists]] = 1.0
        return out

    def _trunc_path(self, archs: np.ndarray) -> np.ndarray:
        """``trunc_path``: naszilla's ``encode_freq_paths(cutoff=30)`` exactly, float32 of
        shape (n, 30). The path layout is ``path``'s, but as in the authors' code every route
        sets its feature, ``none`` edges included (``get_path_indices`` labels a route by its
        ops, ``none`` being one of them), and only the features below the cutoff are kept: the
        direct route (3<-0) and the two length-2 routes. Edge 2<-1 lies only on the length-3
        route, so this encoding does not see it."""
        archs = np.atleast_2d(self.validate(archs))
        digits = _PATH_DIGIT[archs]
        out = np.zeros((archs.shape[0], TRUNC_PATH_CUTOFF), dtype=np.float32)
        rows = np.arange(archs.shape[0])
        for route in PATH_ROUTES:
            feature = _PATH_BLOCK[len(route)] + digits[:, list(route)] @ (
                len(OPS) ** np.arange(len(route))
            )
            keep = feature < TRUNC_PATH_CUTOFF
            out[rows[keep], feature[keep]] = 1.0
        return out

    # --- strings ------------------------------------------------------------------------
    def to_string(self, arch: np.ndarray) -> str:
        """The official arch string, e.g. ``|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...|``."""
        arch = self.validate(arch)
        if arch.ndim != 1:
            raise ValueError("to_string takes one arch; use to_strings for a batch")
        ops = [OPS[int(o)] for o in arch]
        nodes = [
            "|".join(f"{ops[k]}~{src}" for k, (dst, src) in enumerate(EDGES) if dst == node)
            for node in (1, 2, 3)
        ]
        return "+".join(f"|{node}|" for node in nodes)

    def to_strings(self, archs: np.ndarray) -> list[str]:
        return [self.to_string(a) for a in self.validate(archs).reshape(-1, self.n_dims)]

    def from_string(self, text: str) -> np.ndarray:
        """Parse an official arch string into its vector; errors name the bad part."""
        if not isinstance(text, str):
            raise ValueError(f"NB201 arch string must be a str, got {type(text).__name__}")
        nodes = text.strip().split("+")
        if len(nodes) != 3:
            raise ValueError(
                f"bad NB201 arch string {text!r}: expected 3 nodes separated by '+', "
                "like '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|'"
            )
        arch = np.empty(len(EDGES), dtype=np.int64)
        for node, part in enumerate(nodes, start=1):
            tokens = [t for t in part.split("|") if t]
            if len(tokens) != node or not (part.startswith("|") and part.endswith("|")):
                raise ValueError(
                    f"bad NB201 arch string {text!r}: node {node} must list {node} inputs as "
                    f"|op~src|, got {part!r}"
                )
            for src, token in enumerate(tokens):
                op, sep, src_text = token.partition("~")
                if op not in OPS:
                    raise ValueError(
                        f"bad NB201 arch string {text!r}: unknown op {op!r}; accepted ops: "
                        f"{', '.join(OPS)}"
                    )
                if sep != "~" or src_text != str(src):
                    raise ValueError(
                        f"bad NB201 arch string {text!r}: token {token!r} must read {op}~{src}"
                    )
                arch[EDGES.index((node, src))] = OPS.index(op)
        return arch
