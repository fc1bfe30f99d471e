"""nb301-cifar10: the YAHPO surrogate behind the common query API, and searches through it."""

from __future__ import annotations

import ast
import json
import math
import shutil

import numpy as np
import pyarrow as pa
import pytest

import benchmarks
import benchmarks.nb301 as nb301
import optimizers
from benchmarks.store import DataIntegrityError, TableStore
from harness import run as run_cli
from harness.oracle import Budget, Oracle
from harness.search import Job, run

DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)
NAME = "nb301-cifar10"


@pytest.fixture(scope="module")
def bench():
    return benchmarks.load(NAME)


@pytest.fixture(scope="module")
def naslib_725(shared_data, bench):
    data = json.loads((shared_data / "nb301" / "naslib_zc_nasbench301_725.json").read_text())
    entries = data["cifar10"]
    archs = np.stack([bench.space.from_compact(ast.literal_eval(k)) for k in entries])
    return archs, np.array([e["val_accuracy"] for e in entries.values()])


def test_registered_surrogate_without_test_metric(bench) -> None:
    assert NAME in benchmarks.names()
    assert bench.kind == "surrogate" and bench.space.name == "darts"
    assert bench.report_metric is None and bench.objective == "valid_acc"
    assert set(bench.metrics) == {"valid_acc", "train_time", "params", "flops"}
    assert bench.validation_metrics == ("valid_acc", "train_time", "params", "flops")
    assert bench.free_metrics == ("params", "flops")
    assert bench.optimum("valid_acc") is None
    assert bench.checksum == TableStore(nb301.FOLDER).checksum and len(bench.checksum) == 64
    with pytest.raises(ValueError,
                       match="unknown metric 'test_acc'.*valid_acc, train_time, params, flops"):
        bench.query(bench.space.sample(np.random.default_rng(0)), "test_acc")


def test_darts_v2_at_the_last_epoch(bench) -> None:
    arch = bench.space.from_string(DARTS_V2)
    value = bench.query(arch, "valid_acc")
    assert isinstance(value, float)
    assert value == pytest.approx(95.46, abs=0.05)
    assert bench.query(arch, "valid_acc", "epoch98") == value
    assert bench.query(arch, "valid_acc", 98) == value
    assert bench.query(arch[None], "valid_acc")[0] == value
    assert bench.query(arch, "valid_acc", "epoch1") < bench.query(arch, "valid_acc", "epoch50")


def test_spearman_with_naslib_trained_archs(bench, naslib_725) -> None:
    from scipy.stats import spearmanr

    archs, accuracy = naslib_725
    ours = bench.query(archs, "valid_acc")
    assert ours.shape == (725,) and ours.dtype == np.float64
    assert spearmanr(ours, accuracy).statistic >= 0.88
    assert np.abs(ours - accuracy).mean() < 1.5  # 1.30 % measured


def test_batches_and_single_archs_agree_exactly(bench, naslib_725) -> None:
    archs, _ = naslib_725
    for fidelity in ("epoch98", "epoch7"):
        batch = bench.query(archs, "valid_acc", fidelity)
        singles = [bench.query(a, "valid_acc", fidelity) for a in archs[:40]]
        assert np.array_equal(batch[:40], singles)
        assert np.array_equal(bench.query(archs[::-1], "valid_acc", fidelity), batch[::-1])
    as_tuple = tuple(archs[0].tolist())
    assert bench.query(as_tuple, "valid_acc") == bench.query(archs[0], "valid_acc")


def test_deterministic_rng_ignored(bench) -> None:
    archs = bench.space.sample(np.random.default_rng(3), 20)
    plain = bench.query(archs, "valid_acc")
    assert np.array_equal(bench.query(archs, "valid_acc", rng=np.random.default_rng(0)), plain)


def test_cost_is_the_surrogate_runtime_at_the_fidelity(bench) -> None:
    archs = bench.space.sample(np.random.default_rng(4), 200)
    for fidelity in ("epoch1", "epoch40", "epoch98"):
        cost = bench.cost(archs, fidelity)
        assert np.array_equal(cost, bench.query(archs, "train_time", fidelity))
        assert (cost > 0).all()
    assert (bench.cost(archs, "epoch98") > bench.cost(archs, "epoch1")).all()
    # DARTS-space nets train for ~1-2 h on CIFAR-10 in NB301: 40-80 s per epoch
    assert 30 < np.median(bench.cost(archs)) / 98 < 100
    assert isinstance(bench.cost(archs[0]), float)


