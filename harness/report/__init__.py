"""Reports built from a results store alone: ``python -m harness.report results/<experiment>``.

Modules: ``load`` reads the store, ``tables`` aggregates over seeds (shared with the runner's
summary), ``curves`` puts anytime curves on a common grid, ``ranks`` ranks optimizers per task and
aggregates the ranks across search spaces, ``predictors`` does the same for predictor
experiments, ``figures`` draws with matplotlib, ``render`` writes HTML and Markdown.

Importing this package is cheap (numpy only): the runner's summary uses ``tables``; matplotlib,
scipy and scikit-posthocs load only when a report is built.
"""

from __future__ import annotations

from pathlib import Path

X_AXES = ("queries", "seconds", "wall-clock")  # what anytime curves can be plotted against


class ReportError(ValueError):
    """The results folder cannot be reported on (missing, or holds no runs); exit code 2."""


def build_report(results: Path | str, out: Path | str, x: str = "queries",
                 log_x: bool = False, baseline: str | None = None) -> dict[str, Path]:
    """Read the store at ``results`` and write ``report.html`` (self-contained) and
    ``report.md`` (with PNGs under ``figures/``) to ``out``; return their paths. ``baseline``
    (``"suite"``, a results folder or a stored-format Parquet file) ranks the folder's methods
    among the baseline's runs, refusing when their settings differ."""
    from harness.report.build import build

    return build(Path(results), Path(out), x=x, log_x=log_x, baseline=baseline)


__all__ = ["X_AXES", "ReportError", "build_report"]
