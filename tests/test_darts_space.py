"""The DARTS space: validity, sampling, moves, encodings and the literature's text forms."""

from __future__ import annotations

import ast
import json
import math

import numpy as np
import pytest

from benchmarks.spaces.darts import (
    N_ADJACENCY_FEATURES,
    N_ONEHOT_FEATURES,
    N_PATH_FEATURES,
    OPS,
    DartsSpace,
)

SPACE = DartsSpace()
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)


@pytest.fixture(scope="module")
def archs() -> np.ndarray:
    return SPACE.sample(np.random.default_rng(0), 10_000)


def _network(arch: np.ndarray) -> list[set[tuple[int, int]]]:
    """Per cell and node, the set of its (input, op) pairs: the network, whatever the order."""
    pairs = np.asarray(arch).reshape(8, 2, 2)
    return [{tuple(p) for p in node.tolist()} for node in pairs]


def _one_change_apart(a: np.ndarray, b: np.ndarray) -> bool:
    """Exactly one node differs, in exactly one pair, by its op or by its input (not both)."""
    diffs = [(x, y) for x, y in zip(_network(a), _network(b), strict=True) if x != y]
    if len(diffs) != 1:
        return False
    old, new = diffs[0]
    (gone,), (came,) = old - new, new - old
    return (gone[0] == came[0]) != (gone[1] == came[1])


def test_size_counts_networks_not_orderings() -> None:
    per_cell = math.comb(2, 2) * math.comb(3, 2) * math.comb(4, 2) * math.comb(5, 2) * 7**8
    assert SPACE.size == per_cell**2
    assert 1.07e18 < SPACE.size < 1.08e18  # the NB301 paper's ~10^18
    assert SPACE.n_dims == 32 and SPACE.ops == OPS


def test_samples_are_valid_and_uniform_over_input_pairs(archs) -> None:
    assert archs.shape == (10_000, 32) and archs.dtype == np.int64
    assert SPACE.is_valid(archs).all()
    SPACE.validate(archs)
    # node 5 of the normal cell chooses 2 of 5 inputs: 10 pairs, ~1,000 each
    _, counts = np.unique(archs[:, [12, 14]], axis=0, return_counts=True)
    assert counts.size == 10 and counts.min() > 850 and counts.max() < 1150
    ops = archs[:, 1::2]
    assert np.bincount(ops.ravel(), minlength=7).min() > 0.13 * ops.size
    single = SPACE.sample(np.random.default_rng(1))
    assert single.shape == (32,) and SPACE.is_valid(single).all()


def test_sampling_is_reproducible() -> None:
    first = SPACE.sample(np.random.default_rng(5), 50)
    assert np.array_equal(first, SPACE.sample(np.random.default_rng(5), 50))


def test_mutation_is_valid_and_one_neighbour_away(archs) -> None:
    rng = np.random.default_rng(2)
    children = SPACE.mutate(archs, rng)
    assert SPACE.is_valid(children).all()
    assert all(_one_change_apart(a, c) for a, c in zip(archs[:2000], children, strict=False))
    for parent in archs[:200]:
        child = SPACE.mutate(parent, rng)
        assert child.shape == (32,)
        neighbours = {tuple(n) for n in SPACE.neighbours(parent).tolist()}
        assert tuple(child.tolist()) in neighbours
    # NASLib's mix: an op change with probability 1/2, or always at node 2 (one pair in 4),
    # which has no free input: 1/4 + 3/4 * 1/2 = 0.625 of the changes keep every input
    op_only = (archs[:, 0::2] == children[:, 0::2]).all(axis=1).mean()
    assert 0.6 < op_only < 0.65


def test_neighbours_are_valid_distinct_and_one_change_away(archs) -> None:
    for arch in archs[:50]:
        neighbours = SPACE.neighbours(arch)
        # per cell: 8 pairs x 6 other ops + per node k, 2 pairs x k free inputs (0+2+4+6)
        assert neighbours.shape == (2 * (8 * 6 + 12), 32)
        assert SPACE.is_valid(neighbours).all()
        keys = {tuple(n) for n in neighbours.tolist()}
        assert len(keys) == len(neighbours) and tuple(arch.tolist()) not in keys
        assert all(_one_change_apart(arch, n) for n in neighbours)


