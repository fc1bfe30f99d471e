"""The oracle: the only view of a benchmark that a search algorithm gets.

It protects the science of a run: an optimizer sees validation metrics only (a test metric is
refused), every evaluation is counted in queries and in simulated training seconds at the asked
fidelity, the budget cannot be exceeded (the evaluation that would cross it is refused before it
is answered or charged), and the trajectory is recorded.

Cheap metrics are free, accuracy is budgeted: a cost known without training (``Metric.free``:
parameters, FLOPs, a table's latency) is answered by ``measure`` at no budget, never by
``evaluate``; the run's free objectives and constraints come with every ``Observation``.

Fidelities: an evaluation may ask any fidelity of the benchmark. Where the fidelities are the
epochs of one training run (``Benchmark.resumable``: nb301's epochs), the oracle keeps each
arch's last run paused where it stopped, and an evaluation at a later epoch resumes it: it is
charged only the training time between the two (a checkpoint resumed):
``Benchmark.resumed_cost`` at the later fidelity minus at the earlier one (on nb301 a running
maximum of the surrogate's cumulative time, which dips after epoch 1). An
evaluation at the same or an earlier fidelity is a new training run, charged in full, and
becomes the arch's run to resume. Where each fidelity is its own schedule (NB201's hp12 and
hp200), every evaluation is a new run, charged in full. The trajectory records each
evaluation's fidelity, its charge and the fidelity it resumed from.

Noise: with ``noise="seed"`` (the default) an evaluation returns one training seed's value, drawn
from the oracle's own generator, as one real training run would; with ``noise="mean"`` it returns
the seed mean. Metrics that the public record has only as a seed mean are returned as the mean
either way; ``Observation.noisy`` says which it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from benchmarks.base import Benchmark
from harness.objectives import Problem

NOISE_MODES = ("seed", "mean")


class BudgetExhaustedError(RuntimeError):
    """The evaluation asked for would exceed the run's budget; nothing was charged."""


class BudgetedMetricError(PermissionError):
    """A free lookup asked for a metric that needs training (it costs a counted query)."""


class TestMetricRefusedError(PermissionError):
    """An optimizer asked for a metric that is not a validation metric."""

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class Budget:
    """A limit in queries, in simulated training seconds, or both (the first reached stops)."""

    queries: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.queries is None and self.seconds is None:
            raise ValueError("a budget needs queries or seconds")
        if self.queries is not None and (not isinstance(self.queries, int) or self.queries <= 0):
            raise ValueError(f"budget queries must be a positive int, got {self.queries!r}")
        if self.seconds is not None and not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise ValueError(f"budget seconds must be a positive number, got {self.seconds!r}")

    def describe(self) -> str:
        parts = []
        if self.queries is not None:
            parts.append(f"{self.queries} queries")
        if self.seconds is not None:
            parts.append(f"{self.seconds:g} simulated s")
        return " or ".join(parts)


def check_budget(benchmark: Benchmark, budget: Budget) -> None:
    """Refuse a budget that cannot bind: seconds on a benchmark without training times (every
    query would cost 0 s, and the run would never stop)."""
    if budget.seconds is not None and not getattr(benchmark, "cost_known", True):
        raise ValueError(
            f"{benchmark.name} has no training times, so a budget in simulated seconds "
            f"({budget.describe()}) can never bind; give the budget in queries"
        )


@dataclass(frozen=True)
class Observation:
    """What an optimizer learns from one evaluation."""

    value: float
    metric: str
    fidelity: str
    cost: float  # simulated training seconds charged
    noisy: bool  # one seed's value (True) or a seed mean (False)
    # the run's free metrics (objectives and constraints known without training), uncharged
    free: dict[str, float] = field(default_factory=dict)
    feasible: bool = True  # every constraint of the run holds
    resumed_from: str | None = None  # the fidelity a paused run was resumed from, if any
    # with Oracle(curves=True), where the benchmark has them: the objective at every epoch of
    # the run up to this fidelity, as the training run logs it (costs nothing more)
    curve: tuple[float, ...] | None = None


@dataclass
class TrajectoryRow:
    step: int
    arch: tuple[int, ...]
    metric: str
    fidelity: str
    value: float
    cost: float
    cum_queries: int
    cum_seconds: float
    free: dict[str, float] = field(default_factory=dict)
    feasible: bool = True
    resumed_from: str | None = None


