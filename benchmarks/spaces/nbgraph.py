"""The NAS-Bench-Graph search space (Qin et al., NeurIPS 2022 Datasets and Benchmarks).

A GNN architecture is a macro DAG of 4 computing nodes after the input node 0: computing node
``i`` (1-4) takes the output of one earlier node, and every leaf (a node no other node reads)
feeds the output. The input of each node is its *link*; one op per node is drawn from 9 GNN
layers (``gat, gcn, gin, cheb, sage, arma, graph, fc, skip``; the proteins dataset uses
``gcn, sage, arma, fc, skip``).

**Vector.** An arch is 5 small ints: the index of its link list among the 9 canonical link
lists of the upstream code (``LINK_PATTERNS``; any other link list is one of them with the nodes
renumbered, see ``from_string``), then the op of nodes 1-4 as indices into the space's ``ops``.
9 x 9^4 = 59,049 vectors (9 x 5^4 = 5,625 for proteins); the 9 with four ``skip`` ops are the
identity network and not in the benchmark.

**Canonical form.** Many vectors describe the same network: siblings reading the same node can
be listed in either order, and upstream treats some placements of a ``skip`` node as equivalent.
NAS-Bench-Graph trained one network per equivalence class and keys its record by the hash of the
class's canonical form (upstream ``Arch.valid_hash``: ``regularize``, ``move_skip_op``,
``equalpart_sort``, ``hash_arch``). ``canonical_form`` computes the same canonical form,
vectorized over a batch, in this project's code; the tests check it against the upstream
function on every one of the 24 x 9^4 (link list, ops) pairs and against every key of the
record: the 59,040 valid vectors fall into exactly the 26,206 classes of the record (proteins:
2,021 of 5,616), and every key is reached. Upstream's classes are coarser than isomorphism of
the DAGs (rooted trees with labelled nodes and unordered children: 35,910 classes among the
59,040 vectors): no isomorphism class is split, but 1,612 upstream classes join several, all
through placements of ``skip`` nodes; e.g. ``in(gat, gat, gat, skip)``, ``in(gat, gat,
skip(gat))`` and ``in(skip(gat, gat, gat))`` are one key, though only the first feeds the raw
input to the output. The record holds one trained network per key, so the space follows it.

**Rows** are the classes, in ascending order of the upstream key (``upstream_key``), so a table
row is one trained network. Everything that hands out archs (``sample``, ``mutate``,
``neighbours``, ``enumerate``, ``from_index``) hands out canonical vectors, so two archs are the
same network exactly when their vectors are equal, and optimizers that remember evaluated
vectors never pay twice for one network; ``canonical`` maps any valid vector onto its class's.

**Moves.** ``sample`` is uniform over the classes (the 26,206 trained networks), not over the
vectors as upstream's ``Arch.random_arch`` draws (which favours classes with many equivalent
forms). ``neighbours`` of an arch are the classes one edit away from *any* of its equivalent
vectors (change the link list, or one node's op), so the relation is symmetric and does not
depend on which vector represents a class; ``mutate`` draws one of them uniformly.

**Encodings** (of the canonical form, so equivalent vectors get equal features):
``onehot`` (the link list, then each node's op: with one input per node the link list is the
adjacency matrix, so this is BANANAS's adjacency encoding for a DAG with ops on its nodes) and
``path`` (BANANAS, White et al. 2021: one binary feature per input-to-output path labelled by its
ops; the paths here run from the input to each leaf, 1 to 4 ops long). ``onehot`` is what
``auto`` picks, for predictors and BANANAS alike: measured, it ranks better here (see
``NBGraphSpace.default_encoding``).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import numpy as np

from benchmarks.spaces.table import TableSpace
from benchmarks.spaces.vectors import as_int_vectors

# The upstream ``link_list``: the input node of computing nodes 1-4 (0 = the raw input).
LINK_PATTERNS: tuple[tuple[int, int, int, int], ...] = (
    (0, 0, 0, 0),
    (0, 0, 0, 1),
    (0, 0, 1, 1),
    (0, 0, 1, 2),
    (0, 0, 1, 3),
    (0, 1, 1, 1),
    (0, 1, 1, 2),
    (0, 1, 2, 2),
    (0, 1, 2, 3),
)
# The upstream ``gnn_list``: op digits of the record's keys, whatever the dataset.
OPS: tuple[str, ...] = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
PROTEINS_OPS: tuple[str, ...] = ("gcn", "sage", "arma", "fc", "skip")
N_NODES = 4
SKIP = OPS.index("skip")
KEY_BASE = len(OPS) + 1  # upstream hash_arch: base len(gnn_list) + 1 = 10

# The other 15 link lists (node i reads a node < i) and how upstream ``Arch.regularize``
# renumbers them into a canonical one: (canonical link list, new node j takes old node perm[j]).
_RENUMBER: dict[tuple[int, ...], tuple[tuple[int, ...], tuple[int, ...]]] = {
    (0, 0, 0, 2): ((0, 0, 0, 1), (1, 0, 2, 3)),
    (0, 0, 0, 3): ((0, 0, 0, 1), (2, 0, 1, 3)),
    (0, 0, 1, 0): ((0, 0, 0, 1), (0, 1, 3, 2)),
    (0, 0, 2, 0): ((0, 0, 0, 1), (1, 0, 3, 2)),
    (0, 0, 2, 1): ((0, 0, 1, 2), (1, 0, 2, 3)),
    (0, 0, 2, 2): ((0, 0, 1, 1), (1, 0, 2, 3)),
    (0, 0, 2, 3): ((0, 0, 1, 3), (1, 0, 2, 3)),
    (0, 1, 0, 0): ((0, 0, 0, 1), (0, 2, 3, 1)),
    (0, 1, 0, 1): ((0, 0, 1, 1), (0, 2, 1, 3)),
    (0, 1, 0, 2): ((0, 0, 1, 3), (0, 2, 1, 3)),
    (0, 1, 0, 3): ((0, 0, 1, 2), (0, 2, 1, 3)),
    (0, 1, 1, 0): ((0, 0, 1, 1), (0, 3, 1, 2)),
    (0, 1, 1, 3): ((0, 1, 1, 2), (0, 2, 1, 3)),
    (0, 1, 2, 0): ((0, 0, 1, 3), (0, 3, 1, 2)),
    (0, 1, 2, 1): ((0, 1, 1, 2), (0, 1, 3, 2)),
}
# Within a canonical link list, the node positions that read the same node and have the same
# subtree shape, hence can swap ops (upstream ``equalpart_sort``; (0, 0, 1, 2) swaps the two
# input branches as pairs, see ``_sort_equal_parts``).
_EQUAL_PARTS: dict[int, tuple[int, ...]] = {0: (0, 1, 2, 3), 1: (1, 2), 2: (2, 3), 5: (1, 2, 3),
                                            7: (2, 3)}
_PAIR_SWAP_PATTERN = LINK_PATTERNS.index((0, 0, 1, 2))

_LINKS = np.array(LINK_PATTERNS, dtype=np.int64)
_PATTERN_OF_LINK_CODE = np.full(4**N_NODES, -1, dtype=np.int64)  # base-4 code of a link list
_PATTERN_OF_LINK_CODE[_LINKS @ 4 ** np.arange(N_NODES - 1, -1, -1)] = np.arange(len(_LINKS))


def _pattern_index(links: np.ndarray) -> np.ndarray:
    return _PATTERN_OF_LINK_CODE[links @ 4 ** np.arange(N_NODES - 1, -1, -1)]


def _move_skip_nodes(links: np.ndarray, ops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upstream ``Arch.move_skip_op`` on a batch: visit each node in order; a ``skip`` node that
    has a child, or no sibling, or only ``skip`` ancestors up to the input, moves to the front:
    its children are re-attached to its parent, the nodes that read the input read it instead,
    and the other nodes are renumbered. Then two link lists it can produce are renumbered into
    canonical ones, as upstream does."""
    n = links.shape[0]
    rows = np.arange(n)
    links, ops = links.copy(), ops.copy()
    for i in range(N_NODES):
        others = [j for j in range(N_NODES) if j != i]
        has_child = (links == i + 1).any(axis=1)
        has_sibling = (links[:, others] == links[:, [i]]).any(axis=1)
        # The node and every ancestor up to the input are skip: it carries the raw input.
        only_skips = np.ones(n, dtype=bool)
        node = np.full(n, i)
        for _ in range(N_NODES):
            live = node >= 0
            at = np.maximum(node, 0)
            only_skips &= ~live | (ops[rows, at] == SKIP)
            node = np.where(live, links[rows, at] - 1, -1)
        move = (ops[:, i] == SKIP) & (has_child | ~has_sibling | only_skips)
        if not move.any():
            continue
        order = [i] + [j for j in range(N_NODES) if j != i]
        parent = links[:, [i]] + 1  # the moved node's parent, renumbered
        shifted = np.where(links == i + 1, parent, np.where(links <= i, links + 1, links))
        moved_links = np.concatenate([np.zeros((n, 1), np.int64), shifted[:, order[1:]]], axis=1)
        links = np.where(move[:, None], moved_links, links)
        ops = np.where(move[:, None], ops[:, order], ops)
    for link, (target, perm) in (((0, 1, 2, 1), ((0, 1, 1, 2), (0, 1, 3, 2))),
                                 ((0, 1, 1, 3), ((0, 1, 1, 2), (0, 2, 1, 3)))):
        hit = (links == np.array(link)).all(axis=1)
        links = np.where(hit[:, None], np.array(target), links)
        ops = np.where(hit[:, None], ops[:, list(perm)], ops)
    return links, ops


