"""The Python API for notebooks and scripts; ``python -m harness.run`` is a layer over it.

``run_experiment`` runs a grid with the same jobs, results store, resume and executors as the
command line and returns the final results as a pandas DataFrame; ``load_results`` reads a
results folder back as a DataFrame. Example (it runs in the tests)::

    >>> import harness
    >>> finals = harness.run_experiment(optimizers=["rs", "re"], benchmarks="nb201-cifar10",
    ...                                 seeds=3, budget=20, out=tmp / "api-demo")
    >>> finals[["optimizer", "seed", "queries"]].head(2).to_string(index=False)
    'optimizer  seed  queries\\n       re     0       20\\n       re     1       20'
    >>> runs = harness.load_results(tmp / "api-demo")
    >>> len(runs), sorted(runs["optimizer"].unique())
    (120, ['re', 'rs'])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.interrupts import Interrupted, restore_signals
from harness.results import ResultsStore
from harness.threads import default_threads

if TYPE_CHECKING:
    import pandas as pd


def run_experiment(
    optimizers: str | type | Sequence[str | type],
    benchmarks: str | Sequence[str],
    seeds: int = 10,
    budget: int | str = 150,
    out: str | Path | None = None,
    workers: int = 1,
    *,
    fidelity: str | None = None,
    noise: str = "seed",
    settings: Sequence[str] = (),
    executor: str = "local",
    address: str | None = None,
    progress: bool = False,
    threads: int | None = None,
    objectives: Sequence[str] = (),
    constraints: Sequence[str] = (),
    simulated_workers: int = 1,
) -> pd.DataFrame:
    """Run every (benchmark, optimizer, seed) of the grid that ``out`` does not hold yet and
    return one row of final results per job (``harness.summary.final_row``: benchmark,
    optimizer, seed, queries, seconds, incumbent, incumbent_valid, incumbent_test,
    incumbent_regret, best_observed).

    ``optimizers``: names (built-in or installed), ``package.module:ClassName`` strings, or
    ``Optimizer`` subclasses defined at the top level of a module (workers import them by
    path), alone or in a list. ``budget``: queries (``150``) or simulated seconds
    (``"12000s"``). ``settings``: hyperparameters as ``--set`` takes them
    (``["re.population_size=20"]``). ``out``: the results folder (default
    ``results/<grid>``, as the CLI's); a rerun resumes. ``executor``: ``"local"`` processes
    (``workers`` of them) or ``"ray"``. Bad arguments raise ValueError naming what is
    accepted (the CLI's exit code 2). ``threads`` per job as the CLI's ``--threads``
    (default: ``OMP_NUM_THREADS`` if set, else the cores divided by ``workers``). Ctrl-C raises
    ``harness.interrupts.Interrupted`` once the running jobs are finished or ended (what
    finished is kept; a rerun resumes). The folder is in ``DataFrame.attrs["out"]``, the number
    of jobs run now in ``attrs["ran"]``. ``objectives`` and ``constraints``: as the CLI's
    repeatable ``--objectives`` and ``--constraint`` (``["valid_acc,latency"]``,
    ``["latency<=15ms"]``; see ``harness.objectives``); a multi-objective run's row holds
    ``hypervolume``, ``hv_regret``, ``front_size`` and its final ``front``.
    ``simulated_workers``: the CLI's ``--workers`` (each search on that many simulated parallel
    workers, ``harness.simulator``), unlike ``workers`` (real processes).
    """
    import pandas as pd

    from harness import run as cli

    args = cli.build_parser().parse_args([])
    args.optimizer = _as_list(optimizers)
    args.bench = benchmarks if isinstance(benchmarks, str) else ",".join(benchmarks)
    args.seeds, args.budget = str(seeds), str(budget)
    args.fidelity, args.noise, args.settings = fidelity, noise, list(settings)
    args.jobs, args.executor, args.address = workers, executor, address
    args.objectives, args.constraints = list(objectives), list(constraints)
    args.workers = simulated_workers
    jobs, config = cli.make_jobs(args)
    folder = Path(out) if out is not None else cli.default_out(config)
    if threads is None:
        threads = default_threads(workers if executor == "local" else 1)
    try:
        ran = cli.run_grid(jobs, config, folder, workers=workers, executor=executor,
                           address=address, progress=progress, threads=threads)
    except Interrupted:
        restore_signals()  # the session goes on: Ctrl-C interrupts it again
        raise
    frame = pd.DataFrame(cli.grid_rows(folder, jobs))
    frame.attrs.update(out=str(folder), ran=ran)
    return frame


def load_results(path: str | Path) -> pd.DataFrame:
    """The results folder ``path`` as one DataFrame: for search runs every trajectory row
    (``step``, ``arch``, ``value``, ``cum_queries``, ``incumbent_valid``, ...; see
    ``harness.search``) with its ``benchmark``, ``optimizer`` and ``seed``; for a folder written
    by ``python -m predictors.evaluate`` its rows (one per benchmark, predictor, seed, training
    size and fidelity). ValueError when the folder holds neither."""
    import pandas as pd

    store = ResultsStore(path)
    if not Path(path).is_dir():
        raise ValueError(f"results folder {str(path)!r} does not exist")
    frames = []
    for key in store.job_keys():
        table, manifest = store.read(key)
        frame = table.to_pandas()
        if "optimizer" in manifest.get("job", {}) and "predictor" not in frame:
            job = manifest["job"]
            frame.insert(0, "seed", job["seed"])
            frame.insert(0, "optimizer", job["optimizer"])
            frame.insert(0, "benchmark", job["benchmark"])
        frames.append(frame)
    if not frames:
        raise ValueError(f"results folder {str(path)!r} holds no results")
    return pd.concat(frames, ignore_index=True)


def _as_list(optimizers) -> str | list:
    if isinstance(optimizers, str):
        return optimizers
    if isinstance(optimizers, type):
        return [optimizers]
    return list(optimizers)
