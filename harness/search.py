"""One search run: an optimizer against an oracle until the budget is spent.

A run is a pure function of its ``Job``: the optimizer's generator and the oracle's noise
generator are both spawned from the job's seed, so the same job gives the same trajectory in any
process. After the search, the harness (never the optimizer) looks up the ground truth of each
incumbent: its seed-mean validation accuracy, its regret and its test accuracy.

An optimizer whose recommendation is not the best architecture it observed (XNAS recommends its
discretized mixture; ``recommends_best_observed`` is False) gets a second incumbent, the best
sampled architecture (the first with the highest validation value the search observed at the
run's fidelity), with the same ground truth, in the trajectory's ``best_sampled*`` columns and
the manifest's final block: the gap between what the method learned and what it saw is then on
record.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa

import benchmarks
import optimizers
import optimizers.registry
from harness import plugins
from harness.objectives import Problem, parse_problem
from harness.oracle import Budget, Oracle, TrajectoryRow
from harness.provenance import versions
from harness.simulator import Arrival, simulate


@dataclass(frozen=True)
class Job:
    """Everything that determines a run's result."""

    benchmark: str
    optimizer: str
    seed: int
    budget: Budget
    fidelity: str | None = None  # what the search sees; None: the benchmark's default
    noise: str = "seed"
    config: tuple[tuple[str, Any], ...] = ()  # optimizer hyperparameters overriding defaults
    # benchmarks.load options, e.g. (("official_models", "/abs/nb_models_1.0"),): they travel
    # with the job to any worker process, and leave the job's key unchanged
    benchmark_options: tuple[tuple[str, str], ...] = ()
    # A plugin's "package.module:ClassName" (None for a built-in or an installed entry point's
    # name, which ``optimizers.get`` finds by ``optimizer``): how a worker imports the class
    optimizer_path: str | None = None
    # what the run optimizes (harness.objectives, canonical text forms): objectives, the
    # budgeted one first ("valid_acc:max", "latency:min"), and constraints ("latency<=0.015");
    # empty: the benchmark's objective alone, unconstrained
    objectives: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    # Simulated parallel workers (harness.simulator): a property of the simulated experiment,
    # unlike -j (real processes); the trajectory's wall_clock is the simulated clock.
    workers: int = 1

    def problem(self, bench) -> Problem:
        return parse_problem(bench, self.objectives, self.constraints)

    @property
    def key(self) -> str:
        """Relative path of the job's result in the store."""
        return f"{self.benchmark}/{self.optimizer}/seed-{self.seed:04d}"

    def describe(self) -> dict:
        out = {
            "benchmark": self.benchmark,
            "optimizer": self.optimizer,
            "seed": self.seed,
            "budget": asdict(self.budget),
            "fidelity": self.fidelity,
            "noise": self.noise,
            "config": dict(self.config),
        }
        if self.benchmark_options:  # absent otherwise: earlier manifests stay as they were
            out["benchmark_options"] = dict(self.benchmark_options)
        if self.optimizer_path:  # likewise
            out["optimizer_path"] = self.optimizer_path
        if self.objectives:  # likewise
            out["objectives"] = list(self.objectives)
        if self.constraints:
            out["constraints"] = list(self.constraints)
        if self.workers != 1:  # likewise
            out["workers"] = self.workers
        return out


def plugin_record(optimizer_cls: type) -> dict:
    """``{"plugin": {import_path, distribution, version}}`` for an optimizer that is not
    built in (so a result says exactly what ran), else nothing."""
    if optimizers.registry.is_builtin(optimizer_cls):
        return {}
    return {"plugin": plugins.provenance(optimizer_cls)}


def make_config(optimizer_cls, overrides) -> Any:
    """The optimizer's default hyperparameters with ``overrides`` applied; unknown names are
    refused with the accepted ones listed."""
    overrides = dict(overrides)
    fields = {f.name for f in dataclasses.fields(optimizer_cls.Config)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {', '.join(unknown)} for {optimizer_cls.name}; "
            f"accepted: {', '.join(sorted(fields)) or 'none'}"
        )
    return dataclasses.replace(optimizer_cls.Config(), **overrides)