def _sort_equal_parts(patterns: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """Upstream ``Arch.equalpart_sort``: ops of interchangeable nodes in ascending op order."""
    ops = ops.copy()
    for pattern, positions in _EQUAL_PARTS.items():
        hit = patterns == pattern
        cols = list(positions)
        ops[np.ix_(hit, cols)] = np.sort(ops[np.ix_(hit, cols)], axis=1)
    hit = patterns == _PAIR_SWAP_PATTERN
    swap = hit & ((ops[:, 0] > ops[:, 1]) | (ops[:, 0] == ops[:, 1]) & (ops[:, 2] > ops[:, 3]))
    ops[swap] = ops[swap][:, [1, 0, 3, 2]]
    return ops


def canonical_form(links: np.ndarray, ops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Canonical (link pattern index, ops) of a batch of (link list, ops in ``OPS`` digits).

    ``links`` (n, 4): node i reads node ``links[:, i]`` <= i; any of the 24 such lists.
    ``ops`` (n, 4): indices into ``OPS``. Equal outputs mean the same upstream hash."""
    links = np.asarray(links, dtype=np.int64).reshape(-1, N_NODES)
    ops = np.asarray(ops, dtype=np.int64).reshape(-1, N_NODES)
    links, ops = _renumber(links, ops)
    links, ops = _move_skip_nodes(links, ops)
    patterns = _pattern_index(links)
    if (patterns < 0).any():  # would be a bug: upstream's steps always end on a canonical list
        bad = int(np.flatnonzero(patterns < 0)[0])
        raise AssertionError(f"canonical form left link list {links[bad].tolist()}")
    return patterns, _sort_equal_parts(patterns, ops)


def _renumber(links: np.ndarray, ops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upstream ``Arch.regularize``: renumber non-canonical link lists into canonical ones."""
    links, ops = links.copy(), ops.copy()
    for link, (target, perm) in _RENUMBER.items():
        hit = (links == np.array(link)).all(axis=1)
        if hit.any():
            links[hit] = target
            ops[hit] = ops[hit][:, list(perm)]
    return links, ops


def _leaf_paths(pattern: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Node positions (0-3) from the input to each leaf of a link list, leaves in order."""
    parents = {i + 1: p for i, p in enumerate(pattern)}
    leaves = [i for i in range(1, N_NODES + 1) if i not in parents.values()]
    paths = []
    for leaf in leaves:
        path, node = [], leaf
        while node:
            path.append(node - 1)
            node = parents[node]
        paths.append(tuple(reversed(path)))
    return paths


class NBGraphSpace(TableSpace):
    """(link pattern, op of nodes 1-4); rows are the equivalence classes (see the module)."""

    n_dims = 1 + N_NODES
    encodings: tuple[str, ...] = ("onehot", "path")
    # What "auto" picks for predictors and BANANAS: on nbgraph-cora (500 test archs, 3 seeds)
    # one-hot ranked better than path with every model-based predictor (Kendall tau at 25 /
    # 100 / 400 training archs, mlp 0.15 / 0.30 / 0.42 vs 0.05 / 0.17 / 0.35; xgb 0.14 / 0.28 /
    # 0.36 vs 0.06 / 0.14 / 0.34; gp 0.09 / 0.22 / 0.35 vs 0.09 / 0.18 / 0.24), and costs 45
    # features instead of 7,380.
    default_encoding = "onehot"

    def __init__(self, ops: Sequence[str] = OPS, name: str = "nbgraph",
                 rows: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """``rows``: (``arch_of_row``, ``row_of_code``) as ``row_tables`` computes them (the
        benchmark loads them from its checked tables, which is faster than computing the
        canonical form of every vector); None computes them."""
        unknown = [op for op in ops if op not in OPS]
        if unknown or "skip" not in ops or len(set(ops)) != len(ops):
            raise ValueError(f"ops must be distinct names from {', '.join(OPS)}, including "
                             f"skip; got {list(ops)}")
        self.name = name
        self.ops = tuple(ops)
        self.n_ops = len(self.ops)
        self._global_op = np.array([OPS.index(op) for op in self.ops], dtype=np.int64)
        if (np.diff(self._global_op) <= 0).any():  # local order must be upstream's order
            raise ValueError(f"ops must be listed in the order of {', '.join(OPS)}")
        self._local_op = np.full(len(OPS), -1, dtype=np.int64)
        self._local_op[self._global_op] = np.arange(self.n_ops)
        self.n_choices = np.array([len(LINK_PATTERNS)] + [self.n_ops] * N_NODES, dtype=np.int64)
        # An arch's code is its vector read as a decimal number, as upstream's keys are: with
        # OPS the code of a canonical vector is its upstream key.
        self._radix = KEY_BASE ** np.arange(self.n_dims - 1, -1, -1, dtype=np.int64)
        arch_of_row, row_of_code = rows if rows is not None else self.row_tables()
        row_of_code = np.asarray(row_of_code, dtype=np.int64)
        if row_of_code.shape != (KEY_BASE**self.n_dims,):
            raise ValueError(f"row_of_code must have shape ({KEY_BASE**self.n_dims},), got "
                             f"{row_of_code.shape}")
        self._arch_of_row = np.asarray(arch_of_row, dtype=np.int64)
        self._arch_of_row.flags.writeable = False
        self._lookup = row_of_code
        self._lookup.flags.writeable = False

    def vectors(self) -> np.ndarray:
        """Every valid vector (all but the all-skip ones), in code order."""
        return self._decode(np.flatnonzero(self._lookup >= 0))

    @property
    def n_vectors(self) -> int:
        return int((self._lookup >= 0).sum())

    def row_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """(canonical vector of each row, row of each code; -1 where the code is no valid
        vector), computed with ``canonical_form``: what ``rows`` takes."""
        grids = np.meshgrid(*[np.arange(c) for c in self.n_choices], indexing="ij")
        every = np.stack([g.ravel() for g in grids], axis=1)
        every = every[(every[:, 1:] != self._local_op[SKIP]).any(axis=1)]
        canon_codes = self._canonical_codes(every)
        row_codes = np.sort(canon_codes)
        row_codes = row_codes[np.concatenate([[True], row_codes[1:] != row_codes[:-1]])]
        row_of_code = np.full(KEY_BASE**self.n_dims, -1, dtype=np.int64)
        row_of_code[every @ self._radix] = np.searchsorted(row_codes, canon_codes)
        return self._decode(row_codes), row_of_code

    # --- canonical form -----------------------------------------------------------------
    def _canonical_codes(self, archs: np.ndarray) -> np.ndarray:
        patterns, ops = canonical_form(_LINKS[archs[:, 0]], self._global_op[archs[:, 1:]])
        return np.concatenate([patterns[:, None], self._local_op[ops]], axis=1) @ self._radix

    def _decode(self, codes: np.ndarray) -> np.ndarray:
        return (np.asarray(codes, dtype=np.int64)[:, None] // self._radix) % KEY_BASE

    def canonical(self, archs: np.ndarray | Sequence[int]) -> np.ndarray:
        """The canonical vector of each arch's class: equal exactly for equivalent archs."""
        archs = self.validate(archs)
        rows = self._rows_of(np.atleast_2d(archs))
        out = self._arch_of_row[rows].copy()
        return out[0] if archs.ndim == 1 else out

    def upstream_key(self, archs: np.ndarray | Sequence[int]) -> np.ndarray | int:
        """NAS-Bench-Graph's key of each arch: upstream ``Arch(link, ops).valid_hash()``."""
        canon = np.atleast_2d(self.canonical(archs))
        digits = np.concatenate([canon[:, :1], self._global_op[canon[:, 1:]]], axis=1)
        keys = digits @ self._radix
        return int(keys[0]) if np.asarray(archs).ndim == 1 else keys

    # --- TableSpace hooks ---------------------------------------------------------------
    def _codes(self, archs: np.ndarray) -> np.ndarray:
        return archs @ self._radix

    def _in_range(self, arr: np.ndarray) -> np.ndarray:
        return ((arr >= 0) & (arr < self.n_choices)).all(axis=1)

    def _validate_range(self, archs) -> np.ndarray:
        arr = as_int_vectors(archs, self.name, self.n_dims,
                             shape_hint=" (link pattern, then the op of nodes 1-4)")
        if arr.size and ((arr < 0) | (arr >= self.n_choices)).any():
            bad = np.argwhere((arr < 0) | (arr >= self.n_choices))[0]
            dim = int(bad[-1])
            what = ("link pattern" if dim == 0 else f"op of node {dim}")
            accepted = (", ".join(f"{i} {list(p)}" for i, p in enumerate(LINK_PATTERNS))
                        if dim == 0 else ", ".join(f"{i} {op}" for i, op in enumerate(self.ops)))
            raise ValueError(f"bad {self.name} arch: {what} {int(arr[tuple(bad)])} is outside "
                             f"the accepted values: {accepted}")
        return arr.astype(np.int64, copy=False)

    def _explain(self, arch: np.ndarray) -> str:
        return ("all four ops are skip: the network is the identity, which NAS-Bench-Graph "
                "does not contain")

    def _build_neighbours(self) -> None:
        """Edges between the classes of every valid vector and of each of its one-edit
        variants (the link pattern, or one node's op, changed)."""
        every = self.vectors()
        codes = every @ self._radix
        src_rows = self._lookup[codes]
        src, dst = [], []
        for dim in range(self.n_dims):
            for value in range(int(self.n_choices[dim])):
                changed = codes + (value - every[:, dim]) * self._radix[dim]
                rows = self._lookup[changed]
                keep = (every[:, dim] != value) & (rows >= 0)
                src.append(src_rows[keep])
                dst.append(rows[keep])
        self._install_neighbours(np.concatenate(src), np.concatenate(dst))

    # --- the mixture view (XNAS benchmark mode) -----------------------------------------
    def cell_type(self, dim: int) -> str:
        """Forecaster group of a vector position: the link pattern, or a node's op (their
        expert counts differ on proteins, and XNAS sets a learning rate per group)."""
        return "link" if dim == 0 else "op"

    # --- encodings ----------------------------------------------------------------------
    def encode(self, archs: np.ndarray, encoding: str = "onehot") -> np.ndarray:
        """Features of each arch's canonical form (equivalent archs get equal rows).

        ``onehot`` (the default, and ``auto``'s pick): the link pattern (9) and each node's op
        (4 x k), 45 features (proteins 29).
        ``path``: BANANAS's path encoding for a DAG with ops on its nodes (White et al. 2021, as
        for NAS-Bench-101): one binary feature per input-to-output path labelled by its ops,
        here the ops from the input to each leaf; a path of L ops ``o_1..o_L`` sets feature
        ``sum_{l<L} k^l + sum_j o_j k^(j-1)`` with ``k`` ops (9 + 81 + 729 + 6,561 = 7,380
        features; proteins 780). Offered for comparison: it ranks worse here.
        """
        if encoding not in self.encodings:
            raise ValueError(f"unknown encoding {encoding!r} for {self.name}; accepted: "
                             f"{', '.join(self.encodings)}")
        canon = np.atleast_2d(self.canonical(archs))
        n, k = canon.shape[0], self.n_ops
        if encoding == "onehot":
            out = np.zeros((n, len(LINK_PATTERNS) + N_NODES * k), dtype=np.float32)
            out[np.arange(n), canon[:, 0]] = 1.0
            columns = len(LINK_PATTERNS) + k * np.arange(N_NODES) + canon[:, 1:]
            out[np.arange(n)[:, None], columns] = 1.0
            return out
        out = np.zeros((n, sum(k**length for length in range(1, N_NODES + 1))), dtype=np.float32)
        for pattern, links in enumerate(LINK_PATTERNS):
            members = np.flatnonzero(canon[:, 0] == pattern)
            if not members.size:
                continue
            for path in _leaf_paths(links):
                block = sum(k**length for length in range(1, len(path)))
                feature = block + canon[np.ix_(members, [1 + p for p in path])] @ (
                    k ** np.arange(len(path)))
                out[members, feature] = 1.0
        return out

    # --- strings ------------------------------------------------------------------------
    def to_string(self, arch: np.ndarray | Sequence[int]) -> str:
        """Upstream's notation, ``Arch([0, 1, 1, 2], ['gcn', 'gin', 'fc', 'cheb'])``, of the
        vector as given (``canonical`` first for the class's own form)."""
        arch = self.validate(arch)
        if arch.ndim != 1:
            raise ValueError("to_string takes one arch; use to_strings for a batch")
        links = list(LINK_PATTERNS[int(arch[0])])
        ops = [self.ops[int(o)] for o in arch[1:]]
        return f"Arch({links}, {ops})"

    def to_strings(self, archs: np.ndarray) -> list[str]:
        return [self.to_string(a) for a in self.validate(archs).reshape(-1, self.n_dims)]

    def from_string(self, text: str) -> np.ndarray:
        """Parse ``Arch([0, 1, 2, 1], ['gcn', 'gin', 'fc', 'cheb'])`` (or the same without
        ``Arch``). Any link list where node i reads a node < i is accepted; the 15 that are not
        canonical are renumbered as upstream's ``regularize`` does (``[0, 1, 2, 1]`` becomes
        ``[0, 1, 1, 2]`` with the last two ops swapped). The vector is returned as parsed, not
        canonicalized."""
        if not isinstance(text, str):
            raise ValueError(f"{self.name} arch string must be a str, got {type(text).__name__}")
        example = "Arch([0, 1, 2, 1], ['gcn', 'gin', 'fc', 'cheb'])"
        body = text.strip()
        if body.startswith("Arch"):
            body = body[len("Arch"):].strip()
            body = body[1:-1] if body.startswith("(") and body.endswith(")") else ""
        try:
            links, ops = ast.literal_eval(f"({body})")
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            links, ops = None, None
        if not (isinstance(links, list | tuple) and isinstance(ops, list | tuple)):
            raise ValueError(f"bad {self.name} arch string {text!r}: expected upstream's "
                             f"notation, e.g. {example!r}")
        if len(links) != N_NODES or len(ops) != N_NODES:
            raise ValueError(f"bad {self.name} arch string {text!r}: need {N_NODES} links and "
                             f"{N_NODES} ops, got {len(links)} and {len(ops)}")
        if not all(isinstance(v, int) and 0 <= v <= i for i, v in enumerate(links)):
            raise ValueError(f"bad {self.name} arch string {text!r}: link i (from 0) must be an "
                             f"int in 0..i, the node that computing node i + 1 reads "
                             f"(0 = the input); got {list(links)}")
        bad = [op for op in ops if op not in self.ops]
        if bad:
            raise ValueError(f"bad {self.name} arch string {text!r}: unknown op {bad[0]!r}; "
                             f"accepted ops: {', '.join(self.ops)}")
        local = np.array([self.ops.index(op) for op in ops], dtype=np.int64)
        links_arr, local = _renumber(np.array([links], dtype=np.int64), local[None, :])
        arch = np.concatenate([_pattern_index(links_arr), local[0]])
        return self.validate(arch)
