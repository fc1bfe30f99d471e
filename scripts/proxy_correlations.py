"""Spearman correlation of each zero-cost proxy, computed on the space's real networks with one
real CIFAR-10 minibatch, and the time per arch:
``python scripts/proxy_correlations.py --data-dir DIR --archs 500 [--bench nb301-cifar10]``.

- nb201-cifar10 (default): random archs, against the benchmark's ``test_acc``.
- nb301-cifar10: archs drawn from the 725 NAS-Bench-Suite-Zero scored, against the surrogate's
  ``valid_acc`` (NB301 has no test metric).

With ``--suite-archs`` (always on for nb301) the archs come from NAS-Bench-Suite-Zero's scored
ones and a second column gives the Spearman correlation of our scores with its published ones,
which checks the implementation rather than the proxy (FLOPs then in the suite's tensorwatch
convention). Prints one line per proxy as it finishes (a slow proxy can be given fewer archs
with ``--slow-archs``). Not a test: it takes minutes on a CPU.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import spearmanr

import benchmarks
from benchmarks import zerocost
from harness.datasets.cifar10 import load_cifar10
from predictors import registry

PROXIES = ("params", "flops", "synflow", "snip", "grad_norm", "nwot", "jacov", "fisher", "grasp")
SLOW = ("fisher", "grasp")
TARGETS = {"nb201-cifar10": "test_acc", "nb301-cifar10": "valid_acc"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--bench", choices=sorted(TARGETS), default="nb201-cifar10")
    parser.add_argument("--archs", type=int, default=500)
    parser.add_argument("--slow-archs", type=int, default=100, help="for fisher and grasp")
    parser.add_argument("--batch", type=int, default=32, help="NAS-Bench-Suite-Zero used 32")
    parser.add_argument("--proxies", default=",".join(PROXIES))
    parser.add_argument("--suite-archs", action="store_true",
                        help="draw the archs from NAS-Bench-Suite-Zero's and compare with its "
                        "scores (always on for nb301-cifar10)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    bench = benchmarks.load(args.bench)
    target = TARGETS[args.bench]
    suite = zerocost.load(args.bench) if args.suite_archs or args.bench != "nb201-cifar10" \
        else None
    rng = np.random.default_rng(0)
    if suite is None:
        archs = bench.space.sample(rng, args.archs)
    else:
        archs = suite.archs[rng.choice(len(suite.archs), min(args.archs, len(suite.archs)),
                                       replace=False)]
    truth = bench.query(archs, target)
    batch = load_cifar10(args.data_dir).minibatch(args.batch, np.random.default_rng(0))
    for name in args.proxies.split(","):
        n = min(args.slow_archs if name in SLOW else args.archs, len(archs))
        options = {"flops_convention": "tensorwatch"} if name == "flops" and suite else {}
        predictor = registry.get(name)(bench.space, rng=np.random.default_rng(0),
                                       benchmark=bench.name, **options)
        start = time.perf_counter()
        scores = predictor.predict(archs[:n], {"batch": batch})
        seconds = (time.perf_counter() - start) / n
        line = (f"{name:<10} archs {n:>4}  Spearman with {target} "
                f"{spearmanr(scores, truth[:n])[0]:6.3f}")
        if suite is not None:
            published = suite.score(archs[:n], name)
            line += f"  with the suite's scores {spearmanr(scores, published)[0]:6.3f}"
        print(f"{line}  {seconds * 1e3:8.1f} ms/arch", flush=True)


if __name__ == "__main__":
    main()
