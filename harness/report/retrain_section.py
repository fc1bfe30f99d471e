"""The report's retraining section: architectures retrained by ``python -m harness.retrain``
into ``<results>/retrain/``, their per-epoch test accuracy beside what the benchmark says.

Read from the results store alone: each retrained arch's Parquet holds its per-epoch metrics,
and its manifest the benchmark's test accuracy for that arch (written by the retrain command).
"""

from __future__ import annotations

from pathlib import Path

from harness.report.render import Cell, Heading, Para, Table
from harness.results import ResultsStore


def retrain_sections(results: Path) -> list:
    """Blocks for the retraining results under ``results/retrain``, or [] when there are none."""
    store = ResultsStore(Path(results) / "retrain")
    keys = sorted(store.root.glob("*/*/metrics.parquet"))
    if not keys:
        return []
    rows = []
    for path in keys:
        key = str(path.relative_to(store.root).with_suffix(""))
        table, manifest = store.read(key)
        last = table.slice(table.num_rows - 1).to_pylist()[0]
        bench_acc = manifest.get("benchmark_test_acc", {})
        bench_valid = manifest.get("benchmark_valid_acc")  # nb301: a surrogate, no test metric
        rows.append([
            Cell(manifest["bench"]), Cell(manifest["arch"]),
            Cell(f"{manifest['search_valid']:.2f}"),
            Cell(str(last["epoch"])), Cell(f"{last['test_acc']:.2f}"),
            Cell(_fmt(bench_acc.get("hp12"))), Cell(_fmt(bench_acc.get("hp200"))),
            Cell(_fmt(bench_valid)),
            Cell(f"{sum(r['images_per_second'] for r in table.to_pylist()) / table.num_rows:.0f}"),
        ])
    return [
        Heading(2, "Retraining"),
        Para("Architectures retrained from scratch by python -m harness.retrain: test accuracy "
             "after the epochs trained, beside the benchmark's test accuracy for the same "
             "architecture (12- and 200-epoch schedules). A shortened retraining is not "
             "expected to reach the benchmark's number."),
        Table(header=["benchmark", "architecture", "search valid", "epochs", "retrained test",
                      "benchmark test (hp12)", "benchmark test (hp200)",
                      "benchmark valid (surrogate)", "images/s"],
              rows=rows, caption="Retrained architectures.", text_columns=2),
    ]


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
