"""The Python API: harness.run_experiment, harness.load_results, predictors.evaluate_predictor;
their docstring examples run here."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import harness
import predictors
from harness import api
from harness.results import ResultsStore
from optimizers.random_search import RandomSearch
from predictors import evaluate


class EveryOtherRS(RandomSearch):
    """A plugin defined in a test module and passed as a class: random search that recommends
    its most recent arch (a deliberately weak recommendation, so its regret is checkable)."""

    name = "rs-last"

    def recommend(self):
        return self.history_archs[-1]


def run_doctests(obj, tmp_path) -> None:
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(obj, globs={"tmp": tmp_path})
    assert tests and tests[0].examples, f"{obj} has no examples"
    for test in tests:
        runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize("obj", [api, evaluate.evaluate_predictor])
def test_docstring_examples_run(obj, tmp_path):
    run_doctests(obj, tmp_path)


def test_run_experiment_takes_classes_and_equals_the_cli(tmp_path):
    from harness import run as run_cli

    finals = harness.run_experiment(optimizers=[EveryOtherRS, "rs"], benchmarks=["nb201-cifar10"],
                                    seeds=2, budget=15, out=tmp_path / "api")
    assert finals.attrs["ran"] == 4
    assert sorted(set(finals["optimizer"])) == ["rs", "rs-last"]
    assert run_cli.main(["--optimizer", "rs", "--bench", "nb201-cifar10", "--seeds", "2",
                         "--budget", "15", "--out", str(tmp_path / "cli"), "--no-progress"]) == 0
    api_store, cli_store = ResultsStore(tmp_path / "api"), ResultsStore(tmp_path / "cli")
    for seed in range(2):
        key = f"nb201-cifar10/rs/seed-{seed:04d}"
        assert api_store.read(key)[0].equals(cli_store.read(key)[0])
    # rs-last recommends its last arch: its final regret is that arch's, computed here
    runs = harness.load_results(tmp_path / "api")
    last = runs[runs["optimizer"] == "rs-last"].groupby("seed").tail(1)
    mine = finals[finals["optimizer"] == "rs-last"].sort_values("seed")
    assert mine["incumbent"].tolist() == last["arch"].tolist()
    assert np.allclose(mine["incumbent_regret"], last["incumbent_regret"])
    _, manifest = api_store.read("nb201-cifar10/rs-last/seed-0000")
    assert manifest["plugin"]["import_path"].endswith("test_api:EveryOtherRS")
    # a rerun resumes: nothing runs again
    again = harness.run_experiment(optimizers=[EveryOtherRS, "rs"], benchmarks="nb201-cifar10",
                                   seeds=2, budget=15, out=tmp_path / "api")
    assert again.attrs["ran"] == 0 and again.equals(finals)


def test_run_experiment_refuses_bad_input_naming_it(tmp_path):
    class Local(RandomSearch):
        name = "local"

    with pytest.raises(ValueError, match="unknown benchmark 'nb999'"):
        harness.run_experiment("rs", "nb999", seeds=1, budget=5, out=tmp_path)
    with pytest.raises(ValueError, match="cannot be imported by its path"):
        harness.run_experiment(Local, "nb201-cifar10", seeds=1, budget=5, out=tmp_path)
    with pytest.raises(ValueError, match="is not a subclass of optimizers.base.Optimizer"):
        harness.run_experiment([dict], "nb201-cifar10", seeds=1, budget=5, out=tmp_path)


def test_load_results_reads_predictor_folders(tmp_path):
    rows = predictors.evaluate_predictor("xgb", "nb201-cifar10", train_sizes=[20],
                                         test_size=50, seeds=2, out=tmp_path)
    loaded = harness.load_results(tmp_path)
    assert loaded["kendall_tau"].tolist() == rows["kendall_tau"].tolist()
    with pytest.raises(ValueError, match="does not exist"):
        harness.load_results(tmp_path / "nothing")
