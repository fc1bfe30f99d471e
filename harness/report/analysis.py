"""Everything the search part of a report says, computed once from the loaded store: final
statistics per (task, optimizer), the criterion each task is ranked by, ranks per task, per
search space and across spaces, and the Friedman test. Figures and renderers only format this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.report import ranks
from harness.report.load import Experiment
from harness.report.tables import FINAL_METRICS, SAMPLED_METRICS, Stat, aggregate

SPACE_ORDER = ("NB201", "DARTS", "TNB101-micro", "TNB101-macro", "Graph")

# How each task is ranked: by regret where the benchmark's optimum is known, else by the final
# recommended validation value (higher is better).
REGRET = "incumbent_regret"
VALID = "incumbent_valid"


@dataclass
class SearchAnalysis:
    tasks: list[str]
    optimizers: list[str]
    space_of: dict[str, str]
    stats: dict[tuple[str, str], dict[str, Stat]]  # (task, optimizer) -> metric -> Stat
    criterion: dict[str, str]  # task -> REGRET or VALID
    best: dict[str, set[str]]  # task -> optimizers with the best mean on its criterion
    task_ranks: dict[str, dict[str, float]]
    space_ranks: dict[str, dict[str, float]]
    overall_ranks: dict[str, float]
    friedman: ranks.Friedman | str

    def stat(self, task: str, optimizer: str, metric: str) -> Stat | None:
        return self.stats.get((task, optimizer), {}).get(metric)

    @property
    def spaces(self) -> list[str]:
        return list(self.space_ranks)


def analyze_search(exp: Experiment) -> SearchAnalysis | None:
    """The search analysis of ``exp``; None when it holds no search runs."""
    if not exp.runs:
        return None
    space_of = {run.final["benchmark"]: run.space for run in exp.runs}
    tasks = sorted(space_of, key=lambda t: (space_order_key(space_of[t]), t))
    present = {run.final["optimizer"] for run in exp.runs}
    declared = (exp.config or {}).get("optimizers") or []
    optimizers = [o for o in declared if o in present] + sorted(present - set(declared))
    stats = aggregate(exp.rows, FINAL_METRICS + SAMPLED_METRICS)
    criterion, scores, best = {}, {}, {}
    for task in tasks:
        regrets = [stats[(task, o)][REGRET] for o in optimizers if (task, o) in stats]
        criterion[task] = REGRET if all(s.known for s in regrets) else VALID
        scores[task] = {o: _score(stats[(task, o)], criterion[task])
                        for o in optimizers if (task, o) in stats}
        best[task] = best_of(scores[task])
    task_ranks = ranks.ranks_per_task(scores)
    space_ranks = ranks.average_ranks_by_space(task_ranks, space_of)
    space_ranks = dict(sorted(space_ranks.items(), key=lambda kv: space_order_key(kv[0])))
    return SearchAnalysis(
        tasks=tasks, optimizers=optimizers, space_of=space_of, stats=stats,
        criterion=criterion, best=best, task_ranks=task_ranks, space_ranks=space_ranks,
        overall_ranks=ranks.average_across_spaces(space_ranks),
        friedman=ranks.friedman(scores),
    )


def best_of(scores: dict[str, float]) -> set[str]:
    """The methods with the lowest score (several on a tie); NaN scores never win."""
    known = {m: s for m, s in scores.items() if not math.isnan(s)}
    if not known:
        return set()
    low = min(known.values())
    return {m for m, s in known.items() if s == low}


def _score(group: dict[str, Stat], criterion: str) -> float:
    """Lower is better: the mean regret, or minus the mean validation value."""
    stat = group[criterion]
    if not stat.known:
        return math.nan
    return stat.mean if criterion == REGRET else -stat.mean


def space_order_key(space: str) -> tuple[int, str]:
    """Sort key: the four NAS-Bench-Suite spaces in their usual order, then any other."""
    return (SPACE_ORDER.index(space) if space in SPACE_ORDER else len(SPACE_ORDER), space)
