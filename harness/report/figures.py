"""Figures as PNG bytes, drawn with matplotlib's Agg backend (no display needed): anytime
curves per task, the critical-difference diagram, predictor correlation curves. Each optimizer
or predictor keeps one colour in every figure of a report."""

from __future__ import annotations

import io
import math

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from harness.report import X_AXES, ranks  # noqa: E402
from harness.report.analysis import SearchAnalysis  # noqa: E402
from harness.report.curves import Curve, mean_curve  # noqa: E402
from harness.report.load import Experiment  # noqa: E402
from harness.report.predictor_tables import CORRELATIONS, PredictorAnalysis  # noqa: E402

PANELS = (  # trajectory column, panel title
    ("best_observed", "best validation value observed"),
    ("incumbent_valid", "validation value of the incumbent"),
    ("incumbent_test", "test metric of the incumbent"),
    ("incumbent_regret", "validation regret of the incumbent"),
)
DPI = 100
FOCUS_AFTER = 0.1  # y axes zoom onto the curves after this fraction of the x axis (see _focus)


X_LABELS = {"cum_queries": "queries", "cum_seconds": "simulated training seconds",
            "wall_clock": "simulated wall-clock seconds"}


def colours(names: list[str]) -> dict[str, str]:
    """One colour per name: tab10, or tab20 when there are more than ten (predictor suites)."""
    cycle = plt.get_cmap("tab10" if len(names) <= 10 else "tab20").colors
    return {name: matplotlib.colors.to_hex(cycle[i % len(cycle)]) for i, name in enumerate(names)}


def task_curves(exp: Experiment, analysis: SearchAnalysis, task: str, x: str = "queries",
                log_x: bool = False) -> tuple[bytes, str]:
    """One task's anytime curves (mean ± standard error over seeds) as PNG bytes, and the x axis
    actually used: a seconds axis falls back to queries where the benchmark has no training
    times (every cost 0, as on TNB101)."""
    if x not in X_AXES:
        raise ValueError(f"unknown x axis {x!r}; accepted: {', '.join(X_AXES)}")
    runs = [r for r in exp.runs if r.final["benchmark"] == task]
    column = "cum_queries"
    timed = {"seconds": "cum_seconds", "wall-clock": "wall_clock"}.get(x)
    if timed is not None and any(r.curve[timed][-1] > 0 for r in runs):
        column = timed
    curves = _mean_curves(runs, analysis.optimizers, column, log_x)
    panels = [(m, t) for m, t in PANELS if any(m in c for c in curves.values())]
    if any(m == "incumbent_regret" for m, _ in panels):  # regret says it, on a log scale
        panels = [(m, t) for m, t in panels if m != "incumbent_valid"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels), 3.3), squeeze=False)
    colour = colours(analysis.optimizers)
    for ax, (metric, title) in zip(axes[0], panels, strict=True):
        for opt, by_metric in curves.items():
            curve = by_metric.get(metric)
            if curve is None:
                continue
            ax.plot(curve.x, curve.mean, color=colour[opt], label=f"{opt} (n={curve.n})", lw=1.4,
                    drawstyle="steps-post")
            ax.fill_between(curve.x, curve.mean - curve.se, curve.mean + curve.se,
                            color=colour[opt], alpha=0.2, lw=0, step="post")
        plotted = [c[metric] for c in curves.values() if metric in c]
        if metric == "incumbent_regret":
            _log_regret_axis(ax, plotted)
        _focus(ax, plotted, log=metric == "incumbent_regret", log_x=log_x)
        if log_x:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(X_LABELS[column])
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="best")
    suffix = " (no training times: x is queries)" if x != "queries" and column == "cum_queries" \
        else ""
    fig.suptitle(f"{task}: mean ± standard error over seeds{suffix}", fontsize=11)
    fig.tight_layout()
    return _png(fig), column


