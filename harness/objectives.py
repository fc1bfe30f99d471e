"""What a run optimizes: objectives (with directions from the metrics' definitions) and
constraints on free cost metrics, parsed from the command line and checked against a benchmark.

A problem pairs exactly one *budgeted* objective (the benchmark's validation accuracy, one counted
query per evaluation) with any number of *free* ones (costs known without training, see
``benchmarks.base.Metric.free``). Constraints bound free metrics only: a hardware-aware search
knows an arch's latency before it trains it. Text forms::

    --objectives valid_acc,latency          directions from the metrics (latency:min is accepted,
                                            latency:max is refused: lower is better)
    --constraint latency<=0.015             the metric's unit (s); also 15ms
    --constraint params<=1.0                millions (M); also 1000k

Each may be scoped to one benchmark, ``nb301-cifar10=valid_acc,params``, for a grid whose
benchmarks have different cost metrics; an unscoped one applies to the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# Unit suffixes a constraint may be written in, per metric unit, and their factor to that unit.
UNIT_SCALES: dict[str, dict[str, float]] = {
    "s": {"s": 1.0, "ms": 1e-3, "us": 1e-6},
    "M": {"M": 1.0, "k": 1e-3},
    "MFLOPs": {"MFLOPs": 1.0, "M": 1.0, "GFLOPs": 1e3, "G": 1e3},
    "%": {"%": 1.0},
    "": {},
}
_SCOPE = re.compile(r"^(?P<bench>[a-z0-9][a-z0-9_.-]*)=(?P<rest>[^=].*)$")
_CONSTRAINT = re.compile(
    r"^\s*(?P<metric>[a-z_][a-z0-9_]*)\s*(?P<op><=|>=|<|>|==|=)\s*"
    r"(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(?P<unit>[A-Za-z%]*)\s*$"
)


@dataclass(frozen=True)
class Objective:
    name: str
    maximize: bool
    free: bool

    def describe(self) -> str:
        return f"{self.name}:{'max' if self.maximize else 'min'}"


@dataclass(frozen=True)
class Constraint:
    """``metric op bound`` with ``op`` in ``<=`` / ``>=``; ``bound`` in the metric's unit."""

    metric: str
    op: str
    bound: float

    def satisfied(self, values: np.ndarray | float) -> np.ndarray | bool:
        return values <= self.bound if self.op == "<=" else values >= self.bound

    def violation(self, values: np.ndarray | float) -> np.ndarray | float:
        """How far past the bound (0 when satisfied)."""
        gap = values - self.bound if self.op == "<=" else self.bound - values
        return np.maximum(gap, 0.0)

    def describe(self) -> str:
        return f"{self.metric}{self.op}{self.bound:g}"


