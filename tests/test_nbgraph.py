"""NAS-Bench-Graph: the space's canonical form, the tables, and the harness on the 9 benchmarks.

The canonical form is checked against the upstream ``Arch.valid_hash`` on every (link list, ops)
pair and against every key of the raw record when ``../shared`` is present; the space's moves
and encodings against brute force over equivalent vectors; the tables against the raw record
(every value) and a few facts computed from it.
"""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pytest

import benchmarks
from benchmarks.build.nbgraph import FIELDS, read_record
from benchmarks.nbgraph import DATASETS, NAMES
from benchmarks.spaces.nbgraph import (
    LINK_PATTERNS,
    OPS,
    PROTEINS_OPS,
    NBGraphSpace,
    canonical_form,
)
from harness import run as run_cli
from harness.oracle import Budget
from harness.search import Job, run

CORA = "nbgraph-cora"

# Computed from the raw light record (each maximum is attained by one key only): dataset ->
# (distinct archs, best valid %, its arch, best test %, its arch), archs canonical.
FACTS = {
    "cora": (26206, 81.9333, "Arch([0, 1, 2, 3], ['fc', 'gat', 'fc', 'gin'])",
             83.1333, "Arch([0, 1, 2, 2], ['fc', 'gat', 'gcn', 'graph'])"),
    "citeseer": (26206, 72.8, "Arch([0, 0, 1, 2], ['gcn', 'gcn', 'sage', 'sage'])",
                 71.5667, "Arch([0, 0, 1, 3], ['fc', 'gin', 'gat', 'graph'])"),
    "pubmed": (26206, 81.1333, "Arch([0, 0, 1, 2], ['gat', 'gin', 'gin', 'sage'])",
               78.6, "Arch([0, 0, 1, 1], ['gcn', 'arma', 'gcn', 'gin'])"),
    "cs": (26206, 92.1333, "Arch([0, 0, 1, 1], ['graph', 'arma', 'gat', 'cheb'])",
           91.2624, "Arch([0, 0, 1, 1], ['gcn', 'arma', 'gat', 'graph'])"),
    "physics": (26206, 94.0, "Arch([0, 1, 1, 2], ['gat', 'fc', 'gcn', 'fc'])",
                93.0049, "Arch([0, 0, 1, 3], ['arma', 'gcn', 'arma', 'arma'])"),
    "photo": (26206, 94.0667, "Arch([0, 0, 1, 2], ['gat', 'fc', 'sage', 'cheb'])",
              92.7896, "Arch([0, 0, 1, 2], ['gat', 'fc', 'sage', 'fc'])"),
    "computers": (26206, 91.9, "Arch([0, 1, 2, 2], ['cheb', 'gat', 'cheb', 'cheb'])",
                  85.5834, "Arch([0, 0, 1, 1], ['gat', 'sage', 'gat', 'fc'])"),
    "arxiv": (26206, 73.6667, "Arch([0, 1, 2, 3], ['cheb', 'arma', 'cheb', 'cheb'])",
              72.3865, "Arch([0, 1, 2, 3], ['gcn', 'cheb', 'sage', 'sage'])"),
    "proteins": (2021, 85.3333, "Arch([0, 1, 2, 2], ['sage', 'arma', 'fc', 'skip'])",
                 79.2634, "Arch([0, 1, 2, 3], ['arma', 'sage', 'gcn', 'sage'])"),
}


@pytest.fixture(scope="module")
def computed() -> NBGraphSpace:
    """The 9-op space with its rows computed from the canonical form (not loaded)."""
    return NBGraphSpace()


