"""Plugins: ``module:Class`` and entry-point names in every CLI, checked when they load, and
recorded in what a run writes."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from harness import plugins
from harness import run as run_cli
from harness.results import ResultsStore
from tests.plugin_fixtures import REPO, install_example

PY = sys.executable
OPT = "my_method.optimizer:MutationHillClimber"


@pytest.fixture()
def example(tmp_path, monkeypatch):
    """The example package, visible as installed in this process and in subprocesses."""
    paths = install_example(tmp_path / "site")
    for path in reversed(paths):
        monkeypatch.syspath_prepend(str(path))
    plugins._distributions.cache_clear()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, [REPO, *paths])))
    yield env
    plugins._distributions.cache_clear()


def test_list_prints_builtins_and_installed_methods(example):
    proc = subprocess.run([PY, "-m", "harness.run", "--list"], capture_output=True, text=True,
                          env=example, check=True)
    assert "  rs           built-in" in proc.stdout
    assert "  gp           built-in" in proc.stdout
    assert f"mutation-hc  {OPT} from nas-harness-my-method 0.1.0" in proc.stdout
    assert ("ridge        my_method.predictor:RidgePredictor from nas-harness-my-method 0.1.0"
            in proc.stdout)
    assert "  nb201-cifar10" in proc.stdout and "  tnb101-macro-jigsaw" in proc.stdout


def test_entry_point_and_import_path_run_the_same_and_are_recorded(example, tmp_path, capsys):
    common = ["--bench", "nb201-cifar10", "--seeds", "2", "--budget", "30", "--no-progress",
              "--set", "mutation-hc.num_init=5"]
    assert run_cli.main(["--optimizer", "mutation-hc", "--out", str(tmp_path / "a"), *common]) == 0
    assert run_cli.main(["--optimizer", OPT, "--out", str(tmp_path / "b"), *common]) == 0
    a, b = ResultsStore(tmp_path / "a"), ResultsStore(tmp_path / "b")
    assert list(a.job_keys()) == ["nb201-cifar10/mutation-hc/seed-0000",
                                  "nb201-cifar10/mutation-hc/seed-0001"]
    table, manifest = a.read("nb201-cifar10/mutation-hc/seed-0001")
    assert table.equals(b.read("nb201-cifar10/mutation-hc/seed-0001")[0])
    assert manifest["plugin"] == {"import_path": OPT, "distribution": "nas-harness-my-method",
                                  "version": "0.1.0"}
    assert manifest["optimizer_config"] == {"num_init": 5}
    assert a.experiment()["config"]["plugins"]["mutation-hc"]["import_path"] == OPT
    # The algorithm, checked from the trajectory: after 5 random archs, every arch differs in
    # exactly one position from the incumbent (best value so far) of the step before.
    archs = [np.array(s.replace("|", " ").split()) for s in table["arch"].to_pylist()]
    values = table["value"].to_numpy()
    for step in range(5, len(archs)):
        best = int(np.argmax(values[:step]))
        assert (archs[step] != archs[best]).sum() == 1
    assert len({tuple(a) for a in archs}) == len(archs)


def test_builtins_keep_no_plugin_record(tmp_path):
    assert run_cli.main(["--optimizer", "rs", "--bench", "nb201-cifar10", "--seeds", "1",
                         "--budget", "5", "--out", str(tmp_path), "--no-progress"]) == 0
    _, manifest = ResultsStore(tmp_path).read("nb201-cifar10/rs/seed-0000")
    assert "plugin" not in manifest and "optimizer_path" not in manifest["job"]
    assert "plugins" not in ResultsStore(tmp_path).experiment()["config"]


@pytest.mark.parametrize("spec, message", [
    ("no_such_pkg.mod:X", "cannot import module 'no_such_pkg.mod'"),
    ("broken_plugin:X", "importing module 'broken_plugin' failed: RuntimeError: a bug at import"),
    ("bad_plugins:Missing", "module 'bad_plugins' has no 'Missing'"),
    ("bad_plugins:NotAnOptimizer", "is not a subclass of optimizers.base.Optimizer"),
    ("bad_plugins:NoAsk", "does not implement ask"),
    ("bad_plugins:ConfigNotDataclass", "is not a dataclass of hyperparameters"),
    ("bad_plugins:ClashesWithRS", "its name 'rs' clashes with the built-in optimizer 'rs'"),
    ("bad_plugins:BadName", "its name 'a/b' must be a word"),
    ("nope", "unknown optimizer 'nope'; accepted: rs, re, ls, bananas, xnas"),
])
def test_a_bad_optimizer_plugin_exits_2_naming_what_is_wrong(example, tmp_path, spec, message,
                                                             capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli.main(["--optimizer", spec, "--bench", "nb201-cifar10", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    if spec == "nope":  # installed names are accepted too, after the built-in ones
        assert ", mutation-hc, or package.module:ClassName" in err


@pytest.mark.parametrize("spec, message", [
    ("bad_plugins:PredictorWithoutPredict", "has no predict(archs, ...) method"),
    ("bad_plugins:PredictorClashesWithGP", "its name 'gp' clashes with the built-in predictor"),
    ("bad_plugins:PredictorBadNeeds", "its needs frozenset({'telepathy'}) must be a set within"),
])
def test_a_bad_predictor_plugin_exits_2_naming_what_is_wrong(example, tmp_path, spec, message):
    proc = subprocess.run([PY, "-m", "predictors.evaluate", "--predictor", spec, "--bench",
                           "nb201-cifar10", "--out", str(tmp_path)],
                          capture_output=True, text=True, env=example)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_entry_point_registered_under_another_name_is_refused(example, tmp_path, capsys):
    entry = next(tmp_path.glob("site/*.dist-info")) / "entry_points.txt"
    entry.write_text(entry.read_text().replace("mutation-hc =", "hill ="))
    with pytest.raises(SystemExit):
        run_cli.main(["--optimizer", "hill", "--bench", "nb201-cifar10"])
    assert "entry point 'hill' loads a class named 'mutation-hc'" in capsys.readouterr().err


def test_predictor_plugin_by_entry_point_is_evaluated_and_recorded(example, tmp_path):
    from predictors import evaluate

    out = tmp_path / "p"
    assert evaluate.main(["--predictor", "ridge", "--bench", "nb201-cifar10", "--train-sizes",
                          "20,100", "--test-size", "200", "--seeds", "2", "--out", str(out),
                          "--quiet"]) == 0
    table, manifest = ResultsStore(out).read("nb201-cifar10/ridge/seed-0001")
    assert manifest["plugin"] == {"import_path": "my_method.predictor:RidgePredictor",
                                  "distribution": "nas-harness-my-method", "version": "0.1.0"}
    assert manifest["predictor"]["params"] == {"alpha": 1.0}
    # a linear model on the one-hot encoding ranks NB201 cells clearly better than chance
    rows = [ResultsStore(out).read(f"nb201-cifar10/ridge/seed-{s:04d}")[0].to_pylist()
            for s in range(2)]
    assert all(0.2 < seed_rows[1]["kendall_tau"] < 0.7 for seed_rows in rows)
