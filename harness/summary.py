"""The end-of-run summary, computed from the results store only (as the reports are)."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from harness.results import ResultsStore


def final_rows(store: ResultsStore) -> list[dict]:
    """One row per finished job: its key fields and its final numbers."""
    rows = []
    for key in store.job_keys():
        _, manifest = store.read(key)
        job = manifest["job"]
        rows.append({
            "benchmark": job["benchmark"],
            "optimizer": job["optimizer"],
            "seed": job["seed"],
            "queries": manifest["spent"]["queries"],
            "seconds": manifest["spent"]["seconds"],
            **manifest["final"],
        })
    return rows


def mean_std_se(values: list[float]) -> tuple[float, float, float]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0 or np.isnan(arr).all():
        return math.nan, math.nan, math.nan
    std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return float(arr.mean()), std, std / math.sqrt(arr.size)


def format_summary(rows: list[dict], per_seed: bool = True) -> str:
    """Per seed (optional) and per (benchmark, optimizer): best observed validation accuracy,
    the recommended arch's seed-mean validation accuracy, regret and test accuracy."""
    lines = []
    width = max([22] + [len(r["benchmark"]) for r in rows])  # TNB101 names are up to 28
    if per_seed:
        lines.append(f"{'benchmark':<{width}} {'optimizer':<9} {'seed':>4} {'queries':>7} "
                     f"{'best obs':>8} {'valid':>7} {'regret':>7} {'test':>7}")
        for r in rows:
            lines.append(
                f"{r['benchmark']:<{width}} {r['optimizer']:<9} {r['seed']:>4} {r['queries']:>7} "
                f"{r['best_observed']:>8.3f} {r['incumbent_valid']:>7.3f} "
                f"{_fmt(r['incumbent_regret']):>7} {_fmt(r['incumbent_test']):>7}"
            )
        lines.append("")
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["benchmark"], r["optimizer"])].append(r)
    lines.append(
        "mean ± std [± standard error] over seeds; best observed is what the search saw; "
        "the other columns are the recommended arch's seed-mean values at full fidelity"
    )
    lines.append(f"{'benchmark':<{width}} {'optimizer':<9} {'seeds':>5} "
                 f"{'best observed valid':>24} {'recommended valid':>24} {'valid regret':>24} "
                 f"{'test acc':>24}")
    for (bench, opt), group in sorted(groups.items()):
        cells = [_cell([g[k] for g in group], absent) for k, absent in
                 (("best_observed", "n/a"), ("incumbent_valid", "n/a"),
                  ("incumbent_regret", "n/a (optimum unknown)"),
                  ("incumbent_test", "n/a (no test metric)"))]
        lines.append(f"{bench:<{width}} {opt:<9} {len(group):>5} "
                     + " ".join(f"{c:>24}" for c in cells))
    return "\n".join(lines)


def _fmt(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def _cell(values: list[float | None], absent: str) -> str:
    mean, std, se = mean_std_se([math.nan if v is None else v for v in values])
    if math.isnan(mean):
        return absent
    return f"{mean:.2f} ± {std:.2f} [±{se:.2f}]"
