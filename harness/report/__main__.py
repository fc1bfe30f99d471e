"""``python -m harness.report results/<experiment> [--out reports/<experiment>]``.

Reads only the results store and writes ``report.html`` (self-contained: figures embedded),
``report.md`` and ``figures/*.png``. A folder that does not exist or holds no runs, or a bad
option, exits with code 2 and a message naming the accepted values.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.report import X_AXES, ReportError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.report",
                                     description=__doc__.splitlines()[0].strip("`"))
    parser.add_argument("results", help="a results folder written by python -m harness.run or "
                        "python -m predictors.evaluate")
    parser.add_argument("--out", default=None,
                        help="report folder (default: reports/<name of the results folder>)")
    parser.add_argument("--x", default="queries",
                        help=f"x axis of the anytime curves; accepted: {', '.join(X_AXES)}")
    parser.add_argument("--log-x", action="store_true", help="logarithmic x axis")
    parser.add_argument("--baseline", default=None, metavar="BASELINE",
                        help="rank the folder's methods among a baseline's runs, marked "
                        "(stored): 'suite' (shipped with the package), another results folder, "
                        "or a stored-format Parquet file; refused (exit 2) when budget, noise, "
                        "fidelity or benchmark data differ")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.x not in X_AXES:
        parser.error(f"unknown --x {args.x!r}; accepted: {', '.join(X_AXES)}")
    results = Path(args.results)
    out = Path(args.out) if args.out else Path("reports") / results.resolve().name
    from harness.report.build import build

    try:
        paths = build(results, out, x=args.x, log_x=args.log_x, baseline=args.baseline)
    except ReportError as error:
        parser.error(str(error))
    except ImportError as error:  # the report extra is not installed
        print(f"error: {error}; install the report extra: pip install -e '.[report]'",
              file=sys.stderr)
        return 2
    print(f"report written: {paths['html']} (self-contained) and {paths['markdown']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
