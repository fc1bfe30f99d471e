"""Kendall-tau regression checks: is a predictor's tau worse than a baseline's, on the same
splits?

``python -m predictors.evaluate --predictor mypkg.mod:MyPredictor --bench nb201-cifar10
--check-against suite --baseline-predictor xgb`` evaluates the predictor with the baseline's
protocol (test size, fidelities, zero-cost source), on its seeds and training sizes (or the
first ``--seeds N`` of them, a subset of ``--train-sizes``: training sets are nested and every
setting has its own random stream, so a subset gives the very rows of the full run), checks
that every (benchmark, seed) has the baseline's test set (SHA-256 of the test archs) and
benchmark data (checksum), and prints tau per training size beside the baseline's.

The statistic, per setting (benchmark, training size, fidelity): the paired differences
``d_s = tau_new(s) - tau_baseline(s)`` over the common seeds s (a NaN tau, from constant
predictions, counts as 0: no ranking), their mean ``d`` and standard error ``se``. The setting
regresses when the upper one-sided (1 - alpha/m) confidence bound of the mean difference,
``d + t(1 - alpha/m, n - 1) * se``, is below ``-margin``: a one-sided paired t-test of "no
worse than the baseline by more than margin", Bonferroni-corrected over the m settings
compared, so that alpha (default 0.05) bounds the chance that an equally good predictor fails
the whole check. With ``se = 0`` (identical differences) it regresses when ``d < -margin``.
The default margin is 0: any drop the seeds show is significant counts. The check fails (exit
code 1) when any setting regresses, passes (0) otherwise; a baseline that cannot be compared
(another protocol, test set or benchmark data, fewer than 2 common seeds) exits 2 naming the
difference.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ALPHA = 0.05
MARGIN = 0.0


@dataclass
class Comparison:
    """The per-setting rows of a check (see ``format``) and whether any regressed."""

    predictor: str
    baseline_predictor: str
    alpha: float
    margin: float
    rows: list[dict] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return any(row["regressed"] for row in self.rows)

    def format(self) -> str:
        lines = [
            f"Kendall tau of {self.predictor} beside {self.baseline_predictor} (baseline), mean ± "
            "standard error over the same seeds and test sets; d = mean paired difference; "
            f"regression when d + t(1 - {self.alpha:g}/{len(self.rows)}, n-1) * se(d) is below "
            f"minus the margin {self.margin:g}",
            f"{'benchmark':<24} {'train':>5} {'fidelity':>8} {'seeds':>5} "
            f"{'tau':>15} {'baseline tau':>15} {'d ± se':>17} {'bound':>7}  verdict",
        ]
        for r in self.rows:
            fidelity = "final" if r["fidelity"] is None else f"{r['fidelity']:g}"
            lines.append(
                f"{r['benchmark']:<24} {r['train_size']:>5} {fidelity:>8} {r['seeds']:>5} "
                f"{r['tau']:>7.3f} ± {r['tau_se']:.3f} {r['baseline_tau']:>7.3f} ± "
                f"{r['baseline_tau_se']:.3f} {r['d']:>+8.3f} ± {r['d_se']:.3f} "
                f"{r['bound']:>+7.3f}  {'REGRESSION' if r['regressed'] else 'ok'}")
        verdict = "FAILED: tau regressed" if self.regressed else "passed: no tau regression"
        lines.append(f"{verdict} ({sum(r['regressed'] for r in self.rows)} of "
                     f"{len(self.rows)} settings)")
        return "\n".join(lines)


def compare(new, base, alpha: float = ALPHA, margin: float = MARGIN) -> list[dict]:
    """Per (benchmark, train_size, fidelity) of both DataFrames, the paired statistic of the
    module docstring over the seeds they share."""
    from scipy import stats

    def key(row) -> tuple:
        fidelity = row["fidelity"]
        fidelity = None if fidelity is None or (isinstance(fidelity, float)
                                                and math.isnan(fidelity)) else float(fidelity)
        return row["benchmark"], int(row["train_size"]), fidelity

    def taus(frame) -> dict[tuple, dict[int, float]]:
        out: dict[tuple, dict[int, float]] = {}
        for row in frame.to_dict("records"):
            tau = row["kendall_tau"]
            out.setdefault(key(row), {})[int(row["seed"])] = 0.0 if tau is None or math.isnan(
                tau) else float(tau)
        return out

    new_taus, base_taus = taus(new), taus(base)
    order = sorted(new_taus, key=lambda k: (k[0], -1.0 if k[2] is None else k[2], k[1]))
    common = [k for k in order if k in base_taus]
    rows = []
    for setting in common:
        seeds = sorted(set(new_taus[setting]) & set(base_taus[setting]))
        if len(seeds) < 2:
            raise ValueError(f"{setting[0]} train size {setting[1]}: {len(seeds)} common "
                             "seed(s); a paired test needs at least 2")
        a = np.array([new_taus[setting][s] for s in seeds])
        b = np.array([base_taus[setting][s] for s in seeds])
        d = a - b
        n = len(seeds)
        d_se = float(d.std(ddof=1) / math.sqrt(n))
        t_crit = float(stats.t.ppf(1 - alpha / len(common), n - 1))
        bound = float(d.mean() + t_crit * d_se)
        rows.append({
            "benchmark": setting[0], "train_size": setting[1], "fidelity": setting[2],
            "seeds": n, "tau": float(a.mean()), "tau_se": float(a.std(ddof=1) / math.sqrt(n)),
            "baseline_tau": float(b.mean()),
            "baseline_tau_se": float(b.std(ddof=1) / math.sqrt(n)),
            "d": float(d.mean()), "d_se": d_se, "bound": bound,
            "regressed": bool(bound < -margin),
        })
    if not rows:
        raise ValueError("the predictor and the baseline share no (benchmark, training size, "
                         "fidelity) setting to compare")
    return rows


def check(predictor: Any, baseline: str | Path, benchmarks: str | list[str], *,
          baseline_predictor: str | None = None, seeds: int | None = None,
          train_sizes: list[int] | None = None, alpha: float = ALPHA, margin: float = MARGIN,
          out: str | Path | None = None, protocol_given: dict | None = None,
          quiet: bool = True) -> Comparison:
    """Evaluate ``predictor`` (a name, ``package.module:ClassName`` or class) on the splits of
    ``baseline`` and compare its tau with ``baseline_predictor``'s (default: the same name).

    ``baseline``: ``"suite"`` (the stored predictors suite), a results folder of
    ``python -m predictors.evaluate`` or a stored-format Parquet file. ``out``: where the
    evaluation is written, a subfolder per protocol (default: a temporary folder).
    ``protocol_given``: protocol values a caller set explicitly (``test_size``, ``fidelities``,
    ``zc_source``), refused when they differ from the baseline's. Raises
    ``harness.baselines.BaselineError`` (a ValueError) when the two cannot be compared, naming
    the difference."""
    from benchmarks import names as benchmark_names
    from harness.baselines import BaselineError, load_predictor_rows, predictor_table
    from harness.choices import parse_methods, parse_names
    from predictors import evaluate, registry

    preds = parse_methods(predictor, registry, "predictor")
    if len(preds) != 1:
        raise ValueError(f"a regression check takes one predictor, got {', '.join(preds)}")
    name, cls = next(iter(preds.items()))
    benches = parse_names(benchmarks if isinstance(benchmarks, str) else ",".join(benchmarks),
                          benchmark_names(), "benchmark")
    base = load_predictor_rows(baseline)
    reference = baseline_predictor or name
    if reference not in set(base["predictor"]):
        raise BaselineError(f"baseline {str(baseline)!r} has no predictor {reference!r}; it has "
                            f"{', '.join(sorted(set(base['predictor'])))} (--baseline-predictor)")
    base = base[base["predictor"] == reference]
    new_frames, base_frames = [], []
    with tempfile.TemporaryDirectory(prefix="tau-check-") as scratch:
        root = Path(out) if out is not None else Path(scratch)
        for bench in benches:
            rows = base[base["benchmark"] == bench]
            if rows.empty:
                raise BaselineError(
                    f"baseline {str(baseline)!r} has no {reference} rows for {bench}; it has "
                    f"{', '.join(sorted(set(base['benchmark'])))}")
            protocol = _protocol(rows, bench, train_sizes, protocol_given or {})
            bench_seeds = sorted(int(s) for s in set(rows["seed"]))[:seeds]
            folder = root / evaluate.default_out(protocol).name
            evaluate.parse_needs(preds, [bench], protocol)
            evaluate.run_jobs(preds, [bench], bench_seeds, protocol, folder, quiet)
            new = predictor_table(folder).to_pandas()
            new = new[(new["benchmark"] == bench) & (new["predictor"] == name)
                      & new["seed"].isin(bench_seeds)]
            rows = rows[rows["seed"].isin(bench_seeds)]
            _same_splits(new, rows, bench, name, reference)
            new_frames.append(new)
            base_frames.append(rows)
    import pandas as pd

    comparison = Comparison(name, reference, alpha, margin)
    comparison.rows = compare(pd.concat(new_frames), pd.concat(base_frames), alpha, margin)
    return comparison


def _protocol(rows, bench: str, train_sizes, given: dict):
    from harness.baselines import BaselineError
    from predictors.evaluate import Protocol

    protocols = sorted(set(rows["protocol"]))
    if len(protocols) != 1:
        raise BaselineError(f"the baseline's rows for {bench} mix protocols: {protocols}")
    stored = json.loads(protocols[0])
    for key, value in given.items():
        if value is not None and json.dumps(value) != json.dumps(stored[key]):
            raise BaselineError(f"--{key.replace('_', '-')} {value} differs from the baseline's "
                                f"{stored[key]} on {bench}: a check runs the baseline's protocol")
    sizes = sorted(int(n) for n in set(rows["train_size"]) if n)
    if train_sizes:
        extra = sorted(set(train_sizes) - set(sizes))
        if extra:
            raise BaselineError(f"training sizes {extra} are not in the baseline's {sizes} "
                                f"on {bench}")
        sizes = sorted(set(train_sizes))
    return Protocol(tuple(sizes) or (1,), int(stored["test_size"]),
                    tuple(float(f) for f in stored["fidelities"]), stored["zc_source"])


def _same_splits(new, base, bench: str, name: str, reference: str) -> None:
    """Every seed's test set and the benchmark data must be the baseline's."""
    from harness.baselines import BaselineError

    why = {"benchmark_checksum": "the benchmark's tables changed since the baseline was made "
                                 "(regenerate it: python scripts/make_baselines.py)",
           "test_set_sha256": "a test set depends on the archs a predictor can be scored on: "
                              "all, those with curves, or those with precomputed zero-cost "
                              "scores"}
    for column, what in (("benchmark_checksum", "benchmark data (checksum)"),
                         ("test_set_sha256", "test set")):
        mine = dict(zip(new["seed"], new[column], strict=True))
        theirs = dict(zip(base["seed"], base[column], strict=True))
        differ = sorted(int(s) for s in mine if s in theirs and mine[s] != theirs[s])
        if differ:
            raise BaselineError(
                f"{name} on {bench} sees another {what} than the baseline's {reference} for "
                f"seed(s) {differ}: the two cannot be compared ({why[column]})")


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``python -m predictors.evaluate ... --check-against BASELINE``: 0 passed, 1 regressed,
    2 not comparable."""
    from harness.baselines import BaselineError
    from predictors.evaluate import _fractions, _ints

    try:
        sizes = list(_ints(args.train_sizes, "--train-sizes")) if args.train_sizes else None
        seeds = _ints(args.seeds, "--seeds")[0] if args.seeds else None
        given = {"test_size": _ints(args.test_size, "--test-size")[0] if args.test_size
                 else None,
                 "fidelities": list(_fractions(args.fidelities)) if args.fidelities else None,
                 "zc_source": args.zc_source}
        if args.data_dir is not None:
            from predictors.evaluate import use_data_dir

            use_data_dir(args.data_dir)
        comparison = check(args.predictor, args.check_against, args.bench,
                           baseline_predictor=args.baseline_predictor, seeds=seeds,
                           train_sizes=sizes, alpha=args.alpha, margin=args.margin,
                           out=args.out, protocol_given=given, quiet=args.quiet)
    except (BaselineError, ValueError) as error:
        parser.error(str(error))
    print(comparison.format())
    return 1 if comparison.regressed else 0