@dataclass
class Oracle:
    """Budgeted, counted, validation-only access to ``benchmark`` for one run."""

    benchmark: Benchmark
    budget: Budget
    rng: np.random.Generator
    fidelity: str | None = None
    noise: str = "seed"
    problem: Problem | None = None  # objectives and constraints; None: the benchmark's objective
    curves: bool = False  # attach each run's logged learning curve to its Observation
    n_queries: int = field(default=0, init=False)
    free_queries: dict[str, int] = field(default_factory=dict, init=False)
    seconds: float = field(default=0.0, init=False)
    trajectory: list[TrajectoryRow] = field(default_factory=list, init=False)
    # each arch's last training run and the fidelity it stopped at (resumable benchmarks only)
    _paused: dict[tuple[int, ...], str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.noise not in NOISE_MODES:
            raise ValueError(f"unknown noise {self.noise!r}; accepted: {', '.join(NOISE_MODES)}")
        self.fidelity = self.benchmark.check_fidelity(self.fidelity)
        check_budget(self.benchmark, self.budget)

    @property
    def space(self):
        """The search space (safe to hand out: it holds no answers)."""
        return self.benchmark.space

    @property
    def objective(self) -> str:
        return self.benchmark.objective

    def measure(self, archs: np.ndarray, metric: str) -> np.ndarray | float:
        """A free metric (``Metric.free``: params, FLOPs, a table's latency) of one arch or a
        batch, known without training: not charged, not a query, counted apart in
        ``free_queries``. A metric that needs training is refused (``evaluate`` it)."""
        info = self.benchmark.check_metric(metric)
        if not info.validation:
            raise TestMetricRefusedError(
                f"metric {metric!r} ({info.split}) is not available to a search; free: "
                f"{', '.join(self.benchmark.free_metrics) or 'none'}")
        if not info.free:
            raise BudgetedMetricError(
                f"metric {metric!r} needs training: evaluate() it (a counted query); free: "
                f"{', '.join(self.benchmark.free_metrics) or 'none'}")
        archs = self.space.validate(archs)
        self.free_queries[metric] = self.free_queries.get(metric, 0) + (
            1 if archs.ndim == 1 else len(archs))
        return self.benchmark.query(archs, metric, self.fidelity)

    def cost_of(self, arch: np.ndarray, fidelity: str | None = None) -> float:
        """Simulated seconds an evaluation would cost (known before training, as a schedule)."""
        return float(self.benchmark.cost(arch, fidelity or self.fidelity))

    def charge_of(self, arch: np.ndarray, fidelity: str | None = None) -> tuple[float, str | None]:
        """What evaluating ``arch`` at ``fidelity`` now would be charged, and the fidelity its
        paused run would resume from (None: a new training run, charged in full)."""
        fidelity = self.benchmark.check_fidelity(fidelity or self.fidelity)
        full = self.cost_of(arch, fidelity)
        paused = self._paused.get(tuple(int(a) for a in np.asarray(arch).ravel()))
        if paused is None or not self._later(fidelity, paused):
            return full, None
        resumed = self.benchmark.resumed_cost
        return max(0.0, resumed(arch, fidelity) - resumed(arch, paused)), paused

    def _later(self, fidelity: str, paused: str) -> bool:
        epochs = self.benchmark.fidelity_epochs
        return epochs(fidelity) > epochs(paused)

    def can_afford(self, arch: np.ndarray, fidelity: str | None = None) -> bool:
        if self.budget.queries is not None and self.n_queries + 1 > self.budget.queries:
            return False
        if self.budget.seconds is not None:
            return self.seconds + self.charge_of(arch, fidelity)[0] <= self.budget.seconds
        return True

    @property
    def exhausted(self) -> bool:
        """No further query can be afforded by count (seconds depend on the arch)."""
        return self.budget.queries is not None and self.n_queries >= self.budget.queries

    def evaluate(
        self, arch: np.ndarray, fidelity: str | None = None, metric: str | None = None
    ) -> Observation:
        """Train-and-validate ``arch`` in simulation; charged, counted and recorded."""
        metric = metric or self.objective
        info = self.benchmark.check_metric(metric)
        if not info.validation:
            raise TestMetricRefusedError(
                f"metric {metric!r} ({info.split}) is not available to a search; accepted: "
                f"{', '.join(self.benchmark.validation_metrics)}"
            )
        if info.free:
            raise BudgetedMetricError(
                f"metric {metric!r} is known without training: measure() it at no budget "
                f"rather than spend a query")
        fidelity = self.benchmark.check_fidelity(fidelity or self.fidelity)
        arch = self.space.validate(arch)
        if arch.ndim != 1:
            raise ValueError("evaluate takes one arch; every evaluation is a counted query")
        cost, resumed_from = self.charge_of(arch, fidelity)
        if self.budget.queries is not None and self.n_queries + 1 > self.budget.queries:
            raise BudgetExhaustedError(f"query budget of {self.budget.queries} is spent")
        if self.budget.seconds is not None and self.seconds + cost > self.budget.seconds:
            raise BudgetExhaustedError(
                f"evaluation costs {cost:.1f} s; {self.budget.seconds - self.seconds:.1f} s of "
                f"{self.budget.seconds:g} s remain"
            )
        noisy = self.noise == "seed" and fidelity in info.per_seed
        value = float(
            self.benchmark.query(arch, metric, fidelity, rng=self.rng if noisy else None)
        )
        self.n_queries += 1
        self.seconds += cost
        free = {}
        for name in self._free_metrics:  # the arch is validated: look up directly, count
            free[name] = float(self.benchmark.query(arch, name, self.fidelity))
            self.free_queries[name] = self.free_queries.get(name, 0) + 1
        feasible = bool(self.problem.feasible(free)) if self.problem is not None else True
        if self.benchmark.resumable:
            self._paused[tuple(int(a) for a in arch)] = fidelity
        self.trajectory.append(
            TrajectoryRow(
                step=self.n_queries - 1,
                arch=tuple(int(a) for a in arch),
                metric=metric,
                fidelity=fidelity,
                value=value,
                cost=cost,
                cum_queries=self.n_queries,
                cum_seconds=self.seconds,
                free=free,
                feasible=feasible,
                resumed_from=resumed_from,
            )
        )
        return Observation(value=value, metric=metric, fidelity=fidelity, cost=cost, noisy=noisy,
                           free=free, feasible=feasible, resumed_from=resumed_from,
                           curve=self._curve(arch, metric, fidelity))

    def _curve(self, arch: np.ndarray, metric: str, fidelity: str) -> tuple[float, ...] | None:
        if not self.curves or metric != self.objective:
            return None
        curve = self.benchmark.observed_curve(arch, fidelity)
        return None if curve is None else tuple(float(v) for v in curve)

    @property
    def _free_metrics(self) -> tuple[str, ...]:
        return self.problem.free_metrics if self.problem is not None else ()
