"""One search run: an optimizer against an oracle until the budget is spent.

A run is a pure function of its ``Job``: the optimizer's generator and the oracle's noise
generator are both spawned from the job's seed, so the same job gives the same trajectory in any
process. After the search, the harness (never the optimizer) looks up the ground truth of each
incumbent: its seed-mean validation accuracy, its regret and its test accuracy.
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
from harness.oracle import Budget, Oracle
from harness.provenance import versions


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
    oracle = Oracle(bench, job.budget, rng=noise_rng, fidelity=job.fidelity, noise=job.noise)
    optimizer_cls = optimizers.get(job.optimizer_path or job.optimizer)
    optimizer = optimizer_cls(
        bench.space, optimizer_rng, make_config(optimizer_cls, job.config), budget=job.budget
    )
    incumbents: list[np.ndarray] = []
    while not oracle.exhausted:
        arch = optimizer.ask()
        if not oracle.can_afford(arch):
            break
        observation = oracle.evaluate(arch)
        optimizer.tell(arch, observation)
        incumbents.append(np.asarray(optimizer.recommend()))
    if not incumbents:
        raise RuntimeError(f"{job.key}: the budget {job.budget.describe()} affords no evaluation")
    table = _trajectory_table(bench, oracle, np.stack(incumbents))
    final = table.slice(table.num_rows - 1).to_pylist()[0]
    manifest = {
        "job": job.describe(),
        "optimizer_config": asdict(optimizer.config),
        "oracle": {"fidelity": oracle.fidelity, "noise": job.noise, "objective": bench.objective,
                   "served": served_value(bench, oracle)},
        "data": {"benchmark_kind": bench.kind, "checksum": bench.checksum},
        "versions": versions(),
        "spent": {"queries": oracle.n_queries, "seconds": oracle.seconds},
        "final": {  # NaN (no test metric, unknown optimum) is written as null
            key: None if isinstance(final[key], float) and np.isnan(final[key]) else final[key]
            for key in ("incumbent", "incumbent_valid", "incumbent_test", "incumbent_regret",
                        "best_observed")
        },
        "diagnostics": optimizer.diagnostics(),
        **plugin_record(optimizer_cls),
        "wall_seconds": round(time.perf_counter() - started, 3),
    }
    return table, manifest


def _trajectory_table(bench, oracle: Oracle, incumbents: np.ndarray) -> pa.Table:
    rows = oracle.trajectory
    space = bench.space
    values = np.array([r.value for r in rows])
    incumbent_valid = np.asarray(bench.query(incumbents, bench.objective), dtype=np.float64)
    best = bench.optimum(bench.objective)
    optimum = best[0] if best is not None else np.nan
    if bench.report_metric is not None:
        incumbent_test = np.asarray(bench.query(incumbents, bench.report_metric), dtype=np.float64)
    else:
        incumbent_test = np.full(len(rows), np.nan)
    return pa.table(
        {
            "step": pa.array([r.step for r in rows], pa.int32()),
            "arch": pa.array([space.to_string(np.array(r.arch)) for r in rows]),
            "fidelity": pa.array([r.fidelity for r in rows]),
            "value": pa.array(values),
            "cost": pa.array([r.cost for r in rows]),
            "cum_queries": pa.array([r.cum_queries for r in rows], pa.int32()),
            "cum_seconds": pa.array([r.cum_seconds for r in rows]),
            "best_observed": pa.array(np.maximum.accumulate(values)),
            "incumbent": pa.array(space.to_strings(incumbents)),
            "incumbent_valid": pa.array(incumbent_valid),
            "incumbent_regret": pa.array(optimum - incumbent_valid),
            "incumbent_test": pa.array(incumbent_test),
        }
    )
