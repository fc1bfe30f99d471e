"""Run a grid of searches: ``python -m harness.run --optimizer rs --bench nb201-cifar10``.

Every (benchmark, optimizer, seed) is an independent job whose result is written atomically to
``--out``; rerunning the same command resumes, skipping what is done. Bad arguments get a message
naming the accepted values and exit code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import benchmarks
import optimizers
import optimizers.registry
from benchmarks.registry import NB201_NAMES
from harness import plugins
from harness.choices import parse_methods, parse_names
from harness.executor import execute
from harness.hyperparameters import parse_settings
from harness.hypervolume import moocore
from harness.interrupts import Interrupted
from harness.multi_objective import task_front
from harness.objectives import make_problems, single_objective
from harness.oracle import NOISE_MODES, Budget, check_budget
from harness.provenance import versions
from harness.ray_executor import RayUnavailableError, execute_ray, import_ray
from harness.results import ExperimentMismatchError, ResultsStore
from harness.search import Job, build_optimizer, check_optimizer_fits, make_config
from harness.summary import final_rows, format_summary
from harness.threads import default_threads
from optimizers.xnas.supernet import cli as supernet_cli

DEFAULTS = {"seeds": "10", "budget": "150", "noise": "seed"}
PER_SEED_ROWS = 50  # the summary lists each run only up to this many (unless --per-seed)
NB301 = "nb301-cifar10"  # the benchmark that --nb301-models configures

# Presets that reproduce a published protocol; explicit flags override their values.
PROTOCOLS: dict[str, dict] = {
    # NAS-Bench-201 paper (Dong & Yang, ICLR 2020), section 5 / AutoDL-Projects scripts: the
    # search sees the 12-epoch validation accuracy of cifar10-valid, one training seed per
    # query as the paper draws it where the tables have per-seed hp12 values (--nb201-tables,
    # built from the official archive); the shipped tables (public record) hold only the hp12
    # seed mean, so that is served there (the manifest's oracle.served says which); 12,000 s
    # of simulated training; 500 runs; the recommended arch's
    # 200-epoch test accuracy is reported. REA with population 10, tournament 3
    # (--ea_population 10 --ea_sample_size 3 in the paper's scripts) and the paper's
    # node-first mutation; REINFORCE with its script's learning rate and baseline.
    "nb201-paper": {
        "optimizer": "rs,re,reinforce", "bench": "nb201-cifar10", "fidelity": "hp12",
        "budget": "12000s", "seeds": "500", "noise": "seed",
        "config": {"re": {"population_size": 10, "sample_size": 3, "mutation": "node-first"}},
    },
}

# reinforce: defined on categorical spaces only; the multi-fidelity methods: they need two
# fidelities with epochs (nb301, NB201; re-lce and bananas-lce: nb301), and have their own preset
SUITE_EXCLUDED = ("reinforce", "sh", "hyperband", "asha", "bohb", "re-lce", "bananas-lce")

# Whole-suite presets (--preset): a grid and its results folder, then the report, written to
# reports/<name of the results folder> as python -m harness.report does. Budget and seeds are
# sized for a 2-core machine with -j 2 (timings in the README); flags override them.
PRESETS: dict[str, dict] = {
    # every optimizer on every benchmark, then python -m harness.report; reinforce (the NB201
    # paper's baseline, in its protocol) is left out: it is defined on categorical spaces only
    "suite": {
        "optimizer": ",".join(n for n in optimizers.registry.builtin_names()
                              if n not in SUITE_EXCLUDED),
        "bench": ",".join(benchmarks.names()),
        "seeds": "20", "budget": "150", "noise": "seed",
        "out": "results/suite", "report": True,
    },
    # Multi-fidelity methods against full-fidelity ones on the benchmarks with fidelities, all
    # on 4 simulated workers (harness.simulator), every run with the same budget of simulated
    # training (summed over its workers: 172,800 s = 4 workers x 12 h); the report plots the
    # anytime curves against the simulated wall clock. Learning-curve early stopping needs the
    # epochs of one schedule with logged curves: nb301 only.
    "multi-fidelity": {
        "optimizer": "rs,re,bananas,sh,hyperband,asha,bohb,re-lce,bananas-lce",
        "bench": "nb301-cifar10,nb201-cifar10,nb201-cifar100,nb201-imagenet16-120",
        "only_on": {"re-lce": ["nb301-cifar10"], "bananas-lce": ["nb301-cifar10"]},
        "seeds": "10", "budget": "172800s", "noise": "seed", "workers": 4,
        "out": "results/multi-fidelity", "report": True, "x": "wall-clock",
    },
    # python -m predictors.evaluate with its default protocol, per benchmark every predictor
    # whose needs the evaluation can meet there, then the report
    "predictors-suite": {
        "seeds": "10", "out": "results/predictors-suite", "report": True,
    },
}


def runs_on(preset: dict, optimizer: str, benchmark: str) -> bool:
    """Whether a preset's grid has ``optimizer`` on ``benchmark`` (its ``only_on`` lists the
    benchmarks of optimizers that cannot run on all of them)."""
    only = preset.get("only_on", {}).get(optimizer)
    return only is None or benchmark in only


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




def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness.run", description=__doc__.splitlines()[0],
    )
    parser.add_argument("--optimizer",
                        help=f"comma-separated; accepted: {', '.join(optimizers.names())}, or "
                        "package.module:ClassName (a plugin)")
    parser.add_argument("--bench",
                        help=f"comma-separated; accepted: {', '.join(benchmarks.names())}")
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS),
                        help="a published protocol's settings (flags given override them)")
    parser.add_argument("--preset", choices=sorted(PRESETS),
                        help="a whole suite and its report: 'suite' runs every optimizer on "
                        "every benchmark, 'predictors-suite' evaluates every predictor, "
                        "'multi-fidelity' runs sh, hyperband, asha against rs, re, bananas on 4 "
                        "simulated workers (flags given override the preset's seeds, budget, "
                        "workers, out)")
    parser.add_argument("--seeds", help=f"number of seeds N, runs seeds 0..N-1 "
                        f"(default {DEFAULTS['seeds']}; 1 with --supernet); more seeds for an "
                        "existing experiment are added to it")
    parser.add_argument("--budget", help="queries (150) or simulated training seconds (12000s)"
                        f" (default {DEFAULTS['budget']})")
    parser.add_argument("--fidelity", default=None,
                        help="fidelity the search sees (NB201: hp200 or hp12); default: the "
                        "benchmark's own")
    parser.add_argument("--noise", choices=NOISE_MODES,
                        help="an evaluation returns one training seed's value, or the seed mean "
                        "(default seed; where the public record has only the mean, as NB201 at "
                        "hp12, the mean is served either way and the manifest says so)")
    parser.add_argument("--nb301-models", default=None, metavar="DIR",
                        help="answer nb301-cifar10 with the official NB301 surrogate ensembles: "
                        "the downloaded nb_models folder (xgb_v1.0 and lgb_runtime_v1.0 inside) "
                        "or one accuracy ensemble folder")
    parser.add_argument("--nb201-tables", default=None, metavar="DIR",
                        help="answer the nb201-* benchmarks from tables built from the official "
                        "NATS-Bench archive (python -m benchmarks.build.nb201 --official-archive):"
                        " per-epoch curves for every arch, one seed per query at hp12; default: "
                        "the shipped tables")
    parser.add_argument("--objectives", action="append", default=[], metavar="[BENCH=]M1,M2",
                        help="multi-objective search: the budgeted valid_acc and free cost "
                        "metrics, e.g. valid_acc,latency (directions from the metrics); scope "
                        "one to a benchmark with BENCH=, e.g. nb301-cifar10=valid_acc,params "
                        "(repeatable)")
    parser.add_argument("--constraint", action="append", default=[], dest="constraints",
                        metavar="[BENCH=]METRIC<=BOUND",
                        help="a bound on a free cost metric, in its unit, e.g. latency<=0.015 "
                        "or latency<=15ms, params<=1.0 (repeatable; BENCH= scopes it)")
    parser.add_argument("--set", action="append", default=[], metavar="OPTIMIZER.NAME=VALUE",
                        dest="settings",
                        help="an optimizer hyperparameter, repeatable: --set "
                        "re.population_size=20 --set ls.first_improvement=true (the config "
                        "classes of optimizers/ list the names and cite the defaults)")
    parser.add_argument("--out", default=None,
                        help="results folder; default results/<every setting that changes "
                        "results>, so unlike experiments never share a folder")
    parser.add_argument("-j", "--jobs", type=int, default=1,
                        help="local worker processes (with --executor ray and no --address: "
                        "the CPUs of the local Ray instance) (default 1)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per job for torch and BLAS; default: OMP_NUM_THREADS if "
                        "set, else the cores divided by -j (recorded in each run's manifest)")
    parser.add_argument("--workers", type=int, default=None,
                        help="simulated parallel workers of each search (harness.simulator): "
                        "evaluations occupy a worker for their training time and results arrive "
                        "in the order they finish; unlike -j, a property of the experiment "
                        "(default 1)")
    parser.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="where jobs run: local processes (default), or Ray tasks (needs "
                        "the ray extra: pip install -e '.[ray]')")
    parser.add_argument("--address", default=None,
                        help="with --executor ray: an existing Ray cluster's address "
                        "(e.g. auto or ray://host:10001); default: a local Ray instance")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    seed_rows = parser.add_mutually_exclusive_group()
    seed_rows.add_argument("--per-seed", action="store_true", default=None,
                           help=f"summary with one row per run (default: only when there are "
                           f"at most {PER_SEED_ROWS} runs)")
    seed_rows.add_argument("--no-per-seed", action="store_false", dest="per_seed",
                           help="summary without seed rows")
    parser.add_argument("--list", action="store_true",
                        help="print every optimizer, predictor and benchmark, built-in and "
                        "installed, and exit")
    supernet_cli.add_arguments(parser)
    return parser


def make_jobs(args: argparse.Namespace) -> tuple[list[Job], dict]:
    """Validate the arguments into jobs and the experiment's config; ValueError names the bad
    value and the accepted ones."""
    if args.protocol and getattr(args, "preset", None):
        raise ValueError("give --protocol or --preset, not both")
    preset = PROTOCOLS[args.protocol] if args.protocol else PRESETS.get(
        getattr(args, "preset", None) or "", {})
    for name in ("optimizer", "bench", "seeds", "budget", "fidelity", "noise"):
        if getattr(args, name) is None:
            setattr(args, name, preset.get(name, DEFAULTS.get(name)))
    for name in ("optimizer", "bench"):
        if getattr(args, name) is None:
            raise ValueError(f"--{name} is required (or a --protocol or --preset that sets it)")
    overrides = {name: dict(values) for name, values in preset.get("config", {}).items()}
    classes = parse_methods(args.optimizer, optimizers.registry, "optimizer")
    opts = list(classes)
    settings = list(getattr(args, "settings", None) or [])
    for name, values in parse_settings(settings, classes).items():
        if name not in opts:
            raise ValueError(f"--set {name}.{next(iter(values))}=...: optimizer {name} is not "
                             f"in --optimizer ({', '.join(opts)})")
        overrides.setdefault(name, {}).update(values)
    benches = parse_names(args.bench, benchmarks.names(), "benchmark")
    if not re.fullmatch(r"\d+", str(args.seeds).strip()) or int(args.seeds) <= 0:
        raise ValueError(f"bad --seeds {args.seeds!r}: give a positive number of seeds, e.g. 10")
    seeds = int(args.seeds)
    budget = parse_budget(str(args.budget))
    if args.jobs < 1:
        raise ValueError(f"bad -j {args.jobs}: need at least 1 worker")
    workers = getattr(args, "workers", None)
    workers = preset.get("workers", 1) if workers is None else workers
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"bad --workers {workers}: give a number of simulated workers >= 1")
    if getattr(args, "threads", None) is not None and args.threads < 1:
        raise ValueError(f"bad --threads {args.threads}: need at least 1")
    options = _benchmark_options(args, benches)
    checksums, spaces, loaded = {}, {}, {}
    for name in benches:
        bench = loaded[name] = benchmarks.load(name, **dict(options.get(name, ())))
        spaces[name] = bench.space
        check_budget(bench, budget)
        if args.fidelity is not None:
            bench.check_fidelity(args.fidelity)
        checksums[name] = bench.checksum
    paths = {o: plugins.import_path(cls) for o, cls in classes.items()
             if not optimizers.registry.is_builtin(cls)}
    problems = _problems(args, loaded, classes)
    if workers != 1 and any(len(p["objectives"]) > 1 for p in problems.values()):
        raise ValueError(f"bad --workers {workers}: a multi-objective run has one simulated "
                         "worker")
    jobs = [
        Job(benchmark=b, optimizer=o, seed=s, budget=budget, fidelity=args.fidelity,
            noise=args.noise, config=tuple(sorted(overrides.get(o, {}).items())),
            benchmark_options=options.get(b, ()), optimizer_path=paths.get(o),
            **problems.get(b, {}), workers=workers)
        for b in benches for o in opts if runs_on(preset, o, b) for s in range(seeds)
    ]
    for opt in opts:  # refuse bad hyperparameters here, not in a worker after jobs started
        optimizer_cls = classes[opt]
        try:
            opt_config = make_config(optimizer_cls, overrides.get(opt, {}))
            for name in (b for b in benches if runs_on(preset, opt, b)):  # what depends on the
                # benchmark: an encoding, the fidelities
                build_optimizer(optimizer_cls, loaded[name], np.random.default_rng(0),
                                opt_config, budget, args.fidelity)
        except ValueError as error:
            raise ValueError(f"{opt}: {error}") from None
    config = {
        "benchmarks": benches, "optimizers": opts, "seeds": seeds,
        "budget": {"queries": budget.queries, "seconds": budget.seconds},
        "fidelity": args.fidelity, "noise": args.noise, "protocol": args.protocol,
        "optimizer_config": {o: overrides[o] for o in opts if o in overrides},
    }
    if paths:  # only then, likewise: what ran, so another version is another experiment
        config["plugins"] = {o: plugins.provenance(classes[o]) for o in paths}
    if getattr(args, "preset", None):  # only then: earlier experiments resume unchanged
        config["preset"] = args.preset
    if workers != 1:  # only then, likewise; names the default results folder
        config["workers"] = workers
    if settings:  # only then, likewise; names the default results folder
        config["settings"] = sorted(s.strip() for s in settings)
    if getattr(args, "nb301_models", None) is not None:  # only then: old experiments resume
        config["nb301_models"] = dict(options[NB301])
        config["nb301_models"]["sha256"] = checksums[NB301]
    nb201 = [name for name in benches if name in NB201_NAMES]
    if getattr(args, "nb201_tables", None) is not None:  # only then, likewise
        config["nb201_tables"] = {"path": dict(options[nb201[0]])["tables"],
                                  "sha256": checksums[nb201[0]]}
    if problems:  # only then, likewise; names the default results folder
        config["problems"] = {b: {k: list(v) for k, v in p.items()} for b, p in problems.items()}
    return jobs, config


def _problems(args: argparse.Namespace, loaded: dict, opts: dict[str, type]) -> dict:
    """Per benchmark the Job fields ``objectives`` and ``constraints`` that --objectives and
    --constraint ask for ({} for a plain single-objective grid); ValueError names the bad
    value and what is accepted, and a missing multi-objective dependency or stored front."""
    objectives = list(getattr(args, "objectives", None) or [])
    constraints = list(getattr(args, "constraints", None) or [])
    if not objectives and not constraints:
        for opt in opts:
            check_optimizer_fits(opts[opt], single_objective(next(iter(loaded.values()))))
        return {}
    problems = make_problems(loaded, objectives, constraints)
    out = {}
    for name, problem in problems.items():
        for opt in opts:
            try:
                check_optimizer_fits(opts[opt], problem)
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None
        if problem.multi:
            try:
                moocore()
                if "nsga2" in opts:
                    import pymoo  # noqa: F401
            except ImportError as error:
                raise ValueError(f"{error} (multi-objective runs need the mo extra: "
                                 "pip install -e '.[mo]')") from None
            task_front(loaded[name], problem)  # bounds stored, built from this data
        out[name] = {"objectives": tuple(o.describe() for o in problem.objectives),
                     "constraints": tuple(c.describe() for c in problem.constraints)}
    return out


def _benchmark_options(args: argparse.Namespace, benches: list[str]) -> dict:
    """Per benchmark, the ``benchmarks.load`` options the flags ask for, as the jobs carry
    them (absolute paths, so every worker reads the same files)."""
    options = {}
    if getattr(args, "nb201_tables", None) is not None:
        nb201 = [name for name in benches if name in NB201_NAMES]
        if not nb201:
            raise ValueError(f"--nb201-tables applies to {', '.join(NB201_NAMES)}, which "
                             f"--bench ({', '.join(benches)}) lacks")
        folder = str(Path(args.nb201_tables).expanduser().resolve())
        options = {name: (("tables", folder),) for name in nb201}
    if getattr(args, "nb301_models", None) is None:
        return options
    if NB301 not in benches:
        raise ValueError(
            f"--nb301-models applies to {NB301}, which --bench ({', '.join(benches)}) lacks"
        )
    folder = Path(args.nb301_models).expanduser().resolve()
    return {**options, NB301: (("official_models", str(folder)),)}


def default_out(config: dict) -> Path:
    """``results/<name>``, the name made of every setting that changes results (the seeds
    excepted: more seeds are added to the same experiment). A protocol's name stands for the
    settings it sets; other settings appear where they differ from the defaults."""
    budget = config["budget"]
    spent = f"{budget['queries']}q" if budget["queries"] else f"{budget['seconds']:g}s"
    parts = ["+".join(config["optimizers"]), "+".join(config["benchmarks"]), spent]
    protocol = PROTOCOLS.get(config.get("protocol") or "", {})
    if config.get("protocol"):
        parts.append(config["protocol"])
    if config.get("fidelity") and config["fidelity"] != protocol.get("fidelity"):
        parts.append(config["fidelity"])
    if config.get("noise") != protocol.get("noise", DEFAULTS["noise"]):
        parts.append(f"noise-{config['noise']}")
    if "nb301_models" in config:
        parts.append(f"nb301official-{config['nb301_models']['sha256'][:8]}")
    if "nb201_tables" in config:
        parts.append(f"nb201tables-{config['nb201_tables']['sha256'][:8]}")
    if config.get("workers", 1) != 1:
        parts.append(f"{config['workers']}workers")
    if config.get("settings"):
        parts.append(",".join(config["settings"]))
    for bench, problem in config.get("problems", {}).items():
        names = [o.split(":")[0] for o in problem["objectives"]] + problem["constraints"]
        parts.append(f"{bench}={','.join(names)}".replace("<=", "le").replace(">=", "ge"))
    return Path("results") / "_".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if supernet_cli.wanted(args):  # weight-sharing search: its own jobs, not ask/tell
        if args.nb201_tables is not None:
            parser.error("--nb201-tables applies to searches through the oracle; a --supernet "
                         "run scores its arch on the shipped tables")
        return supernet_cli.main(args, parser)
    if args.list:
        print(listing())
        return 0
    if args.preset == "predictors-suite":
        return _predictors_suite(args, parser)
    try:
        jobs, config = make_jobs(args)
    except ValueError as error:
        parser.error(str(error))  # exits with code 2
    if args.address is not None and args.executor != "ray":
        parser.error(f"--address {args.address!r} applies to --executor ray only")
    if args.executor == "ray":
        try:
            import_ray()
        except RayUnavailableError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    preset = PRESETS.get(args.preset or "", {})
    out = Path(args.out or preset.get("out") or default_out(config))
    threads = args.threads or default_threads(args.jobs if args.executor == "local" else 1)
    try:
        ran = run_grid(jobs, config, out, workers=args.jobs, executor=args.executor,
                       address=args.address, progress=not args.no_progress, threads=threads)
    except ExperimentMismatchError as error:
        parser.error(str(error))
    except Interrupted as stop:
        done = sum(ResultsStore(out).is_done(job.key) for job in jobs)
        print(f"interrupted: {done} of {len(jobs)} runs done; rerun the same command to resume",
              file=sys.stderr)
        return stop.exit_code
    rows = grid_rows(out, jobs)
    print(f"{ran} run(s) executed, {len(jobs) - ran} already done; results in {out}")
    per_seed = args.per_seed
    if per_seed is None:
        per_seed = len(rows) <= PER_SEED_ROWS and not args.preset
    print(format_summary(rows, per_seed=per_seed))
    if not per_seed and args.per_seed is None:
        print(f"({len(rows)} runs: per-run rows with --per-seed)")
    if preset.get("report"):
        return _report(out, x=preset.get("x", "queries"))
    return 0


def run_grid(jobs: Sequence[Job], config: dict, out: Path, workers: int = 1,
             executor: str = "local", address: str | None = None, progress: bool = True,
             threads: int | None = None) -> int:
    """Open (or resume) the experiment at ``out`` and run the jobs not done yet with the
    executor; return how many ran here. ExperimentMismatchError: ``out`` holds another
    config; ``harness.interrupts.Interrupted``: stopped by Ctrl-C or SIGTERM (what finished is
    kept). ``threads`` per job: see ``harness.threads``."""
    ResultsStore(out).open_experiment(config, versions())
    if executor == "ray":
        return execute_ray(jobs, out, workers=workers, progress=progress, address=address,
                           threads=threads)
    return execute(jobs, out, workers=workers, progress=progress, threads=threads)


def grid_rows(out: Path, jobs: Sequence[Job]) -> list[dict]:
    """The final rows (``harness.summary.final_row``) of ``jobs``, in the store's order."""
    wanted = {job.key for job in jobs}
    return [r for r in final_rows(ResultsStore(out)) if _key(r) in wanted]


