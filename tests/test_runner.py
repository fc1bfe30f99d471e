import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from harness import run as run_cli
from harness import search
from harness.oracle import Budget
from harness.results import ResultsStore

PY = sys.executable


def test_same_seed_same_trajectory_in_one_process_and_across_processes(tmp_path):
    job = search.Job("nb201-cifar10", "rs", seed=3, budget=Budget(queries=40))
    first, manifest = search.run(job)
    second, _ = search.run(job)
    assert first.equals(second)
    other, _ = search.run(search.Job("nb201-cifar10", "rs", seed=4, budget=Budget(queries=40)))
    assert not first.equals(other)
    out = tmp_path / "t.parquet"
    code = (
        "import pyarrow.parquet as pq; from harness import search; "
        "from harness.oracle import Budget; "
        "t, _ = search.run(search.Job('nb201-cifar10', 'rs', seed=3, budget=Budget(queries=40))); "
        f"pq.write_table(t, {str(out)!r})"
    )
    subprocess.run([PY, "-c", code], check=True)
    assert pq.read_table(out).equals(first)
    assert manifest["data"]["checksum"] and manifest["versions"]["numpy"]
    assert manifest["job"]["seed"] == 3 and manifest["job"]["budget"]["queries"] == 40


def test_cli_writes_results_and_a_rerun_resumes(tmp_path, capsys):
    out = tmp_path / "exp"
    args = ["--optimizer", "rs", "--bench", "nb201-cifar10,nb201-cifar100", "--seeds", "3",
            "--budget", "25", "--out", str(out), "--no-progress"]
    assert run_cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "6 run(s) executed" in printed
    store = ResultsStore(out)
    keys = list(store.job_keys())
    assert len(keys) == 6
    table, manifest = store.read("nb201-cifar100/rs/seed-0002")
    assert table.num_rows == 25
    assert manifest["job"] == {"benchmark": "nb201-cifar100", "optimizer": "rs", "seed": 2,
                               "budget": {"queries": 25, "seconds": None},
                               "fidelity": None, "noise": "seed", "config": {}}
    assert manifest["final"]["incumbent_test"] == table["incumbent_test"][-1].as_py()
    assert json.loads((out / "experiment.json").read_text())["config"]["seeds"] == 3
    # the summary line for cifar100 carries the mean of the files' final test accuracies
    finals = [store.read(f"nb201-cifar100/rs/seed-{s:04d}")[1]["final"]["incumbent_test"]
              for s in range(3)]
    assert f"{sum(finals) / 3:.2f} ±" in printed
    assert run_cli.main(args) == 0
    assert "0 run(s) executed, 6 already done" in capsys.readouterr().out


