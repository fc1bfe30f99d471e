"""``python -m harness.report results/mine --baseline suite``: rank a results folder's methods
among a baseline's runs without rerunning them.

The baseline's runs (``harness.baselines``: the stored suite, or another results folder) join
the report with their optimizer names marked `` (stored)``, on the benchmarks of the results
folder only. A comparison is refused (``ReportError``, exit code 2) when, on any of those
benchmarks, the two differ in budget, noise, the fidelity the search saw or the benchmark data
(checksum), or the baseline has no runs there; the message names every difference.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from harness import baselines
from harness.report import ReportError
from harness.report.load import Experiment, Run, space_name

MARK = " (stored)"


def add_baseline(exp: Experiment, source: str) -> str:
    """Append the baseline's runs on ``exp``'s benchmarks to ``exp.runs`` (marked); return a
    sentence saying what was added. ReportError when they cannot be compared."""
    if not exp.runs:
        raise ReportError(f"--baseline ranks search runs, and {str(exp.root)!r} holds none")
    try:
        table = baselines.load_search_table(source)
    except baselines.BaselineError as error:
        raise ReportError(str(error)) from None
    mine: dict[str, set[tuple]] = defaultdict(set)
    for run in exp.runs:
        mine[run.final["benchmark"]].add(tuple(run.settings[k] for k in baselines.SETTINGS))
    frame = table.to_pandas()
    frame = frame[frame["benchmark"].isin(list(mine))]
    theirs: dict[str, set[tuple]] = defaultdict(set)
    for row in frame[["benchmark", *baselines.SETTINGS]].drop_duplicates().itertuples(
            index=False):
        theirs[row[0]].add(tuple(row[1:]))
    problems = baselines.setting_differences(mine, theirs)
    if problems:
        raise ReportError(f"cannot rank {str(exp.root)!r} against the baseline {source!r}: "
                          + "; ".join(problems))
    added = 0
    for (bench, opt, seed), run in frame.groupby(["benchmark", "optimizer", "seed"], sort=True):
        exp.runs.append(_run(bench, f"{opt}{MARK}", int(seed), run))
        added += 1
    optimizers = sorted({o + MARK for o in frame["optimizer"]})
    return (f"Runs marked{MARK} ({', '.join(optimizers)}: {added} runs) are read from the "
            f"baseline {source!r}, not rerun; they share this folder's budget, noise, fidelity "
            "and benchmark data (checked).")


def _run(bench: str, optimizer: str, seed: int, rows) -> Run:
    rows = rows.sort_values("step")
    curve = {c: rows[c].to_numpy(dtype=np.float64) for c in baselines.SEARCH_CURVE}
    last = rows.iloc[-1]

    def number(value):
        return None if value is None or (isinstance(value, float) and np.isnan(value)) \
            else float(value)

    final = {"benchmark": bench, "optimizer": optimizer, "seed": seed,
             "queries": int(last["cum_queries"]), "seconds": number(last["cum_seconds"]),
             "incumbent": last["incumbent"],
             **{k: number(last[k]) for k in ("incumbent_valid", "incumbent_test",
                                             "incumbent_regret", "best_observed")}}
    settings = {k: last[k] for k in baselines.SETTINGS}
    return Run(final, curve, space_name(bench), settings=settings)