def listing() -> str:
    """Every optimizer, predictor and benchmark, built-in and installed (``--list``)."""
    from predictors import registry as predictor_registry

    lines = []
    for title, registry in (("optimizers", optimizers.registry),
                            ("predictors", predictor_registry)):
        lines.append(f"{title}:")
        lines += [f"  {name:<12} built-in" for name in registry.builtin_names()]
        multi = getattr(registry, "multi_objective_names", list)()
        lines += [f"  {name:<12} built-in, multi-objective (--objectives)" for name in multi]
        builtin = {*registry.builtin_names(), *multi}
        for name, entry in plugins.installed(registry.GROUP).items():
            clash = " (refused: clashes with a built-in)" if name in builtin else ""
            lines.append(f"  {name:<12} {entry.target} from {entry.distribution} "
                         f"{entry.version}{clash}")
    lines.append("benchmarks:")
    lines += [f"  {name}" for name in benchmarks.names()]
    lines.append("(any package.module:ClassName is accepted too: --optimizer, --predictor)")
    return "\n".join(lines)


def _report(results: Path, x: str = "queries") -> int:
    """Build the report of a preset's results into reports/<name>; needs the report extra."""
    out = Path("reports") / results.resolve().name
    try:
        from harness.report import build_report

        paths = build_report(results, out, x=x)
    except ImportError as error:
        print(f"report not built ({error}): pip install -e '.[report]', then "
              f"python -m harness.report {results} --out {out} --x {x}", file=sys.stderr)
        return 1
    print(f"report written: {paths['html']} and {paths['markdown']}")
    return 0


