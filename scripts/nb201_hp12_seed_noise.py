"""How much per-seed noise the nb201-paper protocol leaves out at hp12.

The NAS-Bench-201 paper's search draws one training seed's 12-epoch validation accuracy per
query; the public record used here holds only the seed mean at hp12 for all 15,625 archs, so the
harness serves that mean. The three complete official records (``official_format/*.pbz2`` in
the shared data) have every seed, which bounds how much noise is missing. Prints, per record, the
per-seed final validation accuracy on cifar10-valid at hp12 and hp200, their standard deviation
across seeds (ddof=1), and the pooled standard deviation over the three archs.

    python scripts/nb201_hp12_seed_noise.py [--source ../shared/data/nb201]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from benchmarks.build.nb201 import OFFICIAL_RECORDS, _read_pickle

DATASET, SPLIT = "cifar10-valid", "x-valid"  # what the nb201-paper protocol searches on


def seed_values(record: dict, hp: str) -> dict[int, float]:
    """Final validation accuracy of each training seed of ``record`` at schedule ``hp``."""
    out = {}
    for (name, seed), run in record[hp]["all_results"].items():
        if name == DATASET:
            out[int(seed)] = float(dict(run["eval_acc1es"])[f"{SPLIT}@{run['epochs'] - 1}"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/data/nb201"))
    args = parser.parse_args(argv)
    variances: dict[str, list[float]] = {"12": [], "200": []}
    for record_id in OFFICIAL_RECORDS:
        path = args.source / "official_format" / f"{record_id}.pickle.pbz2"
        if not path.exists():
            print(f"error: missing {path}; see ../shared/data/PROVENANCE.md", file=sys.stderr)
            return 2
        record = _read_pickle(path)
        for hp in ("12", "200"):
            values = seed_values(record, hp)
            std = float(np.std(list(values.values()), ddof=1))
            variances[hp].append(std**2)
            seeds = ", ".join(f"{seed}: {v:.2f}" for seed, v in sorted(values.items()))
            print(f"arch {int(record_id):5d} hp{hp:>3}  seeds {{{seeds}}}  std {std:.2f}")
    for hp, var in variances.items():
        print(f"pooled std across seeds, hp{hp}: {np.sqrt(np.mean(var)):.2f} "
              f"({len(var)} archs, {DATASET} {SPLIT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
