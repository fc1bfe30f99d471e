import bz2
import pickle
import shutil

import numpy as np
import pytest

import benchmarks
from benchmarks.build.nb201 import OFFICIAL_RECORDS, official_values
from benchmarks.store import DATA_ROOT, DataIntegrityError, TableStore

SEARCH_DATASET = {"cifar10": "cifar10-valid", "cifar100": "cifar100",
                  "imagenet16-120": "ImageNet16-120"}
BEST_TEST = {  # published facts: ../shared/data/PROVENANCE.md and the NB201 paper
    "nb201-cifar10": (94.3733, 6111, 87.06),
    "nb201-cifar100": (73.5133, 9930, 61.41),
    "nb201-imagenet16-120": (47.3111, 857, 33.59),
}


def test_names():
    assert benchmarks.names()[:3] == ["nb201-cifar10", "nb201-cifar100", "nb201-imagenet16-120"]


@pytest.mark.parametrize("name", list(BEST_TEST))
def test_best_and_mean_test_accuracy(name):
    best, row, mean = BEST_TEST[name]
    bench = benchmarks.load(name)
    test = bench.query(bench.all_archs(), "test_acc")
    assert test.shape == (15625,)
    assert round(float(test.max()), 4) == best
    assert int(np.argmax(test)) == row
    assert round(float(test.mean()), 2) == mean
    value, arch = bench.optimum("test_acc")
    assert bench.space.to_index(arch) == row and round(value, 4) == best


@pytest.mark.parametrize("name", list(BEST_TEST))
def test_every_value_of_the_official_records_matches(shared_data, name):
    bench = benchmarks.load(name)
    rng = np.random.default_rng(0)
    for record_id in OFFICIAL_RECORDS:
        with bz2.open(shared_data / "nb201" / "official_format" / f"{record_id}.pickle.pbz2") as f:
            record = pickle.load(f)
        arch = bench.space.from_string(record["200"]["arch_str"])
        assert bench.space.to_index(arch) == int(record_id)
        expected = official_values(record, bench.dataset)
        seeds = expected["valid_acc.hp200.seeds"]
        assert bench.query(arch, "valid_acc") == pytest.approx(np.mean(seeds), abs=1e-9)
        assert bench.query(arch, "test_acc") == pytest.approx(expected["test_acc.hp200"], abs=1e-9)
        assert bench.query(arch, "valid_acc", "hp12") == pytest.approx(
            expected["valid_acc.hp12"], abs=1e-9)
        assert bench.query(arch, "test_acc", "hp12") == pytest.approx(
            expected["test_acc.hp12"], abs=1e-9)
        assert bench.query(arch, "train_time") == pytest.approx(
            expected["train_time.hp200"], abs=1e-9)
        assert bench.query(arch, "params") == pytest.approx(expected["params"], abs=1e-12)
        assert bench.query(arch, "latency") == expected["latency"]  # exactly, in seconds
        search_run = next(r for (ds, _), r in record["200"]["all_results"].items()
                          if ds == SEARCH_DATASET[bench.dataset])
        assert bench.query(arch, "flops") == pytest.approx(search_run["flop"], abs=1e-9)
        draws = {bench.query(arch, "valid_acc", rng=rng) for _ in range(60)}
        assert draws == set(seeds)  # one seed's value per query, every seed reachable
        # NATS-Bench times an epoch the same in both schedules: the hp12 cost is derived.
        search_ds = SEARCH_DATASET[bench.dataset]
        run12 = next(r for (ds, _), r in record["12"]["all_results"].items() if ds == search_ds)
        assert bench.query(arch, "train_time", "hp12") == pytest.approx(
            sum(run12["train_times"].values()), rel=1e-9)


def test_batch_and_scalar_queries_agree():
    bench = benchmarks.load("nb201-cifar100")
    archs = bench.space.sample(np.random.default_rng(3), 500)
    batch = bench.query(archs, "valid_acc", "hp12")
    assert batch.shape == (500,)
    scalars = [bench.query(a, "valid_acc", "hp12") for a in archs]
    tuples = [bench.query(tuple(a.tolist()), "valid_acc", "hp12") for a in archs]
    np.testing.assert_array_equal(batch, scalars)
    np.testing.assert_array_equal(batch, tuples)
    assert isinstance(scalars[0], float)


@pytest.mark.parametrize("bad, message", [
    ([0, 1, 2, 3, 4], r"shape \(6,\) or \(n, 6\), got \(5,\)"),
    ([0, 1, 2, 3, 4, 5], "value 5 at position 5 is outside the accepted range 0..4"),
    ([0, -1, 2, 3, 4, 1], "value -1 at position 1"),
    ([0, float("nan"), 0, 0, 0, 0], "integer vectors of length 6, got dtype float64"),
    ([4.5, 0, 0, 0, 0, 0], "integer vectors of length 6, got dtype float64"),
    ([[0] * 6, [1] * 6], r"one NB201 arch expected, got shape \(2, 6\)"),
])
def test_a_bad_scalar_query_names_what_is_wrong(bad, message):
    bench = benchmarks.load("nb201-cifar10")
    with pytest.raises(ValueError, match=message):
        bench.query(bad, "latency")