def _predictors_suite(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Every predictor on every benchmark (or --bench), one ``predictors.evaluate.main`` call
    per pair with its default protocol (--seeds and --out override the preset), then the report.

    Zero-cost proxies use NAS-Bench-Suite-Zero's precomputed scores (computing them on CPU
    networks would take hours). A pair the evaluation refuses (exit code 2: a need it cannot
    meet there, too few scored archs) is skipped with its reason. A space too small for the
    protocol (the 192-cell TNB101 tasks) gets a test set of half its archs and the training
    sizes that fit, in a subfolder (a folder holds one protocol). Optimizer flags do not apply.
    """
    if args.protocol:
        parser.error("give --protocol or --preset, not both")
    try:
        from predictors import evaluate, registry
    except ImportError as error:  # predictors.evaluate missing or its extras not installed
        print(f"error: the predictors suite needs predictors.evaluate: {error}", file=sys.stderr)
        return 2
    preset = PRESETS["predictors-suite"]
    out = Path(args.out or preset["out"])
    try:
        benches = parse_names(args.bench or ",".join(benchmarks.names()), benchmarks.names(),
                         "benchmark")
    except ValueError as error:
        parser.error(str(error))
    sizes = [int(n) for n in str(evaluate.DEFAULTS["train_sizes"]).split(",")]
    test = int(evaluate.DEFAULTS["test_size"])
    common = ["--seeds", str(args.seeds or preset["seeds"]), "--quiet"]
    if args.nb201_tables is not None:
        common += ["--nb201-tables", args.nb201_tables]
        benchmarks.use_nb201_tables(args.nb201_tables)
    if "--zc-source" in evaluate.build_parser().format_help():
        common += ["--zc-source", "precomputed"]
    failed = 0
    for name in benches:
        bench = benchmarks.load(name)
        folder, protocol = out, []
        n_archs = len(bench.all_archs()) if hasattr(bench, "all_archs") else None
        if n_archs is not None and n_archs < test + max(sizes):
            half = n_archs // 2
            folder = out / f"test{half}"
            protocol = ["--test-size", str(half), "--train-sizes",
                        ",".join(str(n) for n in sizes if n <= n_archs - half)]
        for predictor in registry.builtin_names():
            started = time.perf_counter()
            outcome = _quietly(evaluate.main, ["--predictor", predictor, "--bench", name,
                                               *common, *protocol, "--out", str(folder)])
            print(f"{name} {predictor}: {outcome} ({time.perf_counter() - started:.1f} s)",
                  flush=True)
            failed += outcome.startswith("failed")
    code = _report(out)
    return 1 if failed else code


def _quietly(main_function, argv: list[str]) -> str:
    """Run a CLI ``main`` with its output captured: 'done', 'skipped: <its error line>' (it
    refused the arguments), or 'failed: <exception>' (it crashed; the suite goes on)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main_function(argv)
    except SystemExit as error:
        code = error.code
    except Exception as error:  # noqa: BLE001 - reported, and the suite's exit code says so
        return f"failed: {type(error).__name__}: {error}"
    if code:
        lines = stderr.getvalue().strip().splitlines() or [f"exit code {code}"]
        return f"skipped: {lines[-1].split('error: ', 1)[-1]}"
    return "done"


def _key(row: dict) -> str:
    return f"{row['benchmark']}/{row['optimizer']}/seed-{row['seed']:04d}"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # before any run started (the grid handles Ctrl-C itself)
        print("interrupted before any run started", file=sys.stderr)
        sys.exit(130)
