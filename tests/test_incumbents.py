"""Both incumbents of a method that does not recommend its best sample (XNAS): recorded in the
trajectory and the manifest, printed by the runner's summary and shown by the report, each
checked against a value computed here from the trajectory and the benchmark."""

from __future__ import annotations

import contextlib
import io
import math
import re

import numpy as np
import pytest

import benchmarks
from harness import run as run_cli
from harness.report import __main__ as report_cli
from harness.report.tables import Stat
from harness.results import ResultsStore
from harness.summary import format_stat

SEEDS, BUDGET = 3, 60


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    root = tmp_path_factory.mktemp("incumbents")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert run_cli.main(["--optimizer", "xnas,rs", "--bench", "nb201-cifar10", "--seeds",
                             str(SEEDS), "--budget", str(BUDGET), "--out", str(root / "results"),
                             "--no-progress"]) == 0
        assert report_cli.main([str(root / "results"), "--out", str(root / "report")]) == 0
    return {"store": ResultsStore(root / "results"), "summary": printed.getvalue(),
            "md": (root / "report" / "report.md").read_text()}


def expected_best_sampled(table) -> dict:
    """The first arch with the highest observed value, and its ground truth, computed here."""
    bench = benchmarks.load("nb201-cifar10")
    values = table["value"].to_numpy()
    arch_string = table["arch"][int(np.argmax(values))].as_py()  # argmax: the first maximum
    arch = bench.space.from_string(arch_string)[None, :]
    valid = float(bench.query(arch, bench.objective)[0])
    optimum = bench.optimum(bench.objective)[0]
    return {"best_sampled": arch_string, "best_sampled_valid": valid,
            "best_sampled_regret": optimum - valid,
            "best_sampled_test": float(bench.query(arch, bench.report_metric)[0])}


def test_xnas_records_both_incumbents_and_rs_one(experiment):
    store = experiment["store"]
    gaps = []
    for seed in range(SEEDS):
        table, manifest = store.read(f"nb201-cifar10/xnas/seed-{seed:04d}")
        final = manifest["final"]
        expected = expected_best_sampled(table)
        assert final["best_sampled"] == expected["best_sampled"]
        for key in ("best_sampled_valid", "best_sampled_regret", "best_sampled_test"):
            assert final[key] == pytest.approx(expected[key], abs=1e-9)
            assert table[key][-1].as_py() == pytest.approx(expected[key], abs=1e-9)
        # the recommendation stays the discretized mixture
        strongest = np.array(manifest["diagnostics"]["probabilities"][-1]).argmax(axis=1)
        space = benchmarks.load("nb201-cifar10").space
        assert final["incumbent"] == space.to_string(strongest)
        gaps.append(final["incumbent"] != final["best_sampled"])
        # per step: the best sampled so far is the running first maximum of the values
        values = table["value"].to_numpy()
        for step in (0, len(values) // 2):
            first = int(np.argmax(values[:step + 1]))
            assert table["best_sampled"][step].as_py() == table["arch"][first].as_py()
    _, manifest = store.read("nb201-cifar10/rs/seed-0000")
    assert not any(key.startswith("best_sampled") for key in manifest["final"])


def _stat_text(values: list[float]) -> str:
    """mean ± std [± se] computed here with numpy, printed as the summary prints a Stat."""
    arr = np.asarray(values)
    std = arr.std(ddof=1)
    return format_stat(Stat(arr.size, arr.mean(), std, std / math.sqrt(arr.size)))


def test_the_runner_prints_both_incumbents(experiment):
    finals = [experiment["store"].read(f"nb201-cifar10/xnas/seed-{s:04d}")[1]["final"]
              for s in range(SEEDS)]
    lines = experiment["summary"].splitlines()
    xnas = [line.split() for line in lines if line.split()[:2] == ["nb201-cifar10", "xnas"]]
    recommended = next(" ".join(w) for w in xnas if w[2] == "recommended")
    sampled = next(" ".join(w) for w in xnas if w[2:4] == ["best", "sampled"])
    for line, prefix in ((recommended, "incumbent"), (sampled, "best_sampled")):
        assert f" {SEEDS} " in line
        for metric in ("valid", "regret", "test"):
            assert _stat_text([f[f"{prefix}_{metric}"] for f in finals]) in line, (line, metric)
    # per seed: the best sampled arch's regret beside the recommended one
    for seed, final in enumerate(finals):
        line = next(s for s in lines if s.split()[:3] == ["nb201-cifar10", "xnas", str(seed)])
        assert f"{final['best_sampled_regret']:.3f}" in line.split()[-2:]
    rs_rows = [line for line in lines if line.split()[:2] == ["nb201-cifar10", "rs"]
               and line.split()[2] in ("recommended", "best")]
    assert not rs_rows  # rs recommends its best sample: one incumbent


def test_the_report_shows_both_incumbents(experiment):
    md = experiment["md"]
    start = md.index("| task | optimizer | criterion | recommended | best sampled |")
    row = next(line for line in md[start:].splitlines() if line.startswith("| nb201-cifar10"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[:3] == ["nb201-cifar10", "xnas", "regret ↓"]
    finals = [experiment["store"].read(f"nb201-cifar10/xnas/seed-{s:04d}")[1]["final"]
              for s in range(SEEDS)]
    for cell, key in zip(cells[3:], ("incumbent_regret", "best_sampled_regret", "incumbent_test",
                                     "best_sampled_test"), strict=True):
        mean, se = (float(x) for x in re.fullmatch(r"([\d.]+) ± ([\d.]+)", cell).groups())
        values = np.array([f[key] for f in finals])
        decimals = len(cell.split(" ± ")[0].split(".")[1])
        assert mean == pytest.approx(values.mean(), abs=0.6 * 10**-decimals)
        assert se == pytest.approx(values.std(ddof=1) / math.sqrt(SEEDS),
                                   abs=0.6 * 10**-decimals)
    assert "| rs |" not in md[start:md.index("\n\n", start)]