@pytest.mark.parametrize("bad", ["epoch99", "epoch0", "98", "hp200", 0, 99, True, 98.0])
def test_bad_fidelity_names_the_accepted_range(bench, bad) -> None:
    with pytest.raises(ValueError, match=r"unknown fidelity .*accepted: epoch1 \.\. epoch98"):
        bench.query(bench.space.sample(np.random.default_rng(0)), "valid_acc", bad)


def test_fidelity_forms(bench) -> None:
    assert bench.check_fidelity(None) == "epoch98" == bench.default_fidelity
    assert bench.check_fidelity(12) == bench.check_fidelity(np.int64(12)) == "epoch12"
    assert bench.fidelities[0] == "epoch1" and len(bench.fidelities) == 98


def test_bad_archs_are_refused(bench) -> None:
    arch = bench.space.from_string(DARTS_V2)
    bad = arch.copy()
    bad[1] = 7
    with pytest.raises(ValueError, match="value 7 at position 1"):
        bench.query(bad, "valid_acc")
    with pytest.raises(ValueError, match="value 7 at position 1"):
        bench.query(np.stack([arch, bad]), "valid_acc")
    with pytest.raises(ValueError, match=r"shape \(32,\)"):
        bench.query(arch[:6], "valid_acc")


def test_oracle_charges_the_runtime_at_its_fidelity(bench) -> None:
    oracle = Oracle(bench, Budget(queries=5), rng=np.random.default_rng(0), fidelity=30)
    assert oracle.fidelity == "epoch30"
    arch = bench.space.from_string(DARTS_V2)
    observation = oracle.evaluate(arch)
    assert observation.value == bench.query(arch, "valid_acc", "epoch30")
    assert observation.cost == bench.cost(arch, "epoch30") and not observation.noisy


def test_a_changed_model_file_is_refused(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "nb301"
    shutil.copytree(nb301.FOLDER, folder)
    raw = bytearray((folder / nb301.MODEL_FILE).read_bytes())
    raw[-100] ^= 1
    (folder / nb301.MODEL_FILE).write_bytes(bytes(raw))
    monkeypatch.setattr(nb301, "FOLDER", folder)
    with pytest.raises(DataIntegrityError, match="checksum mismatch.*surrogate.onnx"):
        nb301.NB301Benchmark()


def test_build_reproduces_the_committed_files(shared_data, tmp_path) -> None:
    pytest.importorskip("onnx")
    from benchmarks.build import nb301 as build

    assert build.main(["--source", str(shared_data / "nb301"), "--out", str(tmp_path)]) == 0
    built = json.loads((tmp_path / "MANIFEST.json").read_text())
    committed = json.loads((nb301.FOLDER / "MANIFEST.json").read_text())
    assert built == committed


OPTIMIZERS = [name for name in ("rs", "re", "ls", "bananas") if name in optimizers.names()]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_optimizers_search_nb301_unchanged(optimizer: str) -> None:
    table, manifest = run(Job(NAME, optimizer, seed=1, budget=Budget(queries=30)))
    assert table.num_rows == 30
    assert len(set(table["arch"].to_pylist())) >= 25
    for column in ("incumbent_test", "incumbent_regret"):
        assert all(math.isnan(v) for v in table[column].to_pylist())
        assert manifest["final"][column] is None
    valid = np.array(table["incumbent_valid"].to_pylist())
    assert np.array_equal(valid, np.array(table["best_observed"].to_pylist()))
    assert 80 < valid[-1] < 96
    assert manifest["data"]["benchmark_kind"] == "surrogate"
    again, _ = run(Job(NAME, optimizer, seed=1, budget=Budget(queries=30)))
    nan_columns = ["incumbent_test", "incumbent_regret"]  # NaN != NaN for Table.equals
    assert again.drop_columns(nan_columns).equals(table.drop_columns(nan_columns))


def test_seconds_budget_on_the_surrogate_runtime() -> None:
    job = Job(NAME, "re", seed=0, budget=Budget(seconds=50_000), fidelity="epoch10")
    table, manifest = run(job)
    assert manifest["spent"]["seconds"] <= 50_000
    assert set(table["fidelity"].to_pylist()) == {"epoch10"}
    assert isinstance(table, pa.Table) and 50 < table.num_rows < 200


def test_cli_runs_nb301_and_prints_a_summary(tmp_path, capsys) -> None:
    args = ["--optimizer", "re,ls", "--bench", NAME, "--seeds", "2", "--budget", "30",
            "--out", str(tmp_path / "x"), "--no-progress"]
    assert run_cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "4 run(s) executed" in printed
    assert NAME in printed
