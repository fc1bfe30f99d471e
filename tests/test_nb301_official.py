"""The official NB301 ensembles: the 56-dim encoding, the member files, and runs through them.

The official model files are not reachable here. The encoding is checked against the vector
ConfigSpace 0.6.1 gives DARTS_V2 (../shared); the loader against members pickled by xgboost
1.2.1 and lightgbm 2.3.1 as nasbench301 did (tests/data/nb301_official, see make_fixtures.py),
and against members these tests train and save themselves.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import pickle
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import benchmarks
from benchmarks import nb301_official as official
from benchmarks.nb301_legacy import LegacyFormatError, read_booster
from benchmarks.nb301_official import (
    NAMES,
    OfficialEnsemble,
    OfficialModelsError,
    encode_config,
    encode_official,
)
from benchmarks.spaces.darts import OPS, DartsSpace
from harness import run as run_cli
from harness.oracle import Budget
from harness.results import ResultsStore
from harness.search import Job, run

SPACE = DartsSpace()
NAME = "nb301-cifar10"
FIXTURES = Path(__file__).parent / "data" / "nb301_official"
LEGACY = FIXTURES / "nb_models"
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)
EDGE = "NetworkSelectorDatasetInfo:darts:edge_{}_{}"
INPUTS = "NetworkSelectorDatasetInfo:darts:inputs_node_{}_{}"
FIRST_EDGE = (0, 2, 5, 9)  # edge ids of node k start here, one per possible input


@pytest.fixture(scope="module")
def reference(shared_data) -> dict:
    path = shared_data / "nb301" / "official_format" / "darts_v2_feature_vector_56d.json"
    return json.loads(path.read_text())


def _expected() -> dict:
    return json.loads((FIXTURES / "expected.json").read_text())


# --- the encoding ---------------------------------------------------------------------------
def test_darts_v2_vector_equals_configspace_exactly(reference) -> None:
    assert list(NAMES) == reference["names"]
    ref = np.array(reference["x"])
    arch = SPACE.from_string(DARTS_V2)
    x = encode_official(SPACE, arch)
    assert x.shape == (56,) and x.dtype == np.float64
    assert np.array_equal(x, ref)  # bit for bit, -1 where inactive (as the models see it)
    raw = encode_official(SPACE, arch, impute=False)  # get_array(): NaN where inactive
    assert np.array_equal(np.isnan(raw), ref == -1) and (ref == -1).sum() == 12
    assert np.array_equal(np.nan_to_num(raw, nan=-1.0), ref)
    assert np.array_equal(encode_official(SPACE, arch[None])[0], ref)


def test_formulas_reproduce_configspace_for_every_fixed_hyperparameter(reference) -> None:
    """The scaling rules themselves (ints widened by 0.49999, logs, normals unscaled)."""
    ref = dict(zip(reference["names"], reference["x"], strict=True))
    for name, value in official.FIXED_HYPERPARAMETERS.items():
        assert official.vector_value(name, value) == pytest.approx(ref[name], abs=2e-15), name


def test_yahpo_config_space_is_the_architecture_part_of_nb301(shared_data) -> None:
    """YAHPO's config space has the same architecture hyperparameters, choices (in order) and
    conditions; it lacks the 22 fixed training hyperparameters and adds the epoch."""
    path = shared_data / "nb301" / "yahpo_surrogate" / "config_space_main.json"
    space = json.loads(path.read_text())
    hps = {h["name"].replace("_COLON_", ":"): h for h in space["hyperparameters"]}
    assert set(hps) - set(NAMES) == {"epoch"}
    assert set(NAMES) - set(hps) == set(official.FIXED_HYPERPARAMETERS)
    for name, hp in hps.items():
        if name != "epoch":
            assert tuple(hp["choices"]) == official.KINDS[name][1], name
    conditions = {c["child"].replace("_COLON_", ":"): c for c in space["conditions"]}
    assert len(conditions) == 24
    for cell, k in itertools.product(("normal", "reduce"), (1, 2, 3)):
        pairs = [f"{a}_{b}" for a, b in itertools.combinations(range(k + 2), 2)]
        for i in range(k + 2):
            condition = conditions[EDGE.format(cell, FIRST_EDGE[k] + i)]
            assert condition["parent"].replace("_COLON_", ":") == INPUTS.format(cell, k + 2)
            assert condition["values"] == [p for p in pairs if str(i) in p.split("_")]


def test_random_archs_have_the_conditional_pattern() -> None:
    archs = SPACE.sample(np.random.default_rng(7), 500)
    X = encode_official(SPACE, archs)
    raw = encode_official(SPACE, archs, impute=False)
    assert X.shape == (500, 56)
    assert np.array_equal(np.isnan(raw), X == -1)
    fixed = [NAMES.index(n) for n in official.FIXED_HYPERPARAMETERS]
    assert (X[:, fixed] == X[0, fixed]).all()
    for row, arch in zip(X, archs, strict=True):
        pairs = arch.reshape(2, 4, 2, 2)
        for c, cell in enumerate(("normal", "reduce")):
            expected = {}
            for k in range(4):
                inputs = sorted(pairs[c, k, :, 0].tolist())
                for src, op in pairs[c, k].tolist():
                    expected[FIRST_EDGE[k] + src] = op
                if k:
                    choices = official.KINDS[INPUTS.format(cell, k + 2)][1]
                    assert row[NAMES.index(INPUTS.format(cell, k + 2))] == choices.index(
                        f"{inputs[0]}_{inputs[1]}")
            edges = {e: row[NAMES.index(EDGE.format(cell, e))] for e in range(14)}
            assert {e: v for e, v in edges.items() if v != -1} == expected
    assert all(np.array_equal(encode_official(SPACE, a), x) for a, x in zip(archs[:20], X[:20],
                                                                           strict=True))


def test_a_result_file_config_encodes(shared_data) -> None:
    """The official training-data format (any hyperparameters, "True"/"False" strings)."""
    result = json.loads((shared_data / "nb301" / "official_format" / "results_0.json").read_text())
    config = result["optimized_hyperparamater_config"]
    x = encode_config(config)
    assert (x != -1).sum() == len(config) == 44  # 22 fixed-kind + 22 architecture values
    edges = x[[NAMES.index(EDGE.format(c, e)) for c in ("normal", "reduce") for e in range(14)]]
    assert (edges != -1).sum() == 16 and set(edges[edges != -1]) <= set(range(7))
    layers = NAMES.index("NetworkSelectorDatasetInfo:darts:layers")
    assert x[layers] == pytest.approx((20 - 0.50001) / (10000.49999 - 0.50001))
    assert result["info"][0]["val_accuracy"] == 97.68  # targets are in %, runtime in s
    with pytest.raises(ValueError, match="bad value 'conv_9x9' .* accepted: 'max_pool_3x3'"):
        encode_config({**config, EDGE.format("normal", 0): "conv_9x9"})
    with pytest.raises(ValueError, match="unknown NB301 hyperparameter 'lr'"):
        encode_config({"lr": 0.1})


# --- the official files, as the 2020 libraries wrote them -----------------------------------
def test_legacy_xgboost_pickles_predict_as_xgboost_1_2_did() -> None:
    """xgboost >= 3.1 cannot read these; the numpy evaluator matches 1.2.1 to the last bit."""
    expected = _expected()
    archs = np.array(expected["archs"])
    ensemble = OfficialEnsemble.load(LEGACY / "xgb_v1.0")
    assert ensemble.model == "xgb" and ensemble.target == "valid_acc"
    assert len(ensemble.members) == 2
    members = ensemble.predict_members(encode_official(SPACE, archs))
    reference = np.array(expected["members"]["xgb_v1.0"], dtype=np.float32).T
    assert members.dtype == np.float32 and np.array_equal(members, reference)
    mean, std = ensemble.predict(archs)
    assert np.array_equal(mean, reference.mean(axis=1).astype(np.float64))
    assert np.array_equal(std, reference.std(axis=1).astype(np.float64))


def test_legacy_lightgbm_pickles_predict_as_lightgbm_2_3_did() -> None:
    pytest.importorskip("lightgbm")
    expected = _expected()
    ensemble = OfficialEnsemble.load(LEGACY / "lgb_runtime_v1.0")
    assert ensemble.model == "lgb_time" and ensemble.target == "runtime"
    members = ensemble.predict_members(encode_official(SPACE, np.array(expected["archs"])))
    assert np.array_equal(members, np.array(expected["members"]["lgb_runtime_v1.0"]).T)


def test_pickles_are_read_without_running_them(tmp_path) -> None:
    marker = tmp_path / "ran"
    evil = (b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR.")
    with pytest.raises(LegacyFormatError, match="does not hold a pickled booster"):
        read_booster(evil, "evil.model")
    assert not marker.exists()
    with pytest.raises(LegacyFormatError, match="not a readable pickle"):
        read_booster(b"not a pickle", "junk.model")


def test_benchmark_on_the_accuracy_ensemble_alone() -> None:
    """No runtime ensemble: costs unknown (0), budgets in queries only; noise as the official
    with_noise=True: mean + N(0, members' std), drawn from the oracle's generator."""
    bench = benchmarks.load(NAME, official_models=str(LEGACY / "xgb_v1.0"))
    assert type(bench).__name__ == "NB301OfficialBenchmark" and bench.name == NAME
    assert bench.fidelities == ("epoch100",) and bench.default_fidelity == "epoch100"
    assert set(bench.metrics) == {"valid_acc"} and not bench.cost_known
    archs = np.array(_expected()["archs"])
    mean, std = bench.accuracy.predict(archs)
    assert np.array_equal(bench.query(archs, "valid_acc"), mean)
    assert bench.query(archs[3], "valid_acc") == mean[3]
    noisy = bench.query(archs, "valid_acc", rng=np.random.default_rng(5))
    assert np.array_equal(noisy, mean + std * np.random.default_rng(5).standard_normal(16))
    one = bench.query(archs[3], "valid_acc", rng=np.random.default_rng(5))
    assert one == mean[3] + std[3] * np.random.default_rng(5).standard_normal()
    assert bench.cost(archs[0]) == 0.0
    for bad in ("epoch98", 50, "hp200"):
        with pytest.raises(ValueError, match=r"only the final \(100-epoch\).*accepted: epoch100"):
            bench.query(archs[0], "valid_acc", bad)
    assert bench.query(archs[0], "valid_acc", 100) == bench.query(archs[0], "valid_acc")
    with pytest.raises(ValueError, match="no training times"):
        run(Job(NAME, "rs", seed=0, budget=Budget(seconds=1000),
                benchmark_options=(("official_models", str(LEGACY / "xgb_v1.0")),)))


def test_checksum_covers_every_file_read(tmp_path) -> None:
    bench = benchmarks.load(NAME, official_models=str(LEGACY / "xgb_v1.0"))
    files = {f"valid_acc/{p.relative_to(LEGACY / 'xgb_v1.0').as_posix()}":
             hashlib.sha256(p.read_bytes()).hexdigest()
             for p in (LEGACY / "xgb_v1.0").rglob("*") if p.is_file()}
    assert bench.files == dict(sorted(files.items()))
    lines = "".join(f"{k}\t{v}\n" for k, v in sorted(files.items()))
    assert bench.checksum == hashlib.sha256(lines.encode()).hexdigest()
    copy = tmp_path / "xgb_v1.0"
    shutil.copytree(LEGACY / "xgb_v1.0", copy)
    assert official.NB301OfficialBenchmark(NAME, copy).checksum == bench.checksum
    (copy / "ensemble_member_1" / "data_config.json").write_text('{"seed": 7}')
    assert official.NB301OfficialBenchmark(NAME, copy).checksum != bench.checksum


def test_search_runs_on_the_official_layout() -> None:
    pytest.importorskip("lightgbm")  # the runtime ensemble's members
    options = (("official_models", str(LEGACY)),)
    job = Job(NAME, "re", seed=2, budget=Budget(seconds=150_000), benchmark_options=options)
    table, manifest = run(job)
    bench = benchmarks.load(NAME, official_models=str(LEGACY))
    assert bench.cost_known and set(bench.metrics) == {"valid_acc", "train_time"}
    assert manifest["data"]["checksum"] == bench.checksum
    assert manifest["job"]["benchmark_options"] == {"official_models": str(LEGACY)}
    assert manifest["oracle"]["fidelity"] == "epoch100"
    assert 0 < manifest["spent"]["seconds"] <= 150_000 and table.num_rows > 10
    archs = np.stack([SPACE.from_string(s) for s in table["arch"].to_pylist()])
    assert np.allclose(table["cost"].to_pylist(), bench.cost(archs))
    incumbents = np.stack([SPACE.from_string(s) for s in table["incumbent"].to_pylist()])
    assert np.array_equal(table["incumbent_valid"].to_pylist(), bench.query(incumbents,
                                                                            "valid_acc"))
    assert not np.array_equal(table["value"].to_pylist(), bench.query(archs, "valid_acc"))
    again, _ = run(job)
    assert again.drop_columns(["incumbent_test", "incumbent_regret"]).equals(
        table.drop_columns(["incumbent_test", "incumbent_regret"]))


# --- members trained here, saved in the official layout ------------------------------------
def _training_data(n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    archs = SPACE.sample(rng, n)
    X = encode_official(SPACE, archs)
    convs = (archs[:, 1::2] >= OPS.index("sep_conv_3x3")).sum(axis=1)
    y = 90 + 0.4 * convs + rng.normal(0, 0.3, n)
    return archs, X, y


def _layout(root: Path, model: str, boosters: list, save) -> Path:
    for i, booster in enumerate(boosters):
        member = root / f"ensemble_member_{i}"
        member.mkdir(parents=True)
        save(booster, member)
        (member / "model_config.json").write_text(json.dumps({"model": model}))
        (member / "data_config.json").write_text(json.dumps({"seed": i}))
    return root


def _pickled(booster, member: Path) -> None:
    with open(member / "surrogate_model.model", "wb") as handle:
        pickle.dump(booster, handle)  # what nasbench301's XGBModel.save / LGBModel.save do


def test_trained_xgboost_members_in_the_official_layout(tmp_path) -> None:
    xgb = pytest.importorskip("xgboost")
    archs, X, y = _training_data()
    boosters = [xgb.train({"max_depth": 3, "seed": s, "subsample": 0.8}, xgb.DMatrix(X, label=y),
                          num_boost_round=20) for s in range(3)]
    folders = {
        "pickle": _layout(tmp_path / "pickle" / "xgb_v1.0", "xgb", boosters, _pickled),
        "json": _layout(tmp_path / "json" / "xgb_v1.0", "xgb", boosters,
                        lambda b, m: b.save_model(m / "surrogate_model.json")),
    }
    test = SPACE.sample(np.random.default_rng(1), 50)
    Xt = encode_official(SPACE, test)
    truth = np.stack([b.predict(xgb.DMatrix(Xt)) for b in boosters], axis=1)
    for kind, folder in folders.items():
        ensemble = OfficialEnsemble.load(folder)
        assert np.array_equal(ensemble.predict_members(Xt), truth), kind
        mean, std = ensemble.predict(test)
        assert np.allclose(mean, truth.mean(axis=1)) and np.allclose(std, truth.std(axis=1))
    options = (("official_models", str(tmp_path / "pickle")),)
    table, manifest = run(Job(NAME, "rs", seed=0, budget=Budget(queries=15),
                              benchmark_options=options))
    assert table.num_rows == 15 and manifest["job"]["benchmark_options"] == dict(options)
    bench = benchmarks.load(NAME, official_models=str(tmp_path / "pickle"))
    assert manifest["data"]["checksum"] == bench.checksum
    assert set(table["fidelity"].to_pylist()) == {"epoch100"}


def test_trained_lightgbm_members_in_the_official_layout(tmp_path) -> None:
    lgb = pytest.importorskip("lightgbm")
    archs, X, y = _training_data()
    runtime = 3000 + 100 * y
    boosters = [lgb.train({"num_leaves": 6, "seed": s, "verbose": -1, "bagging_fraction": 0.8,
                           "bagging_freq": 1}, lgb.Dataset(X, label=runtime), num_boost_round=15)
                for s in range(2)]
    pickled = _layout(tmp_path / "a" / "lgb_runtime_v1.0", "lgb_time", boosters, _pickled)
    text = _layout(tmp_path / "b" / "lgb_runtime_v1.0", "lgb_time", boosters,
                   lambda b, m: b.save_model(str(m / "surrogate_model.txt")))
    Xt = encode_official(SPACE, SPACE.sample(np.random.default_rng(1), 30))
    truth = np.stack([b.predict(Xt) for b in boosters], axis=1)
    for folder in (pickled, text):
        ensemble = OfficialEnsemble.load(folder)
        assert ensemble.target == "runtime"
        assert np.array_equal(ensemble.predict_members(Xt), truth)
    both = tmp_path / "both"
    shutil.copytree(LEGACY / "xgb_v1.0", both / "xgb_v1.0")
    shutil.copytree(pickled, both / "lgb_runtime_v1.0")
    table, manifest = run(Job(NAME, "ls", seed=1, budget=Budget(seconds=200_000),
                              benchmark_options=(("official_models", str(both)),)))
    assert 0 < manifest["spent"]["seconds"] <= 200_000 and table.num_rows > 5


# --- wrong folders, wrong options --------------------------------------------------------------
def test_wrong_folders_name_what_is_expected(tmp_path) -> None:
    with pytest.raises(OfficialModelsError, match="does not exist.*surrogate_model.model"):
        OfficialEnsemble.load(tmp_path / "missing")
    with pytest.raises(OfficialModelsError, match="holds no NB301 ensemble member.*"
                       "surrogate_model.model or surrogate_model.json.*model_config.json"):
        OfficialEnsemble.load(tmp_path)
    folder = tmp_path / "xgb_v1.0"
    shutil.copytree(LEGACY / "xgb_v1.0", folder)
    for member in folder.iterdir():
        (member / "model_config.json").unlink()
    with pytest.raises(OfficialModelsError, match="has no model_config.json"):
        OfficialEnsemble.load(folder)
    (folder / "model_config.json").write_text('{"model": "gnn_gin"}')
    with pytest.raises(OfficialModelsError, match="'gnn_gin' is not supported; accepted: xgb"):
        OfficialEnsemble.load(folder)
    (folder / "model_config.json").write_text('{"model": "lgb"}')
    with pytest.raises(OfficialModelsError, match="holds a xgboost booster but .* 'lgb'"):
        OfficialEnsemble.load(folder)
    (folder / "model_config.json").write_text('{"model": "xgb_time"}')
    with pytest.raises(OfficialModelsError, match="is a runtime ensemble"):
        official.NB301OfficialBenchmark(NAME, folder)


def test_options_are_refused_where_they_do_not_apply(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown option.*official_models.*nb201-cifar10; "
                       "accepted: tables"):
        benchmarks.load("nb201-cifar10", official_models=str(LEGACY))
    with pytest.raises(ValueError, match="unknown option.*models_dir.*accepted: official_models"):
        benchmarks.load(NAME, models_dir=str(LEGACY))


# --- the CLI -----------------------------------------------------------------------------------
def test_cli_flag_is_recorded_and_passed_to_the_jobs(tmp_path, capsys) -> None:
    models = LEGACY / "xgb_v1.0"
    out = tmp_path / "exp"
    args = ["--optimizer", "rs,re", "--bench", NAME, "--nb301-models", str(models),
            "--seeds", "2", "--budget", "12", "--out", str(out), "--no-progress", "-j", "2"]
    assert run_cli.main(args) == 0
    assert "4 run(s) executed" in capsys.readouterr().out
    bench = benchmarks.load(NAME, official_models=str(models))
    config = json.loads((out / "experiment.json").read_text())["config"]
    assert config["nb301_models"] == {"official_models": str(models), "sha256": bench.checksum}
    _, manifest = ResultsStore(out).read(f"{NAME}/re/seed-0001")
    assert manifest["data"]["checksum"] == bench.checksum
    assert manifest["job"]["benchmark_options"] == {"official_models": str(models)}
    assert run_cli.main(args) == 0
    assert "0 run(s) executed, 4 already done" in capsys.readouterr().out
    without = [a for a in args if a not in ("--nb301-models", str(models))]
    with pytest.raises(SystemExit):  # the same folder with the YAHPO surrogate is refused
        run_cli.main(without)
    assert "another configuration" in capsys.readouterr().err
    parsed = run_cli.build_parser().parse_args(args[:8] + ["--budget", "12"])
    _, config = run_cli.make_jobs(parsed)
    assert run_cli.default_out(config).name == (
        f"rs+re_{NAME}_12q_nb301official-{bench.checksum[:8]}")


@pytest.mark.parametrize("extra, message", [
    (["--bench", "nb201-cifar10"], "--nb301-models applies to nb301-cifar10"),
    (["--bench", NAME, "--fidelity", "epoch98"], "accepted: epoch100"),
    (["--bench", NAME, "--budget", "5000s"], "no training times"),
    (["--bench", NAME, "--nb301-models", "/no/such/folder"], "does not exist"),
])
def test_cli_refuses_bad_official_settings(tmp_path, capsys, extra, message) -> None:
    args = ["--optimizer", "rs", "--nb301-models", str(LEGACY / "xgb_v1.0"), "--seeds", "1",
            "--out", str(tmp_path / "x"), "--no-progress", *extra]
    with pytest.raises(SystemExit) as exit_info:
        run_cli.main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_libraries_are_named_with_the_install_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)
    monkeypatch.setitem(sys.modules, "xgboost", None)
    with pytest.raises(OfficialModelsError, match="pip install lightgbm"):
        official.NB301OfficialBenchmark(NAME, LEGACY)
    member = tmp_path / "xgb_v1.0" / "ensemble_member_0"
    member.mkdir(parents=True)
    (member / "surrogate_model.json").write_text("{}")
    (member / "model_config.json").write_text('{"model": "xgb"}')
    with pytest.raises(OfficialModelsError, match="pip install xgboost"):
        OfficialEnsemble.load(member.parent)


def test_unreadable_members_name_the_file(tmp_path) -> None:
    member = tmp_path / "xgb_v1.0" / "ensemble_member_0"
    member.mkdir(parents=True)
    (member / "model_config.json").write_text('{"model": "xgb"}')
    pickled = pickle.dumps({"handle": b"garbage"})  # a pickle, but not of a booster
    (member / "surrogate_model.model").write_bytes(pickled)
    with pytest.raises(LegacyFormatError, match="surrogate_model.model does not hold a pickled"):
        OfficialEnsemble.load(member.parent)
    (member / "surrogate_model.model").unlink()
    (member / "surrogate_model.json").write_text('{"not": "a model"}')
    pytest.importorskip("xgboost")
    with pytest.raises(OfficialModelsError, match="surrogate_model.json: cannot load this member"):
        OfficialEnsemble.load(member.parent)


def test_bare_binary_models_of_xgboost_0_9x_parse_the_same() -> None:
    """Before 1.0, a pickled Booster held the binary model alone (no CONFIG-offset, no binf)."""
    from benchmarks.nb301_legacy import BINARY_MAGIC, SERIALISATION_HEADER, LegacyTrees

    path = LEGACY / "xgb_v1.0" / "ensemble_member_0" / "surrogate_model.model"
    handle = read_booster(path.read_bytes(), str(path)).handle
    assert handle.startswith(SERIALISATION_HEADER)
    length = int.from_bytes(handle[14:22], "little")
    binary = handle[22 : 22 + length]
    assert binary.startswith(BINARY_MAGIC)
    X = encode_official(SPACE, SPACE.sample(np.random.default_rng(3), 40))
    full = LegacyTrees(handle, "full").predict(X)
    assert np.array_equal(LegacyTrees(binary[4:], "bare").predict(X), full)
    assert np.array_equal(LegacyTrees(binary, "binf").predict(X), full)
    with pytest.raises(LegacyFormatError, match="not an xgboost 1.x binary gbtree model"):
        LegacyTrees(binary[: len(binary) // 2], "truncated")
