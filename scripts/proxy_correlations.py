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

``--network-style`` (NB201 only) scores on the benchmark's xautodl network (default), on the
zero-cost-nas code's variant (``benchmarks.networks.nb201_zc``), or ``both``: then every proxy
is scored on both networks with the same archs, minibatch and initialisation seed, and a last
column gives the Spearman correlation between the two networks' scores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import spearmanr

import benchmarks
from benchmarks import zerocost
from benchmarks.networks.nb201 import STYLES, build_network
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
    parser.add_argument("--network-style", choices=(*STYLES, "both"), default=None,
                        help="NB201 only: the network the proxies run on (default: the "
                        "benchmark's builder, xautodl)")
    args = parser.parse_args()
    if args.network_style is not None and not args.bench.startswith("nb201"):
        parser.error(f"--network-style applies to NB201 benchmarks, not {args.bench}")
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
    styles: tuple[str | None, ...] = (
        STYLES if args.network_style == "both" else (args.network_style,))
    for name in args.proxies.split(","):
        n = min(args.slow_archs if name in SLOW else args.archs, len(archs))
        options = {"flops_convention": "tensorwatch"} if name == "flops" and suite else {}
        per_style = []
        for style in styles:
            # the same rng seed: every style's networks get the same torch initialisation seed
            predictor = registry.get(name)(bench.space, rng=np.random.default_rng(0),
                                           benchmark=bench.name, **options)
            info = {"batch": batch}
            if style is not None:
                info["network"] = _builder(style)
            start = time.perf_counter()
            scores = predictor.predict(archs[:n], info)
            seconds = (time.perf_counter() - start) / n
            per_style.append(scores)
            label = f"{name:<10}" + (f" {style:<13}" if style else "")
            line = (f"{label} archs {n:>4}  Spearman with {target} "
                    f"{spearmanr(scores, truth[:n])[0]:6.3f}")
            if suite is not None:
                published = suite.score(archs[:n], name)
                line += f"  with the suite's scores {spearmanr(scores, published)[0]:6.3f}"
            print(f"{line}  {seconds * 1e3:8.1f} ms/arch", flush=True)
        if len(per_style) == 2:
            print(f"{name:<10} between the two networks' scores: Spearman "
                  f"{spearmanr(per_style[0], per_style[1])[0]:6.3f}", flush=True)


def _builder(style: str):
    """``info["network"]`` for the zero-cost predictors: the NB201 cifar10 network of a style."""
    return lambda arch: build_network(arch, 10, style=style)


if __name__ == "__main__":
    main()
