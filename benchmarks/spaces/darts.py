"""The DARTS cell search space (Liu et al. 2019), the space of NAS-Bench-301.

A genotype is a normal and a reduction cell. Each cell has two inputs (node 0 = c_{k-2},
node 1 = c_{k-1}) and 4 intermediate nodes (2..5); intermediate node ``k`` (k = 0..3, graph
node k + 2) sums two (input, op) pairs whose inputs are two *different* earlier nodes
(0 .. k + 1), and the cell's output concatenates all four. Ops, in NASLib's order:
``max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3,
dil_conv_5x5``.

An architecture is an int vector of length 32, NASLib's compact form flattened: position
``16 * cell + 4 * node + 2 * pair + field`` holds the input (field 0) or the op (field 1) of
pair 0/1 of intermediate node 0..3 of cell 0 (normal) / 1 (reduce). A batch has shape (n, 32).

**Canonical order.** A node sums its two inputs, so swapping its two pairs gives the same
network (and the same NB301 surrogate answer, whose inputs are per edge). Every vector of this
space therefore lists a node's pairs with the *smaller input first*; ``validate`` refuses
other orders (``canonical`` sorts them) and ``from_string``/``from_compact`` sort on parsing.
One network is then one vector, so the ``tuple(arch.tolist())`` keys that the optimizers use to
skip evaluated archs see every duplicate, and ``size`` counts networks: (1 * 3 * 6 * 10 * 7^8)^2,
about 1.08e18, the figure the NB301 paper gives. A mixed-radix int code of an arch would
overflow int64, so this space has none.
"""

from __future__ import annotations

import ast
import itertools
import math
from collections.abc import Sequence

import numpy as np

from benchmarks.spaces.vectors import as_int_vectors

OPS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
CELLS: tuple[str, ...] = ("normal", "reduce")
N_NODES = 4  # intermediate nodes per cell
N_PAIRS = 2 * N_NODES  # (input, op) pairs per cell
N_DIMS = len(CELLS) * N_PAIRS * 2  # 32
CONCAT: tuple[int, ...] = (2, 3, 4, 5)  # every intermediate node feeds the cell output
_N_OPS = len(OPS)

# Per position of the vector: its cell, node, pair and field (0 input, 1 op).
_CELL, _NODE, _PAIR, _FIELD = np.array(
    list(itertools.product(range(len(CELLS)), range(N_NODES), range(2), range(2)))
).T
N_CHOICES = np.where(_FIELD == 0, _NODE + 2, _N_OPS).astype(np.int64)  # inputs of node k: k + 2
N_CHOICES.flags.writeable = False
_INPUT_POS = np.flatnonzero(_FIELD == 0)  # 16 input positions, (cell, node, pair) order
_OP_POS = np.flatnonzero(_FIELD == 1)

# --- path encoding (BANANAS, White et al. 2021), laid out as NASLib's nasbench301 encode_paths --
MAX_PATH_LENGTH = N_NODES  # a path crosses at most the 4 intermediate nodes
# Features per (cell, cell input) block: 7^0 + ... + 7^4 = 2801 (index 0 of a block is unused).
PATH_BLOCK = sum(_N_OPS**i for i in range(MAX_PATH_LENGTH + 1))
N_PATH_FEATURES = len(CELLS) * 2 * PATH_BLOCK  # 11,204
TRUNC_PATH_CUTOFF = 100  # naszilla Cell301.encode: trunc_path's default cutoff


def _routes() -> list[tuple[tuple[int, int], ...]]:
    """Every chain of (node, pair) hops a path can take inside a cell: strictly increasing nodes,
    one of the node's two pairs at each hop. 80 of them (3^4 - 1)."""
    routes = []
    for length in range(1, N_NODES + 1):
        for nodes in itertools.combinations(range(N_NODES), length):
            for pairs in itertools.product(range(2), repeat=length):
                routes.append(tuple(zip(nodes, pairs, strict=True)))
    return routes


