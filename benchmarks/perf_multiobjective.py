"""Performance figures of multi-objective search: ``python -m benchmarks.perf_multiobjective``.

Prints (not asserts; timings belong here, not in tests):

- the closed-form nb301-cifar10 costs (``benchmarks.networks.darts_cost``): archs/s of
  ``params`` and ``flops`` on a batch of random genotypes (target >= 10,000 archs/s);
- the hypervolume (``harness.hypervolume``, moocore) of 150 points in 2 and 3 objectives,
  best of several repeats per call (target <= 1 ms);
- 150-query runs of every multi-objective optimizer beside the single-objective optimizer of
  its family (mo-rs / rs, nsga2 and mo-re / re, parego / bananas), on nb201-cifar10 with
  objectives valid_acc and latency: CPU seconds of ``harness.search.run`` (process time, so that
  other jobs on the machine do not count; per seed the fastest of ``--repeats`` runs, since
  noise only ever adds time; median over seeds after one warm-up run that pays the imports;
  hypervolume bookkeeping included) and the median and quartiles of the per-seed ratio
  (target <= 1). The two runs of a pair alternate, which of them goes first alternating too,
  so that a change of load on a shared machine hits both alike;
- ``mo-re`` replaying its own recorded tournament winners (``benchmarks.replayed_mo_re``: the
  same draws, archs and multi-objective bookkeeping, no population ranking) against ``re``:
  how much of mo-re's ratio is the harness's multi-objective machinery and how much its
  ranking;
- ``nsga2`` beside pymoo's own ``NSGA2`` algorithm object run through ask/tell with the same
  operators and seeds (``tests/nsga2_pymoo_reference.py``; the same archs in the same order),
  timed the same way: what re-expressing pymoo's loop over arrays saves.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np

REFERENCE = "tests.nsga2_pymoo_reference:PymooNSGA2"
RECORDED = "benchmarks.replayed_mo_re:RecordedMORE"
REPLAYED = "benchmarks.replayed_mo_re:ReplayedMORE"
FAMILIES = (("mo-rs", "rs"), ("nsga2", "re"), ("mo-re", "re"), ("parego", "bananas"))


def cost_throughput(n: int) -> dict[str, float]:
    from benchmarks.networks import darts_cost
    from benchmarks.spaces.darts import DartsSpace

    archs = DartsSpace().sample(np.random.default_rng(0), n)
    out = {}
    for name, fn in (("params", darts_cost.params), ("flops", darts_cost.flops)):
        seconds = min(timeit.repeat(lambda fn=fn: fn(archs), number=1, repeat=5))
        out[name] = n / seconds
    return out


def hypervolume_ms(points: int, objectives: int, repeats: int = 200) -> float:
    from harness.hypervolume import hypervolume

    rng = np.random.default_rng(objectives)
    data = rng.random((points, objectives))
    data[:, 0] = 1 - data[:, 1:].mean(axis=1) + 0.1 * data[:, 0]  # many non-dominated points
    ideal, nadir = np.zeros(objectives), np.full(objectives, 1.2)
    hypervolume(data, ideal, nadir)  # import moocore first
    return min(timeit.repeat(lambda: hypervolume(data, ideal, nadir), number=20,
                             repeat=repeats // 20)) / 20 * 1e3


def _job(optimizer: str, seed: int, budget: int, optimizer_path: str | None = None):
    from harness import search
    from harness.oracle import Budget

    objectives = ("valid_acc:max", "latency:min") if optimizer.startswith(("mo-", "nsga2",
                                                                            "parego")) else ()
    return search.Job("nb201-cifar10", optimizer, seed=seed, budget=Budget(queries=budget),
                      objectives=objectives, optimizer_path=optimizer_path)


def paired_seconds(first: Callable[[int], object], second: Callable[[int], object], seeds: int,
                   repeats: int = 3) -> tuple[float, float, tuple[float, float, float]]:
    """Median over seeds of each job's fastest of ``repeats`` runs per seed (CPU seconds;
    noise only ever adds time, so the fastest is the least disturbed), and the quartiles of
    the per-seed ratio, first over second (its median is the figure: both runs of a seed share
    the machine's state, where two medians over seeds need not). ``first(seed)`` and
    ``second(seed)`` build the jobs. The two alternate, which one goes first alternating too,
    so that neither always follows the other."""
    from harness import search

    fastest: tuple[list[float], list[float]] = ([], [])
    for seed in range(-1, seeds):  # seed -1: the warm-up
        times: tuple[list[float], list[float]] = ([], [])
        for repeat in range(repeats if seed >= 0 else 1):
            for which in (0, 1) if (seed + repeat) % 2 else (1, 0):
                job = (first, second)[which](seed + 1000)
                started = time.process_time()
                search.run(job)
                times[which].append(time.process_time() - started)
        if seed >= 0:
            for which in (0, 1):
                fastest[which].append(min(times[which]))
    ratios = [a / b for a, b in zip(*fastest, strict=True)]
    quartiles = (statistics.quantiles(ratios, n=4, method="inclusive") if len(ratios) > 1
                 else ratios * 3)
    return statistics.median(fastest[0]), statistics.median(fastest[1]), tuple(quartiles)


def against_pymoo(seeds: int, budget: int,
                  repeats: int = 3) -> tuple[float, float, tuple[float, float, float]]:
    """``paired_seconds`` of ``nsga2`` and of pymoo's own ``NSGA2`` algorithm object run
    through ask/tell with the same operators (``tests/nsga2_pymoo_reference.py``): the same
    archs in the same order (a test checks it), so the difference is pymoo's per-generation
    machinery."""
    root = str(Path(__file__).resolve().parents[1])  # the reference lives in the repo's tests/
    if root not in sys.path:
        sys.path.insert(0, root)
    return paired_seconds(lambda seed: _job("nsga2", seed, budget),
                          lambda seed: _job("nsga2", seed, budget, REFERENCE), seeds, repeats)


def recorded_winners(seed: int, budget: int) -> list[int]:
    """The tournament winners of a ``mo-re`` run, checked by replaying them: a replay that
    evaluates other archs than mo-re did is an error."""
    from benchmarks.replayed_mo_re import RecordedMORE, ReplayedMORE
    from harness import search

    RecordedMORE.winners.clear()
    recorded = search.run(_job("mo-re", seed, budget, RECORDED))[0]
    winners = RecordedMORE.winners[0]
    ReplayedMORE.queue[:] = [winners]
    if search.run(_job("mo-re", seed, budget, REPLAYED))[0].column("arch") != recorded.column(
            "arch"):
        raise RuntimeError(f"seed {seed}: the replay left mo-re's path")
    return winners


def ranking_share(seeds: int, budget: int,
                  repeats: int = 3) -> tuple[float, float, tuple[float, float, float]]:
    """``paired_seconds`` of ``ReplayedMORE``, fed each seed's ``recorded_winners`` (recorded
    when the seed's first job is built, outside the timings), and ``re``."""
    from benchmarks.replayed_mo_re import ReplayedMORE

    winners: dict[int, list[int]] = {}

    def replayed_job(seed: int):
        if seed not in winners:
            winners[seed] = recorded_winners(seed, budget)
        ReplayedMORE.queue[:] = [winners[seed]]
        return _job("mo-re", seed, budget, REPLAYED)

    return paired_seconds(replayed_job, lambda seed: _job("re", seed, budget), seeds, repeats)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive int")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=_positive, default=5,
                        help="runs per optimizer (median)")
    parser.add_argument("--repeats", type=_positive, default=3,
                        help="runs per optimizer and seed (the fastest counts)")
    parser.add_argument("--budget", type=_positive, default=150)
    parser.add_argument("--archs", type=_positive, default=100_000,
                        help="batch for the cost figures")
    args = parser.parse_args(argv)
    import benchmarks

    benchmarks.load("nb201-cifar10")  # loads outside the timings
    for name, rate in cost_throughput(args.archs).items():
        print(f"nb301-cifar10 {name:<6} closed form: {rate:>12,.0f} archs/s (target >= 10,000)")
    for k in (2, 3):
        print(f"hypervolume of 150 points, {k} objectives: {hypervolume_ms(150, k):.3f} ms "
              "(target <= 1 ms)")
    print(f"{args.budget}-query runs on nb201-cifar10 (valid_acc, latency), CPU seconds, median "
          f"over {args.seeds} seeds of the fastest of {args.repeats} runs:")
    for multi, family in FAMILIES:
        seconds, single, (low, ratio, high) = paired_seconds(
            lambda seed, multi=multi: _job(multi, seed, args.budget),
            lambda seed, family=family: _job(family, seed, args.budget), args.seeds,
            args.repeats)
        print(f"  {multi:<7} {seconds:7.4f} s   {family:<8} {single:7.4f} s   "
              f"ratio {ratio:.2f} (target <= 1; quartiles {low:.2f}-{high:.2f})")
    replayed, single, (low, ratio, high) = ranking_share(args.seeds, args.budget, args.repeats)
    print(f"  mo-re replaying its recorded winners (no ranking) {replayed:7.4f} s   re "
          f"{single:7.4f} s   ratio {ratio:.2f} (quartiles {low:.2f}-{high:.2f}): the rest of "
          "mo-re's ratio is its ranking")
    ours, pymoos, (low, ratio, high) = against_pymoo(args.seeds, args.budget, args.repeats)
    print(f"  nsga2   {ours:7.4f} s   pymoo's own NSGA2 (same draws) {pymoos:7.4f} s   "
          f"ratio {ratio:.2f} (quartiles {low:.2f}-{high:.2f})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the figures printed so far stand; the rest were not measured
        print("interrupted: the figures above are complete, the rest were not measured",
              file=sys.stderr)
        sys.exit(130)
