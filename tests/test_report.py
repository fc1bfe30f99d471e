"""The report: its numbers checked against the results files read independently (pyarrow and
numpy, not the report's loader), agreement with the runner's summary, figures, HTML, errors."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from harness import run as run_cli
from harness.report import __main__ as report_cli
from harness.report.curves import mean_curve, step_values
from harness.report.load import space_name

PY = sys.executable
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OPTIMIZERS = ("rs", "re", "ls")
TASKS = ("nb201-cifar10", "nb201-cifar100", "tnb101-micro-jigsaw")  # two search spaces
SEEDS = 3
BUDGET = 40  # > re's population of 30, so that re is not random search


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """A real run (3 optimizers x 3 tasks x 3 seeds), its printed summary and its report."""
    root = tmp_path_factory.mktemp("report")
    results, out = root / "results", root / "report"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert run_cli.main(["--optimizer", ",".join(OPTIMIZERS), "--bench", ",".join(TASKS),
                             "--seeds", str(SEEDS), "--budget", str(BUDGET), "--out",
                             str(results), "--no-progress", "--no-per-seed"]) == 0
        assert report_cli.main([str(results), "--out", str(out)]) == 0
    return {"results": results, "out": out, "summary": printed.getvalue(),
            "md": (out / "report.md").read_text(), "html": (out / "report.html").read_text()}


def finals(results: Path) -> dict[tuple[str, str], dict[str, list[float]]]:
    """Final numbers per (task, optimizer), read straight from the Parquet files: the last
    trajectory row and the manifest in the file metadata."""
    out: dict = {}
    for path in sorted(results.glob("*/*/seed-*.parquet")):
        table = pq.read_table(path)
        manifest = json.loads(table.schema.metadata[b"nas_harness.manifest"])
        last = table.slice(table.num_rows - 1).to_pylist()[0]
        assert last["incumbent_valid"] == manifest["final"]["incumbent_valid"]
        group = out.setdefault((path.parts[-3], path.parts[-2]), {})
        for key in ("incumbent_regret", "incumbent_valid", "incumbent_test", "best_observed"):
            group.setdefault(key, []).append(last[key])
    return out


def md_table(md: str, caption: str, raw: bool = False) -> list[list[str]]:
    """The rows (header first) of the Markdown table that follows ``caption``; ``raw`` keeps
    the ** of bold cells."""
    lines = md[md.index(caption):].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        if not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows.append(cells if raw else [c.strip("*") for c in cells])
    return rows


def parse_mean_se(cell: str) -> tuple[float, float, int]:
    """'0.98 ± 0.12' -> (0.98, 0.12, decimals)."""
    mean, se = cell.split(" ± ")
    decimals = len(mean.split(".")[1]) if "." in mean else 0
    return float(mean), float(se), decimals


def independent_ranks(results: Path) -> dict[str, dict[str, float]]:
    data = finals(results)
    ranks = {}
    for task in TASKS:
        means = [np.mean(data[(task, o)]["incumbent_regret"]) for o in OPTIMIZERS]
        ranks[task] = dict(zip(OPTIMIZERS, stats.rankdata(means), strict=True))
    return ranks


def test_final_regret_table_matches_the_files(experiment):
    data = finals(experiment["results"])
    rows = md_table(experiment["md"], "Final regret (or validation value")
    raw = md_table(experiment["md"], "Final regret (or validation value", raw=True)
    header = rows[0]
    assert header[:3] == ["task", "space", "criterion"]
    assert [r[0] for r in rows[1:]] == list(TASKS)
    for row, raw_row in zip(rows[1:], raw[1:], strict=True):
        task = row[0]
        assert row[2] == "regret ↓"  # every task here has a known optimum
        means = {}
        for opt, cell in zip(header[3:], row[3:], strict=True):
            regrets = np.asarray(data[(task, opt)]["incumbent_regret"])
            assert regrets.size == SEEDS
            mean, se, decimals = parse_mean_se(cell)
            tol = 0.5 * 10 ** -decimals + 1e-12
            assert mean == pytest.approx(regrets.mean(), abs=tol)
            assert se == pytest.approx(regrets.std(ddof=1) / math.sqrt(SEEDS), abs=tol)
            means[opt] = regrets.mean()
        best = min(means.values())
        bold = {opt for opt, cell in zip(header[3:], raw_row[3:], strict=True)
                if cell.startswith("**")}
        assert bold == {o for o, m in means.items() if m == best}


def test_ranks_per_task_and_per_space_match_the_files(experiment):
    ranks = independent_ranks(experiment["results"])
    per_task = md_table(experiment["md"], "Rank of each optimizer per task")
    header = per_task[0]
    for row in per_task[1:]:
        for opt, cell in zip(header[2:], row[2:], strict=True):
            assert float(cell) == pytest.approx(ranks[row[0]][opt], abs=0.005)
    per_space = {r[0]: r for r in md_table(experiment["md"], "Average rank of each optimizer")}
    header = per_space.pop("search space")
    nb201 = {o: (ranks["nb201-cifar10"][o] + ranks["nb201-cifar100"][o]) / 2 for o in OPTIMIZERS}
    micro = {o: ranks["tnb101-micro-jigsaw"][o] for o in OPTIMIZERS}
    both = {o: (nb201[o] + micro[o]) / 2 for o in OPTIMIZERS}  # spaces weighted equally
    for name, expected in (("NB201", nb201), ("TNB101-micro", micro),
                           ("all spaces (each weighted equally)", both)):
        row = per_space[name]
        for opt, cell in zip(header[2:], row[2:], strict=True):
            assert float(cell) == pytest.approx(expected[opt], abs=0.005), (name, opt)
    assert per_space["NB201"][1] == "2" and per_space["TNB101-micro"][1] == "1"


def test_friedman_test_matches_scipy_on_the_files(experiment):
    data = finals(experiment["results"])
    matrix = [[np.mean(data[(t, o)]["incumbent_regret"]) for o in sorted(OPTIMIZERS)]
              for t in TASKS]
    expected = stats.friedmanchisquare(*np.asarray(matrix).T)
    match = re.search(r"chi² = ([\d.]+), p = ([\d.e-]+)", experiment["md"])
    assert match, "no Friedman result in the report"
    assert float(match.group(1)) == pytest.approx(expected.statistic, abs=5e-4)
    assert float(match.group(2)) == pytest.approx(expected.pvalue, rel=5e-3)


def test_the_runner_summary_and_the_report_print_the_same_numbers(experiment):
    rows = md_table(experiment["md"], "Per task and optimizer, as the runner's end-of-run")
    assert len(rows) - 1 == len(TASKS) * len(OPTIMIZERS)
    summary = experiment["summary"].splitlines()
    data = finals(experiment["results"])
    for task, opt, seeds, *cells in rows[1:]:
        line = next(s for s in summary if s.split()[:2] == [task, opt])
        assert line.split()[2] == seeds == str(SEEDS)
        for cell in cells:
            if not cell.startswith("n/a"):
                assert cell in line, (task, opt, cell)
        # and both are the files' numbers: mean ± std [±se] of the final test accuracy
        test = np.asarray(data[(task, opt)]["incumbent_test"], dtype=float)
        if not np.isnan(test).all():
            mean, std, se = (float(v) for v in re.fullmatch(
                r"([\d.]+) ± ([\d.]+) \[±([\d.]+)\]", cells[3]).groups())
            half_unit = 0.5 * 10.0 ** -len(cells[3].split(" ")[0].split(".")[1])
            assert mean == pytest.approx(test.mean(), abs=half_unit)
            assert std == pytest.approx(test.std(ddof=1), abs=half_unit)
            assert se == pytest.approx(test.std(ddof=1) / math.sqrt(SEEDS), abs=half_unit)


def test_figures_are_valid_non_empty_pngs(experiment):
    figures = sorted((experiment["out"] / "figures").glob("*.png"))
    names = {f.name for f in figures}
    assert {f"curves-{t}.png" for t in TASKS} | {"critical-difference-optimizer.png"} == names
    for path in figures:
        data = path.read_bytes()
        assert data[:8] == PNG_SIGNATURE, path
        assert len(data) > 5_000, path
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width >= 400 and height >= 150, (path, width, height)
        assert f"](figures/{path.name})" in experiment["md"]


def test_html_is_self_contained_with_tables_and_embedded_images(experiment):
    html = experiment["html"]
    assert html.count("<table>") >= 5
    for heading in ("Search: ranks across search spaces", "Search: final regret",
                    "Search: Friedman test and critical difference", "Search: anytime curves"):
        assert heading in html
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    files = {p.read_bytes() for p in (experiment["out"] / "figures").glob("*.png")}
    assert {base64.b64decode(e) for e in embedded} == files
    assert not re.search(r'(src|href)="(?!data:)', html)  # nothing fetched from elsewhere


def test_optimum_unknown_is_ranked_by_validation_value_and_said(tmp_path):
    results = tmp_path / "r"
    with contextlib.redirect_stdout(io.StringIO()):
        assert run_cli.main(["--optimizer", "rs,ls", "--bench", "nb301-cifar10", "--seeds", "2",
                             "--budget", "15", "--out", str(results), "--no-progress"]) == 0
        assert report_cli.main([str(results), "--out", str(tmp_path / "o")]) == 0
    md = (tmp_path / "o" / "report.md").read_text()
    row = md_table(md, "Final regret (or validation value")[1]
    assert row[:3] == ["nb301-cifar10", "DARTS", "valid ↑"]
    assert "optimum is unknown (nb301-cifar10" in md
    assert "Friedman test not run: the Friedman test needs at least 3 methods" in md
    valid = finals(results)
    means = {o: np.mean(valid[("nb301-cifar10", o)]["incumbent_valid"]) for o in ("rs", "ls")}
    table = md_table(md, "Rank of each optimizer per task")
    expected = dict(zip(means, stats.rankdata([-m for m in means.values()]), strict=True))
    for opt in means:  # higher validation value, better rank
        assert float(table[1][table[0].index(opt)]) == expected[opt]


def test_predictor_tables_in_the_documented_format(tmp_path):
    """A predictor store written here in the documented format: tau grows with training size;
    a zero-cost predictor has one value; ranks use the largest training size."""
    tau = {  # (benchmark, predictor) -> tau at train sizes 10, 50 (zero-cost: one value)
        ("nb201-cifar10", "a"): (0.2, 0.6), ("nb201-cifar10", "b"): (0.3, 0.5),
        ("nb201-cifar10", "zc"): (0.55,),
        ("nb201-cifar100", "a"): (0.1, 0.7), ("nb201-cifar100", "b"): (0.2, 0.4),
        ("nb201-cifar100", "zc"): (0.45,),
        ("tnb101-micro-jigsaw", "a"): (0.1, 0.3), ("tnb101-micro-jigsaw", "b"): (0.2, 0.5),
        ("tnb101-micro-jigsaw", "zc"): (0.4,),
    }
    rows = []
    for (bench, pred), values in tau.items():
        sizes = (0,) if pred == "zc" else (10, 50)
        for size, value in zip(sizes, values, strict=True):
            for seed, noise in enumerate((-0.01, 0.01)):
                rows.append({"benchmark": bench, "predictor": pred, "seed": seed,
                             "train_size": size, "fidelity": None, "kendall_tau": value + noise,
                             "spearman": value + 0.1 + noise, "pearson": value,
                             "precision_at_10": 0.5, "fit_seconds": 0.1, "query_seconds": 0.01})
    results = tmp_path / "predictors"
    results.mkdir()
    pq.write_table(pa.Table.from_pylist(rows), results / "table.parquet")
    assert report_cli.main([str(results), "--out", str(tmp_path / "o")]) == 0
    md = (tmp_path / "o" / "report.md").read_text()
    table = md_table(md, "kendall tau at the ranked setting")
    assert table[0] == ["benchmark", "a", "b", "zc"]
    assert table[1][1:] == ["0.600 ± 0.010", "0.500 ± 0.010", "0.550 ± 0.010"]
    # ranks by tau at 50 (zc by its only value): nb201-cifar10 a, zc, b; cifar100 a, zc, b;
    # jigsaw b, zc, a -> NB201 a 1, b 3, zc 2; TNB101-micro a 3, b 1, zc 2; across spaces 2, 2, 2
    per_space = {r[0]: r[2:] for r in md_table(md, "Average rank of each predictor")}
    assert per_space["NB201"] == ["1.00", "3.00", "2.00"]
    assert per_space["TNB101-micro"] == ["3.00", "1.00", "2.00"]
    assert per_space["all spaces (each weighted equally)"] == ["2.00", "2.00", "2.00"]
    assert "Friedman test over the 3 tasks where all 3 tested predictors ran" in md
    png = (tmp_path / "o" / "figures" / "predictors-nb201-cifar10.png").read_bytes()
    assert png[:8] == PNG_SIGNATURE and len(png) > 5_000


def test_a_store_from_predictors_evaluate(tmp_path):
    evaluate = pytest.importorskip("predictors.evaluate")
    results = tmp_path / "p"
    with contextlib.redirect_stdout(io.StringIO()):
        assert evaluate.main(["--predictor", "mlp,xgb", "--bench", "nb201-cifar10,"
                              "tnb101-micro-jigsaw", "--train-sizes", "10,30", "--test-size",
                              "40", "--seeds", "2", "--out", str(results), "--quiet"]) == 0
        assert report_cli.main([str(results), "--out", str(tmp_path / "o")]) == 0
    md = (tmp_path / "o" / "report.md").read_text()
    files = sorted(results.glob("nb201-cifar10/mlp/seed-*.parquet"))
    taus = [r["kendall_tau"] for f in files for r in pq.read_table(f).to_pylist()
            if r["train_size"] == 30]
    row = md_table(md, "kendall tau at the ranked setting")[1]
    mean, se, decimals = parse_mean_se(row[1])
    assert row[0] == "nb201-cifar10"
    assert mean == pytest.approx(np.mean(taus), abs=0.5 * 10 ** -decimals)
    assert "Search:" not in md  # a predictor store has no search section


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: p, "holds no runs"),
])
def test_a_folder_without_runs_exits_2_with_a_clear_message(tmp_path, make, message):
    proc = subprocess.run([PY, "-m", "harness.report", str(make(tmp_path))],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_a_folder_of_several_experiments_is_not_pooled(tmp_path):
    results = tmp_path / "results"
    for budget in ("5", "7"):
        assert run_cli.main(["--optimizer", "rs", "--bench", "nb201-cifar10", "--seeds", "2",
                             "--budget", budget, "--no-progress",
                             "--out", str(results / f"rs_{budget}q")]) == 0
    proc = subprocess.run([PY, "-m", "harness.report", str(results)], capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert (f"holds 2 experiments, which a report does not pool: {results / 'rs_5q'} (rs on "
            f"nb201-cifar10, 2 runs); {results / 'rs_7q'} (rs on nb201-cifar10, 2 runs)"
            ) in proc.stderr
    assert not (tmp_path / "reports").exists()
    # without experiment files, runs whose settings differ are refused as well
    for budget in ("5", "7"):
        (results / f"rs_{budget}q" / "experiment.json").unlink()
    proc = subprocess.run([PY, "-m", "harness.report", str(results)], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "holds runs with different settings" in proc.stderr


def test_a_bad_x_axis_exits_2_naming_the_accepted_ones(tmp_path):
    proc = subprocess.run([PY, "-m", "harness.report", str(tmp_path), "--x", "epochs"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown --x 'epochs'; accepted: queries, seconds" in proc.stderr


def test_step_interpolation_on_a_common_grid():
    # two runs under a seconds budget: different lengths and query times
    xs = [np.array([10.0, 30.0, 60.0]), np.array([20.0, 25.0])]
    ys = [np.array([1.0, 2.0, 3.0]), np.array([5.0, 7.0])]
    assert step_values(xs[0], ys[0], np.array([5.0, 10.0, 29.0, 30.0, 100.0])).tolist()[1:] == \
        [1.0, 1.0, 2.0, 3.0]
    assert math.isnan(step_values(xs[0], ys[0], np.array([5.0]))[0])
    curve = mean_curve(xs, ys, integer=False)
    assert curve.x[0] == 20.0 and curve.x[-1] == 60.0  # from where both started to the end
    assert curve.mean[0] == pytest.approx(3.0)  # (1 + 5) / 2
    assert curve.mean[-1] == pytest.approx(5.0)  # (3 + 7) / 2: the stopped run keeps its 7
    assert curve.se[-1] == pytest.approx(np.std([3.0, 7.0], ddof=1) / math.sqrt(2))


def test_search_space_from_the_benchmark_name_or_the_manifest():
    assert space_name("nb201-cifar100") == "NB201"
    assert space_name("nb301-cifar10") == "DARTS"
    assert space_name("tnb101-micro-ninapro") == "TNB101-micro"
    assert space_name("tnb101-macro-jigsaw") == "TNB101-macro"
    assert space_name("whatever-x", "darts") == "DARTS"
    assert space_name("nbgraph-cora") == space_name("nbgraph-proteins") == "Graph"


def test_suite_preset_grids_every_optimizer_on_every_benchmark():
    import benchmarks
    import optimizers

    args = run_cli.build_parser().parse_args(["--preset", "suite"])
    jobs, config = run_cli.make_jobs(args)
    preset = run_cli.PRESETS["suite"]
    assert config["benchmarks"] == benchmarks.names()
    # Every optimizer but those that cannot run on every benchmark of the suite.
    general = [n for n in optimizers.registry.builtin_names() if n not in run_cli.SUITE_EXCLUDED]
    assert config["optimizers"] == general
    assert config["preset"] == "suite"
    assert len(jobs) == len(benchmarks.names()) * len(general) * int(preset["seeds"])
    # ... reinforce is categorical only; the multi-fidelity methods need two fidelities
    from harness.search import build_optimizer

    for name in run_cli.SUITE_EXCLUDED:
        reason = "categorical" if name == "reinforce" else "fidelit"  # two, or one it lacks
        with pytest.raises(ValueError, match=reason):
            for bench in benchmarks.names():
                build_optimizer(optimizers.get(name), benchmarks.load(bench),
                                np.random.default_rng(0), None, None)
    proc = subprocess.run([PY, "-m", "harness.run", "--preset", "suite", "--protocol",
                           "nb201-paper"], capture_output=True, text=True)
    assert proc.returncode == 2 and "not both" in proc.stderr


def test_predictors_suite_preset_on_a_small_space(tmp_path, monkeypatch, capsys):
    """The preset on one 192-cell TNB101 task: a protocol that fits the space (half of it as the
    test set) in a subfolder, pairs the evaluation refuses skipped with its reason, a report."""
    pytest.importorskip("predictors.evaluate")
    monkeypatch.chdir(tmp_path)
    assert run_cli.main(["--preset", "predictors-suite", "--bench", "tnb101-micro-ninapro",
                         "--seeds", "1"]) == 0
    printed = capsys.readouterr().out
    assert "tnb101-micro-ninapro mlp: done" in printed
    assert list((tmp_path / "results/predictors-suite/test96").glob("*/mlp/seed-0000.parquet"))
    md = (tmp_path / "reports/predictors-suite/report.md").read_text()
    assert "kendall tau at the ranked setting" in md and "| tnb101-micro-ninapro |" in md


def test_the_page_renders_in_headless_chromium(experiment, tmp_path):
    """Where Chromium is installed (Debian: apt-get install chromium), the page renders to a
    screenshot from a file:// URL with networking off."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    try:
        import screenshot_report
    finally:
        sys.path.pop(0)
    if screenshot_report.find_browser() is None:
        pytest.skip("no Chromium installed")
    png = screenshot_report.screenshot(experiment["out"] / "report.html", tmp_path / "page.png",
                                       height=1200)
    data = png.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 20_000