def fidelity_ladder(bench, fidelity: str | None) -> list[tuple[str, int]]:
    """The fidelities a multi-fidelity method may use on ``bench`` up to the run's ``fidelity``
    (its target), as (name, epochs) by increasing epochs; fidelities without an epoch count
    are left out."""
    target = bench.check_fidelity(fidelity)
    top = bench.fidelity_epochs(target)
    if top is None:
        return []
    ladder = [(f, bench.fidelity_epochs(f)) for f in bench.fidelities]
    return sorted(((f, e) for f, e in ladder if e is not None and e <= top), key=lambda p: p[1])


def build_optimizer(optimizer_cls, bench, rng, config, budget, fidelity: str | None = None):
    """An optimizer for ``bench``; a multi-fidelity one (``uses_fidelities``) also gets the
    fidelity ladder up to the run's fidelity."""
    if getattr(optimizer_cls, "uses_fidelities", False):
        return optimizer_cls(bench.space, rng, config, budget=budget,
                             fidelities=fidelity_ladder(bench, fidelity))
    return optimizer_cls(bench.space, rng, config, budget=budget)


def served_value(bench, oracle: Oracle) -> str:
    """What an evaluation returned: ``"seed"`` (one training seed's value) or ``"mean"`` (the
    seed mean). ``noise="seed"`` asks for one seed, but where the public record holds only the
    mean (NB201 at hp12, TNB101, the YAHPO NB301 surrogate) the mean is all there is."""
    per_seed = bench.check_metric(bench.objective).per_seed
    return "seed" if oracle.noise == "seed" and oracle.fidelity in per_seed else "mean"


def run(job: Job) -> tuple[pa.Table, dict]:
    """Run ``job``; return its trajectory table and its manifest."""
    started = time.perf_counter()
    bench = benchmarks.load(job.benchmark, **dict(job.benchmark_options))
    optimizer_rng, noise_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(job.seed).spawn(2)
    )
    problem = job.problem(bench)
    optimizer_cls = optimizers.get(job.optimizer_path or job.optimizer)
    check_optimizer_fits(optimizer_cls, problem)
    plain = not (problem.multi or problem.constraints)  # a run as before objectives existed
    oracle = Oracle(bench, job.budget, rng=noise_rng, fidelity=job.fidelity, noise=job.noise,
                    curves=getattr(optimizer_cls, "uses_curves", False),
                    problem=None if plain else problem)
    if problem.multi and job.workers != 1:
        raise ValueError("a multi-objective run has one simulated worker (its trajectory is "
                         f"in evaluation order); got workers={job.workers}")
    optimizer = build_optimizer(optimizer_cls, bench, optimizer_rng,
                                make_config(optimizer_cls, job.config), job.budget, job.fidelity)
    optimizer.bind(problem, oracle.measure)

    def incumbent(arrived: list[TrajectoryRow]):  # the incumbent arch, or the incumbent set
        if problem.multi:
            return np.asarray(optimizer.recommend_set())
        return _feasible_incumbent(bench, arrived, problem, optimizer.recommend())

    arrivals = simulate(optimizer, oracle, workers=job.workers, incumbent=incumbent)
    if not arrivals:
        raise RuntimeError(f"{job.key}: the budget {job.budget.describe()} affords no evaluation")
    if problem.multi:  # one worker: arrivals are in evaluation order, as the table expects
        from harness.multi_objective import trajectory_table

        incumbents = [a.incumbent for a in arrivals]
        table, final, pareto_task = trajectory_table(bench, oracle, problem, incumbents)
    else:
        best_sampled = not getattr(optimizer_cls, "recommends_best_observed", True)
        table = _trajectory_table(bench, oracle, arrivals, problem, best_sampled)
        last = table.slice(table.num_rows - 1).to_pylist()[0]
        keys = ["incumbent", "incumbent_valid", "incumbent_test", "incumbent_regret",
                "best_observed"] + (["incumbent_feasible"] if problem.constraints else [])
        keys += [SAMPLED + suffix for suffix in ("", "_valid", "_test", "_regret")
                 if best_sampled]
        final = {key: last[key] for key in keys}
    manifest = {
        "job": job.describe(),
        "optimizer_config": asdict(optimizer.config),
        "oracle": {"fidelity": oracle.fidelity, "noise": job.noise, "objective": bench.objective,
                   "served": served_value(bench, oracle)},
        "data": {"benchmark_kind": bench.kind, "checksum": bench.checksum},
        "versions": versions(),
        "spent": {"queries": oracle.n_queries, "seconds": oracle.seconds,
                  "wall_clock": arrivals[-1].finished},
        # which metrics the oracle answered at no budget, and how often it did
        "free": {"metrics": list(bench.free_metrics), "lookups": dict(oracle.free_queries)},
        "final": {  # NaN (no test metric, unknown optimum) is written as null
            key: None if isinstance(value, float) and np.isnan(value) else value
            for key, value in final.items()
        },
        "diagnostics": optimizer.diagnostics(),
        **plugin_record(optimizer_cls),
        "wall_seconds": round(time.perf_counter() - started, 3),
    }
    if not plain:
        manifest["problem"] = problem.describe()
    if problem.multi:
        manifest["pareto"] = pareto_task
    return table, manifest


