"""The multi-objective part of a report: hypervolume regret per task, ranks, anytime curves,
Pareto fronts against the exact one, and the attainment surface over seeds.

Everything comes from the results store: each run's trajectory (anytime hypervolume and its
regret against the exact front) and its manifest (the final non-dominated set at seed-mean
values, and the task's objectives, bounds and exact front). Tasks are ranked by final mean
hypervolume regret where every optimizer's is known, else by minus the mean hypervolume (a
surrogate has no exact front), with the same rank and Friedman/critical-difference machinery as
single-objective search. The attainment surfaces are moocore's empirical attainment function.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.report import ranks
from harness.report.analysis import best_of, space_order_key
from harness.report.load import Experiment
from harness.report.tables import Stat, aggregate

HV_REGRET, HV = "hv_regret", "hypervolume"
MO_METRICS = (HV, HV_REGRET, "front_size")


@dataclass
class MOAnalysis:
    tasks: list[str]
    optimizers: list[str]
    space_of: dict[str, str]
    objectives: dict[str, list[str]]  # task -> "valid_acc:max", "latency:min", ...
    stats: dict[tuple[str, str], dict[str, Stat]]
    criterion: dict[str, str]  # HV_REGRET or HV
    best: dict[str, set[str]]
    task_ranks: dict[str, dict[str, float]]
    space_ranks: dict[str, dict[str, float]]
    overall_ranks: dict[str, float]
    friedman: ranks.Friedman | str


def analyze_multiobjective(exp: Experiment) -> MOAnalysis | None:
    runs = [r for r in exp.runs if r.multi]
    if not runs:
        return None
    space_of = {r.final["benchmark"]: r.space for r in runs}
    tasks = sorted(space_of, key=lambda t: (space_order_key(space_of[t]), t))
    present = {r.final["optimizer"] for r in runs}
    declared = (exp.config or {}).get("optimizers") or []
    optimizers = [o for o in declared if o in present] + sorted(present - set(declared))
    objectives = {r.final["benchmark"]: r.pareto.get("objectives", []) for r in runs}
    stats = aggregate([r.final for r in runs], MO_METRICS)
    criterion, scores, best = {}, {}, {}
    for task in tasks:
        groups = {o: stats[(task, o)] for o in optimizers if (task, o) in stats}
        criterion[task] = HV_REGRET if all(g[HV_REGRET].known for g in groups.values()) else HV
        scores[task] = {o: (g[HV_REGRET].mean if criterion[task] == HV_REGRET else -g[HV].mean)
                        for o, g in groups.items()}
        best[task] = best_of(scores[task])
    task_ranks = ranks.ranks_per_task(scores)
    space_ranks = ranks.average_ranks_by_space(task_ranks, space_of)
    space_ranks = dict(sorted(space_ranks.items(), key=lambda kv: space_order_key(kv[0])))
    return MOAnalysis(tasks=tasks, optimizers=optimizers, space_of=space_of,
                      objectives=objectives, stats=stats, criterion=criterion, best=best,
                      task_ranks=task_ranks, space_ranks=space_ranks,
                      overall_ranks=ranks.average_across_spaces(space_ranks),
                      friedman=ranks.friedman(scores))


def multiobjective_sections(exp: Experiment, a: MOAnalysis) -> list:
    from harness.report import figures
    from harness.report.render import Cell, Figure, Heading, Para, Table
    from harness.report.sections import friedman_blocks, rank_tables, slug, split_columns

    blocks: list = [Heading(2, "Multi-objective search: final hypervolume regret")]
    header = ["task", "objectives", *a.optimizers]
    rows = []
    for task in a.tasks:
        metric = a.criterion[task]
        cells = [Cell(task), Cell(", ".join(a.objectives[task]))]
        for opt in a.optimizers:
            stat = a.stats.get((task, opt), {}).get(metric)
            text = "—" if stat is None or not stat.known else (
                f"{stat.mean:.4f} ± {stat.se:.4f}" + ("" if metric == HV_REGRET else " (HV ↑)"))
            cells.append(Cell(text, bold=opt in a.best[task]))
        rows.append(cells)
    blocks += split_columns(Table(header, rows, text_columns=2))
    blocks.append(Para(
        "Hypervolume regret: the exact Pareto front's hypervolume minus that of the run's final "
        "non-dominated set of evaluated architectures, scored at seed-mean values; objectives "
        "scaled between the task's stored ideal and nadir (best and worst over the whole "
        "table; for a surrogate, over 10,000 random archs), reference point 1.1 in each "
        "(moocore). Mean ± standard error over seeds; "
        "lower is better, best per task in bold. Where the exact front is unknown (a "
        "surrogate) the final hypervolume is shown instead (HV ↑, higher is better) and ranks."))
    blocks += [Heading(2, "Multi-objective search: ranks across search spaces")]
    blocks += rank_tables(a.space_ranks, a.overall_ranks, a.task_ranks, a.space_of,
                          a.optimizers, "optimizer")
    blocks += [Heading(2, "Multi-objective search: Friedman test and critical difference")]
    blocks += [b for b in friedman_blocks(a.friedman, "optimizer")
               if not isinstance(b, Figure)]
    if not isinstance(a.friedman, str):
        blocks.append(Figure("critical-difference-mo.png",
                             figures.critical_difference(a.friedman, "optimizer"),
                             caption="Critical-difference diagram, multi-objective optimizers."))
    blocks.append(Heading(2, "Multi-objective search: anytime hypervolume and Pareto fronts"))
    blocks.append(Para(
        "Left: hypervolume regret after each query (log axis; hypervolume where the exact front "
        "is unknown), mean ± standard error over seeds. Right (two objectives): the exact Pareto "
        "front (black) and, per optimizer, the median attainment surface of its final fronts "
        "over seeds (moocore's empirical attainment function at 50 %: the values at least half "
        "of the seeds attain), with every seed's final front points faint."))
    for task in a.tasks:
        runs = [r for r in exp.runs if r.multi and r.final["benchmark"] == task]
        blocks.append(Heading(3, task))
        blocks.append(Figure(f"mo-{slug(task)}.png", mo_task_figure(runs, a, task),
                             caption=f"Hypervolume and Pareto fronts, {task}."))
    return blocks


def attainment(points: list[np.ndarray], percentile: float = 50.0) -> np.ndarray:
    """The ``percentile`` attainment surface of minimized point sets (one per seed)."""
    import moocore

    data = np.concatenate(points)
    sets = np.concatenate([np.full(len(p), i + 1) for i, p in enumerate(points)])
    out = moocore.eaf(data, sets=sets, percentiles=[percentile])
    return np.asarray(out)[:, :-1]


def mo_task_figure(runs: list, a: MOAnalysis, task: str) -> bytes:
    from harness.report.curves import mean_curve
    from harness.report.figures import _png, colours, plt

    objectives = a.objectives[task]
    two = len(objectives) == 2
    fig, axes = plt.subplots(1, 2 if two else 1, figsize=(10 if two else 5, 3.6), squeeze=False)
    colour = colours(a.optimizers)
    metric = a.criterion[task]
    ax = axes[0][0]
    for opt in a.optimizers:
        mine = [r for r in runs if r.final["optimizer"] == opt]
        if not mine:
            continue
        curve = mean_curve([r.curve["cum_queries"] for r in mine],
                           [r.curve[metric] for r in mine], integer=True)
        if curve is None:
            continue
        ax.plot(curve.x, curve.mean, color=colour[opt], lw=1.4, drawstyle="steps-post",
                label=f"{opt} (n={curve.n})")
        ax.fill_between(curve.x, curve.mean - curve.se, curve.mean + curve.se, color=colour[opt],
                        alpha=0.2, lw=0, step="post")
    if metric == HV_REGRET:
        ax.set_yscale("log")
    ax.set_title("hypervolume regret" if metric == HV_REGRET else "hypervolume", fontsize=10)
    ax.set_xlabel("queries")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if two:
        _front_panel(axes[0][1], runs, a, task, colour)
    fig.suptitle(f"{task}: {', '.join(objectives)}", fontsize=11)
    fig.tight_layout()
    return _png(fig)


def _front_panel(ax, runs: list, a: MOAnalysis, task: str, colour: dict) -> None:
    names = [o.split(":")[0] for o in a.objectives[task]]
    signs = np.array([-1.0 if o.endswith(":max") else 1.0 for o in a.objectives[task]])
    exact = next((r.pareto.get("exact_front") for r in runs if r.pareto.get("exact_front")), None)
    if exact:
        front = np.array(exact)
        order = np.argsort(front[:, 1])
        ax.plot(front[order, 1], front[order, 0], color="black", lw=1.2, drawstyle="steps-post",
                label="exact front", zorder=3)
    for opt in a.optimizers:
        mine = [r for r in runs if r.final["optimizer"] == opt]
        sets = [np.array([[p[n] for n in names] for p in r.final["front"]]) for r in mine]
        if not sets:
            continue
        every = np.concatenate(sets)
        ax.scatter(every[:, 1], every[:, 0], s=6, color=colour[opt], alpha=0.25, lw=0)
        surface = attainment([s * signs for s in sets]) * signs
        order = np.argsort(surface[:, 1])
        ax.plot(surface[order, 1], surface[order, 0], color=colour[opt], lw=1.4,
                drawstyle="steps-post", label=f"{opt} median attainment")
    ax.set_xlabel(names[1])
    ax.set_ylabel(f"{names[0]} (seed mean)")
    ax.set_title("final fronts against the exact front", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
