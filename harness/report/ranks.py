"""Rank statistics across tasks, the NAS-Bench-Suite way.

Optimizers (or predictors) are ranked on each task by a score where lower is better (mean final
regret, or minus the mean final validation value where regret is unknown); ties get the average
of the ranks they span. Average ranks are taken per search space over its tasks, and across
search spaces as the mean of the per-space averages, so that a space with ten tasks counts as
much as a space with one. A Friedman test over the tasks says whether the optimizers differ at
all; the Nemenyi post-hoc test feeds the critical-difference diagram.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

Scores = Mapping[str, Mapping[str, float]]  # task -> method -> score, lower is better


def ranks_per_task(scores: Scores) -> dict[str, dict[str, float]]:
    """Rank 1 is the lowest score on a task; ties share the average rank; NaN scores are left
    out of that task's ranking."""
    out = {}
    for task, by_method in scores.items():
        methods = [m for m, s in by_method.items() if not math.isnan(s)]
        ranked = stats.rankdata([by_method[m] for m in methods], method="average")
        out[task] = {m: float(r) for m, r in zip(methods, ranked, strict=True)}
    return out


def average_ranks_by_space(
    task_ranks: Mapping[str, Mapping[str, float]], space_of: Mapping[str, str]
) -> dict[str, dict[str, float]]:
    """Per search space, each method's mean rank over the space's tasks. A method not ranked
    on every task of a space gets no rank there: a mean over the tasks it happened to run on
    would not be comparable with the others'."""
    collected: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    tasks_in: dict[str, int] = defaultdict(int)
    for task, ranks in task_ranks.items():
        tasks_in[space_of[task]] += 1
        for method, rank in ranks.items():
            collected[space_of[task]][method].append(rank)
    return {space: {m: float(np.mean(r)) for m, r in sorted(by_method.items())
                    if len(r) == tasks_in[space]}
            for space, by_method in sorted(collected.items())}


def average_across_spaces(space_ranks: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Each search space weighted equally: the mean of a method's per-space average ranks, for
    the methods ranked in every space (the others get none, as in ``average_ranks_by_space``)."""
    collected: dict[str, list[float]] = defaultdict(list)
    for ranks in space_ranks.values():
        for method, rank in ranks.items():
            collected[method].append(rank)
    return {m: float(np.mean(r)) for m, r in sorted(collected.items())
            if len(r) == len(space_ranks)}


@dataclass(frozen=True)
class Friedman:
    """The Friedman test over the complete tasks (those where every method has a score)."""

    methods: tuple[str, ...]
    tasks: tuple[str, ...]
    statistic: float
    pvalue: float
    matrix: np.ndarray  # (tasks, methods) scores, lower is better
    average_ranks: dict[str, float]  # over ``tasks``, each task weighted equally
    critical_difference: float  # Nemenyi CD at ``alpha``
    alpha: float
    left_out: tuple[str, ...] = ()  # methods without a score on every task, not tested


def friedman(scores: Scores, alpha: float = 0.05) -> Friedman | str:
    """The test, or a sentence saying why it cannot run. It needs complete blocks: the methods
    that have a score on every task, over all tasks, when there are at least 3 of them;
    otherwise every method, over the tasks where all of them have a score."""
    everything = sorted({m for by_method in scores.values() for m in by_method})

    def scored(task: str, method: str) -> bool:
        return not math.isnan(scores[task].get(method, math.nan))

    methods = [m for m in everything if all(scored(t, m) for t in scores)]
    tasks = sorted(scores)
    if len(methods) < 3:
        methods = everything
        tasks = sorted(t for t in scores if all(scored(t, m) for m in methods))
    if len(methods) < 3:
        return (f"the Friedman test needs at least 3 methods; this experiment has "
                f"{len(methods)} ({', '.join(methods) or 'none'})")
    if len(tasks) < 2:
        return (f"the Friedman test needs at least 2 tasks where all of at least 3 methods "
                f"ran; this experiment has {len(tasks)}")
    matrix = np.array([[scores[t][m] for m in methods] for t in tasks], dtype=np.float64)
    result = stats.friedmanchisquare(*matrix.T)
    ranks = np.apply_along_axis(stats.rankdata, 1, matrix).mean(axis=0)
    k, n = len(methods), len(tasks)
    q_alpha = stats.studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2)
    return Friedman(
        methods=tuple(methods), tasks=tuple(tasks), statistic=float(result.statistic),
        pvalue=float(result.pvalue), matrix=matrix,
        average_ranks={m: float(r) for m, r in zip(methods, ranks, strict=True)},
        critical_difference=float(q_alpha * math.sqrt(k * (k + 1) / (6 * n))), alpha=alpha,
        left_out=tuple(m for m in everything if m not in methods),
    )


def nemenyi(test: Friedman):
    """Pairwise Nemenyi p-values (a pandas DataFrame indexed by method) from scikit-posthocs."""
    import pandas as pd
    import scikit_posthocs as sp

    pvalues = sp.posthoc_nemenyi_friedman(test.matrix)
    return pd.DataFrame(pvalues.to_numpy(), index=list(test.methods), columns=list(test.methods))
