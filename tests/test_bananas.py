"""BANANAS: the NB201 path encoding, the MLP ensemble, and the search through the harness.

The search checks are what a comparison relies on: a run is a function of its job, the budget
counts only the archs ``ask()`` returns (scored candidates are free), no arch is paid for twice,
and BANANAS beats random search on NB201 cifar10 at 150 queries, as in White et al. (2021) and
NAS-Bench-Suite.
"""

from __future__ import annotations

import numpy as np
import pytest

import benchmarks
from benchmarks.spaces.categorical import CategoricalSpace
from benchmarks.spaces.nb201 import (
    EDGES,
    N_PATH_FEATURES,
    OPS,
    PATH_OP_ORDER,
    NB201Space,
)
from harness.oracle import Budget, Observation, Oracle
from harness.search import Job, run
from optimizers.bananas import Bananas, BananasConfig
from predictors.mlp_ensemble import MLPEnsemble

BENCH = "nb201-cifar10"
QUERIES = 150
SEEDS = range(20)
SPACE = NB201Space()
CONV3 = OPS.index("nor_conv_3x3")
CONV1 = OPS.index("nor_conv_1x1")
NONE = OPS.index("none")


def _cell(**edge_ops: int) -> np.ndarray:
    """An all-``nor_conv_3x3`` cell with some edges changed, e.g. ``_cell(e30=NONE)``."""
    arch = np.full(len(EDGES), CONV3)
    for name, op in edge_ops.items():
        arch[EDGES.index((int(name[1]), int(name[2])))] = op
    return arch


def _reference_path_encoding(arch: np.ndarray) -> np.ndarray:
    """NASLib's ``encode_paths`` for nasbench201, written out path by path, with routes through
    a ``none`` edge left out (the paper's definition of a path)."""
    routes = [[(3, 0)], [(1, 0), (3, 1)], [(2, 0), (3, 2)], [(1, 0), (2, 1), (3, 2)]]
    offsets = {1: 0, 2: 5, 3: 30}
    out = np.zeros(N_PATH_FEATURES)
    for route in routes:
        ops = [OPS[arch[EDGES.index(edge)]] for edge in route]
        if "none" in ops:
            continue
        index = offsets[len(ops)] + sum(PATH_OP_ORDER.index(op) * 5**j for j, op in enumerate(ops))
        out[index] = 1.0
    return out


# --- path encoding ----------------------------------------------------------------------
def test_path_encoding_layout_is_naslibs() -> None:
    enc = SPACE.encode(SPACE.enumerate(), "path")
    assert enc.shape == (15_625, N_PATH_FEATURES) and N_PATH_FEATURES == 5 + 25 + 125
    assert enc.dtype == np.float32
    reference = np.stack([_reference_path_encoding(a) for a in SPACE.enumerate()])
    np.testing.assert_array_equal(enc, reference)
    # Features whose label holds 'none' never fire: 4 + 16 + 64 live columns.
    assert int((enc.sum(axis=0) > 0).sum()) == 84


def test_all_none_cell_has_no_path() -> None:
    assert not SPACE.encode(np.full(len(EDGES), NONE), "path").any()


def test_all_conv3x3_cell_has_four_paths_and_three_labels() -> None:
    # Paths are labelled by their ops, so the two length-2 routes (via node 1, via node 2)
    # share the label conv3x3-conv3x3: features 2 (length 1), 17 (length 2), 92 (length 3).
    enc = SPACE.encode(_cell(), "path")[0]
    assert np.flatnonzero(enc).tolist() == [2, 5 + 2 + 2 * 5, 30 + 2 + 2 * 5 + 2 * 25]
    # With the two length-2 routes labelled differently, all four paths show.
    assert SPACE.encode(_cell(e32=CONV1), "path")[0].sum() == 4


def test_a_none_edge_removes_exactly_the_paths_through_it() -> None:
    no_direct = SPACE.encode(_cell(e30=NONE), "path")[0]
    assert no_direct[:5].sum() == 0 and no_direct.sum() == 2
    no_node1_out = SPACE.encode(_cell(e31=NONE, e32=CONV1), "path")[0]
    assert no_node1_out.sum() == 3  # direct, via 2, via 1 then 2 (their labels all differ)


