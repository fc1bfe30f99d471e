"""Tables built from the official NATS-Bench archive (issue 19), on a mini archive made of the
three official records in ../shared: every value written for them is checked against the raw
record, read here with bz2 + pickle (not the official reader the builder uses)."""

from __future__ import annotations

import bz2
import hashlib
import json
import pickle
import shutil

import numpy as np
import pytest

pytest.importorskip("nats_bench")

import benchmarks  # noqa: E402
from benchmarks.build import nb201 as build  # noqa: E402
from benchmarks.build.nb201_archive import ARCHIVE_NAME, CURVE_METRICS, RUNS  # noqa: E402
from benchmarks.nb201 import NB201Benchmark, PartialBuildError  # noqa: E402
from benchmarks.store import TableStore  # noqa: E402

RECORDS = (0, 11, 284)
DATASETS = ("cifar10", "cifar100", "imagenet16-120")
# the largest rounding error of the dtype for values below 128 (accuracies in %, losses)
DTYPE_BOUND = {"float32": 128 * 2.0**-25, "float16": 128 * 2.0**-12}


@pytest.fixture(scope="module")
def archive(tmp_path_factory, request):
    shared = request.getfixturevalue("shared_data")
    folder = tmp_path_factory.mktemp("archive") / ARCHIVE_NAME
    folder.mkdir()
    official = shared / "nb201" / "official_format"
    for path in official.glob("*.pickle.pbz2"):
        shutil.copy(path, folder / path.name)
    return folder


def _raw(archive, row: int) -> dict:
    with bz2.open(archive / f"{row:06d}.pickle.pbz2", "rb") as handle:
        return pickle.load(handle)  # noqa: S301 - the official test records


@pytest.fixture(scope="module", params=["float32", "float16"])
def built(archive, tmp_path_factory, request):
    out = tmp_path_factory.mktemp(f"tables-{request.param}")
    argv = ["--official-archive", str(archive), "--out", str(out),
            "--curve-dtype", request.param, "--allow-partial"]
    assert build.main(argv) == 0
    return out, request.param


