"""How a search space reads as a mixture of experts for XNAS's benchmark mode.

A mixture maps the space onto forecasters (each with its experts), samples architectures from
the mixing weights, says which expert of each forecaster a sampled architecture used together
with the probability that it did (for the importance-weighted reward), and discretizes the
weights into the recommended architecture. Two kinds:

- ``PositionMixture``: one forecaster per position of the arch vector (NB201: 6 edges x 5 ops;
  TNB101 micro: 6 x 4); constrained tabular spaces (TNB101 macro, a cell subset) redraw samples
  that fall outside the valid set.
- ``DartsMixture``: per cell type, one op forecaster per edge of the DARTS cell (14 edges x 7
  ops) and one input forecaster per node over its pairs of inputs (1, 3, 6, 10 pairs): a node
  samples its input pair, then each chosen edge its op, as the discretized DARTS cell keeps two
  incoming edges per node. This differs from the paper (and from supernet mode here): there a
  node mixes all of its k + 2 incoming edges, each over 8 ops including ``none``, with no input
  experts, and the final cell keeps the two edges whose strongest non-``none`` op weighs most
  (DARTS's ``genotype()``). A sampled architecture must have exactly two inputs per node, so
  benchmark mode learns the pair choice with its own experts (and their own wipeout) instead.
"""

from __future__ import annotations

import itertools

import numpy as np

MAX_REJECTIONS = 1000


class PositionMixture:
    """One forecaster per position; expert ``i`` of position ``d`` is the value ``i``."""

    def __init__(self, space) -> None:
        self.space = space
        counts = getattr(space, "n_choices", None)
        if counts is None:  # a constrained tabular space: the range over its archs
            counts = space.enumerate().max(axis=0) + 1
        self.expert_counts = np.asarray(counts, dtype=np.int64)
        cell_type = getattr(space, "cell_type", None)
        self.groups = [cell_type(d) if cell_type else "cell" for d in range(space.n_dims)]

    def sample(self, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        cumulative = np.cumsum(p, axis=1)
        for _ in range(MAX_REJECTIONS):
            u = rng.random((p.shape[0], 1))
            arch = np.minimum((u > cumulative).sum(axis=1), p.shape[1] - 1).astype(np.int64)
            if self.space.is_valid(arch[None, :])[0]:
                return arch
        return self.space.sample(rng)

    def usage(self, archs: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(chosen (m, F, N) 0/1, probability (F, N) that each expert is the one used)."""
        chosen = np.zeros((len(archs),) + p.shape)
        chosen[np.arange(len(archs))[:, None], np.arange(p.shape[0])[None, :], archs] = 1.0
        return chosen, p

    def discretize(self, p: np.ndarray) -> np.ndarray:
        return p.argmax(axis=1).astype(np.int64)


class DartsMixture:
    """Forecasters of the DARTS space: per cell, 4 input-pair forecasters then 14 edge ops."""

    def __init__(self, space) -> None:
        from benchmarks.spaces.darts import CELLS, N_NODES, OPS

        self.space = space
        self.n_ops = len(OPS)
        # Input pairs of node k: 2 distinct of its k + 2 predecessors, smaller input first.
        self.pairs = [list(itertools.combinations(range(k + 2), 2)) for k in range(N_NODES)]
        # Edges of a cell in node order: (node k, input j) for j < k + 2; 2+3+4+5 = 14.
        self.edges = [(k, j) for k in range(N_NODES) for j in range(k + 2)]
        self.edge_index = {edge: i for i, edge in enumerate(self.edges)}
        self.cells = CELLS
        self.per_cell = N_NODES + len(self.edges)  # 18 forecasters per cell
        groups, counts = [], []
        for cell in CELLS:
            for k in range(N_NODES):
                groups.append(f"{cell}/inputs{k}")
                counts.append(len(self.pairs[k]))
            for _ in self.edges:
                groups.append(f"{cell}/op")
                counts.append(self.n_ops)
        self.groups = groups
        self.expert_counts = np.array(counts, dtype=np.int64)

    def _node_forecaster(self, cell: int, k: int) -> int:
        return cell * self.per_cell + k

    def _edge_forecaster(self, cell: int, k: int, j: int) -> int:
        return cell * self.per_cell + len(self.pairs) + self.edge_index[(k, j)]

    def _decode(self, choose) -> np.ndarray:
        """Build a canonical genotype vector; ``choose(forecaster)`` picks an expert."""
        arch = np.empty(self.space.n_dims, dtype=np.int64)
        for cell in range(len(self.cells)):
            for k in range(len(self.pairs)):
                inputs = self.pairs[k][choose(self._node_forecaster(cell, k))]
                for pair, j in enumerate(inputs):  # smaller input first: canonical
                    base = 16 * cell + 4 * k + 2 * pair
                    arch[base] = j
                    arch[base + 1] = choose(self._edge_forecaster(cell, k, j))
        return arch

    def sample(self, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        cumulative = np.cumsum(p, axis=1)

        def choose(f: int) -> int:
            return int(min((rng.random() > cumulative[f]).sum(), self.expert_counts[f] - 1))

        return self._decode(choose)

    def usage(self, archs: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """An edge's op is used only when its node picked a pair containing the edge, so the
        op expert's probability is P(edge in the node's pair) x p(op)."""
        chosen = np.zeros((len(archs),) + p.shape)
        for s, arch in enumerate(archs):
            for cell in range(len(self.cells)):
                for k in range(len(self.pairs)):
                    base = 16 * cell + 4 * k
                    inputs = (int(arch[base]), int(arch[base + 2]))
                    chosen[s, self._node_forecaster(cell, k), self.pairs[k].index(inputs)] = 1.0
                    for pair, j in enumerate(inputs):
                        op = int(arch[base + 2 * pair + 1])
                        chosen[s, self._edge_forecaster(cell, k, j), op] = 1.0
        probability = p.copy()
        for cell in range(len(self.cells)):
            for k in range(len(self.pairs)):
                pair_p = p[self._node_forecaster(cell, k)]
                for j in range(k + 2):
                    included = sum(pair_p[i] for i, pair in enumerate(self.pairs[k]) if j in pair)
                    f = self._edge_forecaster(cell, k, j)
                    probability[f] = included * p[f]
        return chosen, probability

    def discretize(self, p: np.ndarray) -> np.ndarray:
        return self._decode(lambda f: int(p[f].argmax()))


def mixture_for(space):
    """The mixture view of ``space``."""
    if getattr(space, "name", "") == "darts":
        return DartsMixture(space)
    return PositionMixture(space)
