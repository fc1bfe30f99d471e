"""Multi-fidelity search: continuations charged as resumed runs, the simulated clock of parallel
workers, and successive halving, Hyperband and ASHA checked against their definitions."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import benchmarks
from benchmarks.base import Benchmark, Metric
from harness.oracle import Budget, BudgetExhaustedError, Oracle
from harness.search import Job, fidelity_ladder, run
from harness.simulator import simulate
from optimizers.asha import ASHA
from optimizers.base import Optimizer
from optimizers.hyperband import Hyperband, SuccessiveHalving
from optimizers.multi_fidelity import rung_fidelities

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def nb301():
    return benchmarks.load("nb301-cifar10")


@pytest.fixture(scope="module")
def nb201():
    return benchmarks.load("nb201-cifar10")


def _archs(bench, n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [bench.space.sample(rng) for _ in range(n)]


# --- the oracle at a fidelity -------------------------------------------------------------
def test_a_continuation_is_charged_only_the_difference(nb301) -> None:
    arch = _archs(nb301, 1)[0]
    times = nb301.learning_curves(arch[None], "train_time")[0]
    running = np.maximum.accumulate(times)  # a resumed run never trained for less than before
    oracle = Oracle(nb301, Budget(seconds=1e6), rng=np.random.default_rng(0))
    first = oracle.evaluate(arch, "epoch4")
    assert first.cost == pytest.approx(times[3]) and first.resumed_from is None
    second = oracle.evaluate(arch, "epoch11")
    assert second.resumed_from == "epoch4"
    assert second.cost == pytest.approx(running[10] - running[3], rel=1e-6)
    third = oracle.evaluate(arch, "epoch98")
    assert third.cost == pytest.approx(times[97] - running[10], rel=1e-6)
    # the three pieces of one run cost what training it straight to epoch 98 costs
    assert oracle.seconds == pytest.approx(times[3] + times[97] - running[3], rel=1e-6)
    assert oracle.seconds < times[3] + times[10] + times[97]
    # the value is the epoch's own: a resumed run is the same run
    assert second.value == pytest.approx(nb301.query(arch, "valid_acc", "epoch11"))
    # going back is a new run, charged in full, and the new run is the one resumed next
    again = oracle.evaluate(arch, "epoch2")
    assert again.cost == pytest.approx(times[1]) and again.resumed_from is None
    assert oracle.evaluate(arch, "epoch33").resumed_from == "epoch2"
    rows = oracle.trajectory
    assert [r.fidelity for r in rows] == ["epoch4", "epoch11", "epoch98", "epoch2", "epoch33"]
    assert [r.resumed_from for r in rows] == [None, "epoch4", "epoch11", None, "epoch2"]
    assert math.fsum(r.cost for r in rows) == pytest.approx(oracle.seconds)


def test_nb201_hp12_to_hp200_is_a_new_run_charged_in_full(nb201) -> None:
    arch = _archs(nb201, 1)[0]
    oracle = Oracle(nb201, Budget(seconds=1e6), rng=np.random.default_rng(0))
    oracle.evaluate(arch, "hp12")
    later = oracle.evaluate(arch, "hp200")
    assert later.resumed_from is None
    assert later.cost == nb201.cost(arch, "hp200")
    assert oracle.seconds == nb201.cost(arch, "hp12") + nb201.cost(arch, "hp200")


def test_the_budget_refuses_a_continuation_it_cannot_afford(nb301) -> None:
    arch = _archs(nb301, 1)[0]
    cost4 = nb301.cost(arch, "epoch4")
    step = nb301.resumed_cost(arch, "epoch98") - nb301.resumed_cost(arch, "epoch4")
    oracle = Oracle(nb301, Budget(seconds=cost4 + step * 0.99), rng=np.random.default_rng(0))
    oracle.evaluate(arch, "epoch4")
    assert not oracle.can_afford(arch, "epoch98")
    with pytest.raises(BudgetExhaustedError):
        oracle.evaluate(arch, "epoch98")
    assert oracle.seconds == pytest.approx(cost4) and len(oracle.trajectory) == 1


# --- the simulated clock --------------------------------------------------------------------
class _Toy(Benchmark):
    """Costs chosen for a schedule computed by hand: arch[0] + 1 seconds per epoch."""

    name, kind = "toy", "tabular"
    fidelities, default_fidelity, resumable = ("e1", "e3"), "e3", True
    metrics = {"valid_acc": Metric("valid_acc", "toy", "toy", validation=True)}

    def __init__(self, space) -> None:
        self.space = space

    def fidelity_epochs(self, fidelity=None) -> int:
        return {"e1": 1, "e3": 3}[self.check_fidelity(fidelity)]

    def cost(self, archs, fidelity=None):
        return float((np.asarray(archs)[0] + 1) * self.fidelity_epochs(fidelity))

    def query(self, archs, metric, fidelity=None, rng=None):
        return float(np.asarray(archs)[1] * 10 + self.fidelity_epochs(fidelity))


class _Script(Optimizer):
    """Asks a fixed list of (arch, fidelity), never waiting; records when it is told."""

    name = "script"

    def __init__(self, requests) -> None:
        super().__init__(None, np.random.default_rng(0))
        self.requests = list(requests)
        self.told: list[tuple[int, ...]] = []

    def ask(self):
        return self.requests.pop(0) if self.requests else None

    def tell(self, arch, observation) -> None:
        super().tell(arch, observation)
        self.told.append(tuple(int(a) for a in arch))


def test_the_simulated_clock_equals_a_schedule_computed_by_hand(nb201) -> None:
    bench = _Toy(nb201.space)
    a, b, c, d, e = (np.array([k, i, 0, 0, 0, 0]) for i, k in enumerate((2, 0, 1, 3, 0)))
    # 2 workers; costs at e1: a 3, b 1, c 2, d 4, e 1. By hand:
    # t=0: a on w0 (ends 3), b on w1 (ends 1); t=1: b in, c on w1 (ends 3);
    # t=3: a in (started first of the two ending at 3), d on w0 (ends 7); c in, e on w1 (ends 4);
    # t=4: e in, and the last ask, b continued from e1 to e3 (2 s more at 1 s/epoch), on w1
    # (ends 6); t=6: b in; t=7: d in.
    opt = _Script([(x, "e1") for x in (a, b, c, d, e)] + [(b, "e3")])
    arrivals = simulate(opt, Oracle(bench, Budget(seconds=100), np.random.default_rng(0)),
                        workers=2)
    got = [(a_.row.arch[1], a_.worker, a_.started, a_.finished) for a_ in arrivals]
    assert got == [(1, 1, 0.0, 1.0), (0, 0, 0.0, 3.0), (2, 1, 1.0, 3.0), (4, 1, 3.0, 4.0),
                   (1, 1, 4.0, 6.0), (3, 0, 3.0, 7.0)]
    assert arrivals[4].row.resumed_from == "e1" and arrivals[4].row.cost == 2.0
    assert opt.told == [a_.row.arch for a_ in arrivals]


def test_one_worker_is_the_sequential_loop(nb201) -> None:
    table, manifest = run(Job("nb201-cifar10", "re", 3, Budget(queries=40)))
    assert table["wall_clock"].to_pylist() == pytest.approx(table["cum_seconds"].to_pylist())
    assert table["step"].to_pylist() == list(range(40))
    assert manifest["spent"]["wall_clock"] == pytest.approx(manifest["spent"]["seconds"])


def test_a_synchronous_method_waits_where_the_asynchronous_one_does_not(nb301) -> None:
    """Successive halving with 4 workers, then the very same evaluations (same archs and
    fidelities, in the same order) asked without waiting for the rungs."""
    budget = Budget(seconds=40_000)
    ladder = fidelity_ladder(nb301, None)
    sh = SuccessiveHalving(nb301.space, np.random.default_rng(0), fidelities=ladder)
    sync = simulate(sh, Oracle(nb301, budget, np.random.default_rng(0)), workers=4)
    assert {a.row.fidelity for a in sync} >= {"epoch1", "epoch4"}  # it crossed a rung
    requests = [(np.array(a.row.arch), a.row.fidelity)
                for a in sorted(sync, key=lambda a: a.row.step)]
    asynchronous = simulate(_Script(requests), Oracle(nb301, budget, np.random.default_rng(0)),
                            workers=4)
    assert sorted(a.row.cost for a in asynchronous) == pytest.approx(
        sorted(a.row.cost for a in sync))  # the same evaluations, the same charges
    assert asynchronous[-1].finished < sync[-1].finished
    # the synchronous one idles: 4 workers x its wall clock exceed the training it did
    assert 4 * sync[-1].finished > sum(a.row.cost for a in sync) * 1.01


# --- the methods -----------------------------------------------------------------------------
def test_rungs_follow_hyperband(nb301, nb201) -> None:
    assert rung_fidelities(fidelity_ladder(nb301, None), 3) == [
        "epoch1", "epoch4", "epoch11", "epoch33", "epoch98"]  # 98 * 3^-k, k = 4..0, rounded
    assert rung_fidelities(fidelity_ladder(nb201, None), 3) == ["hp12", "hp200"]
    with pytest.raises(ValueError, match="two fidelities"):
        rung_fidelities(fidelity_ladder(nb201, "hp12"), 3)


def _run_direct(cls, bench, seconds: float, workers: int = 1, seed: int = 0):
    opt = cls(bench.space, np.random.default_rng(seed), fidelities=fidelity_ladder(bench, None))
    oracle = Oracle(bench, Budget(seconds=seconds), np.random.default_rng(seed))
    return opt, oracle, simulate(opt, oracle, workers=workers)


def test_hyperband_brackets_and_survivors(nb201) -> None:
    """NB201 (two rungs, s_max = 1, eta = 3): bracket s = 1 evaluates ceil(2/2 * 3) = 3 archs at
    hp12 and the best floor(3/3) = 1 at hp200; bracket s = 0 evaluates ceil(2/1 * 1) = 2 at
    hp200; then again."""
    _, _, arrivals = _run_direct(Hyperband, nb201, 30_000)
    rows = [a.row for a in arrivals]
    pattern = ["hp12"] * 3 + ["hp200"] + ["hp200"] * 2
    assert [r.fidelity for r in rows[:12]] == pattern * 2
    for start in (0, 6):
        low = rows[start:start + 3]
        best = max(low, key=lambda r: r.value)
        assert rows[start + 3].arch == best.arch
        assert len({r.arch for r in rows[start:start + 6]}) == 5  # two fresh archs at s = 0


def test_successive_halving_keeps_the_top_third_on_nb301(nb301) -> None:
    """The first bracket, in the order evaluations started: 81 archs at epoch 1, the best 27 of
    them resumed to epoch 4, the best 9 of those to epoch 11, 3 to 33, 1 to 98; then a new
    bracket of 81."""
    _, oracle, arrivals = _run_direct(SuccessiveHalving, nb301, 60_000, workers=4)
    rows = sorted((a.row for a in arrivals), key=lambda r: r.step)
    sizes, start, previous = (81, 27, 9, 3, 1), 0, None
    for size, fidelity in zip(sizes, ("epoch1", "epoch4", "epoch11", "epoch33", "epoch98"),
                              strict=True):
        rung = rows[start:start + size]
        assert len(rung) == size and {r.fidelity for r in rung} == {fidelity}
        if previous is not None:
            top = sorted(previous, key=lambda r: (-r.value, r.step))[:size]
            assert {r.arch for r in rung} == {r.arch for r in top}
            assert {r.resumed_from for r in rung} == {previous[0].fidelity}
        previous, start = rung, start + size
    assert {r.fidelity for r in rows[start:]} == {"epoch1"}  # the next bracket had begun
    assert oracle.seconds <= 60_000


def test_asha_promotes_only_the_top_third_of_what_has_arrived(nb201) -> None:
    _, oracle, arrivals = _run_direct(ASHA, nb201, 60_000, workers=1)
    seen: list = []
    for a in arrivals:  # one worker: the order they start is the order they arrive
        row = a.row
        if row.fidelity == "hp200":
            low = sorted((r for r in seen if r.fidelity == "hp12"), key=lambda r: -r.value)
            assert row.arch in {r.arch for r in low[: len(low) // 3]}
        seen.append(row)
    assert sum(r.fidelity == "hp200" for r in seen) >= 3
    assert oracle.seconds <= 60_000


@pytest.mark.parametrize("optimizer", ["sh", "hyperband", "asha", "rs"])
@pytest.mark.parametrize("bench", ["nb201-cifar10", "nb301-cifar10"])
def test_budgets_are_never_exceeded(optimizer: str, bench: str) -> None:
    seconds = 30_000.0
    table, manifest = run(Job(bench, optimizer, 1, Budget(seconds=seconds), workers=4))
    costs = table["cost"].to_numpy()
    assert manifest["spent"]["seconds"] <= seconds
    assert math.fsum(costs) == pytest.approx(manifest["spent"]["seconds"])
    assert np.all(np.diff(table["wall_clock"].to_numpy()) >= 0)  # arrivals in finish order
    assert table["wall_clock"][-1].as_py() >= costs.max()
    queries = run(Job(bench, optimizer, 1, Budget(queries=9), workers=4))[0]
    assert queries.num_rows == 9


_CHILD = """
import json, sys
from harness.oracle import Budget
from harness.search import Job, run
table, _ = run(Job(sys.argv[1], sys.argv[2], 5, Budget(seconds=float(sys.argv[3])), workers=4))
print(json.dumps({k: table[k].to_pylist() for k in ("arch", "fidelity", "wall_clock", "worker")}))
"""


@pytest.mark.parametrize("bench, optimizer, seconds", [
    ("nb201-cifar10", "asha", 40_000), ("nb201-cifar10", "bohb", 60_000),
    ("nb301-cifar10", "re-lce", 30_000)])
def test_same_seed_same_result_in_another_process(bench, optimizer, seconds) -> None:
    table, _ = run(Job(bench, optimizer, 5, Budget(seconds=seconds), workers=4))
    here = {k: table[k].to_pylist() for k in ("arch", "fidelity", "wall_clock", "worker")}
    out = subprocess.run([sys.executable, "-c", _CHILD, bench, optimizer, str(seconds)],
                         capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "123", "PATH": ""},
                         check=True).stdout
    assert json.loads(out) == here
    other, _ = run(Job(bench, optimizer, 6, Budget(seconds=seconds), workers=4))
    assert other["arch"].to_pylist() != here["arch"]


# --- learning-curve early stopping -----------------------------------------------------------
def test_re_lce_stops_exactly_the_runs_whose_extrapolation_is_below_the_incumbent(nb301) -> None:
    """One worker: each arch starts at epoch 20 (0.2 of 98); the next evaluation resumes it to
    epoch 98 iff lce's extrapolation of its logged curve is not below the best 98-epoch value
    so far (always, before the first)."""
    from predictors.lce import LCEPredictor

    table, manifest = run(Job("nb301-cifar10", "re-lce", 2, Budget(seconds=60_000)))
    rows = table.to_pylist()
    space = nb301.space
    partial = [i for i, r in enumerate(rows) if r["fidelity"] == "epoch20"]
    archs = np.stack([space.from_string(rows[i]["arch"]) for i in partial])
    curves = nb301.learning_curves(archs)[:, :20]
    predicted = LCEPredictor(final_epoch=98).predict(info={"curve": curves})
    best, decided = -np.inf, 0
    for k, i in enumerate(partial):
        best = max([best] + [r["value"] for r in rows[:i] if r["fidelity"] == "epoch98"])
        if i + 1 == len(rows) or abs(predicted[k] - best) < 1e-6:
            continue  # the budget ended the run here, or too close to call in floating point
        resumed = rows[i + 1]["fidelity"] == "epoch98"
        assert resumed == (predicted[k] >= best), (k, predicted[k], best)
        if resumed:
            arch = archs[k]
            assert rows[i + 1]["arch"] == rows[i]["arch"]
            assert rows[i + 1]["resumed_from"] == "epoch20"
            assert rows[i + 1]["cost"] == pytest.approx(
                nb301.resumed_cost(arch, "epoch98") - nb301.resumed_cost(arch, "epoch20"))
        decided += 1
    stats = manifest["diagnostics"]
    assert decided >= 10 and stats["stopped"] > 0 and stats["completed"] > 1
    assert stats["stopped"] + stats["completed"] <= len(partial)
    assert manifest["spent"]["seconds"] <= 60_000


def test_lce_stopping_needs_one_schedule(nb201) -> None:
    with pytest.raises(ValueError, match="epoch 40 of 200"):
        run(Job("nb201-cifar10", "re-lce", 0, Budget(seconds=20_000)))


def test_the_multi_fidelity_preset_grid() -> None:
    from harness import run as run_cli

    args = run_cli.build_parser().parse_args(["--preset", "multi-fidelity", "--seeds", "2"])
    jobs, config = run_cli.make_jobs(args)
    pairs = {(j.benchmark, j.optimizer) for j in jobs}
    assert {j.workers for j in jobs} == {4} and config["workers"] == 4
    assert config["budget"] == {"queries": None, "seconds": 172_800.0}
    full = {"rs", "re", "bananas", "sh", "hyperband", "asha", "bohb"}
    benches = {"nb301-cifar10", "nb201-cifar10", "nb201-cifar100", "nb201-imagenet16-120"}
    expected = {(b, o) for b in benches for o in full} | {
        ("nb301-cifar10", "re-lce"), ("nb301-cifar10", "bananas-lce")}
    assert pairs == expected and len(jobs) == 2 * len(expected)


# --- BOHB ---------------------------------------------------------------------------------------
def test_bohb_density_by_hand_and_against_statsmodels() -> None:
    from optimizers.bohb import KDE

    data = np.array([[0, 1], [1, 1], [2, 0]])
    kde = KDE(data, levels=np.array([3, 2]), min_bandwidth=1e-3)
    bw = 1.06 * data.std(axis=0) * 3 ** (-1 / 6)  # normal reference rule, n = 3, d = 2
    bw = np.minimum(bw, [2 / 3, 1 / 2])  # capped where the kernel is uniform
    assert kde.bw == pytest.approx(bw)
    x = np.array([[0, 1]])
    # Aitchison-Aitken: 1 - h on the same level, h / (c - 1) elsewhere; product, then mean
    by_hand = ((1 - bw[0]) * (1 - bw[1]) + bw[0] / 2 * (1 - bw[1]) + bw[0] / 2 * bw[1]) / 3
    assert kde.pdf(x)[0] == pytest.approx(by_hand)
    sm = pytest.importorskip("statsmodels.nonparametric.api")
    rng = np.random.default_rng(0)
    # every level present (statsmodels counts levels in the data), concentrated enough that
    # the bandwidth stays under the cap (4/5)
    data = np.vstack([np.arange(5).repeat(2).reshape(5, 2), np.full((20, 2), 2),
                      rng.integers(1, 4, (5, 2))])
    ours = KDE(data, levels=np.array([5, 5]), min_bandwidth=1e-3)
    assert (ours.bw < 0.8).all()
    theirs = sm.KDEMultivariate(data=data, var_type="uu", bw="normal_reference")
    assert ours.bw == pytest.approx(theirs.bw)
    points = rng.integers(0, 5, (20, 2))
    assert ours.pdf(points) == pytest.approx([float(theirs.pdf(p)) for p in points])


def test_bohb_samples_from_the_model_once_a_rung_has_enough_results(nb201) -> None:
    opt, oracle, arrivals = _run_direct(__import__("optimizers.bohb").bohb.BOHB, nb201, 150_000)
    stats = opt.diagnostics()
    assert stats["model_rungs"] and stats["sampled_from_model"] > 0
    # the model's archs are among the brackets' fresh archs: no arch starts twice
    first_rung = [a.row.arch for a in arrivals if a.row.resumed_from is None
                  and a.row.fidelity == "hp12"]
    assert len(first_rung) == len(set(first_rung))
    assert oracle.seconds <= 150_000


# --- nb301 learning curves for the curve predictors ------------------------------------------
def test_lce_is_evaluated_on_nb301_curves(tmp_path, nb301) -> None:
    """The curve pool is a fixed sample (same archs in any process); lce ranks better with
    more of the curve (measured on 200 archs x 2 seeds: tau 0.36, 0.71, 0.83 at 10, 24, 49 of
    98 epochs), and its target is the 98-epoch value the search optimizes."""
    from predictors import evaluate_predictor
    from predictors.evaluate import CURVE_SAMPLE, curve_pool

    pool = curve_pool("nb301-cifar10")
    assert pool.shape == (CURVE_SAMPLE, 32) and len({tuple(a) for a in pool}) == CURVE_SAMPLE
    rows = evaluate_predictor("lce", "nb301-cifar10", test_size=100, seeds=1,
                              fidelities=(0.1, 0.5), out=tmp_path / "lce")
    tau = dict(zip(rows["fidelity"], rows["kendall_tau"], strict=True))
    assert 0.1 < tau[0.1] < tau[0.5] and 0.7 < tau[0.5] < 0.95


def test_the_python_api_runs_simulated_workers(tmp_path) -> None:
    from harness import load_results, run_experiment

    rows = run_experiment("asha,rs", "nb201-cifar10", seeds=1, budget="20000s",
                          out=tmp_path / "api", simulated_workers=3)
    assert sorted(rows["optimizer"]) == ["asha", "rs"] and (rows["seconds"] <= 20_000).all()
    frame = load_results(tmp_path / "api")
    assert set(frame["worker"]) == {0, 1, 2}
    assert (frame.groupby("optimizer")["wall_clock"].max() < 20_000 / 3 * 1.5).all()


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "bad --workers 0: give a number of simulated workers >= 1"),
    (["--optimizer", "hyperband", "--bench", "tnb101-micro-jigsaw"], "two fidelities"),
    (["--optimizer", "re-lce", "--bench", "nb201-cifar10"], "epoch 40 of 200"),
])
def test_bad_multi_fidelity_arguments_exit_2(tmp_path, capsys, argv, message) -> None:
    from harness import run as run_cli

    base = {"--optimizer": "asha", "--bench": "nb201-cifar10"}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        base[flag] = value
    args = [x for pair in base.items() for x in pair]
    with pytest.raises(SystemExit) as info:
        run_cli.main([*args, "--seeds", "1", "--out", str(tmp_path / "x"), "--no-progress"])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_reports_plot_against_the_simulated_wall_clock(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from harness import run_experiment
    from harness.report import figures
    from harness.report.analysis import analyze_search
    from harness.report.load import load

    run_experiment("asha,sh", "nb201-cifar10", seeds=2, budget="20000s", out=tmp_path / "r",
                   simulated_workers=4)
    exp = load(tmp_path / "r")
    for run_ in exp.runs:  # the curve read is the trajectory's wall clock, not its training
        assert run_.curve["wall_clock"][-1] < run_.curve["cum_seconds"][-1]
    png, column = figures.task_curves(exp, analyze_search(exp), "nb201-cifar10", x="wall-clock")
    assert column == "wall_clock" and png[:4] == b"\x89PNG"