def test_canonical_order_and_validation_errors() -> None:
    arch = SPACE.from_string(DARTS_V2)
    swapped = arch.copy()
    swapped[[0, 1, 2, 3]] = arch[[2, 3, 0, 1]]  # node 2's pairs the other way round
    assert not SPACE.is_valid(swapped).any()
    with pytest.raises(ValueError, match=r"inputs \(1, 0\).*smaller first.*canonical"):
        SPACE.validate(swapped)
    assert np.array_equal(SPACE.canonical(swapped), arch)
    same = arch.copy()
    same[6] = same[4]
    with pytest.raises(ValueError, match="node 3 of the normal cell.*must differ"):
        SPACE.validate(same)
    bad = arch.copy()
    bad[31] = 7
    with pytest.raises(ValueError, match=r"value 7 at position 31 .*reduce cell.*op.*0\.\.6"):
        SPACE.validate(bad)
    bad = arch.copy()
    bad[4] = 3  # node 3 reads nodes 0..2
    with pytest.raises(ValueError, match=r"value 3 at position 4 .*0\.\.2"):
        SPACE.validate(bad)
    with pytest.raises(ValueError, match=r"shape \(32,\) or \(n, 32\)"):
        SPACE.validate(arch[:30])
    with pytest.raises(ValueError, match="integer"):
        SPACE.validate(arch + 0.5)


def test_genotype_text_and_compact_round_trip(archs) -> None:
    for arch in archs:
        text = SPACE.to_string(arch)
        assert np.array_equal(SPACE.from_string(text), arch)
        compact = SPACE.to_compact(arch)
        assert np.array_equal(SPACE.from_compact(compact), arch)
    for arch in archs[:500]:  # NASLib's compact form as text, as in its json files
        assert np.array_equal(SPACE.from_string(str(SPACE.to_compact(arch))), arch)
    assert SPACE.to_strings(archs[:3]) == [SPACE.to_string(a) for a in archs[:3]]


def test_darts_v2_text() -> None:
    arch = SPACE.from_string(DARTS_V2)
    text = SPACE.to_string(arch)
    assert text.startswith("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ")
    assert text.endswith("reduce_concat=[2, 3, 4, 5])")
    # the same network, with each node's pairs listed smaller input first
    original, ours = (ast.literal_eval(t[t.index("normal=") + 7 : t.index(", normal_c")])
                      for t in (DARTS_V2, text))
    for k in range(4):
        assert set(original[2 * k : 2 * k + 2]) == set(ours[2 * k : 2 * k + 2])
    ranged = DARTS_V2.replace("[2, 3, 4, 5]", "range(2, 6)")
    assert np.array_equal(SPACE.from_string(ranged), arch)
    compact = SPACE.to_compact(arch)
    assert compact[1][:2] == ((0, OPS.index("max_pool_3x3")), (1, OPS.index("max_pool_3x3")))
    as_lists = [[list(p) for p in cell] for cell in compact]
    assert np.array_equal(SPACE.from_compact(as_lists), arch)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not parseable"),
        ("Genotype(normal=[])", "needs the fields"),
        ("__import__('os').system('true')", "accepted: Genotype"),
        (DARTS_V2.replace("'sep_conv_3x3'", "'conv_7x7'", 1), "unknown op 'conv_7x7'.*accepted"),
        (DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"),
         r"normal pair 7 \(node 5\) takes input 5; accepted: an int in 0\.\.4"),
        (str([[(0, 3), (0, 3)] + [(0, 3), (1, 3)] * 3, [(0, 3), (1, 3)] * 4]),
         "node 2 of the normal cell takes inputs \\(0, 0\\).*must differ"),
        (DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 3]"),
         "normal_concat is \\[2, 3\\].*accepted \\[2, 3, 4, 5\\]"),
        (DARTS_V2.replace("reduce=", "reduction="), "unexpected or repeated field 'reduction'"),
        ("[[(0, 1), (1, 2)], [(0, 1)]]", "compact darts arch"),
        ("[[(0, 1)] * 8, [(0, 1)] * 8]", "accepted: Genotype"),
    ],
)
def test_bad_genotype_strings_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SPACE.from_string(text)


