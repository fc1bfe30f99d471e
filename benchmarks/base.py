"""What every benchmark offers, tabular or surrogate: a search space and a vectorized query.

``query`` has no budget and no access control: it is for the harness, the predictors and the
reports. Search algorithms never see a benchmark, only an ``harness.oracle.Oracle`` around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Metric:
    """One answer a benchmark can give. ``split`` names the official data split it comes from.

    ``free`` marks a cost known without training (parameters, FLOPs, a table's measured
    latency): the oracle answers it at no budget, as a hardware-aware method measures latency
    before it trains. A benchmark joins multi-objective search just by declaring such metrics.
    ``unit`` is the unit its values are in (constraints are written in it)."""

    name: str
    description: str
    split: str
    validation: bool  # may an optimizer see it?
    per_seed: tuple[str, ...] = ()  # fidelities with single-seed values (else only seed means)
    higher_is_better: bool = True
    free: bool = False
    unit: str = ""


class Benchmark:
    """A search space plus answers. Subclasses set the attributes and implement ``query``."""

    name: str
    kind: str  # "tabular" or "surrogate"
    space: Any
    metrics: dict[str, Metric]
    fidelities: tuple[str, ...]
    default_fidelity: str
    objective: str = "valid_acc"  # the validation metric a search maximizes
    report_metric: str | None = "test_acc"  # what a run reports for its final arch (None: none)
    checksum: str = ""
    # Do the fidelities order the epochs of ONE training run, so that a run paused at one
    # fidelity can be resumed to a later one (nb301: epochs of the same schedule)? False where
    # each fidelity is its own schedule (NB201's hp12 and hp200 anneal the learning rate to zero
    # at different epochs), so going from one to another is a new training run.
    resumable: bool = False

    def query(
        self,
        archs: np.ndarray,
        metric: str,
        fidelity: str | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray | float:
        raise NotImplementedError

    def cost(self, archs: np.ndarray, fidelity: str | None = None) -> np.ndarray | float:
        """Simulated training seconds to obtain the answer at ``fidelity``."""
        raise NotImplementedError

    def optimum(
        self, metric: str, fidelity: str | None = None
    ) -> tuple[float, np.ndarray] | None:
        """Best value of ``metric`` over the whole space and an arch attaining it, or None when
        it is unknown (a surrogate over 10^18 archs cannot be enumerated): regret is then
        undefined and reported as such."""
        return None

    def resumed_cost(self, arch: np.ndarray, fidelity: str | None = None) -> float:
        """Training seconds of one ``resumable`` run up to ``fidelity``, as continuations are
        charged (``cost`` unless a benchmark says otherwise)."""
        return float(self.cost(arch, fidelity))

    def observed_curve(self, arch: np.ndarray, fidelity: str | None = None) -> np.ndarray | None:
        """The objective at every epoch up to ``fidelity`` of one training run of ``arch``, as
        the run itself would have logged it (free: measured while training), or None where the
        benchmark has no such curve."""
        return None

    def fidelity_epochs(self, fidelity: str | None = None) -> int | None:
        """Training epochs of the schedule at ``fidelity`` (multi-fidelity methods rank the
        fidelities by it), or None when the benchmark has no epoch count for it."""
        return None

    @property
    def validation_metrics(self) -> tuple[str, ...]:
        return tuple(name for name, m in self.metrics.items() if m.validation)

    @property
    def free_metrics(self) -> tuple[str, ...]:
        """Costs known without training (see ``Metric.free``); empty: single-objective only."""
        return tuple(name for name, m in self.metrics.items() if m.free and m.validation)

    def check_metric(self, metric: str) -> Metric:
        info = self.metrics.get(metric)
        if info is None:
            raise ValueError(
                f"unknown metric {metric!r} for {self.name}; accepted: {', '.join(self.metrics)}"
            )
        return info

    def check_fidelity(self, fidelity: str | None) -> str:
        if fidelity is None:
            return self.default_fidelity
        if fidelity not in self.fidelities:
            raise ValueError(
                f"unknown fidelity {fidelity!r} for {self.name}; accepted: "
                f"{', '.join(self.fidelities)}"
            )
        return fidelity

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} ({self.kind})>"
