"""Look up one architecture: ``python -m harness.query --bench nb201-cifar10 --arch '|...|'``.

Prints every metric the benchmark has for the arch at every fidelity, with the official split
each comes from. A bad arch string, index or benchmark name exits with code 2 and says why.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

import benchmarks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.query", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--bench", required=True, help=f"one of: {', '.join(benchmarks.names())}")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--arch", help="the arch in the space's string form")
    which.add_argument("--index", type=int, help="official row index (tabular spaces)")
    parser.add_argument("--nb201-tables", default=None, metavar="DIR",
                        help="nb201-*: tables built from the official NATS-Bench archive "
                        "(python -m benchmarks.build.nb201 --official-archive); default: shipped")
    args = parser.parse_args(argv)
    try:
        if args.nb201_tables is not None:
            benchmarks.use_nb201_tables(args.nb201_tables)
        bench = benchmarks.load(args.bench)
    except ValueError as error:
        parser.error(str(error))
    try:
        if args.arch is not None:
            arch = bench.space.from_string(args.arch)
        else:
            arch = bench.space.from_index(args.index)
    except ValueError as error:
        hint = ""
        if hasattr(bench.space, "to_index") and (args.arch or "").strip().isdigit():
            hint = f"; to look up an official row index, use --index {args.arch.strip()}"
        parser.error(f"{error}{hint}")
    print(f"{bench.name}: {bench.space.to_string(arch)}")
    if hasattr(bench.space, "upstream_key"):  # NAS-Bench-Graph: rows are the project's own
        print(f"canonical form: {bench.space.to_string(bench.space.canonical(arch))}")
        print(f"row: {bench.space.to_index(arch)}; NAS-Bench-Graph key (Arch.valid_hash()): "
              f"{bench.space.upstream_key(arch)}")
    elif hasattr(bench.space, "to_index"):
        print(f"official index: {bench.space.to_index(arch)}")
    for name, metric in bench.metrics.items():
        for fidelity in bench.fidelities:
            try:
                value = bench.query(arch, name, fidelity)
            except ValueError:
                continue
            if isinstance(value, float) and math.isnan(value):
                continue
            print(f"  {name:<11} {fidelity:<6} {value:>12.4f}   "
                  f"{metric.description} [{metric.split}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