def _mean_curves(runs: list, optimizers: list[str], column: str,
                 log_x: bool) -> dict[str, dict[str, Curve]]:
    """optimizer -> trajectory column -> mean curve over its seeds, against ``column``."""
    curves: dict[str, dict[str, Curve]] = {}
    for opt in optimizers:
        mine = [r for r in runs if r.final["optimizer"] == opt]
        for metric, _ in PANELS if mine else ():
            curve = mean_curve([r.curve[column] for r in mine], [r.curve[metric] for r in mine],
                               integer=column == "cum_queries", log=log_x)
            if curve is not None:
                curves.setdefault(opt, {})[metric] = curve
    return curves


def _focus(ax, curves: list[Curve], log: bool, log_x: bool = False) -> None:
    """Zoom the y axis onto the curves after the first tenth of the x axis when the start would
    otherwise take most of it: an optimizer whose first recommendations are very poor (xnas
    before its first update) would flatten every other curve. The early part leaves the frame."""
    tails = []
    for c in curves:
        if log_x and c.x[0] > 0:
            keep = c.x >= c.x[0] * (c.x[-1] / c.x[0]) ** FOCUS_AFTER
        else:
            keep = c.x >= c.x[0] + FOCUS_AFTER * (c.x[-1] - c.x[0])
        tails.append((float(np.min(c.mean[keep] - c.se[keep])),
                      float(np.max(c.mean[keep] + c.se[keep]))))
    if not tails:
        return
    low, high = min(t[0] for t in tails), max(t[1] for t in tails)
    full_low = min(float(np.min(c.mean - c.se)) for c in curves)
    full_high = max(float(np.max(c.mean + c.se)) for c in curves)
    if log:
        if high > 0 and full_high > 3 * high:
            ax.set_ylim(top=high * 1.5)
        return
    if high - low < 0.5 * (full_high - full_low):
        pad = 0.05 * (high - low) or 0.01 * max(abs(high), 1.0)
        ax.set_ylim(low - pad, high + pad)


def _log_regret_axis(ax, curves: list[Curve]) -> None:
    """Regret on a log axis. Where a mean regret is exactly 0 (every seed found the optimum) a
    plain log axis would drop it, so the axis becomes symmetric-log: linear below the decade of
    the smallest positive mean regret, logarithmic above."""
    means = [float(v) for c in curves for v in c.mean]
    positive = [v for v in means if v > 0]
    if not positive:
        return
    if min(means) > 0:
        ax.set_yscale("log")
    else:
        ax.set_yscale("symlog", linthresh=10 ** math.floor(math.log10(min(positive))))
        ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(_sparse_minor_label))


def _sparse_minor_label(value: float, _) -> str:
    """Label the minor log ticks at 2, 3 and 5 times a power of ten only: readable, not crowded."""
    if value <= 0:
        return ""
    mantissa = round(value / 10 ** math.floor(math.log10(value)), 6)
    return f"{value:g}" if mantissa in (2, 3, 5) else ""


