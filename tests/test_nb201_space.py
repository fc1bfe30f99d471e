import numpy as np
import pytest

import benchmarks
from benchmarks.spaces.nb201 import N_ARCHS, OPS


@pytest.fixture(scope="module")
def space():
    return benchmarks.load("nb201-cifar10").space


def test_string_vector_index_round_trip_for_every_arch(space):
    rows = np.arange(N_ARCHS)
    archs = space.from_index(rows)
    assert archs.shape == (N_ARCHS, 6)
    assert len({tuple(a) for a in archs.tolist()}) == N_ARCHS
    np.testing.assert_array_equal(space.to_index(archs), rows)
    strings = space.to_strings(archs)
    assert len(set(strings)) == N_ARCHS
    back = np.stack([space.from_string(s) for s in strings])
    np.testing.assert_array_equal(back, archs)


def test_official_string_of_row_zero(space):
    arch = space.from_index(0)
    assert space.to_string(arch) == (
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
        "skip_connect~2|"
    )
    assert [OPS[o] for o in arch] == [
        "avg_pool_3x3", "nor_conv_1x1", "skip_connect", "nor_conv_1x1", "skip_connect",
        "skip_connect",
    ]


def test_sample_is_uniform_over_ops(space):
    archs = space.sample(np.random.default_rng(0), 50_000)
    assert archs.shape == (50_000, 6) and archs.dtype == np.int64
    freq = np.bincount(archs.ravel(), minlength=5) / archs.size
    np.testing.assert_allclose(freq, 0.2, atol=0.01)
    assert space.sample(np.random.default_rng(0)).shape == (6,)


def test_mutate_changes_exactly_one_edge(space):
    rng = np.random.default_rng(1)
    archs = space.sample(rng, 10_000)
    children = space.mutate(archs, rng)
    assert ((children != archs).sum(axis=1) == 1).all()
    assert space.is_valid(children).all()
    # every (edge, new op) pair is reachable
    changed = np.argwhere(children != archs)
    assert set(changed[:, 1].tolist()) == set(range(6))


def test_neighbours_are_all_24_one_edge_changes(space):
    arch = space.from_index(6111)
    nbrs = space.neighbours(arch)
    assert nbrs.shape == (24, 6)
    assert ((nbrs != arch).sum(axis=1) == 1).all()
    assert len({tuple(n) for n in nbrs.tolist()}) == 24


def test_onehot_encoding(space):
    archs = space.from_index(np.array([0, 1, 6111]))
    enc = space.encode(archs, "onehot")
    assert enc.shape == (3, 30)
    np.testing.assert_array_equal(enc.sum(axis=1), 6)
    np.testing.assert_array_equal(enc.reshape(3, 6, 5).argmax(axis=2), archs)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op 'conv'"),
        ("|none~0|+|none~0|none~1|", "expected 3 nodes"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2 must list 2 inputs"),
        ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "must read none~0"),
    ],
)
def test_bad_arch_strings_name_the_problem(space, text, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        space.from_string(text)
    if "unknown op" in fragment:
        assert "nor_conv_3x3" in str(info.value)  # the accepted values are listed


def test_out_of_range_arch_is_refused(space):
    with pytest.raises(ValueError, match=r"value 5 at position 2 .* 0\.\.4"):
        space.validate(np.array([0, 0, 5, 0, 0, 0]))
    with pytest.raises(ValueError, match="shape"):
        space.validate(np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="row index"):
        space.from_index(N_ARCHS)