def test_a_partial_archive_needs_the_explicit_flag(archive, tmp_path, capsys):
    assert build.main(["--official-archive", str(archive), "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "holds 3 of 15625 records" in error and "--allow-partial" in error
    assert not (tmp_path / "MANIFEST.json").exists()


def test_the_manifest_records_the_archive_and_marks_the_build(archive, built):
    out, dtype = built
    manifest = json.loads((out / "MANIFEST.json").read_text())
    entry = manifest["build"]
    assert entry["from"] == "official-archive" and entry["partial"] is True
    assert entry["records"] == 3 and entry["rows"] == list(RECORDS)
    assert entry["curve_dtype"] == dtype
    files = sorted(p.name for p in archive.glob("0*.pickle.pbz2"))
    expected = hashlib.sha256("".join(
        f"{name}:{hashlib.sha256((archive / name).read_bytes()).hexdigest()};"
        for name in files).encode()).hexdigest()
    assert entry["archive"]["sha256"] == expected
    assert manifest["sources"]["official-archive"] == expected
    assert "Partial build" in (out / "PROVENANCE.md").read_text()


def test_scalar_tables_equal_the_records(archive, built):
    """The tables the shipped build has, plus per-seed hp12 values: exact (float64)."""
    out, _ = built
    store = TableStore(out)
    for row in RECORDS:
        record = _raw(archive, row)
        for ds in DATASETS:
            for name, expected in build.official_values(record, ds).items():
                got = store.load(f"{ds}.{name}")[row]
                if name.endswith("seeds"):
                    got = np.sort(got[~np.isnan(got)])
                np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9, err_msg=name)
            valid_ds, valid_split = RUNS[ds][0]
            hp12 = [r["eval_acc1es"][f"{valid_split}@11"] for (n, _), r in  # in seed order
                    sorted(record["12"]["all_results"].items()) if n == valid_ds]
            got = store.load(f"{ds}.valid_acc.hp12.seeds")[row]
            assert got[: len(hp12)].tolist() == hp12 and np.isnan(got[len(hp12):]).all()
    absent = np.setdiff1d(np.arange(15625), RECORDS)
    assert np.isnan(store.load("cifar10.valid_acc.hp12.seeds")[absent]).all()
    assert np.isnan(store.load("cifar100.test_acc.hp200")[absent]).all()


def test_every_curve_value_equals_the_record_within_the_stated_bound(archive, built):
    out, dtype = built
    store = TableStore(out)
    errors = json.loads((out / "MANIFEST.json").read_text())["build"]["curve_max_abs_error"]
    for ds in DATASETS:
        (valid_ds, valid_split), (test_ds, test_split) = RUNS[ds]
        for hp, epochs in (("hp12", 12), ("hp200", 200)):
            tables = {m: store.load(f"{ds}.curves.{hp}.{m}", mmap=True) for m in CURVE_METRICS}
            assert all(t.dtype == np.dtype(dtype) for t in tables.values())
            worst = dict.fromkeys(CURVE_METRICS, 0.0)
            for row in RECORDS:
                record = _raw(archive, row)[hp[2:]]["all_results"]
                for run, dataset, split in (("valid", valid_ds, valid_split),
                                            ("test", test_ds, test_split)):
                    runs = sorted((seed, r) for (n, seed), r in record.items() if n == dataset)
                    ids = store.load(f"{ds}.curves.{hp}.seed_ids.{run}")[row]
                    assert ids.tolist() == [s for s, _ in runs] + [-1] * (3 - len(runs))
                    for slot, (_, r) in enumerate(runs):
                        expected = {
                            f"{run}_acc": [r["eval_acc1es"].get(f"{split}@{e}", np.nan)
                                           for e in range(epochs)],
                            f"{run}_loss": [r["eval_losses"].get(f"{split}@{e}", np.nan)
                                            for e in range(epochs)]}
                        if run == "valid":
                            expected["train_acc"] = [r["train_acc1es"][e] for e in range(epochs)]
                            expected["train_loss"] = [r["train_losses"][e] for e in range(epochs)]
                        for metric, values in expected.items():
                            got = tables[metric][row, slot].astype(np.float64)
                            values = np.array(values)
                            assert np.array_equal(np.isnan(got), np.isnan(values)), metric
                            diff = np.abs(got - values)[~np.isnan(values)]
                            worst[metric] = max(worst[metric], float(diff.max()))
                    for metric in (f"{run}_acc", f"{run}_loss"):
                        assert np.isnan(tables[metric][row, len(runs):]).all()
            for metric, error in worst.items():
                stated = errors[f"{ds}.curves.{hp}.{metric}"]
                assert error == pytest.approx(stated, rel=1e-12, abs=1e-15), (ds, hp, metric)
                assert stated <= DTYPE_BOUND[dtype]


def test_a_loader_refuses_a_partial_build_for_search(built):
    out, _ = built
    with pytest.raises(PartialBuildError, match="partial archive \\(3 of 15625 archs"):
        benchmarks.load("nb201-cifar10", tables=str(out))
    from harness import run

    with pytest.raises(SystemExit) as stop:
        run.main(["--optimizer", "rs", "--bench", "nb201-cifar10", "--seeds", "1",
                  "--budget", "5", "--nb201-tables", str(out), "--out", str(out / "results")])
    assert stop.value.code == 2


def test_the_benchmark_serves_curves_and_hp12_seeds_of_the_archive(archive, built):
    out, dtype = built
    bench = NB201Benchmark("nb201-cifar10", out, allow_partial=True)
    capabilities = bench.capabilities()
    assert capabilities["tables"] == "official-archive"
    assert capabilities["per_seed"] == {"valid_acc": ["hp200", "hp12"]}
    assert capabilities["curves"]["hp12"] == list(CURVE_METRICS)
    assert NB201Benchmark("nb201-cifar100", out, allow_partial=True).curve_metrics("hp200") == (
        "train_acc", "train_loss")  # x-valid and x-test: last epoch only at hp200
    arch = bench.space.from_index(11)
    runs = {seed: r for (n, seed), r in _raw(archive, 11)["12"]["all_results"].items()
            if n == "cifar10-valid"}
    curve = bench.learning_curves(arch[None], "valid_acc", "hp12")[0]
    expected = np.mean([[r["eval_acc1es"][f"x-valid@{e}"] for e in range(12)]
                        for r in runs.values()], axis=0)
    np.testing.assert_allclose(curve, expected, rtol=0, atol=DTYPE_BOUND[dtype])
    finals = {r["eval_acc1es"]["x-valid@11"] for r in runs.values()}
    rng = np.random.default_rng(0)
    drawn = {bench.query(arch, "valid_acc", "hp12", rng=rng) for _ in range(40)}
    assert drawn == finals  # one seed per query, every seed drawn
    with pytest.raises(ValueError, match="no per-epoch 'valid_acc' curve at hp200; accepted: "
                                         "train_acc, train_loss"):
        NB201Benchmark("nb201-cifar100", out, allow_partial=True).learning_curves(
            arch[None], "valid_acc", "hp200")


def test_shipped_tables_state_what_they_lack():
    bench = benchmarks.load("nb201-cifar100")
    assert bench.capabilities()["per_seed"] == {"valid_acc": ["hp200"]}
    assert bench.capabilities()["curves"] == {"hp200": [], "hp12": []}
    with pytest.raises(ValueError, match="official archive"):
        bench.learning_curves(bench.space.from_index(0)[None], "valid_acc")
    assert benchmarks.load("nb201-cifar10").capabilities()["curve_archs"] == 200


def test_the_oracle_serves_one_hp12_seed_from_archive_tables(archive, built):
    """What the nb201-paper protocol gets (noise seed, hp12): one seed per query, counted."""
    from harness.oracle import Budget, Oracle
    from harness.search import served_value

    out, _ = built
    bench = NB201Benchmark("nb201-cifar10", out, allow_partial=True)
    oracle = Oracle(bench, Budget(queries=30), np.random.default_rng(0), fidelity="hp12")
    assert served_value(bench, oracle) == "seed"
    arch = bench.space.from_index(284)
    finals = {r["eval_acc1es"]["x-valid@11"] for (n, _), r in
              _raw(archive, 284)["12"]["all_results"].items() if n == "cifar10-valid"}
    observed = [oracle.evaluate(arch) for _ in range(30)]
    assert all(o.noisy for o in observed) and {o.value for o in observed} == finals
    shipped = benchmarks.load("nb201-cifar10")
    assert served_value(shipped, Oracle(shipped, Budget(queries=1), np.random.default_rng(0),
                                        fidelity="hp12")) == "mean"


def test_curve_predictors_are_refused_with_the_reason_on_shipped_tables():
    pytest.importorskip("scipy")
    from predictors.evaluate import unmet_needs

    (reason,) = unmet_needs(benchmarks.load("nb201-cifar100"), frozenset({"curve"}))
    assert "shipped tables" in reason and "--nb201-tables" in reason


def test_nb201_tables_flag_needs_an_nb201_benchmark(tmp_path, capsys):
    from harness import run

    with pytest.raises(SystemExit) as stop:
        run.main(["--optimizer", "rs", "--bench", "tnb101-micro-jigsaw", "--nb201-tables",
                  str(tmp_path)])
    assert stop.value.code == 2
    assert "--nb201-tables applies to nb201-cifar10" in capsys.readouterr().err