_ROUTES = _routes()


class DartsSpace:
    """The DARTS space: 2 cells x 4 nodes x 2 (input, op) pairs, as an int vector of length 32."""

    name = "darts"
    n_dims = N_DIMS
    ops = OPS
    encodings: tuple[str, ...] = ("onehot", "adjacency", "path", "trunc_path")
    n_choices = N_CHOICES
    # Networks per cell: node k chooses 2 of its k + 2 inputs and an op for each.
    size = (math.prod(math.comb(k + 2, 2) for k in range(N_NODES)) * _N_OPS**N_PAIRS) ** 2

    # --- validity -----------------------------------------------------------------------
    def validate(self, archs: np.ndarray | Sequence[int]) -> np.ndarray:
        """Return ``archs`` as an int64 array; a ValueError names any bad value and what is
        accepted there. Shape (32,) or (n, 32), each value in range, inputs canonical."""
        arr = as_int_vectors(archs, "darts", N_DIMS,
                             dtype_hint="; parse genotype text with from_string")
        arr = arr.astype(np.int64, copy=False)
        batch = arr.reshape(-1, N_DIMS)
        outside = (batch < 0) | (batch >= N_CHOICES)
        if outside.any():
            row, pos = np.argwhere(outside)[0]
            raise ValueError(
                f"bad darts arch: value {int(batch[row, pos])} at position {pos} "
                f"({_describe(pos)}) is outside the accepted range 0..{int(N_CHOICES[pos]) - 1}"
            )
        first, second = batch[:, _INPUT_POS[0::2]], batch[:, _INPUT_POS[1::2]]
        bad = first >= second
        if bad.any():
            row, node = np.argwhere(bad)[0]
            pos = int(_INPUT_POS[2 * node])
            a, b = int(first[row, node]), int(second[row, node])
            rule = "must differ" if a == b else "must be listed smaller first"
            raise ValueError(
                f"bad darts arch: {_describe(pos, pair=False)} takes inputs ({a}, {b}) at "
                f"positions {pos}, {pos + 2}: the two inputs of a node {rule} (accepted: two "
                f"different inputs of 0..{int(N_CHOICES[pos]) - 1} in increasing order; "
                "DartsSpace.canonical sorts a node's pairs)"
            )
        return arr

    def is_valid(self, archs: np.ndarray) -> np.ndarray:
        """Boolean per arch: right length, every value in range, inputs canonical."""
        arr = np.atleast_2d(np.asarray(archs))
        if arr.ndim != 2 or arr.shape[1] != N_DIMS or arr.dtype.kind not in "iu":
            return np.zeros(arr.shape[0] if arr.ndim == 2 else 1, dtype=bool)
        in_range = ((arr >= 0) & (arr < N_CHOICES)).all(axis=1)
        ordered = (arr[:, _INPUT_POS[0::2]] < arr[:, _INPUT_POS[1::2]]).all(axis=1)
        return in_range & ordered

    @staticmethod
    def canonical(archs: np.ndarray) -> np.ndarray:
        """Swap the two pairs of every node whose first input is the larger: the same network,
        in this space's canonical order. Does not check anything else; ``validate`` does."""
        arr = np.array(archs, dtype=np.int64)  # a copy
        nodes = arr.reshape(-1, len(CELLS), N_NODES, 2, 2)  # (n, cell, node, pair, field)
        swap = nodes[..., 0, 0] > nodes[..., 1, 0]
        nodes[swap] = nodes[swap][:, ::-1]
        return arr

    # --- sampling and moves -------------------------------------------------------------
    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """Uniform random networks, as NASLib samples them: for each node 2 different inputs
        and 2 ops, uniformly. Shape (n, 32), or (32,) when ``n`` is None."""
        count = 1 if n is None else int(n)
        u = rng.random((count, N_DIMS))
        out = (u * N_CHOICES).astype(np.int64)  # ops, and the first input of each node
        # The second input: uniform among the k + 1 inputs other than the first.
        first_pos, second_pos = _INPUT_POS[0::2], _INPUT_POS[1::2]
        first = out[:, first_pos]
        second = (u[:, second_pos] * (N_CHOICES[second_pos] - 1)).astype(np.int64)
        second += second >= first
        out[:, first_pos] = np.minimum(first, second)
        out[:, second_pos] = np.maximum(first, second)
        return out[0] if n is None else out

    def mutate(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One change per arch, as NASLib's nasbench301 ``mutate``: a uniformly chosen cell and
        pair, then with probability 1/2 a new op, else a new input (node 0 has no other input:
        its pairs always get a new op). Unlike NASLib, the new op or input always differs from
        the old one, and any pair of the 8 can be chosen (NASLib draws among the first 7), so
        every call changes the network. The result is put back in canonical order."""
        archs = self.validate(archs)
        single = archs.ndim == 1
        out = np.atleast_2d(archs).copy()
        n = out.shape[0]
        rows = np.arange(n)
        cell = rng.integers(0, len(CELLS), size=n)
        pair = rng.integers(0, N_PAIRS, size=n)  # 2 * node + (0 or 1)
        new_op = rng.random(n) < 0.5
        u = rng.random(n)
        node = pair // 2
        new_op |= node == 0
        pos = 16 * cell + 2 * pair  # the pair's input position; its op follows
        # New op: one of the 6 others.
        op_pos = pos + 1
        shift = (u * (_N_OPS - 1)).astype(np.int64) + 1
        out[rows, op_pos] = np.where(new_op, (out[rows, op_pos] + shift) % _N_OPS,
                                     out[rows, op_pos])
        # New input: one of the k inputs of node k used by neither of its pairs.
        other = np.where(pair % 2 == 0, pos + 2, pos - 2)
        a, b = out[rows, pos], out[rows, other]
        low, high = np.minimum(a, b), np.maximum(a, b)
        pick = (u * np.maximum(node, 1)).astype(np.int64)
        pick += pick >= low
        pick += pick >= high
        out[rows, pos] = np.where(new_op, a, pick)
        out = self.canonical(out)
        return out[0] if single else out

    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        """Every network one op change or one input change away, as NASLib's nasbench301
        ``get_nbhd``: per cell, 8 pairs x 6 other ops + per node k, 2 pairs x k free inputs;
        120 in all, distinct, in canonical order."""
        arch = self.validate(arch)
        if arch.ndim != 1:
            raise ValueError("neighbours takes one arch")
        out = []
        for cell, pair in itertools.product(range(len(CELLS)), range(N_PAIRS)):
            pos = 16 * cell + 2 * pair
            for op in range(_N_OPS):
                if op != arch[pos + 1]:
                    child = arch.copy()
                    child[pos + 1] = op
                    out.append(child)
            other = pos + 2 if pair % 2 == 0 else pos - 2
            for source in range(pair // 2 + 2):
                if source not in (arch[pos], arch[other]):
                    child = arch.copy()
                    child[pos] = source
                    out.append(child)
        return self.canonical(np.stack(out))

    # --- encodings ----------------------------------------------------------------------
    def encode(self, archs: np.ndarray, encoding: str = "onehot") -> np.ndarray:
        """Feature matrix (float32, one row per arch) for predictors.

        - ``onehot`` (168 features): one block per position of the vector, of its number of
          choices (node k's inputs: k + 2; an op: 7).
        - ``adjacency`` (210): per cell, NASLib's ``encode_adj`` 7 x 7 matrix (nodes 0, 1 the
          cell inputs, 2..5 the intermediate nodes, 6 the output; entry [source, target] is 1
          for each pair and for 2..5 -> 6), flattened row by row, then the 8 ops of the cell
          one-hot (8 x 7), where NASLib appends the 8 raw op indices (which would impose a false
          order on the ops). Pairs are canonical, so the i-th op belongs to the i-th pair's edge
          and nothing is lost.
        - ``path`` (11,204): BANANAS' path encoding, laid out as NASLib's nasbench301
          ``encode_paths``: blocks of 2801 for (normal, c_{k-2}), (normal, c_{k-1}),
          (reduce, c_{k-2}), (reduce, c_{k-1}); within a block, a path from that input through
          ops o_1 .. o_L (L = 1..4, one per intermediate node crossed) sets feature
          ``sum_j 7^(j-1) * (index of o_j + 1)`` (index 0 of a block never set). A path into
          any intermediate node is a path to the output (all four are concatenated). Unlike
          NASLib (and naszilla before its Jan 2022 fix d83f37d), whose loop runs over
          ``range(len(OPS))`` = 7 of the 8 pairs, paths through the last pair of each cell are
          included too, as in naszilla's current ``Cell301.get_paths`` (``range(8)``).
        - ``trunc_path`` (100): the first 100 ``path`` features, BANANAS's default in the authors'
          code (naszilla ``Cell301.encode``: ``trunc_path`` with ``cutoff=0`` becomes 100, on
          the same layout): paths from c_{k-2} in the normal cell of length 1 and 2, and the
          first 43 labels of length 3.
        """
        archs = np.atleast_2d(self.validate(archs))
        if encoding == "onehot":
            return _onehot(archs)
        if encoding == "adjacency":
            return _adjacency(archs)
        if encoding == "path":
            return _paths(archs)
        if encoding == "trunc_path":
            return np.ascontiguousarray(_paths(archs)[:, :TRUNC_PATH_CUTOFF])
        raise ValueError(
            f"unknown encoding {encoding!r} for {self.name}; accepted: {', '.join(self.encodings)}"
        )

    # --- strings and NASLib's compact form ---------------------------------------------------
    def to_compact(self, arch: np.ndarray) -> tuple[tuple[tuple[int, int], ...], ...]:
        """NASLib's compact form: per cell a tuple of 8 (input, op) pairs."""
        arch = self._one(arch, "to_compact")
        pairs = arch.reshape(len(CELLS), N_PAIRS, 2).tolist()
        return tuple(tuple((src, op) for src, op in cell) for cell in pairs)

    def from_compact(self, compact) -> np.ndarray:
        """Parse NASLib's compact form (per cell 8 (input, op) pairs; lists or tuples);
        pairs are put in canonical order."""
        try:
            arr = np.array(compact, dtype=np.int64)
        except (TypeError, ValueError) as error:
            raise ValueError(f"bad NASLib compact darts arch {compact!r}: {error}") from None
        if arr.shape != (len(CELLS), N_PAIRS, 2):
            raise ValueError(
                f"bad NASLib compact darts arch: shape {arr.shape}, expected (2, 8, 2): per cell "
                "(normal, reduce) 8 (input, op) pairs"
            )
        return self.validate(self.canonical(arr.reshape(N_DIMS)))

    def to_string(self, arch: np.ndarray) -> str:
        """The DARTS genotype text, ``Genotype(normal=[('sep_conv_3x3', 0), ...],
        normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])``."""
        compact = self.to_compact(arch)
        parts = []
        for name, cell in zip(CELLS, compact, strict=True):
            pairs = ", ".join(f"('{OPS[op]}', {src})" for src, op in cell)
            parts.append(f"{name}=[{pairs}], {name}_concat=[2, 3, 4, 5]")
        return f"Genotype({', '.join(parts)})"

    def to_strings(self, archs: np.ndarray) -> list[str]:
        return [self.to_string(a) for a in self.validate(archs).reshape(-1, N_DIMS)]

    def from_string(self, text: str) -> np.ndarray:
        """Parse a DARTS genotype text (``Genotype(normal=[(op, input) x 8], normal_concat=...,
        reduce=[...], reduce_concat=...)``, concat ``[2, 3, 4, 5]`` or ``range(2, 6)``) or
        NASLib's compact form (``[[(input, op) x 8], [(input, op) x 8]]``). The text is read as
        data, never evaluated; pairs are put in canonical order."""
        if not isinstance(text, str):
            raise ValueError(f"darts genotype text must be a str, got {type(text).__name__}")
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError:
            raise ValueError(
                f"bad darts genotype string {text!r}: not parseable; {_FORMS}"
            ) from None
        if isinstance(tree, ast.List | ast.Tuple):
            try:
                compact = ast.literal_eval(tree)
            except ValueError:
                raise ValueError(f"bad darts genotype string {text!r}: {_FORMS}") from None
            return self.from_compact(compact)
        cells = _genotype_cells(tree, text)
        arch = np.empty((len(CELLS), N_PAIRS, 2), dtype=np.int64)
        for c, (name, pairs) in enumerate(zip(CELLS, cells, strict=True)):
            if not isinstance(pairs, list | tuple) or len(pairs) != N_PAIRS:
                raise ValueError(
                    f"bad darts genotype string {text!r}: {name} must list {N_PAIRS} "
                    f"(op, input) pairs, got {pairs!r}"
                )
            for i, pair in enumerate(pairs):
                if not (isinstance(pair, list | tuple) and len(pair) == 2):
                    raise ValueError(
                        f"bad darts genotype string {text!r}: {name} pair {i} must be "
                        f"(op, input), got {pair!r}"
                    )
                op, src = pair
                if op not in OPS:
                    raise ValueError(
                        f"bad darts genotype string {text!r}: unknown op {op!r} in {name} "
                        f"pair {i}; accepted ops: {', '.join(OPS)}"
                    )
                if not isinstance(src, int) or not 0 <= src < i // 2 + 2:
                    raise ValueError(
                        f"bad darts genotype string {text!r}: {name} pair {i} (node "
                        f"{i // 2 + 2}) takes input {src!r}; accepted: an int in 0..{i // 2 + 1}"
                    )
                arch[c, i] = (src, OPS.index(op))
        return self.validate(self.canonical(arch.reshape(N_DIMS)))

    def _one(self, arch: np.ndarray, what: str) -> np.ndarray:
        arch = self.validate(arch)
        if arch.ndim != 1:
            raise ValueError(f"{what} takes one arch; use to_strings for a batch")
        return arch


_FORMS = (
    "accepted: Genotype(normal=[(op, input) x 8], normal_concat=[2, 3, 4, 5], "
    "reduce=[(op, input) x 8], reduce_concat=[2, 3, 4, 5]) or NASLib's compact "
    "[[(input, op) x 8], [(input, op) x 8]]"
)


def _genotype_cells(tree: ast.expr, text: str) -> tuple[object, object]:
    """The normal and reduce pair lists of a parsed ``Genotype(...)`` call; concat checked."""
    func = getattr(tree, "func", None)
    func_name = getattr(func, "id", None) or getattr(func, "attr", None)
    if not isinstance(tree, ast.Call) or func_name != "Genotype":
        raise ValueError(f"bad darts genotype string {text!r}: {_FORMS}")
    fields = ("normal", "normal_concat", "reduce", "reduce_concat")
    given: dict[str, ast.expr] = dict(zip(fields, tree.args, strict=False))
    for keyword in tree.keywords:
        if keyword.arg not in fields or keyword.arg in given:
            raise ValueError(
                f"bad darts genotype string {text!r}: unexpected or repeated field "
                f"{keyword.arg!r}; accepted: {', '.join(fields)}"
            )
        given[keyword.arg] = keyword.value
    if len(tree.args) > len(fields) or set(given) != set(fields):
        raise ValueError(
            f"bad darts genotype string {text!r}: needs the fields {', '.join(fields)}"
        )
    values = {}
    for field, node in given.items():
        if field.endswith("_concat") and _is_range_2_6(node):
            values[field] = list(CONCAT)
            continue
        try:
            values[field] = ast.literal_eval(node)
        except ValueError:
            raise ValueError(
                f"bad darts genotype string {text!r}: {field} is not a literal; {_FORMS}"
            ) from None
    for field in ("normal_concat", "reduce_concat"):
        concat = values[field]
        if not isinstance(concat, list | tuple) or list(concat) != list(CONCAT):
            raise ValueError(
                f"bad darts genotype string {text!r}: {field} is {concat!r}; the DARTS "
                "space concatenates every intermediate node: accepted [2, 3, 4, 5] or range(2, 6)"
            )
    return values["normal"], values["reduce"]


def _is_range_2_6(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "range"
        and [getattr(a, "value", None) for a in node.args] == [2, 6]
        and not node.keywords
    )


def _describe(pos: int, pair: bool = True) -> str:
    """Human name of a vector position, e.g. 'normal cell, node 3, pair 1 input'."""
    where = f"node {int(_NODE[pos]) + 2} of the {CELLS[int(_CELL[pos])]} cell"
    if not pair:
        return where
    field = "input" if _FIELD[pos] == 0 else "op"
    return f"{where}, pair {int(_PAIR[pos])} {field}"


_ONEHOT_OFFSETS = np.concatenate([[0], np.cumsum(N_CHOICES)[:-1]])
N_ONEHOT_FEATURES = int(N_CHOICES.sum())  # 168
_ADJ_NODES = N_NODES + 3  # 2 inputs, 4 intermediate nodes, 1 output
_ADJ_CELL = _ADJ_NODES**2 + N_PAIRS * _N_OPS  # 49 + 56 = 105
N_ADJACENCY_FEATURES = len(CELLS) * _ADJ_CELL  # 210


def _onehot(archs: np.ndarray) -> np.ndarray:
    out = np.zeros((archs.shape[0], N_ONEHOT_FEATURES), dtype=np.float32)
    out[np.arange(archs.shape[0])[:, None], archs + _ONEHOT_OFFSETS] = 1.0
    return out


def _adjacency(archs: np.ndarray) -> np.ndarray:
    n = archs.shape[0]
    out = np.zeros((n, N_ADJACENCY_FEATURES), dtype=np.float32)
    rows = np.arange(n)[:, None]
    pairs = np.arange(N_PAIRS)
    target = pairs // 2 + 2  # graph node of each pair
    for c in range(len(CELLS)):
        base = c * _ADJ_CELL
        sources = archs[:, 16 * c + 2 * pairs]
        ops = archs[:, 16 * c + 2 * pairs + 1]
        out[rows, base + sources * _ADJ_NODES + target] = 1.0
        out[:, base + np.array(CONCAT) * _ADJ_NODES + _ADJ_NODES - 1] = 1.0
        out[rows, base + _ADJ_NODES**2 + pairs * _N_OPS + ops] = 1.0
    return out


def _paths(archs: np.ndarray) -> np.ndarray:
    n = archs.shape[0]
    out = np.zeros((n, N_PATH_FEATURES), dtype=np.float32)
    for c in range(len(CELLS)):
        for route in _ROUTES:
            (node, pair), rest = route[0], route[1:]
            start = archs[:, 16 * c + 4 * node + 2 * pair]
            exists = start < 2  # the first hop leaves a cell input ...
            feature = (2 * c + start) * PATH_BLOCK + archs[:, 16 * c + 4 * node + 2 * pair + 1] + 1
            for j, (next_node, next_pair) in enumerate(rest, start=1):
                pos = 16 * c + 4 * next_node + 2 * next_pair
                exists &= archs[:, pos] == node + 2  # ... and each next hop leaves the last node
                feature += _N_OPS**j * (archs[:, pos + 1] + 1)
                node = next_node
            hit = np.flatnonzero(exists)
            out[hit, feature[hit]] = 1.0
    return out