def test_a_scalar_query_takes_whole_floats_and_numpy_ints_as_the_batch_does():
    bench = benchmarks.load("nb201-cifar10")
    arch = [0, 1, 2, 3, 4, 1]
    expected = float(bench.query(np.array([arch]), "latency")[0])
    for form in ([float(a) for a in arch], [np.int64(a) for a in arch], np.array(arch, np.int8)):
        assert bench.query(form, "latency") == expected


def test_seed_mean_is_default_and_noise_is_reproducible():
    bench = benchmarks.load("nb201-cifar10")
    archs = bench.space.sample(np.random.default_rng(0), 1000)
    mean = bench.query(archs, "valid_acc")
    a = bench.query(archs, "valid_acc", rng=np.random.default_rng(7))
    b = bench.query(archs, "valid_acc", rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, mean)
    assert np.abs(a - mean).max() < 5  # seeds of one arch are close, within a few points


def test_bad_metric_fidelity_and_arch_are_named():
    bench = benchmarks.load("nb201-cifar10")
    arch = np.zeros(6, dtype=int)
    with pytest.raises(ValueError, match="unknown metric 'accuracy'.*valid_acc, test_acc"):
        bench.query(arch, "accuracy")
    with pytest.raises(ValueError, match="unknown fidelity 'hp50'.*hp200, hp12"):
        bench.query(arch, "valid_acc", "hp50")
    with pytest.raises(ValueError, match="value 7 at position 0"):
        bench.query(np.array([[7, 0, 0, 0, 0, 0]]), "valid_acc")
    with pytest.raises(ValueError, match="value -1 at position 5"):
        bench.query((0, 0, 0, 0, 0, -1), "valid_acc")
    with pytest.raises(ValueError, match="unknown benchmark 'nb201-mnist'.*nb201-cifar10"):
        benchmarks.load("nb201-mnist")


def test_metrics_name_their_official_split():
    assert benchmarks.load("nb201-cifar10").metrics["valid_acc"].split == "cifar10-valid x-valid"
    assert "ori-test" in benchmarks.load("nb201-cifar10").metrics["test_acc"].split
    assert benchmarks.load("nb201-cifar100").metrics["test_acc"].split == "cifar100 x-test"


def test_tampered_table_is_refused(tmp_path):
    folder = tmp_path / "nb201"
    shutil.copytree(DATA_ROOT / "nb201", folder)
    store = TableStore(folder)
    assert store.load("cifar10.test_acc.hp200").shape == (15625,)
    table = np.load(folder / "cifar10.test_acc.hp200.npy")
    table[6111] += 0.01
    np.save(folder / "cifar10.test_acc.hp200.npy", table)
    with pytest.raises(DataIntegrityError, match="checksum mismatch"):
        store.load("cifar10.test_acc.hp200")


@pytest.mark.slow
def test_build_reproduces_the_committed_tables(shared_data, tmp_path):
    from benchmarks.build import nb201 as build

    assert build.main(["--source", str(shared_data / "nb201"), "--out", str(tmp_path)]) == 0
    built, committed = TableStore(tmp_path), TableStore(DATA_ROOT / "nb201")
    assert built.manifest["sources"] == committed.manifest["sources"]
    assert built.manifest["tables"].keys() == committed.manifest["tables"].keys()
    # Seed means are sums of floats, and pandas/numpy releases differ in summation order and CSV
    # parsing by an ulp (seen: 1.4e-14 between numpy 1.x and 2.4): equal to 12 significant
    # digits, bit-identical otherwise (integer tables, strings).
    for name in committed.manifest["tables"]:
        table = name.removesuffix(".npy")
        new_values, old_values = built.load(table), committed.load(table)
        assert new_values.dtype == old_values.dtype and new_values.shape == old_values.shape, name
        if np.issubdtype(old_values.dtype, np.floating):
            np.testing.assert_allclose(new_values, old_values, rtol=1e-12, atol=0, err_msg=name)
        else:
            np.testing.assert_array_equal(new_values, old_values, err_msg=name)


def test_free_metrics_are_the_network_costs():
    bench = benchmarks.load("nb201-imagenet16-120")
    assert bench.free_metrics == ("params", "flops", "latency")
    assert {bench.metrics[m].unit for m in bench.free_metrics} == {"M", "MFLOPs", "s"}
    assert not bench.metrics["valid_acc"].free and not bench.metrics["train_time"].free
    assert benchmarks.load("tnb101-micro-jigsaw").free_metrics == ()  # single-objective only


def test_build_stops_when_a_latency_disagrees_with_an_official_record(shared_data):
    from benchmarks.build import nb201 as build

    store = TableStore(DATA_ROOT / "nb201")
    tables = {name[: -len(".npy")]: np.array(store.load(name[: -len(".npy")]))
              for name in store.manifest["tables"]}
    meta_path = shared_data / "nb201" / "official_format" / "meta.pickle.pbz2"
    with bz2.open(meta_path) as f:
        strings = list(pickle.load(f)["meta_archs"])
    build.check_against_official(shared_data / "nb201", tables, strings, [])  # as committed
    tables["cifar100.latency"][284] += 1e-6
    with pytest.raises(SystemExit, match="row 284 cifar100.latency"):
        build.check_against_official(shared_data / "nb201", tables, strings, [])
