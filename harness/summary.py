"""The end-of-run summary, computed from the results store only (as the reports are).

Its means, standard deviations and standard errors come from ``harness.report.tables.aggregate``,
the function the report uses too, so the two print the same numbers.
"""

from __future__ import annotations

import math

from harness.report.tables import FINAL_METRICS, SAMPLED_METRICS, Stat, aggregate, mean_std_se
from harness.results import ResultsStore

__all__ = ["final_row", "final_rows", "format_incumbents", "format_stat", "format_summary",
           "mean_std_se"]


def final_row(manifest: dict) -> dict:
    """A run's key fields and final numbers, from its manifest (None where a number is absent)."""
    job = manifest["job"]
    return {
        "benchmark": job["benchmark"],
        "optimizer": job["optimizer"],
        "seed": job["seed"],
        "queries": manifest["spent"]["queries"],
        "seconds": manifest["spent"]["seconds"],
        **manifest["final"],
    }


def final_rows(store: ResultsStore) -> list[dict]:
    """One row per finished job: its key fields and its final numbers."""
    return [final_row(store.read(key)[1]) for key in store.job_keys()]


def format_summary(rows: list[dict], per_seed: bool = True) -> str:
    """Per seed (optional) and per (benchmark, optimizer): best observed validation accuracy,
    the recommended arch's seed-mean validation accuracy, regret and test accuracy; for
    multi-objective runs the incumbent set's hypervolume, hypervolume regret and size."""
    multi = [r for r in rows if "hypervolume" in r]
    single = [r for r in rows if "hypervolume" not in r]
    parts = [_format_single(single, per_seed)] if single else []
    if multi:
        parts.append(_format_multi(multi, per_seed))
    return "\n\n".join(parts)


def _format_multi(rows: list[dict], per_seed: bool) -> str:
    lines = []
    width = max([22] + [len(r["benchmark"]) for r in rows])
    if per_seed:
        lines.append(f"{'benchmark':<{width}} {'optimizer':<9} {'seed':>4} {'queries':>7} "
                     f"{'front':>5} {'HV':>7} {'HV regret':>9}")
        for r in rows:
            lines.append(f"{r['benchmark']:<{width}} {r['optimizer']:<9} {r['seed']:>4} "
                         f"{r['queries']:>7} {r['front_size']:>5} {r['hypervolume']:>7.4f} "
                         f"{_fmt(r['hv_regret'], 4):>9}")
        lines.append("")
    stats = aggregate(rows, ("hypervolume", "hv_regret", "front_size"))
    lines.append("multi-objective: the non-dominated set of evaluated archs at seed-mean values; "
                 "hypervolume with the task's stored bounds, regret against the exact front; "
                 "mean ± std [± standard error] over seeds")
    lines.append(f"{'benchmark':<{width}} {'optimizer':<9} {'seeds':>5} {'hypervolume':>26} "
                 f"{'HV regret':>26} {'front size':>24}")
    for (bench, opt), group in stats.items():
        seeds = max(stat.n for stat in group.values())
        cells = [format_stat(group["hypervolume"]),
                 format_stat(group["hv_regret"], "n/a (front unknown)"),
                 format_stat(group["front_size"])]
        lines.append(f"{bench:<{width}} {opt:<9} {seeds:>5} {cells[0]:>26} {cells[1]:>26} "
                     f"{cells[2]:>24}")
    return "\n".join(lines)


