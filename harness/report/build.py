"""Build a report: load the store, analyse, lay out the sections, write HTML, Markdown, PNGs.

The store is read before matplotlib and scikit-posthocs are imported, so that a bad folder is
refused at once (and without the report extra installed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.report import X_AXES
from harness.report.load import load


def build(results: Path, out: Path, x: str = "queries", log_x: bool = False,
          baseline: str | None = None) -> dict[str, Path]:
    """Write ``report.html``, ``report.md`` and ``figures/*.png`` under ``out``; with
    ``baseline``, the baseline's runs are ranked beside the folder's (``report.baseline``)."""
    if x not in X_AXES:
        raise ValueError(f"unknown x axis {x!r}; accepted: {', '.join(X_AXES)}")
    exp = load(results)
    note = None
    if baseline is not None:
        from harness.report.baseline import add_baseline

        note = add_baseline(exp, baseline)
    from harness.report.analysis import analyze_search
    from harness.report.multiobjective import analyze_multiobjective, multiobjective_sections
    from harness.report.predictor_tables import analyze_predictors
    from harness.report.render import Para, Report, figures, to_html, to_markdown
    from harness.report.retrain_section import retrain_sections
    from harness.report.sections import predictor_sections, search_sections

    report = Report(title=f"nas-harness report: {Path(results).resolve().name}")
    multi = analyze_multiobjective(exp)
    single = dataclasses.replace(exp, runs=[r for r in exp.runs if not r.multi])
    search = analyze_search(single)
    axis = f" Anytime curves against {x}{', log scale' if log_x else ''}." if search else ""
    report.blocks.append(Para(
        f"Built from the results store {results} alone (run files and their manifests).{axis}"))
    if note:
        report.blocks.append(Para(note))
    if search is not None:
        report.blocks += search_sections(single, search, x=x, log_x=log_x)
    if multi is not None:
        report.blocks += multiobjective_sections(exp, multi)
    predictors = analyze_predictors(exp)
    if predictors is not None:
        report.blocks += predictor_sections(predictors)
    report.blocks += retrain_sections(results)
    out.mkdir(parents=True, exist_ok=True)
    figure_dir = out / "figures"
    figure_dir.mkdir(exist_ok=True)
    for figure in figures(report):
        (figure_dir / figure.name).write_bytes(figure.png)
    paths = {"html": out / "report.html", "markdown": out / "report.md"}
    paths["html"].write_text(to_html(report), encoding="utf-8")
    paths["markdown"].write_text(to_markdown(report), encoding="utf-8")
    return paths
