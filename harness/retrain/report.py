"""The end-of-retraining table: retrained test accuracy against the benchmark's.

The benchmark's 200-epoch test accuracy is the value the retraining should reproduce (only when
run with the full protocol and data); its 12-epoch value is printed for reference, as it is
what a short retraining is closer to. NAS-Bench-301 has no test metric: for it the row sets the
surrogate's validation accuracy (``bench_valid``, last epoch) beside the retrained test accuracy,
and the test columns are n/a.
"""

from __future__ import annotations

import numpy as np

from harness.retrain.selection import Candidate


def compare(bench, arch: np.ndarray, candidate: Candidate, metrics: list[dict]) -> dict:
    """One row: the arch, its search validation value, retrained and benchmark test accuracy."""
    last = metrics[-1]
    row = {
        "arch": candidate.arch, "search_valid": candidate.valid, "epochs": last["epoch"],
        "retrained_test": last["test_acc"], "bench_test_hp200": None, "bench_test_hp12": None,
        "bench_valid": None,
        "images_per_second": float(np.mean([m["images_per_second"] for m in metrics])),
    }
    if getattr(bench, "report_metric", "test_acc") is None:  # NB301: no test split
        row["bench_valid"] = float(bench.query(arch, "valid_acc"))
    else:
        row["bench_test_hp200"] = float(bench.query(arch, "test_acc", fidelity="hp200"))
        row["bench_test_hp12"] = float(bench.query(arch, "test_acc", fidelity="hp12"))
    return row


def _num(value: float | None, width: int) -> str:
    return f"{'n/a':>{width}}" if value is None else f"{value:>{width}.2f}"


def format_table(rows: list[dict]) -> str:
    """The comparison as text: one numbered row per arch, then each arch's full string (a
    DARTS genotype is 400 characters: it would drown the columns)."""
    head = (f"{'#':>2} {'search valid':>12} {'epochs':>6} {'retrained test':>14} "
            f"{'bench test hp200':>16} {'bench test hp12':>15} {'bench valid':>11} "
            f"{'images/s':>9}")
    lines = [head]
    for i, r in enumerate(rows, 1):
        lines.append(f"{i:>2} {r['search_valid']:>12.2f} {r['epochs']:>6d} "
                     f"{r['retrained_test']:>14.2f} {_num(r['bench_test_hp200'], 16)} "
                     f"{_num(r['bench_test_hp12'], 15)} {_num(r['bench_valid'], 11)} "
                     f"{r['images_per_second']:>9.0f}")
    lines += [f"#{i}: {r['arch']}" for i, r in enumerate(rows, 1)]
    return "\n".join(lines)
