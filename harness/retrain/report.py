"""The end-of-retraining table: retrained test accuracy against the benchmark's.

The benchmark's 200-epoch test accuracy is the value the retraining should reproduce (only when
run with the full protocol and data); its 12-epoch value is printed for reference, as it is
what a short retraining is closer to.
"""

from __future__ import annotations

import numpy as np

from harness.retrain.selection import Candidate


def compare(bench, arch: np.ndarray, candidate: Candidate, metrics: list[dict]) -> dict:
    """One row: the arch, its search validation value, retrained and benchmark test accuracy."""
    last = metrics[-1]
    return {
        "arch": candidate.arch, "search_valid": candidate.valid, "epochs": last["epoch"],
        "retrained_test": last["test_acc"],
        "bench_test_hp200": float(bench.query(arch, "test_acc", fidelity="hp200")),
        "bench_test_hp12": float(bench.query(arch, "test_acc", fidelity="hp12")),
        "images_per_second": float(np.mean([m["images_per_second"] for m in metrics])),
    }


def format_table(rows: list[dict]) -> str:
    head = (f"{'arch':<78} {'search valid':>12} {'epochs':>6} {'retrained test':>14} "
            f"{'bench test hp200':>16} {'bench test hp12':>15} {'images/s':>9}")
    lines = [head]
    for r in rows:
        lines.append(f"{r['arch']:<78} {r['search_valid']:>12.2f} {r['epochs']:>6d} "
                     f"{r['retrained_test']:>14.2f} {r['bench_test_hp200']:>16.2f} "
                     f"{r['bench_test_hp12']:>15.2f} {r['images_per_second']:>9.0f}")
    return "\n".join(lines)
