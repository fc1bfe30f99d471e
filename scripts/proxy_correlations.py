"""Spearman correlation of each zero-cost proxy with nb201-cifar10 ``test_acc`` over random
archs, computed on the space's real networks with one real CIFAR-10 minibatch, and the time per
arch: ``python scripts/proxy_correlations.py --data-dir DIR --archs 500``.

Prints one line per proxy as it finishes (a slow proxy can be given fewer archs with
``--slow-archs``). Not a test: it takes minutes on a CPU.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import spearmanr

import benchmarks
from harness.datasets.cifar10 import load_cifar10
from predictors import registry

PROXIES = ("params", "flops", "synflow", "snip", "grad_norm", "nwot", "jacov", "fisher", "grasp")
SLOW = ("fisher", "grasp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--archs", type=int, default=500)
    parser.add_argument("--slow-archs", type=int, default=100, help="for fisher and grasp")
    parser.add_argument("--batch", type=int, default=32, help="NAS-Bench-Suite-Zero used 32")
    parser.add_argument("--proxies", default=",".join(PROXIES))
    args = parser.parse_args()
    torch.set_num_threads(1)
    bench = benchmarks.load("nb201-cifar10")
    archs = bench.space.sample(np.random.default_rng(0), args.archs)
    test = bench.query(archs, "test_acc")
    batch = load_cifar10(args.data_dir).minibatch(args.batch, np.random.default_rng(0))
    for name in args.proxies.split(","):
        n = args.slow_archs if name in SLOW else args.archs
        predictor = registry.get(name)(bench.space, rng=np.random.default_rng(0),
                                       benchmark=bench.name)
        start = time.perf_counter()
        scores = predictor.predict(archs[:n], {"batch": batch})
        seconds = (time.perf_counter() - start) / n
        rho = spearmanr(scores, test[:n])[0]
        print(f"{name:<10} archs {n:>4}  Spearman with test_acc {rho:6.3f}  "
              f"{seconds * 1e3:8.1f} ms/arch", flush=True)


if __name__ == "__main__":
    main()
