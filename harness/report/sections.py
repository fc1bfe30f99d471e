"""The report's sections as blocks: what is said, in which table, with which caveat. Numbers
come from ``analysis`` / ``predictor_tables``; this module only chooses and formats them."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from harness.report import figures
from harness.report.analysis import REGRET, SearchAnalysis
from harness.report.load import Experiment
from harness.report.predictor_tables import PredictorAnalysis, describe_setting
from harness.report.ranks import Friedman
from harness.report.render import Cell, Figure, Heading, Para, Table
from harness.report.tables import Stat
from harness.summary import format_stat

MAX_METHOD_COLUMNS = 8  # wider mean ± se tables are split (see split_columns)
RANKING_NOTE = (
    "Ranks: on each task the methods are ranked by the criterion of the final table (1 = best; "
    "tied methods share the average of their ranks); a search space's rank is the mean over its "
    "tasks; 'all spaces' is the mean of the per-space ranks, each search space weighted equally "
    "(the NAS-Bench-Suite convention), so a space with many tasks does not dominate. A method "
    "that did not run on every task of a space has no rank for that space ('–'), and one "
    "without a rank in every space none across spaces."
)


def mean_se(stat: Stat | None) -> str:
    """``mean ± se``, both to the decimals of the standard error's second significant digit
    (four significant digits for the mean when the standard error is 0)."""
    if stat is None or not stat.known:
        return "n/a"
    if stat.n < 2:  # one seed: no spread to estimate
        return f"{_sig(stat.mean)} ± n/a"
    if not stat.se > 0:
        return f"{_sig(stat.mean)} ± 0"
    decimals = min(max(1 - math.floor(math.log10(stat.se)), 0), 8)
    return f"{stat.mean:.{decimals}f} ± {stat.se:.{decimals}f}"


def _sig(value: float) -> str:
    """Four significant digits, without an exponent for ordinary magnitudes."""
    if value == 0:
        return "0"
    if abs(value) < 1e-3:
        return f"{value:.3e}"
    return f"{value:.{min(max(3 - math.floor(math.log10(abs(value))), 0), 6)}f}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def split_columns(table: Table, most: int = MAX_METHOD_COLUMNS) -> list[Table]:
    """A table with more than ``most`` method columns as several tables of at most ``most``,
    each repeating the leading name columns: wide mean ± se tables stay readable on a page."""
    lead = table.text_columns
    methods = len(table.header) - lead
    if methods <= most:
        return [table]
    parts = []
    for start in range(lead, len(table.header), most):
        cols = list(range(lead)) + list(range(start, min(start + most, len(table.header))))
        parts.append(Table([table.header[i] for i in cols],
                           [[row[i] for i in cols] for row in table.rows],
                           caption=table.caption if start == lead else "(continued)",
                           text_columns=lead))
    return parts


# --- shared by the search and the predictor parts --------------------------------------------
def rank_tables(space_ranks: Mapping[str, Mapping[str, float]], overall: Mapping[str, float],
                task_ranks: Mapping[str, Mapping[str, float]], space_of: Mapping[str, str],
                methods: list[str], what: str) -> list:
    tasks_in = {s: sum(1 for t in task_ranks if space_of[t] == s) for s in space_ranks}
    rows = [[Cell(space), Cell(str(tasks_in[space]))] + _rank_cells(ranks, methods)
            for space, ranks in space_ranks.items()]
    rows.append([Cell("all spaces (each weighted equally)"), Cell(str(len(task_ranks)))]
                + _rank_cells(overall, methods))
    per_task = [[Cell(task), Cell(space_of[task])] + _rank_cells(task_ranks[task], methods)
                for task in task_ranks]
    return [
        Table(["search space", "tasks", *methods], rows,
              caption=f"Average rank of each {what} per search space and across spaces "
                      "(lower is better; best in bold).", text_columns=1),
        Para(RANKING_NOTE),
        Table(["task", "space", *methods], per_task,
              caption=f"Rank of each {what} per task (best in bold).", text_columns=2),
    ]


def _rank_cells(ranks: Mapping[str, float], methods: list[str]) -> list[Cell]:
    low = min(ranks.values()) if ranks else math.nan
    return [Cell(f"{ranks[m]:.2f}", ranks[m] == low) if m in ranks else Cell("–")
            for m in methods]


def friedman_blocks(test: Friedman | str, what: str) -> list:
    if isinstance(test, str):
        return [Para(f"Friedman test not run: {test}. No critical-difference diagram.")]
    verdict = "differ" if test.pvalue < test.alpha else "cannot be told apart"
    left_out = (f" Left out, for lack of a score on every task: {', '.join(test.left_out)}."
                if test.left_out else "")
    blocks = [Para(
        f"Friedman test over the {len(test.tasks)} tasks where all {len(test.methods)} tested "
        f"{what}s ran: chi² = {test.statistic:.3f}, p = {test.pvalue:.3g}; at alpha = "
        f"{test.alpha} the {what}s {verdict}.{left_out} The diagram shows their average rank "
        f"over those tasks (each task weighted equally, not each space) and joins {what}s the "
        "Nemenyi post-hoc test cannot tell apart (scikit-posthocs)."
    )]
    png = figures.critical_difference(test, what)
    blocks.append(Figure(f"critical-difference-{what}.png", png,
                         caption=f"Critical-difference diagram of the {what}s."))
    return blocks


# --- search ---------------------------------------------------------------------------------
def search_sections(exp: Experiment, a: SearchAnalysis, x: str, log_x: bool) -> list:
    blocks: list = [Heading(2, "Search: overview"), Para(_overview(exp, a))]
    blocks += [Heading(2, "Search: ranks across search spaces")]
    blocks += rank_tables(a.space_ranks, a.overall_ranks, a.task_ranks, a.space_of,
                          a.optimizers, "optimizer")
    blocks += [Heading(2, "Search: Friedman test and critical difference")]
    blocks += friedman_blocks(a.friedman, "optimizer")
    blocks += [Heading(2, "Search: final regret"), *split_columns(_final_table(a))]
    unknown = [t for t in a.tasks if a.criterion[t] != REGRET]
    note = ("Regret is the benchmark's best validation value minus the recommended "
            "architecture's seed-mean validation value at the end of the run, mean ± standard "
            "error over seeds; lower is better, best per task in bold.")
    constrained = {b: p["constraints"] for b, p in ((exp.config or {}).get("problems") or {})
                   .items() if p.get("constraints")}
    if constrained:
        note += (" Constrained runs (" + "; ".join(f"{b}: {', '.join(c)}" for b, c in
                                                   sorted(constrained.items()))
                 + "): the best value is that of the best feasible architecture; an "
                 "infeasible incumbent has no regret.")
    if unknown:
        note += (f" Where the optimum is unknown ({', '.join(unknown)}: a surrogate's space "
                 "cannot be enumerated) the table shows the final recommended validation value "
                 "instead (marked 'valid ↑', higher is better) and ranks by it.")
    blocks.append(Para(note))
    tested = [t for t in a.tasks
              if any((s := a.stat(t, o, "incumbent_test")) and s.known for o in a.optimizers)]
    if tested:
        blocks += [Heading(2, "Search: test metric of the recommended architecture"),
                   *split_columns(_test_table(a, tested)),
                   Para("Reported, never searched on: the oracle refuses test metrics to the "
                        "optimizers. Mean ± standard error over seeds; higher is better.")]
    pairs = [(t, o) for t in a.tasks for o in a.optimizers
             if (s := a.stat(t, o, "best_sampled_valid")) is not None and s.n]
    if pairs:
        blocks += [Heading(2, "Search: recommended and best sampled architecture"),
                   _incumbents_table(a, pairs),
                   Para("For the methods whose recommendation is not the best architecture they "
                        "sampled (xnas recommends its discretized mixture, as its paper does), "
                        "the run also records the best sampled architecture: the first with the "
                        "highest validation value the search observed. Both are seed-mean "
                        "values at full fidelity, mean ± standard error over seeds; the ranks "
                        "and the final table use the recommended one. The gap is what the "
                        "method saw but did not learn.")]
    blocks.append(Heading(2, "Search: anytime curves"))
    blocks.append(Para(
        "Mean ± standard error over seeds (shaded). Best validation value observed is what the "
        "search saw (with noise 'seed', one training seed per query where the record has "
        "seeds, else the seed mean, as NB201 at hp12: each run's manifest says which under "
        "oracle.served); the incumbent's test metric "
        "and regret (or, where the optimum is unknown, its validation value) are the recommended "
        "architecture's seed-mean values. Seeds are read off a "
        "common grid as step functions; a run that stopped keeps its final value; the grid "
        "starts where every seed has finished its first query. Regret is on a log axis (a "
        "symmetric-log one, linear near 0, where a mean regret of 0 must show). Where the first "
        "queries of one optimizer would squash the others, the y axis zooms onto the curves "
        "after the first tenth of the x axis and the start leaves the frame."
    ))
    for task in a.tasks:
        png, _ = figures.task_curves(exp, a, task, x=x, log_x=log_x)
        blocks.append(Heading(3, task))
        blocks.append(Figure(f"curves-{slug(task)}.png", png, caption=f"Anytime curves, {task}."))
    blocks += [Heading(2, "Search: statistics as the runner's summary prints them"),
               _summary_table(a),
               Para("mean ± standard deviation [± standard error] over seeds, computed by the "
                    "same function as the runner's end-of-run summary.")]
    return blocks


def _overview(exp: Experiment, a: SearchAnalysis) -> str:
    seeds = sorted({max(s.n for s in g.values()) for g in a.stats.values()})
    queries = sorted({r["queries"] for r in exp.rows})
    config = exp.config or {}
    budget = config.get("budget") or {}
    spent = (f"{budget['queries']} queries" if budget.get("queries")
             else f"{budget['seconds']:g} simulated seconds" if budget.get("seconds") else
             f"{_span(queries)} queries")
    text = (f"{len(exp.runs)} runs read from {exp.root}: {len(a.tasks)} tasks in "
            f"{_plural(len(a.space_ranks), 'search space')} ({', '.join(a.space_ranks)}), "
            f"{_plural(len(a.optimizers), 'optimizer')} ({', '.join(a.optimizers)}), "
            f"{_span(seeds)} seeds per task and optimizer, budget {spent}")
    if config.get("fidelity"):
        text += f", fidelity {config['fidelity']}"
    if config.get("noise"):
        text += f", noise '{config['noise']}'"
    if exp.skipped:
        text += f". Skipped {len(exp.skipped)} Parquet file(s) that are neither a run nor a " \
                "predictor table"
    return text + "."


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _span(values: list) -> str:
    return str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}"


def _final_table(a: SearchAnalysis) -> Table:
    rows = []
    for task in a.tasks:
        crit = a.criterion[task]
        cells = [Cell(task), Cell(a.space_of[task]), Cell("regret ↓" if crit == REGRET
                                                           else "valid ↑")]
        cells += [Cell(mean_se(a.stat(task, o, crit)), o in a.best[task]) for o in a.optimizers]
        rows.append(cells)
    return Table(["task", "space", "criterion", *a.optimizers], rows, text_columns=3,
                 caption="Final regret (or validation value where the optimum is unknown), "
                         "mean ± standard error over seeds.")


def _test_table(a: SearchAnalysis, tasks: list[str]) -> Table:
    rows = []
    for task in tasks:
        stats = {o: a.stat(task, o, "incumbent_test") for o in a.optimizers}
        known = [s.mean for s in stats.values() if s is not None and s.known]
        top = max(known)
        rows.append([Cell(task)] + [Cell(mean_se(s), s is not None and s.known and s.mean == top)
                                    for s in stats.values()])
    return Table(["task", *a.optimizers], rows,
                 caption="Test metric of the recommended architecture at the end of the run.")


def _incumbents_table(a: SearchAnalysis, pairs: list[tuple[str, str]]) -> Table:
    rows = []
    for task, opt in pairs:
        crit = "regret" if a.criterion[task] == REGRET else "valid"
        cells = [Cell(task), Cell(opt), Cell("regret ↓" if crit == "regret" else "valid ↑")]
        for metric in (crit, "test"):
            cells += [Cell(mean_se(a.stat(task, opt, f"{prefix}_{metric}")))
                      for prefix in ("incumbent", "best_sampled")]
        rows.append(cells)
    return Table(["task", "optimizer", "criterion", "recommended", "best sampled",
                  "recommended test", "best sampled test"], rows, text_columns=3,
                 caption="The two incumbents at the end of the run: the recommended "
                         "architecture and the best one sampled.")


def _summary_table(a: SearchAnalysis) -> Table:
    rows = []
    for task, opt in ((t, o) for t in a.tasks for o in a.optimizers if (t, o) in a.stats):
        group = a.stats[(task, opt)]
        rows.append([Cell(task), Cell(opt), Cell(str(max(s.n for s in group.values())))]
                    + [Cell(format_stat(group[m])) for m in
                       ("best_observed", "incumbent_valid", "incumbent_regret", "incumbent_test")])
    return Table(["task", "optimizer", "seeds", "best observed valid", "recommended valid",
                  "valid regret", "test"], rows, text_columns=2,
                 caption="Per task and optimizer, as the runner's end-of-run summary prints it.")


# --- predictors -----------------------------------------------------------------------------
def predictor_sections(p: PredictorAnalysis) -> list:
    blocks: list = [Heading(2, "Predictors: ranks across search spaces"),
                    Para("Predictors are ranked on each benchmark by their mean Kendall tau "
                         "(higher is better) at their most informed setting: the largest "
                         "training size evaluated on that benchmark for model-based predictors, "
                         "the largest fidelity for learning-curve predictors, the only value "
                         "of a zero-cost predictor (see the table of settings)."),
                    _settings_table(p)]
    blocks += rank_tables(p.space_ranks, p.overall_ranks, p.task_ranks, p.space_of,
                          p.predictors, "predictor")
    blocks += [Heading(2, "Predictors: Friedman test and critical difference")]
    blocks += friedman_blocks(p.friedman, "predictor")
    blocks.append(Heading(2, "Predictors: final correlations"))
    for metric in ("kendall_tau", "spearman"):
        rows = []
        for bench in p.benchmarks:
            stats = {q: p.final[(bench, q)][1].get(metric) if (bench, q) in p.final else None
                     for q in p.predictors}
            known = [s.mean for s in stats.values() if s is not None and s.known]
            top = max(known) if known else math.nan
            rows.append([Cell(bench)] + [
                Cell(mean_se(s), s is not None and s.known and s.mean == top)
                for s in stats.values()])
        blocks += split_columns(
            Table(["benchmark", *p.predictors], rows,
                  caption=f"{metric.replace('_', ' ')} at the ranked setting, mean ± standard "
                          "error over seeds (best in bold)."))
    blocks.append(Heading(2, "Predictors: correlation against training size and fidelity"))
    for bench in p.benchmarks:
        blocks.append(Heading(3, bench))
        blocks.append(Figure(f"predictors-{slug(bench)}.png", figures.predictor_curves(p, bench),
                             caption=f"Kendall tau and Spearman, {bench}."))
    return blocks


def _settings_table(p: PredictorAnalysis) -> Table:
    rows = []
    for pred in p.predictors:
        ranked = sorted({describe_setting(p.final[(b, pred)][0]) for b in p.benchmarks
                         if (b, pred) in p.final})
        evaluated = sum(1 for b in p.benchmarks if (b, pred) in p.points)
        rows.append([Cell(pred), Cell(p.kind[pred]), Cell(str(evaluated)),
                     Cell("; ".join(ranked) or "not ranked")])
    return Table(["predictor", "kind", "benchmarks", "ranked setting"], rows, text_columns=4,
                 caption="What each predictor is ranked by.")
