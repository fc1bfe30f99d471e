"""Multi-objective and hardware-aware search: free cost metrics, objectives and constraints,
hypervolume, exact Pareto fronts, the multi-objective optimizers."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

import benchmarks
from benchmarks import pareto
from harness import run as run_cli
from harness import search
from harness.hypervolume import hypervolume
from harness.objectives import parse_constraint, parse_objectives, parse_problem
from harness.oracle import Budget, BudgetedMetricError, Oracle, TestMetricRefusedError

pytest.importorskip("moocore")
MO_OPTIMIZERS = ("mo-rs", "nsga2", "mo-re", "parego")
LATENCY = ("valid_acc:max", "latency:min")
PY = sys.executable


# --- hypervolume ---------------------------------------------------------------------------
def test_hypervolume_of_a_hand_computed_two_dimensional_case():
    # Scaled to [0, 1] by ideal (0, 10) and nadir (2, 20); reference 1.1 in each objective.
    # Points (0.4, 16) and (1.0, 13) scale to (0.2, 0.6) and (0.5, 0.3): the union of the
    # rectangles up to (1.1, 1.1) is 0.9 * 0.5 + 0.6 * 0.3 = 0.63; a dominated point and one
    # outside the reference box add nothing.
    ideal, nadir = np.array([0.0, 10.0]), np.array([2.0, 20.0])
    points = np.array([[0.4, 16.0], [1.0, 13.0], [1.2, 17.0], [2.4, 10.0]])
    assert hypervolume(points, ideal, nadir) == pytest.approx(0.63, abs=1e-12)
    assert hypervolume(points[:1], ideal, nadir) == pytest.approx(0.45, abs=1e-12)
    assert hypervolume(np.empty((0, 2)), ideal, nadir) == 0.0


@pytest.mark.parametrize("name", ["nb201-cifar10", "nb201-imagenet16-120"])
@pytest.mark.parametrize("objectives", [("valid_acc", "latency"),
                                        ("valid_acc", "params", "latency")])
def test_exact_front_is_non_dominated_and_dominates_every_table_row(name, objectives):
    bench = benchmarks.load(name)
    task = pareto.load(name, objectives)
    assert task.exact and task.checksum == bench.checksum
    archs = bench.all_archs()
    columns = [np.asarray(bench.query(archs, m), dtype=np.float64) for m in objectives]
    points = np.stack([-columns[0], *columns[1:]], axis=1)  # minimized: accuracy negated
    np.testing.assert_array_equal(task.front, points[task.front_rows])
    np.testing.assert_array_equal(task.ideal, points.min(axis=0))
    np.testing.assert_array_equal(task.nadir, points.max(axis=0))
    front = task.front
    # no front member is strictly dominated by another
    weakly = (front[:, None, :] <= front[None, :, :]).all(axis=2)
    strictly = weakly & (front[:, None, :] < front[None, :, :]).any(axis=2)
    assert not strictly.any()
    # every row of the table is weakly dominated by a front member
    covered = np.zeros(len(points), dtype=bool)
    for member in front:
        covered |= (member <= points).all(axis=1)
    assert covered.all()
    assert task.hypervolume == pytest.approx(hypervolume(front, task.ideal, task.nadir))
    assert hypervolume(points, task.ideal, task.nadir) == pytest.approx(task.hypervolume)


# --- the oracle: free metrics --------------------------------------------------------------
def _oracle(name="nb201-cifar10", queries=2, problem=None):
    bench = benchmarks.load(name)
    return bench, Oracle(bench, Budget(queries=queries), rng=np.random.default_rng(0),
                         problem=problem)


def test_free_metrics_cost_no_budget():
    bench, oracle = _oracle(queries=1)
    archs = bench.space.sample(np.random.default_rng(1), 500)
    for metric in bench.free_metrics:
        np.testing.assert_array_equal(oracle.measure(archs, metric), bench.query(archs, metric))
    assert oracle.measure(archs[0], "latency") == bench.query(archs[0], "latency")
    assert oracle.n_queries == 0 and oracle.seconds == 0 and not oracle.exhausted
    assert oracle.free_queries == {"params": 500, "flops": 500, "latency": 501}
    observation = oracle.evaluate(archs[0])  # the one budgeted query is still there
    assert oracle.exhausted and observation.free == {}


def test_a_test_metric_is_still_refused_and_accuracy_stays_budgeted():
    bench, oracle = _oracle()
    arch = bench.space.sample(np.random.default_rng(1))
    with pytest.raises(TestMetricRefusedError, match="test_acc"):
        oracle.measure(arch, "test_acc")
    with pytest.raises(TestMetricRefusedError, match="test_acc"):
        oracle.evaluate(arch, metric="test_acc")
    with pytest.raises(BudgetedMetricError, match="valid_acc.*needs training"):
        oracle.measure(arch, "valid_acc")
    with pytest.raises(BudgetedMetricError, match="latency.*measure"):
        oracle.evaluate(arch, metric="latency")
    assert oracle.n_queries == 0 and oracle.free_queries == {}


def test_observations_carry_the_runs_free_metrics_and_feasibility():
    bench = benchmarks.load("nb201-cifar10")
    problem = parse_problem(bench, LATENCY, ("params<=0.5",))
    _, oracle = _oracle(problem=problem)
    arch = bench.space.from_index(11)  # latency 0.01616 s, params 0.802 M (official record)
    observation = oracle.evaluate(arch)
    assert observation.free == {"latency": bench.query(arch, "latency"),
                                "params": bench.query(arch, "params")}
    assert observation.feasible is False
    assert oracle.n_queries == 1 and oracle.free_queries == {"latency": 1, "params": 1}


# --- objectives and constraints -------------------------------------------------------------
def test_objectives_and_constraints_parse_with_directions_and_units():
    bench = benchmarks.load("nb201-cifar100")
    objectives = parse_objectives("latency,valid_acc,params:min", bench)
    assert [o.describe() for o in objectives] == ["valid_acc:max", "params:min", "latency:min"]
    assert parse_constraint("latency<=15ms", bench).bound == pytest.approx(0.015)
    assert parse_constraint("params <= 1.0", bench).describe() == "params<=1"
    with pytest.raises(ValueError, match="accepted: s, ms, us"):
        parse_constraint("latency<=15kg", bench)
    with pytest.raises(ValueError, match="bounded with <="):
        parse_constraint("latency>=0.01", bench)
    with pytest.raises(ValueError, match="accepted: latency or latency:min"):
        parse_objectives("valid_acc,latency:max", bench)
    with pytest.raises(ValueError, match="accepted: valid_acc .budgeted. and the free costs "
                                         "params, flops, latency"):
        parse_objectives("valid_acc,energy", bench)


@pytest.mark.parametrize("argv, message", [
    (["--objectives", "valid_acc,latency"], "rs is single-objective"),
    (["--objectives", "valid_acc,latency:max"], "accepted: latency or latency:min"),
    (["--constraint", "test_acc>=90"], "accepted: params, flops, latency"),
    (["--constraint", "latency<=3parsecs"], "accepted: s, ms, us"),
])
def test_bad_objectives_and_constraints_exit_2_naming_the_accepted(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli.main(["--optimizer", "rs", "--bench", "nb201-cifar10", "--seeds", "1",
                      "--budget", "5", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_constrained_run_reports_regret_against_the_best_feasible_arch():
    bench = benchmarks.load("nb201-cifar10")
    table, manifest = search.run(search.Job("nb201-cifar10", "re", seed=3,
                                            budget=Budget(queries=60),
                                            constraints=("latency<=0.0125",)))
    archs = bench.all_archs()
    values = bench.query(archs, "valid_acc")
    best_feasible = values[bench.query(archs, "latency") <= 0.0125].max()
    assert best_feasible < values.max()  # the constraint binds
    final = manifest["final"]
    incumbent = bench.space.from_string(final["incumbent"])
    assert final["incumbent_feasible"] and bench.query(incumbent, "latency") <= 0.0125
    assert final["incumbent_regret"] == pytest.approx(best_feasible - final["incumbent_valid"])
    assert manifest["problem"] == {"objectives": ["valid_acc:max"],
                                   "constraints": ["latency<=0.0125"]}
    assert manifest["free"] == {"metrics": ["params", "flops", "latency"],
                                "lookups": {"latency": 60}}
    feasible = table.column("feasible").to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(feasible, table.column("latency").to_numpy() <= 0.0125)


# --- multi-objective runs ---------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", MO_OPTIMIZERS)
def test_multi_objective_run_scores_its_non_dominated_set(optimizer):
    bench = benchmarks.load("nb201-cifar100")
    table, manifest = search.run(search.Job("nb201-cifar100", optimizer, seed=2,
                                            budget=Budget(queries=40), objectives=LATENCY,
                                            constraints=("latency<=0.02",)))
    assert manifest["spent"]["queries"] == 40 == table.num_rows
    assert manifest["free"]["lookups"]["latency"] >= 40
    final = manifest["final"]
    front = final["front"]
    archs = np.stack([bench.space.from_string(f["arch"]) for f in front])
    points = np.stack([-bench.query(archs, "valid_acc"), bench.query(archs, "latency")], axis=1)
    assert (bench.query(archs, "latency") <= 0.02).all()
    task = pareto.load("nb201-cifar100", ("valid_acc", "latency"))
    assert final["hypervolume"] == pytest.approx(hypervolume(points, task.ideal, task.nadir))
    # the incumbent set is the non-dominated set of the evaluated archs, by observed values
    evaluated = np.stack([bench.space.from_string(a) for a in table.column("arch").to_pylist()])
    observed = np.stack([-table.column("value").to_numpy(), table.column("latency").to_numpy()],
                        axis=1)
    feasible = table.column("feasible").to_numpy(zero_copy_only=False)
    pool = np.flatnonzero(feasible)
    expected = {tuple(evaluated[i]) for i in pool
                if not any((observed[j] <= observed[i]).all() and (observed[j] < observed[i]).any()
                           for j in pool)}
    assert {tuple(a) for a in archs} == expected
    hv_regret = table.column("hv_regret").to_numpy()
    assert (hv_regret >= -1e-12).all() and final["hv_regret"] == pytest.approx(hv_regret[-1])


def test_multi_objective_runs_are_deterministic_across_processes(tmp_path):
    code = (
        "import sys, pyarrow.parquet as pq; from harness import search; "
        "from harness.oracle import Budget; "
        "[pq.write_table(search.run(search.Job('nb201-cifar10', n, seed=5, "
        "budget=Budget(queries=40), objectives=('valid_acc:max', 'latency:min')))[0], "
        "f'{sys.argv[1]}/{n}.parquet') for n in sys.argv[2:]]"
    )
    subprocess.run([PY, "-c", code, str(tmp_path), *MO_OPTIMIZERS], check=True)
    for name in MO_OPTIMIZERS:
        here, _ = search.run(search.Job("nb201-cifar10", name, seed=5, budget=Budget(queries=40),
                                        objectives=LATENCY))
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(here), name


def test_cli_runs_a_per_benchmark_multi_objective_grid_and_its_report(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("scikit_posthocs")
    from harness.report import build_report
    from harness.results import ResultsStore

    out = tmp_path / "mo"
    code = run_cli.main(["--optimizer", "mo-rs,mo-re", "--bench", "nb201-cifar10,nb301-cifar10",
                         "--objectives", "valid_acc,latency",
                         "--objectives", "nb301-cifar10=valid_acc,params",
                         "--set", "mo-re.population_size=5", "--seeds", "2", "--budget", "25",
                         "--out", str(out), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "HV regret" in printed and "n/a (front unknown)" in printed  # nb301: a surrogate
    config = json.loads((out / "experiment.json").read_text())["config"]
    assert config["problems"]["nb301-cifar10"]["objectives"] == ["valid_acc:max", "params:min"]
    assert config["problems"]["nb201-cifar10"]["objectives"] == list(LATENCY)
    # the report ranks each task by mean final hypervolume regret (hypervolume where unknown)
    store = ResultsStore(out)
    finals = [store.read(key)[1]["final"] | store.read(key)[1]["job"] for key in store.job_keys()]
    paths = build_report(out, tmp_path / "report")
    markdown = paths["markdown"].read_text()
    criteria = (("nb201-cifar10", "hv_regret", 1), ("nb301-cifar10", "hypervolume", -1))
    for task, key, sign in criteria:
        means = {o: sign * np.mean([f[key] for f in finals
                                    if f["benchmark"] == task and f["optimizer"] == o])
                 for o in ("mo-rs", "mo-re")}
        winner = min(means, key=means.get)
        row = next(line for line in markdown.splitlines() if line.startswith(f"| {task} | valid"))
        cells = [c.strip() for c in row.split("|")[3:5]]
        assert cells[("mo-rs", "mo-re").index(winner)].startswith("**"), row
    assert (tmp_path / "report" / "figures" / "mo-nb201-cifar10.png").stat().st_size > 10_000


def test_python_api_takes_objectives_and_constraints(tmp_path):
    from harness.api import run_experiment

    frame = run_experiment("mo-re", "nb201-cifar10", seeds=1, budget=20, out=tmp_path / "api",
                           objectives=["valid_acc,latency"], constraints=["latency<=15ms"])
    row = frame.iloc[0]
    bench = benchmarks.load("nb201-cifar10")
    archs = np.stack([bench.space.from_string(f["arch"]) for f in row["front"]])
    assert (bench.query(archs, "latency") <= 0.015).all() and row["hv_regret"] > 0


def test_tnb101_is_single_objective_and_a_missing_mo_extra_exits_2(monkeypatch, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli.main(["--optimizer", "mo-rs", "--bench", "tnb101-micro-jigsaw",
                      "--objectives", "valid_top1,latency", "--seeds", "1", "--budget", "5"])
    assert exit_info.value.code == 2
    assert "single-objective only" in capsys.readouterr().err

    def missing():
        raise ImportError("No module named 'moocore'")

    monkeypatch.setattr(run_cli, "moocore", missing)
    with pytest.raises(SystemExit) as exit_info:
        run_cli.main(["--optimizer", "mo-rs", "--bench", "nb201-cifar10",
                      "--objectives", "valid_acc,latency", "--seeds", "1", "--budget", "5"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "pip install -e '.[mo]'" in err and "Traceback" not in err


def test_stored_fronts_are_built_from_the_current_tables():
    """A benchmark whose tables change needs its fronts rebuilt (python -m
    benchmarks.build.pareto); runs refuse stale ones, and so does this test."""
    index = json.loads((pareto.FOLDER / pareto.INDEX).read_text())
    names = {entry["benchmark"] for entry in index.values()}
    assert {"nb201-cifar10", "nb301-cifar10"} <= names
    assert not any(n.startswith("tnb101") for n in names)  # no cost metric: single-objective
    for name in names:
        bench = benchmarks.load(name)
        stored = [e for e in index.values() if e["benchmark"] == name]
        assert {e["checksum"] for e in stored} == {bench.checksum}, name
        assert len(stored) == 2 ** len(bench.free_metrics) - 1  # every non-empty set of costs