def _format_single(rows: list[dict], per_seed: bool) -> str:
    """Runs that recorded a second incumbent (the best sampled arch of a method that recommends
    something else, XNAS) get it beside the recommended one, per seed and in a table of both."""
    lines = []
    width = max([22] + [len(r["benchmark"]) for r in rows])  # TNB101 names are up to 28
    sampled = any(r.get("best_sampled_valid") is not None for r in rows)
    if per_seed:
        lines.append(f"{'benchmark':<{width}} {'optimizer':<9} {'seed':>4} {'queries':>7} "
                     f"{'best obs':>8} {'valid':>7} {'regret':>7} {'test':>7}"
                     + (f" {'smp valid':>9} {'smp regret':>10} {'smp test':>8}"
                        if sampled else ""))
        for r in rows:
            line = (
                f"{r['benchmark']:<{width}} {r['optimizer']:<9} {r['seed']:>4} {r['queries']:>7} "
                f"{_fmt(r['best_observed']):>8} {r['incumbent_valid']:>7.3f} "
                f"{_fmt(r['incumbent_regret']):>7} {_fmt(r['incumbent_test']):>7}"
            )
            if r.get("best_sampled_valid") is not None:
                line += (f" {_fmt(r['best_sampled_valid']):>9} "
                         f"{_fmt(r.get('best_sampled_regret')):>10} "
                         f"{_fmt(r.get('best_sampled_test')):>8}")
            lines.append(line)
        if sampled:
            lines.append("smp: the best sampled arch (the highest validation value the search "
                         "observed), for methods that recommend another")
        lines.append("")
    stats = aggregate(rows, FINAL_METRICS + SAMPLED_METRICS)
    lines.append(
        "mean ± std [± standard error] over seeds; best observed is what the search saw; "
        "the other columns are the recommended arch's seed-mean values at full fidelity"
    )
    lines.append(f"{'benchmark':<{width}} {'optimizer':<9} {'seeds':>5} "
                 f"{'best observed valid':>24} {'recommended valid':>24} {'valid regret':>24} "
                 f"{'test acc':>24}")
    for (bench, opt), group in stats.items():
        cells = [format_stat(group[k], absent) for k, absent in
                 (("best_observed", "n/a"), ("incumbent_valid", "n/a"),
                  ("incumbent_regret", "n/a (optimum unknown)"),
                  ("incumbent_test", "n/a (no test metric)"))]
        seeds = max(group[k].n for k in FINAL_METRICS)
        lines.append(f"{bench:<{width}} {opt:<9} {seeds:>5} "
                     + " ".join(f"{c:>24}" for c in cells))
    if sampled:
        lines += ["", *format_incumbents(stats, width)]
    return "\n".join(lines)


def format_incumbents(stats: dict, width: int = 22) -> list[str]:
    """Both incumbents of each (benchmark, optimizer) that recorded a best sampled arch: the
    recommended one and the best sampled one, seed-mean values, so the gap shows."""
    lines = ["two incumbents: the recommended arch (xnas: its discretized mixture) and the best "
             "sampled arch (the highest validation value the search observed); seed-mean values "
             "at full fidelity, mean ± std [± standard error] over seeds",
             f"{'benchmark':<{width}} {'optimizer':<9} {'incumbent':<12} {'seeds':>5} "
             f"{'valid':>24} {'valid regret':>24} {'test acc':>24}"]
    for (bench, opt), group in stats.items():
        if not group["best_sampled_valid"].n:
            continue
        for label, prefix in (("recommended", "incumbent"), ("best sampled", "best_sampled")):
            cells = [format_stat(group[f"{prefix}_{k}"], absent) for k, absent in
                     (("valid", "n/a"), ("regret", "n/a (optimum unknown)"),
                      ("test", "n/a (no test metric)"))]
            seeds = group[f"{prefix}_valid"].n
            lines.append(f"{bench:<{width}} {opt:<9} {label:<12} {seeds:>5} "
                         + " ".join(f"{c:>24}" for c in cells))
    return lines


def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def format_stat(stat: Stat, absent: str = "n/a") -> str:
    """``mean ± std [±se]`` as the summary prints it (the report's tests use it to check that
    both show the same numbers): to the standard deviation's second significant digit, at least
    two decimals (so a TNB101 regret of 0.012 is not printed 0.01). One seed has no deviation:
    ``mean ± n/a``."""
    if not stat.known:
        return absent
    if stat.n < 2:
        return f"{stat.mean:.{_decimals(abs(stat.mean))}f} ± n/a"
    decimals = _decimals(stat.std if stat.std > 0 else abs(stat.mean))
    return f"{stat.mean:.{decimals}f} ± {stat.std:.{decimals}f} [±{stat.se:.{decimals}f}]"


def _decimals(scale: float) -> int:
    """Decimals that show ``scale`` to two significant digits, at least 2, at most 8."""
    if not scale > 0 or math.isinf(scale):
        return 2
    return min(max(2, 1 - math.floor(math.log10(scale))), 8)