def critical_difference(test: ranks.Friedman, what: str = "optimizer") -> bytes:
    """The critical-difference diagram (scikit-posthocs): average ranks over the complete tasks,
    bars joining methods that the Nemenyi test at ``test.alpha`` cannot tell apart."""
    import scikit_posthocs as sp

    pvalues = ranks.nemenyi(test)
    k = len(test.methods)
    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.3 * k))
    sp.critical_difference_diagram(test.average_ranks, pvalues, ax=ax, alpha=test.alpha,
                                   label_fmt_left="{label} ({rank:.2f})",
                                   label_fmt_right="({rank:.2f}) {label}")
    # The rank axis spans every possible rank, 1..k; the CD bar sits above the tick labels
    # (scikit-posthocs draws it on them).
    ax.set_xlim(1, k)
    ax.set_xticks(range(1, k + 1))
    bottom, _ = ax.get_ylim()
    start, cd = 1.0, test.critical_difference
    height = 1.5
    ax.plot([start, start + cd], [height, height], color="k", lw=2, clip_on=False)
    for end in (start, start + cd):
        ax.plot([end, end], [height - 0.2, height + 0.2], color="k", lw=1.5, clip_on=False)
    ax.text(start + cd / 2, height + 0.3, f"CD = {cd:.2f}", ha="center", va="bottom",
            fontsize=9)
    ax.set_ylim(bottom, height + 1.3)
    ax.set_title(f"average rank over {len(test.tasks)} tasks (1 = best)\nbars join {what}s that "
                 f"the Nemenyi test (alpha = {test.alpha}) cannot tell apart", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def predictor_curves(analysis: PredictorAnalysis, benchmark: str) -> bytes:
    """Kendall tau and Spearman (mean ± standard error over seeds) for one benchmark: against
    training size for model-based predictors (a zero-cost predictor is a horizontal dashed line
    at its value), and against fidelity for learning-curve predictors, one row each."""
    fidelity_kind = [p for p in analysis.predictors if analysis.kind[p] == "fidelity"
                     and (benchmark, p) in analysis.points]
    size_kind = [p for p in analysis.predictors if analysis.kind[p] != "fidelity"
                 and (benchmark, p) in analysis.points]
    rows = [(name, preds) for name, preds in (("training size", size_kind),
                                              ("fidelity", fidelity_kind)) if preds]
    fig, axes = plt.subplots(len(rows), len(CORRELATIONS), squeeze=False,
                             figsize=(4.3 * len(CORRELATIONS) + 1.6, 3.3 * len(rows)))
    colour = colours(analysis.predictors)
    for (x_name, preds), row in zip(rows, axes, strict=True):
        for ax, metric in zip(row, CORRELATIONS, strict=True):
            xs_all = []
            for pred in preds:
                series = _predictor_series(analysis.points[(benchmark, pred)], metric, x_name)
                for label, xs, stats in series:
                    if analysis.kind[pred] == "zero-cost":
                        ax.axhline(stats[0].mean, color=colour[pred], ls="--", lw=1.2,
                                   label=pred)
                        continue
                    xs_all += xs
                    ax.errorbar(xs, [s.mean for s in stats], yerr=[s.se for s in stats],
                                color=colour[pred], marker="o", ms=3, lw=1.4, capsize=2,
                                label=f"{pred}{label}")
            if xs_all and min(xs_all) > 0 and max(xs_all) / min(xs_all) >= 20:
                ax.set_xscale("log")
            ax.set_xlabel(x_name)
            ax.set_title(f"{metric.replace('_', ' ')} against {x_name}", fontsize=10)
            ax.grid(alpha=0.3)
        handles, labels = row[0].get_legend_handles_labels()
        row[-1].legend(handles, labels, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1),
                       borderaxespad=0)  # beside the panels: many predictors hide the curves
    fig.suptitle(f"{benchmark}: mean ± standard error over seeds", fontsize=11)
    fig.tight_layout()
    return _png(fig)


def _predictor_series(points, metric: str, x_name: str) -> list[tuple[str, list, list]]:
    """(label suffix, x values, Stats) per line: one line against training size, or one per
    training size against fidelity."""
    known = [(setting, group[metric]) for setting, group in points
             if metric in group and group[metric].known]
    if x_name == "training size":
        known.sort(key=lambda p: p[0][0] or 0)
        return [("", [s[0] or 0 for s, _ in known], [st for _, st in known])] if known else []
    by_size: dict = {}
    for (size, fid), stat in sorted(known, key=lambda p: (p[0][0] or 0, p[0][1] or 0)):
        by_size.setdefault(size, []).append((fid, stat))
    return [(f" ({size:g} train)" if size and len(by_size) > 1 else "",
             [f for f, _ in pts], [st for _, st in pts]) for size, pts in by_size.items()]


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()