def test_onehot_still_works_and_unknown_encoding_is_refused() -> None:
    enc = SPACE.encode(_cell(), "onehot")
    assert enc.shape == (1, 30) and enc.sum() == 6
    with pytest.raises(ValueError, match="accepted: onehot, path"):
        SPACE.encode(_cell(), "adjacency")


# --- naszilla's truncated path encoding, the NB201 default -------------------------------
NASZILLA_OPS = ["avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "none", "skip_connect"]


def _naszilla_trunc_path(arch: np.ndarray) -> np.ndarray:
    """naszilla ``Cell201.encode_freq_paths(cutoff=30)`` over ``get_path_indices``, written out
    on op names: every route counts, ``none`` included, and only indices below 30 are kept."""
    ops = [OPS[o] for o in arch]  # the op list in arch-string order, as get_op_list gives
    indices = []
    for i, blueprint in enumerate([[3], [0, 4], [1, 5], [0, 2, 5]]):
        index = 0 if i == 0 else 5 if i in (1, 2) else 5 + 25
        for j, node in enumerate(blueprint):
            index += NASZILLA_OPS.index(ops[node]) * 5**j
        indices.append(index)
    return np.array([1.0 if index in indices else 0.0 for index in range(30)])


def test_trunc_path_encoding_is_naszillas_and_the_nb201_default() -> None:
    archs = SPACE.enumerate()
    enc = SPACE.encode(archs, "trunc_path")
    assert enc.shape == (15_625, 30) and enc.dtype == np.float32
    np.testing.assert_array_equal(enc, np.stack([_naszilla_trunc_path(a) for a in archs]))
    # It keeps the length-1 and length-2 paths; edge 2<-1 (only on the length-3 path) is unseen.
    np.testing.assert_array_equal(enc[:, :30], enc)
    assert Bananas(SPACE, np.random.default_rng(0)).encoding == "trunc_path"
    darts = benchmarks.load("nb301-cifar10").space  # naszilla's cutoff there: 100
    assert Bananas(darts, np.random.default_rng(0)).encoding == "trunc_path"
    assert darts.encode(darts.sample(np.random.default_rng(0), 3), "trunc_path").shape == (3, 100)


# --- naszilla's candidates -------------------------------------------------------------------
def _evaluated(opt: Bananas, archs: np.ndarray, values: np.ndarray) -> None:
    for arch, value in zip(archs, values, strict=True):
        opt._seen.add(tuple(arch.tolist()))
        opt.tell(arch, Observation(float(value), "valid_acc", "hp200", 0.0, noisy=False))


def test_candidates_are_at_least_100_unique_unevaluated_mutations_of_the_best_five() -> None:
    bench = benchmarks.load(BENCH)
    rng = np.random.default_rng(0)
    for seed in range(5):
        opt = Bananas(bench.space, np.random.default_rng(seed))
        archs = bench.space.sample(rng, 10 + 10 * seed)
        values = bench.query(archs, "valid_acc")
        _evaluated(opt, archs, values)
        cands = opt.candidates(archs, values)
        keys = [tuple(c.tolist()) for c in cands]
        assert len(set(keys)) == len(keys)  # unique
        assert not set(keys) & {tuple(a.tolist()) for a in archs}  # none evaluated
        # At least 100; a parent adds at most 100 and the count is checked between parents.
        assert 100 <= len(cands) < 200, len(cands)
        # The first ones are mutations of the best arch: 1.8 edits from it on average
        # (Binomial(6, 1/4) given at least one), where a random arch is 4.8 edits away.
        best = archs[np.argmax(values)]
        assert (cands[:50] != best).sum(axis=1).mean() < 2.5


def test_mutation_changes_each_edge_with_probability_one_quarter() -> None:
    """naszilla ``Cell201.mutate`` at rate 1: each of the 6 edges w.p. 1 / (6 - 2), so the
    number of edits is Binomial(6, 1/4): mean 1.5, and no edit at all w.p. (3/4)^6 = 0.178."""
    opt = Bananas(SPACE, np.random.default_rng(2))
    parents = SPACE.sample(np.random.default_rng(3), 40_000)
    children = opt._mutate(parents, np.ones(len(parents), dtype=np.int64))
    edits = (children != parents).sum(axis=1)
    n = len(edits)
    assert abs(edits.mean() - 1.5) < 4 * np.sqrt(6 * 0.25 * 0.75 / n)
    assert abs((edits == 0).mean() - 0.75**6) < 4 * np.sqrt(0.178 * 0.822 / n)


def test_the_ensemble_fits_the_raw_validation_loss_on_nb201(monkeypatch) -> None:
    """naszilla fits Keras on val_loss = 100 - accuracy, unscaled; elsewhere (TNB101, not in
    naszilla) the values are standardized."""
    seen = {}
    original = MLPEnsemble.fit

    def spy(self, X, y):
        seen.update(y=np.asarray(y).copy(), standardize=self.standardize)
        return original(self, X, y)

    monkeypatch.setattr(MLPEnsemble, "fit", spy)
    bench = benchmarks.load(BENCH)
    opt = Bananas(bench.space, np.random.default_rng(0), BananasConfig(epochs=5))
    archs = bench.space.sample(np.random.default_rng(1), 10)
    values = bench.query(archs, "valid_acc")
    _evaluated(opt, archs, values)
    opt._n_asked = 10
    opt.ask()
    np.testing.assert_allclose(seen["y"], 100.0 - values)
    assert seen["standardize"] is False
    micro = benchmarks.load("tnb101-micro-jigsaw").space
    assert Bananas(micro, np.random.default_rng(0)).target == "standardized"
    ensemble = MLPEnsemble(n_members=2, epochs=3, standardize=False, random_state=0)
    ensemble.fit(np.eye(4), np.array([10.0, 20.0, 30.0, 40.0]))
    assert (ensemble._y_mean, ensemble._y_std) == (0.0, 1.0)


# --- predictor --------------------------------------------------------------------------
def _toy_data(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    archs = SPACE.sample(np.random.default_rng(0), n)
    X = SPACE.encode(archs, "path")
    return X, 80.0 + 5.0 * X[:, :30].sum(axis=1)  # a target the paths explain


def test_ensemble_is_reproducible_and_members_differ() -> None:
    X, y = _toy_data()
    small = dict(n_members=3, epochs=30)
    a = MLPEnsemble(**small, random_state=np.random.default_rng(5)).fit(X, y)
    b = MLPEnsemble(**small, random_state=np.random.default_rng(5)).fit(X, y)
    members = a.predict_members(X)
    np.testing.assert_array_equal(members, b.predict_members(X))
    assert members.shape == (3, len(y))
    assert not np.allclose(members[0], members[1])
    mean, std = a.predict_mean_std(X)
    np.testing.assert_allclose(mean, a.predict(X))
    assert (std > 0).all()


def test_ensemble_fits_its_training_data() -> None:
    X, y = _toy_data()
    pred = MLPEnsemble(random_state=0).fit(X, y).predict(X)
    assert np.corrcoef(pred, y)[0, 1] > 0.9


# --- search -----------------------------------------------------------------------------
def _table(seed: int, budget: Budget | None = None, optimizer: str = "bananas"):
    table, _ = run(Job(BENCH, optimizer, seed, budget=budget or Budget(queries=QUERIES)))
    return table


@pytest.mark.slow
def test_same_seed_same_trajectory_other_seed_other_trajectory() -> None:
    first, again, other = _table(3), _table(3), _table(4)
    assert first.equals(again)
    assert not first.equals(other)


@pytest.mark.parametrize("queries", [1, 10, 25])
def test_query_budget_is_spent_exactly(queries: int) -> None:
    table = _table(0, Budget(queries=queries))
    assert table.num_rows == queries
    assert table["cum_queries"].to_pylist() == list(range(1, queries + 1))


def test_no_arch_is_paid_for_twice() -> None:
    archs = _table(1)["arch"].to_pylist()
    assert len(archs) == QUERIES == len(set(archs))


def test_an_unanswered_ask_leaves_a_usable_state() -> None:
    """The harness may ask and then stop; any later ask must still give a valid arch."""
    bench = benchmarks.load(BENCH)
    oracle = Oracle(bench, Budget(queries=30), rng=np.random.default_rng(0))
    opt = Bananas(bench.space, np.random.default_rng(1), BananasConfig(epochs=20))
    assert opt.encoding == "trunc_path"
    while not oracle.exhausted:
        opt.ask()  # unanswered
        arch = opt.ask()
        assert arch.shape == (bench.space.n_dims,) and arch.dtype == np.int64
        bench.space.validate(arch)
        opt.tell(arch, oracle.evaluate(arch))


def test_a_space_without_path_encoding_gets_onehot() -> None:
    space = CategoricalSpace([3, 4, 2, 5])
    opt = Bananas(space, np.random.default_rng(0), BananasConfig(num_init=5, k=3, epochs=20))
    assert opt.encoding == "onehot"
    with pytest.raises(ValueError, match="not offered"):
        Bananas(space, np.random.default_rng(0), BananasConfig(encoding="path"))
    for _ in range(20):
        arch = opt.ask()
        value = float(arch.sum())  # a toy objective, maximised at the last choice of each
        opt.tell(arch, Observation(value, "toy", "full", 0.0, noisy=False))
    assert len({tuple(a) for a in opt.history_archs}) == 20


def _final_regret(optimizer: str, seed: int) -> float:
    table = _table(seed, optimizer=optimizer)
    assert table.num_rows == QUERIES
    return table["incumbent_regret"][-1].as_py()


@pytest.fixture(scope="module")
def mean_final_regret() -> dict[str, float]:
    means = {
        opt: float(np.mean([_final_regret(opt, seed) for seed in SEEDS]))
        for opt in ("rs", "bananas")
    }
    print(f"\nmean final regret, {BENCH}, {QUERIES} queries x {len(SEEDS)} seeds: {means}")
    return means


@pytest.mark.slow
def test_bananas_beats_random_search(mean_final_regret: dict[str, float]) -> None:
    assert mean_final_regret["bananas"] < mean_final_regret["rs"]


def test_num_init_random_archs_then_batches_of_the_acquisition_in_order(monkeypatch) -> None:
    """The first ``num_init`` asks are random; from the next one on, each ask takes the head of
    the batch the acquisition proposed (best first) until it is used up, then a new batch is
    fitted; a round that proposes nothing (every candidate evaluated) falls back to a random
    unevaluated arch."""
    bench = benchmarks.load(BENCH)
    config = BananasConfig(num_init=4, k=3, epochs=5)
    opt = Bananas(bench.space, np.random.default_rng(0), config)
    batches: list[list[np.ndarray]] = []
    fitted_at: list[int] = []
    original = Bananas._next_batch

    def spy(self):
        batch = original(self) if len(batches) < 2 else []  # the third round proposes nothing
        batches.append([a.copy() for a in batch])
        fitted_at.append(len(self.history_values))
        return batch

    monkeypatch.setattr(Bananas, "_next_batch", spy)
    asked = []
    for _ in range(4 + 3 + 3 + 2):
        arch = opt.ask()
        asked.append(tuple(arch.tolist()))
        opt.tell(arch, Observation(float(bench.query(arch, "valid_acc")), "valid_acc", "hp200",
                                   0.0, noisy=False))
    assert fitted_at == [4, 7, 10, 11]  # after num_init tells, then whenever a batch is used up
    proposed = [tuple(a.tolist()) for batch in batches[:2] for a in batch]
    assert asked[4:10] == proposed  # each batch taken in its order, best first
    assert len(set(asked)) == len(asked)  # the fallbacks are unevaluated archs too
