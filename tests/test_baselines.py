"""Stored baselines (harness.baselines, scripts/make_baselines.py) and ranking a results folder
against a baseline (python -m harness.report --baseline)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from harness import baselines, search
from harness import run as run_cli
from harness.oracle import Budget
from harness.report import __main__ as report_cli
from harness.results import ResultsStore
from predictors import evaluate

PY = sys.executable
TASKS = "nb201-cifar10,tnb101-micro-jigsaw"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """'mine' (re) and a baseline folder (rs, ls) on two tasks, 3 seeds x 20 queries."""
    root = tmp_path_factory.mktemp("b")
    for name, opts in (("mine", "re"), ("base", "rs,ls")):
        assert run_cli.main(["--optimizer", opts, "--bench", TASKS, "--seeds", "3", "--budget",
                             "20", "--out", str(root / name), "--no-progress"]) == 0
    return root


def test_report_ranks_among_a_baseline_and_marks_the_stored_runs(folders, tmp_path):
    assert report_cli.main([str(folders / "mine"), "--baseline", str(folders / "base"),
                            "--out", str(tmp_path)]) == 0
    text = (tmp_path / "report.md").read_text()
    assert "| task | space | re | ls (stored) | rs (stored) |" in text
    assert "are read from the baseline" in text
    # the stored rs column holds the baseline's own numbers: mean final regret per task,
    # computed here from the baseline's run files
    store = ResultsStore(folders / "base")
    for task in TASKS.split(","):
        regrets = [store.read(f"{task}/rs/seed-{s:04d}")[1]["final"]["incumbent_regret"]
                   for s in range(3)]
        line = next(line for line in text.splitlines()
                    if line.startswith(f"| {task} | rs (stored) |"))
        assert f"{np.mean(regrets):.2f} ± {np.std(regrets, ddof=1):.2f}" in line


@pytest.mark.parametrize("argv, message", [
    (["--budget", "25"], "nb201-cifar10: budget 25 queries here, 20 queries in the baseline"),
    (["--noise", "mean"], "nb201-cifar10: noise mean here, seed in the baseline"),
    (["--fidelity", "hp12", "--bench", "nb201-cifar10"],
     "nb201-cifar10: fidelity hp12 here, hp200 in the baseline"),
    (["--bench", "nb201-cifar100"], "nb201-cifar100: the baseline has no runs on it"),
])
def test_a_comparison_with_other_settings_exits_2_naming_the_difference(folders, tmp_path, argv,
                                                                        message):
    args = {"--optimizer": "re", "--bench": TASKS, "--seeds": "2", "--budget": "20"}
    args.update(dict(zip(argv[::2], argv[1::2], strict=True)))
    run_cli.main([*[t for kv in args.items() for t in kv], "--out", str(tmp_path / "mine"),
                  "--no-progress"])
    proc = subprocess.run([PY, "-m", "harness.report", str(tmp_path / "mine"), "--baseline",
                           str(folders / "base"), "--out", str(tmp_path / "r")],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_other_benchmark_data_is_refused(folders, tmp_path):
    table = baselines.search_table(folders / "base").to_pandas()
    table.loc[table["benchmark"] == "tnb101-micro-jigsaw", "benchmark_checksum"] = "f" * 64
    table.to_parquet(tmp_path / "base.parquet")
    proc = subprocess.run([PY, "-m", "harness.report", str(folders / "mine"), "--baseline",
                           str(tmp_path / "base.parquet"), "--out", str(tmp_path / "r")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "tnb101-micro-jigsaw: benchmark checksum" in proc.stderr and "ffff" in proc.stderr


# --- what ships with the package ----------------------------------------------------------
def test_stored_manifest_says_how_the_baselines_were_made():
    manifest = baselines.manifest()
    assert manifest["regenerate"] == "python scripts/make_baselines.py"
    for name in ("suite", "predictors-suite"):
        entry = manifest[name]
        path = baselines.DATA / entry["file"]
        assert entry["command"] and entry["rows"] == pq.read_metadata(path).num_rows
        import hashlib

        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]


def test_stored_suite_covers_its_grid():
    config = baselines.manifest()["suite"]["experiment"]["config"]
    table = baselines.load_search_table("suite").to_pandas()
    runs = table.groupby(["benchmark", "optimizer"])["seed"].nunique()
    assert set(runs.index) == {(b, o) for b in config["benchmarks"] for o in config["optimizers"]}
    assert (runs == config["seeds"]).all()
    assert set(table["budget"]) == {f"{config['budget']['queries']} queries"}


@pytest.mark.parametrize("bench, optimizer, seed", [
    ("nb201-cifar10", "rs", 0), ("tnb101-micro-jigsaw", "re", 1), ("nb201-cifar100", "ls", 1),
])
def test_a_fresh_run_of_a_stored_job_gives_identical_values(bench, optimizer, seed):
    """Fails when the code no longer reproduces the stored baseline: regenerate it with
    ``python scripts/make_baselines.py`` in the commit that changes the results."""
    config = baselines.manifest()["suite"]["experiment"]["config"]
    table = baselines.load_search_table("suite").to_pandas()
    stored = table[(table["benchmark"] == bench) & (table["optimizer"] == optimizer)
                   & (table["seed"] == seed)].sort_values("step")
    job = search.Job(bench, optimizer, seed, Budget(**config["budget"]),
                     fidelity=config["fidelity"], noise=config["noise"],
                     config=tuple(sorted(config["optimizer_config"].get(optimizer, {}).items())))
    fresh, manifest = search.run(job)
    for column in baselines.SEARCH_CURVE:  # bit for bit (NaN where there is no test metric)
        np.testing.assert_array_equal(fresh[column].to_numpy(), stored[column].to_numpy(),
                                      err_msg=column)
    assert fresh["incumbent"].to_pylist() == stored["incumbent"].tolist()
    assert fresh["step"].to_pylist() == stored["step"].tolist()
    assert baselines.run_settings(manifest) == {k: stored[k].iloc[0] for k in baselines.SETTINGS}


def test_a_fresh_evaluation_of_a_stored_predictor_job_gives_identical_rows():
    rows = baselines.load_predictor_rows("suite")
    stored = rows[(rows["benchmark"] == "nb201-cifar10") & (rows["predictor"] == "xgb")
                  & (rows["seed"] == 1)].sort_values("train_size")
    protocol = json.loads(stored["protocol"].iloc[0])
    fresh, manifest = evaluate.run_job(
        "nb201-cifar10", "xgb", 1,
        evaluate.Protocol(tuple(stored["train_size"]), protocol["test_size"],
                          tuple(protocol["fidelities"]), protocol["zc_source"]))
    assert fresh["kendall_tau"].to_pylist() == stored["kendall_tau"].tolist()
    assert manifest["test_set_sha256"] == stored["test_set_sha256"].iloc[0]


def test_make_baselines_packs_results_folders(folders, tmp_path):
    """scripts/make_baselines.py --from-suite/--from-predictors: the packed files read back as
    the folders' own rows, and the manifest names the command and the files' SHA-256."""
    import hashlib
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_baselines", baselines.DATA.parents[2] / "scripts" / "make_baselines.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    predictor_folder = tmp_path / "pred"
    assert evaluate.main(["--predictor", "xgb", "--bench", "nb201-cifar10", "--train-sizes",
                          "10", "--test-size", "30", "--seeds", "2", "--out",
                          str(predictor_folder), "--quiet"]) == 0
    data = tmp_path / "data"
    # "mine" ran re alone on the suite's protocol, as if it were the suite preset
    config_file = folders / "base" / "experiment.json"
    experiment = json.loads(config_file.read_text())
    experiment["config"]["preset"] = "suite"
    packed = tmp_path / "suite"
    import shutil

    shutil.copytree(folders / "base", packed)
    (packed / "experiment.json").write_text(json.dumps(experiment))
    assert script.main(["--from-suite", str(packed), "--from-predictors",
                        str(predictor_folder), "--data", str(data)]) == 0
    manifest = json.loads((data / "MANIFEST.json").read_text())
    assert manifest["suite"]["command"] == (
        "python -m harness.run --preset suite --seeds 3 --budget 20 --bench "
        "nb201-cifar10,tnb101-micro-jigsaw")
    assert manifest["predictors-suite"]["command"] == (
        "python -m harness.run --preset predictors-suite --seeds 2 --bench nb201-cifar10")
    stored = pq.read_table(data / "suite.parquet").to_pandas()
    direct = baselines.search_table(packed).to_pandas()
    keys = ["benchmark", "optimizer", "seed", "step"]
    assert stored.sort_values(keys).reset_index(drop=True).equals(
        direct.sort_values(keys).reset_index(drop=True))
    assert manifest["suite"]["sha256"] == hashlib.sha256(
        (data / "suite.parquet").read_bytes()).hexdigest()
    rows = pq.read_table(data / "predictors-suite.parquet").to_pandas()
    assert sorted(rows["kendall_tau"]) == sorted(
        baselines.predictor_table(predictor_folder).to_pandas()["kendall_tau"])
