"""The predictor part of a report: rank correlation against training size or fidelity per
benchmark, and the same rank aggregation across search spaces as for optimizers.

Rows come from ``load`` (one per benchmark, predictor, seed and setting, where a setting is a
training size and a fidelity, either possibly missing; ``python -m predictors.evaluate`` writes
train_size 0 for predictors that need no training and fidelity null for those that see no
learning curve). A predictor is one of three kinds, by the settings it was evaluated at:

- ``train``: model-based, against training size (fidelity missing, training sizes > 0);
- ``fidelity``: learning-curve based, against the fraction of the schedule seen;
- ``zero-cost``: one setting, no training, no curve (drawn as a horizontal line).

Each predictor is ranked on a benchmark by its mean Kendall tau at its most informed setting:
the largest training size evaluated on that benchmark (a ``train`` predictor not evaluated at it
is left out of that benchmark's ranking), the largest fidelity (at its largest training size)
for a ``fidelity`` predictor, the only value of a ``zero-cost`` one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from harness.report import ranks
from harness.report.analysis import best_of, space_order_key
from harness.report.load import Experiment, space_name
from harness.report.tables import Stat, aggregate

CORRELATIONS = ("kendall_tau", "spearman")
METRICS = ("kendall_tau", "spearman", "pearson", "precision_at_10", "fit_seconds",
           "query_seconds")
KINDS = ("train", "fidelity", "zero-cost")

Setting = tuple[float | None, float | None]  # (train size, fidelity)


@dataclass
class PredictorAnalysis:
    benchmarks: list[str]
    predictors: list[str]
    space_of: dict[str, str]
    kind: dict[str, str]  # predictor -> one of KINDS
    # (benchmark, predictor) -> [(setting, {metric: Stat})], settings sorted
    points: dict[tuple[str, str], list[tuple[Setting, dict[str, Stat]]]]
    final: dict[tuple[str, str], tuple[Setting, dict[str, Stat]]]  # what is ranked
    best: dict[str, set[str]]
    task_ranks: dict[str, dict[str, float]]
    space_ranks: dict[str, dict[str, float]]
    overall_ranks: dict[str, float]
    friedman: ranks.Friedman | str


def analyze_predictors(exp: Experiment) -> PredictorAnalysis | None:
    """The predictor analysis of ``exp``; None when it holds no predictor rows."""
    if not exp.predictor_rows:
        return None
    rows = [{**r, "train_size": _number(r.get("train_size")),
             "fidelity": _number(r.get("fidelity"))} for r in exp.predictor_rows]
    metrics = [m for m in METRICS if any(r.get(m) is not None for r in rows)]
    stats = aggregate(rows, metrics=metrics, by=("benchmark", "predictor", "train_size",
                                                 "fidelity"))
    points: dict[tuple[str, str], list] = defaultdict(list)
    for (bench, pred, size, fid), group in stats.items():
        points[(bench, pred)].append(((size, fid), group))
    benchmarks = sorted({b for b, _ in points}, key=lambda b: (space_order_key(space_name(b)), b))
    predictors = sorted({p for _, p in points})
    kind = {p: _kind([s for (_, q), pts in points.items() if q == p for s, _ in pts])
            for p in predictors}
    final, scores = {}, {}
    for bench in benchmarks:
        sizes = [s[0] for (b, p), pts in points.items() if b == bench and kind[p] == "train"
                 for s, _ in pts if s[0] is not None]
        top_size = max(sizes) if sizes else None
        scores[bench] = {}
        for pred in predictors:
            chosen = _ranked_setting(points.get((bench, pred), []), kind[pred], top_size)
            if chosen is None:
                continue
            final[(bench, pred)] = chosen
            tau = chosen[1]["kendall_tau"]
            scores[bench][pred] = -tau.mean if tau.known else math.nan
    task_ranks = ranks.ranks_per_task(scores)
    space_of = {b: space_name(b) for b in benchmarks}
    space_ranks = ranks.average_ranks_by_space(task_ranks, space_of)
    space_ranks = dict(sorted(space_ranks.items(), key=lambda kv: space_order_key(kv[0])))
    return PredictorAnalysis(
        benchmarks=benchmarks, predictors=predictors, space_of=space_of, kind=kind,
        points=dict(points), final=final, best={b: best_of(scores[b]) for b in benchmarks},
        task_ranks=task_ranks, space_ranks=space_ranks,
        overall_ranks=ranks.average_across_spaces(space_ranks), friedman=ranks.friedman(scores),
    )


def describe_setting(setting: Setting) -> str:
    size, fid = setting
    parts = []
    if size:
        parts.append(f"{size:g} train")
    if fid is not None:
        parts.append(f"fidelity {fid:g}")
    return ", ".join(parts) or "no training"


def _kind(settings: list[Setting]) -> str:
    if any(fid is not None for _, fid in settings):
        return "fidelity"
    if any(size for size, _ in settings):
        return "train"
    return "zero-cost"


def _ranked_setting(points: list, kind: str, top_size: float | None):
    if not points:
        return None
    if kind == "train":
        matches = [p for p in points if p[0][0] == top_size]
        return matches[0] if matches else None
    if kind == "fidelity":
        return max(points, key=lambda p: (p[0][1] or 0, p[0][0] or 0))
    return max(points, key=lambda p: p[0][0] or 0)


def _number(value) -> float | None:
    """A training size or fidelity as a float; None when absent (null or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)