@dataclass(frozen=True)
class Problem:
    """Objectives (the budgeted one first) and constraints of one run on one benchmark."""

    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()

    @property
    def multi(self) -> bool:
        return len(self.objectives) > 1

    @property
    def budgeted(self) -> Objective:
        return self.objectives[0]

    @cached_property  # asked on every evaluation: computed once
    def names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.objectives)

    @cached_property
    def free_metrics(self) -> tuple[str, ...]:
        """The free metrics the run looks up for every evaluated arch."""
        names = [o.name for o in self.objectives if o.free]
        names += [c.metric for c in self.constraints if c.metric not in names]
        return tuple(names)

    def minimized(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        """(n, k) objective values oriented for minimization (maximized ones negated)."""
        return np.stack([-np.asarray(columns[o.name], dtype=np.float64) if o.maximize
                         else np.asarray(columns[o.name], dtype=np.float64)
                         for o in self.objectives], axis=-1)

    def feasible(self, columns: dict[str, np.ndarray | float]) -> np.ndarray | bool:
        ok = True
        for c in self.constraints:
            ok = np.logical_and(ok, c.satisfied(columns[c.metric]))
        return ok

    def describe(self) -> dict:
        return {"objectives": [o.describe() for o in self.objectives],
                "constraints": [c.describe() for c in self.constraints]}


def single_objective(bench) -> Problem:
    """The default problem: maximize the benchmark's objective, no constraint."""
    info = bench.metrics[bench.objective]
    return Problem((Objective(bench.objective, info.higher_is_better, False),))


def _free_list(bench) -> str:
    return ", ".join(bench.free_metrics) or "none (single-objective only)"


def parse_objectives(text: str, bench) -> tuple[Objective, ...]:
    """``valid_acc,latency`` -> objectives; ValueError names what ``bench`` accepts."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError(f"empty --objectives {text!r}: give e.g. {bench.objective},latency")
    if len(names) > 1 and not bench.free_metrics:
        raise ValueError(f"--objectives {text!r}: {bench.name} has no free cost metric (none in "
                         "its public record): it is single-objective only")
    out, seen = [], set()
    for part in names:
        name, _, direction = part.partition(":")
        info = bench.metrics.get(name)
        if info is None or not info.validation:
            why = "is a test metric, not available to a search" if info else "is unknown"
            raise ValueError(
                f"objective {name!r} {why} on {bench.name}; accepted: {bench.objective} "
                f"(budgeted) and the free costs {_free_list(bench)}")
        if name in seen:
            raise ValueError(f"objective {name!r} given twice in --objectives {text!r}")
        seen.add(name)
        natural = "max" if info.higher_is_better else "min"
        if direction and direction != natural:
            raise ValueError(
                f"objective {part!r}: {name} is {'maximized' if natural == 'max' else 'minimized'}"
                f" by its definition ({'higher' if natural == 'max' else 'lower'} is better); "
                f"accepted: {name} or {name}:{natural}")
        out.append(Objective(name, info.higher_is_better, info.free))
    budgeted = [o for o in out if not o.free]
    if len(budgeted) != 1 or budgeted[0].name != bench.objective:
        raise ValueError(
            f"--objectives {text!r} on {bench.name}: give the budgeted {bench.objective} once "
            f"and free costs for the others; {', '.join(o.name for o in budgeted) or 'none'} "
            f"would need training; free: {_free_list(bench)}")
    # the budgeted objective first, then the free ones in the benchmark's order (one canonical
    # order, the order of the stored Pareto fronts)
    out.sort(key=lambda o: (o.free, bench.free_metrics.index(o.name) if o.free else 0))
    return tuple(out)


def parse_constraint(text: str, bench) -> Constraint:
    """``latency<=0.015`` (or ``15ms``) -> a constraint in the metric's unit."""
    if not bench.free_metrics:
        raise ValueError(f"--constraint {text!r}: {bench.name} has no free cost metric to "
                         "bound (none in its public record)")
    match = _CONSTRAINT.match(text)
    if not match:
        raise ValueError(
            f"bad --constraint {text!r}: write METRIC<=BOUND (or >=), e.g. latency<=0.015; "
            f"free metrics of {bench.name}: {_free_list(bench)}")
    metric, op, unit = match["metric"], match["op"], match["unit"]
    info = bench.metrics.get(metric)
    if info is None or not (info.free and info.validation):
        raise ValueError(
            f"--constraint {text!r}: {metric!r} is not a free cost metric of {bench.name} "
            f"(a constraint must be known before training); accepted: {_free_list(bench)}")
    natural = ">=" if info.higher_is_better else "<="
    if op != natural:
        raise ValueError(
            f"--constraint {text!r}: for {metric} {'higher' if natural == '>=' else 'lower'} "
            f"is better, so it is bounded with {natural}; accepted: {metric}{natural}BOUND")
    scales = UNIT_SCALES.get(info.unit, {})
    if unit and unit not in scales:
        raise ValueError(
            f"--constraint {text!r}: unknown unit {unit!r} for {metric} "
            f"(in {info.unit or 'no unit'}); accepted: {', '.join(scales) or 'a plain number'}")
    bound = float(match["number"]) * (scales[unit] if unit else 1.0)
    if not np.isfinite(bound):
        raise ValueError(f"--constraint {text!r}: the bound must be a finite number")
    return Constraint(metric, op, bound)


def scoped(texts: Iterable[str], bench_names: Sequence[str], what: str) -> dict[str | None, list]:
    """Split ``BENCH=spec`` texts from unscoped ones: {bench or None: [spec, ...]}."""
    out: dict[str | None, list] = {}
    for text in texts:
        match = _SCOPE.match(text.strip())
        bench, spec = (match["bench"], match["rest"]) if match else (None, text.strip())
        if bench is not None and bench not in bench_names:
            raise ValueError(f"{what} {text!r}: benchmark {bench!r} is not in --bench "
                             f"({', '.join(bench_names)})")
        out.setdefault(bench, []).append(spec)
    return out


def parse_problem(bench, objectives: Sequence[str], constraints: Sequence[str]) -> Problem:
    """The problem of one benchmark from unscoped texts (a job's recorded ``describe()``)."""
    objs = (parse_objectives(",".join(objectives), bench) if objectives
            else single_objective(bench).objectives)
    return Problem(objs, tuple(parse_constraint(c, bench) for c in constraints))


def make_problems(benches: dict, objectives: Sequence[str], constraints: Sequence[str]) -> dict:
    """Per benchmark name, its ``Problem`` from the (possibly scoped) CLI texts; ValueError
    names the bad value and what the benchmark accepts."""
    names = list(benches)
    obj = scoped(objectives, names, "--objectives")
    for key, specs in obj.items():
        if len(specs) > 1:
            raise ValueError(f"--objectives given twice for {key or 'every benchmark'}")
    cons = scoped(constraints, names, "--constraint")
    problems = {}
    example = f"--objectives {names[-1]}={benches[names[-1]].objective},..."
    hint = (f" (scope it to the benchmarks that have it: BENCH=..., e.g. {example})"
            if len(names) > 1 else "")
    for name, bench in benches.items():
        spec = obj.get(name, obj.get(None, [None]))[0]
        specs = cons.get(name, []) + cons.get(None, [])
        try:
            objs = parse_objectives(spec, bench) if spec else single_objective(bench).objectives
            bounds = tuple(parse_constraint(s, bench) for s in specs)
        except ValueError as error:
            raise ValueError(f"{error}{hint}") from None
        if len({c.metric for c in bounds}) != len(bounds):
            raise ValueError(f"{name}: one constraint per metric, got {', '.join(specs)}")
        problems[name] = Problem(objs, bounds)
    return problems