@pytest.mark.parametrize("flag, value, message", [
    ("--optimizer", "nope", "unknown optimizer 'nope'; accepted: rs"),
    ("--bench", "nb201-mnist", "unknown benchmark 'nb201-mnist'; accepted: nb201-cifar10"),
    ("--budget", "0", "bad --budget '0'"),
    ("--budget", "-5", "bad --budget '-5'"),
    ("--budget", "ten", "bad --budget 'ten'"),
    ("--seeds", "0", "bad --seeds '0'"),
    ("--seeds", "x", "bad --seeds 'x'"),
    ("--fidelity", "hp50", "unknown fidelity 'hp50'"),
])
def test_bad_arguments_exit_2_with_the_accepted_values(tmp_path, flag, value, message):
    args = {"--optimizer": "rs", "--bench": "nb201-cifar10", "--out": str(tmp_path / "x")}
    args[flag] = value
    proc = subprocess.run(
        [PY, "-m", "harness.run", *[t for kv in args.items() for t in kv]],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert message in proc.stderr


def test_set_gives_optimizer_hyperparameters_and_records_them(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default results folder is relative
    base = ["--optimizer", "re,ls", "--bench", "nb201-cifar10", "--seeds", "2", "--budget", "40",
            "--no-progress"]
    settings = ["--set", "re.population_size=5", "--set", "re.sample_size=2",
                "--set", "ls.first_improvement=true"]
    assert run_cli.main([*base, *settings]) == 0
    out = (tmp_path / "results" / "re+ls_nb201-cifar10_40q_ls.first_improvement=true,"
           "re.population_size=5,re.sample_size=2")
    _, manifest = ResultsStore(out).read("nb201-cifar10/re/seed-0001")
    assert manifest["optimizer_config"] == {"population_size": 5, "sample_size": 2,
                                           "deduplicate": False, "mutation": "uniform"}
    assert ResultsStore(out).read("nb201-cifar10/ls/seed-0000")[1]["optimizer_config"] == {
        "num_init": 10, "first_improvement": True}
    config = json.loads((out / "experiment.json").read_text())["config"]
    assert config["optimizer_config"]["re"] == {"population_size": 5, "sample_size": 2}
    # the settings change the search: a population of 5 is out of its random phase at query 6
    default = tmp_path / "default"
    assert run_cli.main([*base, "--out", str(default)]) == 0
    ours = ResultsStore(out).read("nb201-cifar10/re/seed-0001")[0]["arch"].to_pylist()
    theirs = ResultsStore(default).read("nb201-cifar10/re/seed-0001")[0]["arch"].to_pylist()
    assert ours[:5] == theirs[:5] and ours != theirs


@pytest.mark.parametrize("setting, message", [
    ("re.population_size", "expected OPTIMIZER.NAME=VALUE, e.g. re.population_size=20"),
    ("foo.x=1", "unknown optimizer 'foo'; accepted: rs, re, ls, bananas, xnas"),
    ("re.bogus=1", "re has no hyperparameter 'bogus'; accepted: population_size, sample_size"),
    ("re.population_size=2.5", "'2.5' is not of type int"),
    ("ls.first_improvement=maybe", "'maybe' is not of type bool (true, 1, yes, false, 0, no)"),
    ("xnas.samples_per_step=1", "xnas: samples_per_step must be >= 2, got 1"),
    ("xnas.horizon_queries=soon", "'soon' is not of type int or NoneType"),
    ("bananas.k=3", "optimizer bananas is not in --optimizer (re, ls, xnas)"),
])
def test_bad_set_exits_2_naming_what_is_accepted(tmp_path, setting, message, capsys):
    with pytest.raises(SystemExit) as info:
        run_cli.main(["--optimizer", "re,ls,xnas", "--bench", "nb201-cifar10", "--seeds", "1",
                      "--set", setting, "--out", str(tmp_path / "x"), "--no-progress"])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--set", "bananas.encoding=adjacency"],
     "bananas: encoding 'adjacency' is not offered by nb201; accepted: auto, onehot, path"),
    (["--set", "bananas.loss=huber"], "bananas: unknown loss 'huber'; accepted: mae, mse"),
    (["--budget", "2000s", "--optimizer", "xnas"], "xnas: xnas needs its horizon in advance"),
])
def test_optimizers_are_built_on_each_space_before_any_job_starts(tmp_path, argv, message,
                                                                  capsys):
    """What only the space can refuse (an encoding it lacks) stops the grid with exit code 2
    before any job runs, not with a traceback in a worker."""
    with pytest.raises(SystemExit) as info:
        run_cli.main(["--optimizer", "bananas", "--bench", "nb201-cifar10", "--seeds", "1",
                      "--out", str(tmp_path / "x"), "--no-progress", *argv])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_different_experiment_in_the_same_folder_is_refused(tmp_path, capsys):
    out = str(tmp_path / "exp")
    base = ["--optimizer", "rs", "--bench", "nb201-cifar10", "--out", out, "--no-progress"]
    assert run_cli.main([*base, "--seeds", "1", "--budget", "5"]) == 0
    with pytest.raises(SystemExit) as info:
        run_cli.main([*base, "--seeds", "1", "--budget", "6", "--noise", "mean"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "another configuration: budget.queries: 5 in the folder, 6 now; noise: 'seed' in " \
        "the folder, 'mean' now." in err


def test_more_seeds_are_added_to_the_same_experiment(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default results folder is relative
    base = ["--optimizer", "rs", "--bench", "nb201-cifar10", "--budget", "5", "--no-progress"]
    assert run_cli.main([*base, "--seeds", "2"]) == 0
    assert run_cli.main([*base, "--seeds", "3"]) == 0
    assert "1 run(s) executed, 2 already done; results in results/rs_nb201-cifar10_5q" in \
        capsys.readouterr().out
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["rs_nb201-cifar10_5q"]
    folder = tmp_path / "results" / "rs_nb201-cifar10_5q"
    assert json.loads((folder / "experiment.json").read_text())["config"]["seeds"] == 3
    assert run_cli.main([*base, "--seeds", "1"]) == 0  # fewer: a part of the experiment
    assert "0 run(s) executed, 1 already done" in capsys.readouterr().out


@pytest.mark.parametrize("flags, name", [
    ([], "rs_nb201-cifar10_20q"),
    (["--noise", "mean"], "rs_nb201-cifar10_20q_noise-mean"),
    (["--fidelity", "hp12"], "rs_nb201-cifar10_20q_hp12"),
    (["--set", "rs.foo=1"], None),  # rs has no hyperparameters: refused before any folder
    (["--protocol", "nb201-paper"], "rs+re_nb201-cifar10_12000s_nb201-paper"),
    (["--protocol", "nb201-paper", "--noise", "mean"],
     "rs+re_nb201-cifar10_12000s_nb201-paper_noise-mean"),
    (["--protocol", "nb201-paper", "--fidelity", "hp200"],
     "rs+re_nb201-cifar10_12000s_nb201-paper_hp200"),
])
def test_the_default_folder_names_every_setting_that_changes_results(flags, name):
    args = run_cli.build_parser().parse_args(
        ["--optimizer", "rs", "--bench", "nb201-cifar10", "--budget", "20", *flags]
        if "--protocol" not in flags else ["--optimizer", "rs,re", *flags])
    if name is None:
        with pytest.raises(ValueError):
            run_cli.make_jobs(args)
        return
    _, config = run_cli.make_jobs(args)
    assert run_cli.default_out(config).name == name


def test_query_cli_refuses_a_bad_arch_string():
    proc = subprocess.run(
        [PY, "-m", "harness.query", "--bench", "nb201-cifar10", "--arch",
         "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown op 'conv'; accepted ops: none, skip_connect" in proc.stderr
    proc = subprocess.run([PY, "-m", "harness.query", "--bench", "nb201-cifar10", "--index",
                           "6111"], capture_output=True, text=True, check=True)
    assert "test_acc    hp200       94.3733" in proc.stdout
    proc = subprocess.run([PY, "-m", "harness.query", "--bench", "nb201-cifar10", "--arch",
                           "6111"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("to look up an official row index, use --index 6111")


@pytest.mark.parametrize("values, printed", [
    ([94.371], "94.37 ± n/a"),  # one seed: no deviation
    ([94.0, 95.0], "94.50 ± 0.71 [±0.50]"),
    ([0.012, 0.024, 0.003], "0.013 ± 0.011 [±0.006]"),  # TNB101-sized regrets
    ([0.5, 0.5], "0.50 ± 0.00 [±0.00]"),
])
def test_summary_statistics_print_enough_digits(values, printed):
    from harness.report.tables import describe
    from harness.summary import format_stat

    assert format_stat(describe(values)) == printed


def test_the_summary_lists_runs_only_when_few(tmp_path, capsys):
    base = ["--optimizer", "rs", "--bench", "nb201-cifar10", "--budget", "5", "--no-progress"]
    assert run_cli.main([*base, "--seeds", "51", "--out", str(tmp_path / "a")]) == 0
    printed = capsys.readouterr().out
    assert "(51 runs: per-run rows with --per-seed)" in printed
    assert "nb201-cifar10          rs          50 " not in printed
    assert run_cli.main([*base, "--seeds", "51", "--out", str(tmp_path / "a"), "--per-seed"]) == 0
    assert "nb201-cifar10          rs          50 " in capsys.readouterr().out


def test_every_optimizer_is_deterministic_across_processes_and_within_budget(tmp_path):
    import optimizers

    # learning-curve early stopping needs nb301's epochs (tests/test_multi_fidelity.py checks it
    # across processes there)
    names = [n for n in optimizers.names() if n not in ("re-lce", "bananas-lce")]
    assert {"rs", "re", "ls", "bananas"} <= set(names)
    code = (
        "import sys, pyarrow.parquet as pq; from harness import search; "
        "from harness.oracle import Budget; "
        "[pq.write_table(search.run(search.Job('nb201-cifar100', n, seed=11, "
        "budget=Budget(queries=60)))[0], f'{sys.argv[1]}/{n}.parquet') for n in sys.argv[2:]]"
    )
    subprocess.run([PY, "-c", code, str(tmp_path), *names], check=True)
    for name in names:
        table, _ = search.run(search.Job("nb201-cifar100", name, seed=11,
                                         budget=Budget(queries=60)))
        assert table.num_rows == 60, name
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(table), name
        # xnas must know its horizon in advance: under a seconds budget it is given in queries
        horizon = (("horizon_queries", 20),) if name == "xnas" else ()
        seconds = search.Job("nb201-cifar100", name, seed=11, budget=Budget(seconds=50_000.0),
                             config=horizon)
        spent = search.run(seconds)[0]["cum_seconds"].to_pylist()
        assert spent[-1] <= 50_000.0 and len(spent) >= 5, name


def test_threads_are_set_and_recorded(tmp_path, monkeypatch, capsys):
    from harness.threads import default_threads, usable_cores

    base = ["--optimizer", "rs", "--bench", "nb201-cifar10", "--seeds", "1", "--budget", "5",
            "--no-progress"]
    assert run_cli.main([*base, "--threads", "1", "--out", str(tmp_path / "a")]) == 0
    assert ResultsStore(tmp_path / "a").read("nb201-cifar10/rs/seed-0000")[1]["threads"] == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the environment's choice is kept
    assert run_cli.main([*base, "--out", str(tmp_path / "b")]) == 0
    assert ResultsStore(tmp_path / "b").read("nb201-cifar10/rs/seed-0000")[1]["threads"] == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert default_threads(workers=2) == max(1, usable_cores() // 2)
    with pytest.raises(SystemExit):
        run_cli.main([*base, "--threads", "0", "--out", str(tmp_path / "c")])
    assert "bad --threads 0: need at least 1" in capsys.readouterr().err