def check_optimizer_fits(optimizer_cls: type, problem: Problem) -> None:
    """A multi-objective optimizer needs several objectives, a single-objective one one."""
    multi = getattr(optimizer_cls, "multi_objective", False)
    name = optimizer_cls.name
    if multi and not problem.multi:
        raise ValueError(
            f"{name} is multi-objective: give --objectives with the budgeted objective and at "
            "least one free cost, e.g. valid_acc,latency")
    if problem.multi and not multi:
        raise ValueError(
            f"{name} is single-objective, and --objectives names {len(problem.objectives)}; "
            f"multi-objective optimizers: {', '.join(optimizers.multi_objective_names())}")


def _feasible_incumbent(bench, arrived: list[TrajectoryRow], problem: Problem,
                        arch: np.ndarray) -> np.ndarray:
    """The optimizer's incumbent; in a constrained run, if it is infeasible, the best feasible
    arch observed (by observed value, among the results that have arrived), when there is one."""
    arch = np.asarray(arch)
    if not problem.constraints or _is_feasible(bench, problem, arch):
        return arch
    feasible = [row for row in arrived if row.feasible]
    if not feasible:
        return arch
    return np.array(max(feasible, key=lambda row: row.value).arch)


def _is_feasible(bench, problem: Problem, archs: np.ndarray) -> np.ndarray | bool:
    return problem.feasible({c.metric: bench.query(archs, c.metric)
                             for c in problem.constraints})


def _best_feasible(bench, problem: Problem) -> float:
    """Best seed-mean objective over the feasible archs of the whole table (NaN: unknown)."""
    if not hasattr(bench, "all_archs"):
        return np.nan
    archs = bench.all_archs()
    values = np.asarray(bench.query(archs, bench.objective), dtype=np.float64)
    feasible = np.asarray(_is_feasible(bench, problem, archs), dtype=bool)
    if not feasible.any():
        return np.nan
    higher = bench.metrics[bench.objective].higher_is_better
    return float(values[feasible].max() if higher else values[feasible].min())


SAMPLED = "best_sampled"  # the prefix of the second incumbent's columns and final keys


def best_so_far(values: np.ndarray) -> np.ndarray:
    """Per step, the index of the first evaluation with the highest value up to that step (as
    ``Optimizer.tell`` keeps its best: only a strictly higher value replaces it)."""
    index = np.zeros(len(values), dtype=np.int64)
    for i in range(1, len(values)):
        index[i] = i if values[i] > values[index[i - 1]] else index[i - 1]
    return index


