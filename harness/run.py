"""Run a grid of searches: ``python -m harness.run --optimizer rs --bench nb201-cifar10``.

Every (benchmark, optimizer, seed) is an independent job whose result is written atomically to
``--out``; rerunning the same command resumes, skipping what is done. Bad arguments get a message
naming the accepted values and exit code 2.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import benchmarks
import optimizers
from harness.executor import execute
from harness.oracle import NOISE_MODES, Budget, check_budget
from harness.provenance import versions
from harness.results import ExperimentMismatchError, ResultsStore
from harness.search import Job, make_config
from harness.summary import final_rows, format_summary

DEFAULTS = {"seeds": "10", "budget": "150", "noise": "seed"}

# Presets that reproduce a published protocol; explicit flags override their values.
PROTOCOLS: dict[str, dict] = {
    # NAS-Bench-201 paper (Dong & Yang, ICLR 2020), section 5 / AutoDL-Projects scripts: the
    # search sees the 12-epoch validation accuracy of cifar10-valid, one random seed per query;
    # 12,000 s of simulated training; 500 runs; the recommended arch's 200-epoch test accuracy
    # is reported. REA with population 10 and tournament 3 (--ea_population 10
    # --ea_sample_size 3 in the paper's scripts).
    "nb201-paper": {
        "optimizer": "rs,re", "bench": "nb201-cifar10", "fidelity": "hp12", "budget": "12000s",
        "seeds": "500", "noise": "seed",
        "config": {"re": {"population_size": 10, "sample_size": 3}},
    },
}


def parse_budget(text: str) -> Budget:
    """``150`` is 150 queries; ``12000s`` is 12,000 simulated training seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*(s?)\s*", text or "")
    if not match:
        raise ValueError(
            f"bad --budget {text!r}: give a positive number of queries (150) or of simulated "
            "seconds with an s suffix (12000s)"
        )
    number, seconds = match.groups()
    if seconds:
        if float(number) <= 0:
            raise ValueError(f"bad --budget {text!r}: must be > 0")
        return Budget(seconds=float(number))
    if not number.isdigit() or int(number) <= 0:
        raise ValueError(f"bad --budget {text!r}: a query budget must be an integer > 0")
    return Budget(queries=int(number))


def _names(text: str, accepted: Sequence[str], what: str) -> list[str]:
    chosen = [t.strip() for t in text.split(",") if t.strip()]
    if not chosen:
        raise ValueError(f"no {what} given; accepted: {', '.join(accepted)}")
    for name in chosen:
        if name not in accepted:
            raise ValueError(f"unknown {what} {name!r}; accepted: {', '.join(accepted)}")
    return list(dict.fromkeys(chosen))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness.run", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--optimizer",
                        help=f"comma-separated; accepted: {', '.join(optimizers.names())}")
    parser.add_argument("--bench",
                        help=f"comma-separated; accepted: {', '.join(benchmarks.names())}")
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS),
                        help="a published protocol's settings (flags given override them)")
    parser.add_argument("--seeds", help=f"number of seeds N, runs seeds 0..N-1 "
                        f"(default {DEFAULTS['seeds']})")
    parser.add_argument("--budget", help="queries (150) or simulated training seconds (12000s)"
                        f" (default {DEFAULTS['budget']})")
    parser.add_argument("--fidelity", default=None,
                        help="fidelity the search sees (NB201: hp200 or hp12); default: the "
                        "benchmark's own")
    parser.add_argument("--noise", choices=NOISE_MODES,
                        help="an evaluation returns one training seed's value, or the seed mean "
                        "(default seed)")
    parser.add_argument("--out", default=None, help="results folder; default results/<grid>")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="local worker processes")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--no-per-seed", action="store_true", help="summary without seed rows")
    return parser


def make_jobs(args: argparse.Namespace) -> tuple[list[Job], dict]:
    """Validate the arguments into jobs and the experiment's config; ValueError names the bad
    value and the accepted ones."""
    preset = PROTOCOLS[args.protocol] if args.protocol else {}
    for name in ("optimizer", "bench", "seeds", "budget", "fidelity", "noise"):
        if getattr(args, name) is None:
            setattr(args, name, preset.get(name, DEFAULTS.get(name)))
    for name in ("optimizer", "bench"):
        if getattr(args, name) is None:
            raise ValueError(f"--{name} is required (or a --protocol that sets it)")
    overrides = preset.get("config", {})
    opts = _names(args.optimizer, optimizers.names(), "optimizer")
    benches = _names(args.bench, benchmarks.names(), "benchmark")
    if not re.fullmatch(r"\d+", str(args.seeds).strip()) or int(args.seeds) <= 0:
        raise ValueError(f"bad --seeds {args.seeds!r}: give a positive number of seeds, e.g. 10")
    seeds = int(args.seeds)
    budget = parse_budget(str(args.budget))
    if args.jobs < 1:
        raise ValueError(f"bad -j {args.jobs}: need at least 1 worker")
    for name in benches:
        bench = benchmarks.load(name)
        check_budget(bench, budget)
        if args.fidelity is not None:
            bench.check_fidelity(args.fidelity)
    jobs = [
        Job(benchmark=b, optimizer=o, seed=s, budget=budget, fidelity=args.fidelity,
            noise=args.noise, config=tuple(sorted(overrides.get(o, {}).items())))
        for b in benches for o in opts for s in range(seeds)
    ]
    for opt in opts:  # refuse unknown hyperparameters before any job starts
        make_config(optimizers.get(opt), overrides.get(opt, {}))
    config = {
        "benchmarks": benches, "optimizers": opts, "seeds": seeds,
        "budget": {"queries": budget.queries, "seconds": budget.seconds},
        "fidelity": args.fidelity, "noise": args.noise, "protocol": args.protocol,
        "optimizer_config": {o: overrides[o] for o in opts if o in overrides},
    }
    return jobs, config


def default_out(config: dict) -> Path:
    budget = config["budget"]
    spent = f"{budget['queries']}q" if budget["queries"] else f"{budget['seconds']:g}s"
    name = f"{'+'.join(config['optimizers'])}_{'+'.join(config['benchmarks'])}_{spent}"
    return Path("results") / f"{name}_{config['seeds']}seeds"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        jobs, config = make_jobs(args)
    except ValueError as error:
        parser.error(str(error))  # exits with code 2
    out = Path(args.out) if args.out else default_out(config)
    store = ResultsStore(out)
    try:
        store.open_experiment(config, versions())
    except ExperimentMismatchError as error:
        parser.error(str(error))
    ran = execute(jobs, out, workers=args.jobs, progress=not args.no_progress)
    wanted = {job.key for job in jobs}
    rows = [r for r in final_rows(store) if _key(r) in wanted]
    print(f"{ran} run(s) executed, {len(jobs) - ran} already done; results in {out}")
    print(format_summary(rows, per_seed=not args.no_per_seed))
    return 0


def _key(row: dict) -> str:
    return f"{row['benchmark']}/{row['optimizer']}/seed-{row['seed']:04d}"


if __name__ == "__main__":
    sys.exit(main())
