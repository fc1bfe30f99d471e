"""Performance figures of the NB201 benchmarks: ``python -m benchmarks.perf``.

Prints (not asserts; timings belong here, not in tests):

- cold start: ``import benchmarks`` + ``load`` of all three NB201 benchmarks in a fresh process,
  median of several fresh processes, and that process's peak resident memory;
- one scalar query (an arch as a numpy vector, and as a tuple);
- vectorized throughput on 1e6 random archs;
- with ``nats_bench`` installed (``pip install nats_bench``) and the official records at
  ``--official-dir``: the official API on the same three archs, timed in this process, and a
  check that both give the same numbers.

- nb301-cifar10 (``nb301_figures``): cold load of the surrogate, batched query throughput and
  one arch's latency.
- NAS-Bench-Graph (``nbgraph_figures``; ``--only nbgraph`` prints these alone): cold load of
  its 9 benchmarks, and its query rate beside NB201's.
- ``hyperband_figure``: the real time of a Hyperband run on nb301-cifar10 of 12 hours of
  simulated training (issue 17: <= 10 s), cold (benchmark load included); ``--only hyperband``
  prints it alone.

Targets (issue 2): cold load <= 0.3 s, scalar query <= 2 us, >= 20 million archs/s; NB301:
>= 10,000 archs/s batched on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import timeit
from importlib import metadata
from pathlib import Path

import numpy as np

NB201 = ("nb201-cifar10", "nb201-cifar100", "nb201-imagenet16-120")
COLD_START = """
import json, resource, time
t0 = time.perf_counter()
import benchmarks
for name in {names!r}:
    benchmarks.load(name)