def _trajectory_table(bench, oracle: Oracle, arrivals: list[Arrival],
                      problem: Problem | None = None, best_sampled: bool = False) -> pa.Table:
    """One row per evaluation, in the order results arrived (the order they started, with one
    worker). ``best_observed`` is the best value seen at the run's fidelity (null before the
    first; a multi-fidelity method's lower fidelities are not comparable with it)."""
    rows = [a.row for a in arrivals]
    incumbents = np.stack([a.incumbent for a in arrivals])
    space = bench.space
    values = np.array([r.value for r in rows])
    at_target = np.where([r.fidelity == oracle.fidelity for r in rows], values, -np.inf)
    best_observed = np.maximum.accumulate(at_target)
    best_observed[np.isneginf(best_observed)] = np.nan  # written as null
    costs = np.array([r.cost for r in rows])
    incumbent_valid = np.asarray(bench.query(incumbents, bench.objective), dtype=np.float64)
    constrained = problem is not None and bool(problem.constraints)
    if constrained:  # regret against the best FEASIBLE arch; undefined for an infeasible one
        optimum = _best_feasible(bench, problem)
        incumbent_feasible = np.asarray(_is_feasible(bench, problem, incumbents), dtype=bool)
    else:
        best = bench.optimum(bench.objective)
        optimum = best[0] if best is not None else np.nan
    if bench.report_metric is not None:
        incumbent_test = np.asarray(bench.query(incumbents, bench.report_metric), dtype=np.float64)
    else:
        incumbent_test = np.full(len(rows), np.nan)
    columns = {
        "step": pa.array([r.step for r in rows], pa.int32()),
        "arch": pa.array([space.to_string(np.array(r.arch)) for r in rows]),
        "fidelity": pa.array([r.fidelity for r in rows]),
        "value": pa.array(values),
        "resumed_from": pa.array([r.resumed_from for r in rows], pa.string()),
        "cost": pa.array(costs),
        "cum_queries": pa.array(np.arange(1, len(rows) + 1), pa.int32()),
        "cum_seconds": pa.array(np.cumsum(costs)),
        "wall_clock": pa.array([a.finished for a in arrivals]),
        "worker": pa.array([a.worker for a in arrivals], pa.int32()),
        "best_observed": pa.array(best_observed, mask=np.isnan(best_observed)),
        "incumbent": pa.array(space.to_strings(incumbents)),
        "incumbent_valid": pa.array(incumbent_valid),
        "incumbent_regret": pa.array(optimum - incumbent_valid),
        "incumbent_test": pa.array(incumbent_test),
    }
    if constrained:
        regret = np.where(incumbent_feasible, optimum - incumbent_valid, np.nan)
        columns["incumbent_regret"] = pa.array(regret)
        columns["incumbent_feasible"] = pa.array(incumbent_feasible)
        columns["feasible"] = pa.array([r.feasible for r in rows])
        for name in problem.free_metrics:
            columns[name] = pa.array([r.free[name] for r in rows])
    if best_sampled:  # the second incumbent, with the same ground truth as the first
        archs = np.stack([np.asarray(r.arch, dtype=np.int64) for r in rows])
        sampled = archs[best_so_far(at_target)]
        valid = np.asarray(bench.query(sampled, bench.objective), dtype=np.float64)
        regret = optimum - valid
        if constrained:
            regret = np.where(np.asarray(_is_feasible(bench, problem, sampled), dtype=bool),
                              regret, np.nan)
        test = (np.asarray(bench.query(sampled, bench.report_metric), dtype=np.float64)
                if bench.report_metric is not None else np.full(len(rows), np.nan))
        columns.update({SAMPLED: pa.array(space.to_strings(sampled)),
                        f"{SAMPLED}_valid": pa.array(valid),
                        f"{SAMPLED}_regret": pa.array(regret),
                        f"{SAMPLED}_test": pa.array(test)})
    return pa.table(columns)