def test_from_string_refuses_non_strings() -> None:
    with pytest.raises(ValueError, match="must be a str"):
        SPACE.from_string(SPACE.to_compact(SPACE.from_string(DARTS_V2)))


def _reference_paths(compact) -> np.ndarray:
    """The path encoding written from NASLib's nasbench301 ``get_paths``/``get_path_indices``
    (one feature per labelled path from a cell input, blocks of 2801 per (cell, input)), over
    all 8 pairs of a cell."""
    out = np.zeros(N_PATH_FEATURES)
    for c, cell in enumerate(compact):
        into_node: list[list[tuple[int, list[int]]]] = [[] for _ in range(4)]
        for j, (src, op) in enumerate(cell):
            starts = [(src, [])] if src < 2 else into_node[src - 2]
            for start, ops in starts:
                into_node[j // 2].append((start, [*ops, op]))
        for node_paths in into_node:
            for start, ops in node_paths:
                index = (2 * c + start) * 2801 + sum(7**j * (o + 1) for j, o in enumerate(ops))
                out[index] = 1
    return out


def test_encodings(archs) -> None:
    sample = archs[:300]
    onehot = SPACE.encode(sample, "onehot")
    assert onehot.shape == (300, N_ONEHOT_FEATURES) == (300, 168)
    assert (onehot.sum(axis=1) == 32).all()
    assert np.array_equal(SPACE.encode(sample), onehot)

    paths = SPACE.encode(sample, "path")
    assert paths.shape == (300, 11_204) and paths.dtype == np.float32
    for arch, row in zip(sample, paths, strict=True):
        assert np.array_equal(row, _reference_paths(SPACE.to_compact(arch)))
    # node 2 reads both cell inputs: at least its 2 length-1 paths in each cell
    assert (paths.sum(axis=1) >= 4).all()
    # BANANAS's default in naszilla: the first 100 path features (cutoff 100, same layout)
    np.testing.assert_array_equal(SPACE.encode(sample, "trunc_path"), paths[:, :100])

    adjacency = SPACE.encode(sample, "adjacency")
    assert adjacency.shape == (300, N_ADJACENCY_FEATURES) == (300, 210)
    for arch, row in zip(sample, adjacency, strict=True):
        for c, cell in enumerate(SPACE.to_compact(arch)):
            matrix = np.zeros((7, 7))
            for j, (src, _) in enumerate(cell):
                matrix[src, j // 2 + 2] = 1
            matrix[2:6, 6] = 1
            block = row[105 * c : 105 * (c + 1)]
            assert np.array_equal(block[:49], matrix.ravel())
            assert np.array_equal(block[49:].reshape(8, 7).argmax(axis=1), [op for _, op in cell])
    with pytest.raises(ValueError, match="unknown encoding 'gcn'.*onehot, adjacency, path"):
        SPACE.encode(sample, "gcn")


def test_naslib_archs_parse(shared_data) -> None:
    archs = json.loads((shared_data / "nb301" / "naslib_zc_nasbench301_725.json").read_text())
    parsed = np.stack([SPACE.from_string(key) for key in archs["cifar10"]])
    assert parsed.shape == (725, 32) and SPACE.is_valid(parsed).all()
    for key, arch in zip(archs["cifar10"], parsed, strict=True):
        theirs = ast.literal_eval(key)
        ours = SPACE.to_compact(arch)
        for c in range(2):
            for k in range(4):
                assert set(theirs[c][2 * k : 2 * k + 2]) == set(ours[c][2 * k : 2 * k + 2])