t1 = time.perf_counter()
print(json.dumps({{"load_s": t1 - t0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def cold_start(repeats: int, names=NB201) -> tuple[float, float]:
    """Median seconds of import + load in a fresh interpreter, and its peak RSS (MB)."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", COLD_START.format(names=tuple(names))],
                             capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out))
    return (statistics.median(r["load_s"] for r in runs),
            statistics.median(r["peak_rss_mb"] for r in runs))


def best_of(fn, number: int, repeat: int = 5) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def nats_bench_comparison(official_dir: Path) -> None:
    try:
        from nats_bench import create
    except ImportError:
        print("nats_bench: not installed (pip install nats_bench) - comparison skipped")
        return
    import benchmarks

    records = sorted(p for p in official_dir.glob("0*.pickle.pbz2"))
    if not records or not (official_dir / "meta.pickle.pbz2").exists():
        print(f"nats_bench: no official records in {official_dir} - comparison skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "NATS-tss-v1_0-3ffb9-simple"
        folder.mkdir()
        for path in [*records, official_dir / "meta.pickle.pbz2"]:
            shutil.copy(path, folder / path.name)
        t0 = timeit.default_timer()
        api = create(str(folder), "tss", fast_mode=True, verbose=False)
        indexes = [int(p.name.split(".")[0]) for p in records]
        for i in indexes:  # the first query of an arch reads its record from disk
            api.get_more_info(i, "cifar10-valid", hp="200", is_random=False)
        t_load = timeit.default_timer() - t0
        bench = benchmarks.load("nb201-cifar10")
        archs = [bench.space.from_index(i) for i in indexes]
        for i, arch in zip(indexes, archs, strict=True):
            theirs = api.get_more_info(i, "cifar10-valid", hp="200", is_random=False)
            ours = bench.query(arch, "valid_acc")
            assert abs(theirs["valid-accuracy"] - ours) < 1e-9, (i, theirs, ours)
            theirs_test = api.get_more_info(i, "cifar10", hp="200", is_random=False)
            assert abs(theirs_test["test-accuracy"] - bench.query(arch, "test_acc")) < 1e-9
        official = best_of(
            lambda: [api.get_more_info(i, "cifar10-valid", hp="200", is_random=False)
                     ["valid-accuracy"] for i in indexes], number=200) / len(indexes)
        ours = best_of(lambda: [bench.query(a, "valid_acc") for a in archs],
                       number=20_000) / len(archs)
        print(f"nats_bench {metadata.version('nats_bench')}: "
              f"create + first query of {len(indexes)} records {t_load:.3f} s; "
              f"one get_more_info {official * 1e6:.1f} us vs ours {ours * 1e6:.2f} us "
              f"({official / ours:.0f}x); same numbers on all {len(indexes)} records")


NB301_COLD_START = """
import json, time
t0 = time.perf_counter()
import benchmarks
benchmarks.load("nb301-cifar10")
print(json.dumps({"load_s": time.perf_counter() - t0}))
"""


def nb301_figures(repeats: int) -> None:
    """The NB301 surrogate: cold load (import, onnxruntime session from the checked model file)
    in fresh processes, batched throughput on 10^5 random genotypes (encoding included), and one
    arch uncached and cached. Targets (NB301 issue): >= 10,000 archs/s on 2 cores."""
    loads = [json.loads(subprocess.run([sys.executable, "-c", NB301_COLD_START],
                                       capture_output=True, text=True, check=True).stdout)
             ["load_s"] for _ in range(repeats)]
    import benchmarks

    bench = benchmarks.load("nb301-cifar10")
    rng = np.random.default_rng(0)
    archs = bench.space.sample(rng, 100_000)
    batch = best_of(lambda: bench.query(archs, "valid_acc"), number=1, repeat=3)
    fresh = bench.space.sample(rng, 2_000)
    uncached = best_of(lambda: [bench._predict(a[None], 98) for a in fresh], number=1) / 2_000
    cached = best_of(lambda: bench.query(fresh[0], "valid_acc"), number=10_000)
    print(f"nb301-cifar10: cold load {statistics.median(loads) * 1e3:.0f} ms (median of "
          f"{repeats} fresh processes); batched query {archs.shape[0] / batch:,.0f} archs/s "
          f"(target >= 10,000); one arch {uncached * 1e6:.0f} us, {cached * 1e6:.1f} us cached")


LOAD_AFTER_IMPORT = """
import time
import benchmarks
t0 = time.perf_counter()
for name in {names!r}:
    benchmarks.load(name)
print(time.perf_counter() - t0)
"""


def nbgraph_figures(repeats: int) -> None:
    """NAS-Bench-Graph: cold start of its 9 benchmarks in fresh processes, and the scalar and
    vectorized queries on nbgraph-cora beside NB201's on the same machine and batch size (the
    batch is random vectors of the whole space, most of them not canonical). Targets (issue
    16): cold load of the 9 <= 200 ms; vectorized queries at the NB201 rate."""
    from benchmarks.nbgraph import NAMES

    load_s, rss_mb = cold_start(repeats, NAMES)
    print(f"cold start, import + load of the {len(NAMES)} NAS-Bench-Graph benchmarks: "
          f"{load_s * 1e3:.0f} ms (median of {repeats} fresh processes; target <= 200 ms); "
          f"peak RSS {rss_mb:.0f} MB")
    nb201_s, _ = cold_start(repeats, NB201)
    loads = [float(subprocess.run([sys.executable, "-c", LOAD_AFTER_IMPORT.format(names=NAMES)],
                                  capture_output=True, text=True, check=True).stdout)
             for _ in range(repeats)]
    print(f"  the same for the 3 NB201 benchmarks: {nb201_s * 1e3:.0f} ms; the 9 loads alone, "
          f"after import benchmarks: {statistics.median(loads) * 1e3:.0f} ms")
    import benchmarks

    rng = np.random.default_rng(0)
    rates = {}
    for name in ("nb201-cifar10", "nbgraph-cora"):
        bench = benchmarks.load(name)
        if name.startswith("nbgraph"):
            vectors = bench.space.vectors()
            archs = vectors[rng.integers(0, vectors.shape[0], 1_000_000)]
        else:
            archs = bench.space.sample(rng, 1_000_000)
        rates[name] = 1e6 / best_of(lambda b=bench, a=archs: b.query(a, "valid_acc"), number=3)
        arch = archs[0]
        scalar = best_of(lambda b=bench, a=arch: b.query(a, "valid_acc"), number=100_000)
        print(f"{name}: vectorized query of 1e6 archs {rates[name] / 1e6:.1f} M archs/s; "
              f"scalar query {scalar * 1e6:.2f} us")
    print(f"nbgraph-cora / nb201-cifar10 vectorized rate: "
          f"{rates['nbgraph-cora'] / rates['nb201-cifar10']:.2f}")


def hyperband_figure(hours: float = 12.0, workers: int = 4) -> None:
    """A Hyperband run (harness.search.run, as a job runs it) on nb301-cifar10 with ``hours``
    of simulated training on ``workers`` simulated workers: its real time (target <= 10 s for
    12 hours), evaluations, and simulated wall clock."""
    import time

    from harness.oracle import Budget
    from harness.search import Job, run

    job = Job("nb301-cifar10", "hyperband", 0, Budget(seconds=hours * 3600), workers=workers)
    started = time.perf_counter()
    table, manifest = run(job)
    real = time.perf_counter() - started
    print(f"hyperband on nb301-cifar10, {hours:g} h of simulated training on {workers} workers: "
          f"{real:.2f} s real time (target <= 10 s), {table.num_rows} evaluations, simulated "
          f"wall clock {manifest['spent']['wall_clock'] / 3600:.2f} h")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="NB201 benchmark performance figures")
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes for cold start")
    parser.add_argument("--official-dir", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "data" / "nb201"
                        / "official_format")
    parser.add_argument("--only", choices=("nbgraph", "hyperband"),
                        help="print only the NAS-Bench-Graph figures, or only the Hyperband run")
    args = parser.parse_args(argv)
    if args.only == "nbgraph":
        nbgraph_figures(args.repeats)
        return 0
    if args.only == "hyperband":
        hyperband_figure()
        return 0

    load_s, rss_mb = cold_start(args.repeats)
    print(f"cold start, import + load of {len(NB201)} NB201 benchmarks: {load_s * 1e3:.1f} ms "
          f"(median of {args.repeats} fresh processes; target <= 300 ms); peak RSS {rss_mb:.0f} MB")

    import benchmarks

    bench = benchmarks.load("nb201-cifar10")
    rng = np.random.default_rng(0)
    arch = bench.space.sample(rng)
    arch_tuple = tuple(arch.tolist())
    scalar = best_of(lambda: bench.query(arch, "valid_acc"), number=100_000)
    scalar_tuple = best_of(lambda: bench.query(arch_tuple, "valid_acc"), number=100_000)
    print(f"scalar query: {scalar * 1e6:.2f} us (numpy vector), {scalar_tuple * 1e6:.2f} us "
          "(tuple); target <= 2 us")

    archs = bench.space.sample(rng, 1_000_000)
    vectorized = best_of(lambda: bench.query(archs, "valid_acc"), number=3)
    noisy = best_of(lambda: bench.query(archs, "valid_acc", rng=rng), number=3)
    print(f"vectorized query of 1e6 archs: {vectorized * 1e3:.1f} ms = "
          f"{1e6 / vectorized / 1e6:.1f} M archs/s (target >= 20); one-seed draws "
          f"{1e6 / noisy / 1e6:.1f} M archs/s")
    import resource

    print(f"peak RSS of this process (1e6-arch batch held): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    nats_bench_comparison(args.official_dir)
    import benchmarks as all_benchmarks

    every = all_benchmarks.names()
    load_all_s, rss_all_mb = cold_start(args.repeats, every)
    print(f"cold start, import + load of all {len(every)} benchmarks: {load_all_s * 1e3:.0f} ms "
          f"(target <= 1000 ms); peak RSS {rss_all_mb:.0f} MB")
    nb301_figures(args.repeats)
    nbgraph_figures(args.repeats)
    hyperband_figure()
    return 0


if __name__ == "__main__":
    sys.exit(main())