@pytest.fixture(scope="module")
def upstream(shared_data):
    """The upstream ``architecture`` module (pure Python: random and json only)."""
    spec = importlib.util.spec_from_file_location(
        "nbgraph_upstream_architecture", shared_data / "nbgraph" / "upstream_architecture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _space(dataset: str = "cora") -> NBGraphSpace:
    return benchmarks.load(f"nbgraph-{dataset}").space


# --- the canonical form -----------------------------------------------------------------------
def test_canonical_form_equals_upstream_valid_hash_on_every_link_list_and_ops(upstream) -> None:
    links = [link for link in itertools.product((0,), (0, 1), (0, 1, 2), (0, 1, 2, 3))]
    pairs = list(itertools.product(links, itertools.product(range(len(OPS)), repeat=4)))
    expected = np.array([upstream.Arch(list(lk), [OPS[o] for o in ops]).valid_hash()
                         for lk, ops in pairs])
    patterns, ops = canonical_form(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
    ours = patterns * 10**4 + ops @ np.array([1000, 100, 10, 1])
    assert len(pairs) == 24 * 9**4
    assert np.array_equal(ours, expected)


@pytest.mark.parametrize("dataset", ["cora", "proteins"])
def test_classes_are_exactly_the_keys_of_the_record(shared_data, dataset: str) -> None:
    record = read_record(shared_data / "nbgraph" / "light" / f"{dataset}.bench")
    space = _space(dataset)
    keys = space.upstream_key(space.vectors())  # every valid vector's key
    assert set(np.unique(keys).tolist()) == set(record)  # each key reached, no key missing
    assert len(record) == space.size == FACTS[dataset][0]


def test_loaded_row_tables_equal_the_canonical_form_computed_now(computed) -> None:
    loaded = _space("cora")
    assert np.array_equal(loaded.enumerate(), computed.enumerate())
    assert np.array_equal(loaded._lookup, computed._lookup)
    proteins = NBGraphSpace(PROTEINS_OPS, "nbgraph-proteins")
    assert np.array_equal(_space("proteins").enumerate(), proteins.enumerate())
    assert np.array_equal(_space("proteins")._lookup, proteins._lookup)


def test_space_sizes_and_canonical_vectors_are_fixed_points(computed) -> None:
    assert (computed.size, computed.n_vectors) == (26206, 9 * 9**4 - 9)
    proteins = _space("proteins")
    assert (proteins.size, proteins.n_vectors) == (2021, 9 * 5**4 - 9)
    canon = computed.enumerate()
    assert np.array_equal(computed.canonical(canon), canon)
    assert np.array_equal(computed.to_index(canon), np.arange(computed.size))
    # every vector lands on a class whose canonical vector is one of its own class
    vectors = computed.vectors()
    assert np.array_equal(computed.to_index(computed.canonical(vectors)),
                          computed.to_index(vectors))


def _tree(arch) -> str:
    """The arch as a rooted tree with labelled nodes and sorted (unordered) children."""
    links, ops = LINK_PATTERNS[int(arch[0])], [OPS[int(o)] for o in arch[1:]]
    children: dict[int, list[int]] = {node: [] for node in range(5)}
    for node, parent in enumerate(links, start=1):
        children[parent].append(node)

    def text(node: int) -> str:
        label = ops[node - 1] if node else "in"
        return f"{label}({','.join(sorted(text(c) for c in children[node]))})"

    return text(0)


def test_classes_are_unions_of_isomorphism_classes() -> None:
    """Independent of upstream's steps: isomorphic DAGs always share a class; upstream also
    joins some non-isomorphic ones, all differing only in where skip nodes sit."""
    space = _space()
    vectors = space.vectors()
    rows = space.to_index(vectors)
    trees = [_tree(v) for v in vectors]
    rows_of_tree: dict[str, set[int]] = {}
    trees_of_row: dict[int, set[str]] = {}
    for tree, row in zip(trees, rows.tolist(), strict=True):
        rows_of_tree.setdefault(tree, set()).add(row)
        trees_of_row.setdefault(row, set()).add(tree)
    assert len(rows_of_tree) == 35910
    assert all(len(r) == 1 for r in rows_of_tree.values())  # never split
    joined = [t for t in trees_of_row.values() if len(t) > 1]
    assert len(joined) == 1612
    assert all("skip" in tree for group in joined for tree in group)


def test_swapping_sibling_branches_is_the_same_arch() -> None:
    space = _space()
    a = space.from_string("Arch([0, 0, 0, 0], ['gcn', 'gat', 'fc', 'gin'])")
    b = space.from_string("Arch([0, 0, 0, 0], ['gin', 'fc', 'gat', 'gcn'])")
    assert space.to_index(a) == space.to_index(b)
    # two input branches, each a chain of 2: swap the branches as wholes
    c = space.from_string("Arch([0, 0, 1, 2], ['sage', 'gcn', 'arma', 'cheb'])")
    d = space.from_string("Arch([0, 0, 2, 1], ['sage', 'gcn', 'arma', 'cheb'])")
    e = space.from_string("Arch([0, 0, 1, 2], ['gcn', 'sage', 'cheb', 'arma'])")
    assert space.to_index(c) == space.to_index(e) != space.to_index(d)
    # a chain is not a fan
    f = space.from_string("Arch([0, 1, 2, 3], ['gcn', 'gat', 'fc', 'gin'])")
    assert space.to_index(a) != space.to_index(f)


# --- strings ------------------------------------------------------------------------------------
def test_strings_round_trip_and_renumber_like_upstream_regularize() -> None:
    space = _space()
    archs = space.enumerate()
    for arch in archs[::97]:
        assert np.array_equal(space.from_string(space.to_string(arch)), arch)
    # upstream README's example: [0, 1, 2, 1] is renumbered to the canonical list [0, 1, 1, 2]
    arch = space.from_string("Arch([0, 1, 2, 1], ['gcn', 'gin', 'fc', 'cheb'])")
    assert space.to_string(arch) == "Arch([0, 1, 1, 2], ['gcn', 'gin', 'cheb', 'fc'])"
    assert np.array_equal(arch, space.from_string("[0, 1, 2, 1], ['gcn', 'gin', 'fc', 'cheb']"))
    assert space.to_strings(archs[:2]) == [space.to_string(archs[0]), space.to_string(archs[1])]


@pytest.mark.parametrize(("text", "needle"), [
    ("Arch([0, 1, 2, 1], ['gcn', 'gin', 'fc', 'conv'])", "unknown op 'conv'"),
    ("Arch([0, 2, 2, 1], ['gcn', 'gin', 'fc', 'cheb'])", "link i (from 0) must be an int in 0..i"),
    ("Arch([0, 1, 2], ['gcn', 'gin', 'fc'])", "need 4 links and 4 ops"),
    ("Arch([0, 0, 0, 0], ['skip', 'skip', 'skip', 'skip'])", "all four ops are skip"),
    ("gcn-gin-fc", "expected upstream's notation"),
])
def test_bad_strings_name_the_problem(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        _space().from_string(text)


def test_proteins_refuses_ops_outside_its_five() -> None:
    with pytest.raises(ValueError, match="accepted ops: gcn, sage, arma, fc, skip"):
        _space("proteins").from_string("Arch([0, 1, 2, 3], ['gat', 'gcn', 'gcn', 'gcn'])")
    with pytest.raises(ValueError, match="op of node 1 5 is outside"):
        _space("proteins").validate(np.array([0, 5, 0, 0, 0]))


# --- moves --------------------------------------------------------------------------------------
def test_neighbours_are_the_classes_one_edit_from_any_equivalent_vector() -> None:
    space = _space()
    vectors = space.vectors()
    rows_of_vectors = space.to_index(vectors)
    rng = np.random.default_rng(3)
    for arch in space.sample(rng, 12):
        row = space.to_index(arch)
        brute = set()
        for vector in vectors[rows_of_vectors == row]:  # every equivalent vector
            for dim in range(5):
                for value in range(int(space.n_choices[dim])):
                    edited = vector.copy()
                    edited[dim] = value
                    if value != vector[dim] and space.is_valid(edited[None])[0]:
                        brute.add(space.to_index(edited))
        brute.discard(row)
        got = space.to_index(space.neighbours(arch))
        assert sorted(got.tolist()) == sorted(brute)
        # symmetric, and handed out as canonical vectors
        for other in space.neighbours(arch)[:5]:
            assert row in space.to_index(space.neighbours(other)).tolist()
        assert np.array_equal(space.canonical(space.neighbours(arch)), space.neighbours(arch))


def test_sample_and_mutate_hand_out_canonical_vectors() -> None:
    space = _space()
    rng = np.random.default_rng(0)
    archs = space.sample(rng, 2000)
    assert np.array_equal(space.canonical(archs), archs)
    children = space.mutate(archs, rng)
    assert np.array_equal(space.canonical(children), children)
    assert (space.to_index(children) != space.to_index(archs)).all()
    # uniform over the 26,206 classes: rows spread over the whole range
    rows = space.to_index(space.sample(rng, 50000))
    assert np.unique(rows).size > 0.8 * space.size * (1 - np.exp(-50000 / space.size))


# --- encodings ----------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["path", "onehot"])
def test_equivalent_vectors_get_equal_features(encoding: str) -> None:
    space = _space()
    vectors = space.vectors()[::59]
    features = space.encode(vectors, encoding)
    canonical = space.encode(space.canonical(vectors), encoding)
    assert np.array_equal(features, canonical)
    assert features.shape[1] == {"path": 9 + 81 + 729 + 6561, "onehot": 9 + 4 * 9}[encoding]


def test_path_encoding_lists_the_input_to_leaf_paths() -> None:
    space = _space()
    arch = space.from_string("Arch([0, 0, 1, 1], ['gcn', 'gat', 'fc', 'gin'])")
    features = np.flatnonzero(space.encode(arch, "path")[0]).tolist()
    gat, gcn, fc, gin = (OPS.index(o) for o in ("gat", "gcn", "fc", "gin"))
    # leaves: node 2 (gat, from the input), node 3 (gcn -> fc), node 4 (gcn -> gin)
    assert features == sorted([gat, 9 + gcn + 9 * fc, 9 + gcn + 9 * gin])
    onehot = space.encode(space.enumerate(), "onehot")
    assert np.unique(onehot, axis=0).shape[0] == space.size  # one-hot tells classes apart


# --- tables and facts ---------------------------------------------------------------------------
@pytest.mark.parametrize("dataset", DATASETS)
def test_tables_equal_the_raw_record_and_the_facts(shared_data, dataset: str) -> None:
    bench = benchmarks.load(f"nbgraph-{dataset}")
    record = read_record(shared_data / "nbgraph" / "light" / f"{dataset}.bench")
    archs = bench.all_archs()
    keys = bench.space.upstream_key(archs)
    for metric, field in FIELDS.items():
        raw = np.array([record[int(k)][field] for k in keys], dtype=np.float64)
        scale = 100.0 if metric in ("valid_acc", "test_acc") else 1.0
        assert np.array_equal(bench.query(archs, metric), raw * scale)
    n, best_valid, valid_arch, best_test, test_arch = FACTS[dataset]
    assert len(record) == n == len(archs)
    for metric, field, value, text in (("valid_acc", "valid_perf", best_valid, valid_arch),
                                       ("test_acc", "perf", best_test, test_arch)):
        raw_best = max(record, key=lambda k, f=field: record[k][f])
        got, arch = bench.optimum(metric)
        assert got == pytest.approx(value, abs=5e-5)
        assert got == pytest.approx(record[raw_best][field] * 100, abs=1e-12)
        assert bench.space.to_string(arch) == text
        assert bench.space.upstream_key(arch) == raw_best


def test_archs_in_upstream_notation_answer_as_the_record(shared_data, upstream) -> None:
    """The upstream README's example and the anchors of upstream_architecture.py."""
    record = read_record(shared_data / "nbgraph" / "light" / "cora.bench")
    bench = benchmarks.load(CORA)
    texts = ["Arch([0, 1, 2, 1], ['gcn', 'gin', 'fc', 'cheb'])",
             "Arch([0, 1, 1, 2], ['gcn', 'cheb', 'gin', 'fc'])"]
    texts += [f"Arch({a.link}, {a.ops})" for a in upstream.anchors]
    for text in texts:
        arch = bench.space.from_string(text)
        up = eval(text, {"Arch": upstream.Arch})  # noqa: S307 - the test's own literal strings
        key = up.valid_hash()
        assert bench.space.upstream_key(arch) == key
        assert bench.query(arch, "valid_acc") == record[key]["valid_perf"] * 100
        assert bench.query(arch, "test_acc") == record[key]["perf"] * 100
    # The README says its two spellings are the same arch; in the record they are two (the
    # second puts fc after cheb, not after gin), with different accuracies.
    first, second = (bench.space.upstream_key(bench.space.from_string(t)) for t in texts[:2])
    assert (first, second) == (61237, 61327)
    assert bench.query(bench.space.from_string(texts[0]), "valid_acc") == pytest.approx(79.0)


# --- benchmark ----------------------------------------------------------------------------------
def test_queries_are_vectorized_scalar_consistent_and_equal_for_equivalent_archs() -> None:
    bench = benchmarks.load(CORA)
    space = bench.space
    vectors = space.vectors()
    values = bench.query(vectors, "valid_acc")
    assert np.array_equal(values, bench.query(space.canonical(vectors), "valid_acc"))
    assert bench.query(vectors[5], "test_acc") == bench.query(vectors[5:6], "test_acc")[0]
    assert bench.query(tuple(vectors[5].tolist()), "latency") == bench.query(vectors[5], "latency")
    assert bench.optimum("latency")[0] == bench.query(bench.all_archs(), "latency").min()
    assert not bench.metrics["params"].higher_is_better
    with pytest.raises(ValueError, match="all four ops are skip"):
        bench.query(np.array([[3, 8, 8, 8, 8]]), "valid_acc")
    with pytest.raises(ValueError, match="link pattern 9 is outside"):
        bench.query(np.array([9, 0, 0, 0, 0]), "valid_acc")
    with pytest.raises(ValueError, match="op of node 2 5 is outside"):
        benchmarks.load("nbgraph-proteins").query(np.array([[0, 0, 5, 0, 0]]), "valid_acc")
    with pytest.raises(ValueError, match="unknown metric"):
        bench.query(vectors[:2], "flops")


def test_names_and_space_sizes() -> None:
    assert [n for n in benchmarks.names() if n.startswith("nbgraph-")] == list(NAMES)
    assert len(NAMES) == 9
    assert {benchmarks.load(n).space.size for n in NAMES} == {26206, 2021}
    assert len(LINK_PATTERNS) == 9


def test_a_seconds_budget_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        run_cli.main(["--optimizer", "rs", "--bench", CORA, "--seeds", "1", "--budget", "100s",
                      "--out", "/nonexistent-never-written"])
    assert exited.value.code == 2
    assert "give the budget in queries" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no training times"):
        run(Job(CORA, "rs", 0, Budget(seconds=1000.0)))


@pytest.mark.parametrize("optimizer", ["rs", "re", "ls", "bananas", "xnas"])
@pytest.mark.parametrize("name", [CORA, "nbgraph-proteins"])
def test_optimizers_run_and_never_pay_twice_for_one_network(optimizer: str, name: str) -> None:
    budget = 40 if optimizer == "bananas" else 60
    table, manifest = run(Job(name, optimizer, seed=1, budget=Budget(queries=budget)))
    bench = benchmarks.load(name)
    archs = np.stack([bench.space.from_string(s) for s in table.column("arch").to_pylist()])
    rows = bench.space.to_index(archs)
    assert table.num_rows == budget
    if optimizer in ("rs", "ls", "bananas"):  # they deduplicate: every query a new network
        assert np.unique(rows).size == budget
    if optimizer != "xnas":  # they propose the space's canonical vectors only
        assert np.unique(archs, axis=0).shape[0] == np.unique(rows).size
    incumbent = bench.space.from_string(manifest["final"]["incumbent"])
    assert manifest["final"]["incumbent_valid"] == bench.query(incumbent, "valid_acc")
    assert manifest["final"]["incumbent_test"] == bench.query(incumbent, "test_acc")
    best = bench.optimum("valid_acc")[0]
    assert manifest["final"]["incumbent_regret"] == pytest.approx(
        best - manifest["final"]["incumbent_valid"])


# --- predictors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "low", "high"), [
    # measured on nbgraph-cora, 100 training archs, 500 test archs, one-hot, seeds 0-2:
    ("xgb", 0.18, 0.40),  # 0.281
    ("gp", 0.12, 0.35),  # 0.223
    ("mlp", 0.18, 0.42),  # 0.304
])
def test_model_based_predictors_rank_nbgraph_archs(name: str, low: float, high: float) -> None:
    from predictors.evaluate import Protocol, run_job

    protocol = Protocol(train_sizes=(100,), test_size=500, fidelities=(0.5,))
    taus = [run_job(CORA, name, seed, protocol)[0].to_pylist()[0]["kendall_tau"]
            for seed in range(3)]
    assert low <= float(np.mean(taus)) <= high, taus


def test_auto_encoding_is_onehot_for_predictors_and_bananas() -> None:
    from optimizers.bananas import Bananas
    from predictors.encoded import resolve_encoding

    space = _space()
    assert resolve_encoding(space, "auto") == "onehot"
    assert resolve_encoding(space, "path") == "path"
    assert Bananas(space, np.random.default_rng(0)).encoding == "onehot"


@pytest.mark.parametrize("predictor", ["synflow", "params", "omni"])
def test_zero_cost_proxies_are_refused_with_the_reason(predictor: str, capsys) -> None:
    from predictors.evaluate import main

    for source in ("compute", "precomputed"):
        with pytest.raises(SystemExit) as exited:
            main(["--predictor", predictor, "--bench", CORA, "--seeds", "1",
                  "--zc-source", source, "--out", "/nonexistent-never-written"])
        assert exited.value.code == 2
        assert "no networks and no graphs to score" in capsys.readouterr().err


def test_query_cli_prints_the_canonical_form_and_the_upstream_key(capsys) -> None:
    from harness import query

    assert query.main(["--bench", CORA, "--arch",
                       "Arch([0, 1, 2, 1], ['gcn', 'gin', 'fc', 'cheb'])"]) == 0
    out = capsys.readouterr().out
    assert "canonical form: Arch([0, 1, 1, 2], ['gcn', 'gin', 'cheb', 'fc'])" in out
    assert "NAS-Bench-Graph key (Arch.valid_hash()): 61237" in out
    assert "valid_acc   final       79.0000" in out
