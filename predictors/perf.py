"""Performance figures of the predictors: ``python -m predictors.perf``.

Prints (not asserts): synflow's time per NB201 arch on the CPU (target <= 0.3 s), the fit
time of xgb on 1,000 nb201-cifar10 archs (target <= 1 s), and lce's time to extrapolate 500 noisy
100-epoch curves (target <= 10 s), each the best of a few repeats.
"""

from __future__ import annotations

import time

import numpy as np

import benchmarks
from predictors import registry


def best_seconds(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def lce_seconds(bench, rng: np.random.Generator) -> float:
    """Seconds lce takes to extrapolate 500 curves: 100 epochs of the 200 recorded, plus noise."""
    curves = bench.learning_curves(bench.space.from_index(np.arange(200)), "valid_acc")
    Y = curves[rng.integers(0, len(curves), 500), :100] + rng.normal(0, 0.3, (500, 100))
    lce = registry.get("lce")(bench.space, rng=np.random.default_rng(0))
    return best_seconds(lambda: lce.predict(None, {"curve": Y}), repeats=1)


def main() -> int:
    bench = benchmarks.load("nb201-cifar10")
    rng = np.random.default_rng(0)
    archs = bench.space.sample(rng, 1000)
    y = bench.query(archs, "valid_acc")
    xgb = registry.get("xgb")(bench.space, rng=np.random.default_rng(0))
    fit = best_seconds(lambda: xgb.fit(archs, y))
    print(f"xgb fit on 1,000 archs: {fit:.3f} s (target <= 1 s)")
    print(f"lce on 500 noisy 100-epoch curves: {lce_seconds(bench, rng):.2f} s (target <= 10 s)")
    try:
        import torch
    except ImportError:
        print("synflow: torch not installed (pip install -e '.[torch]') - skipped")
        return 0
    torch.set_num_threads(1)
    synflow = registry.get("synflow")(bench.space, rng=np.random.default_rng(0))
    info = {"batch": (torch.zeros(2, 3, 32, 32), torch.zeros(2, dtype=torch.long))}
    few = archs[:20]
    per_arch = best_seconds(lambda: synflow.predict(few, info)) / len(few)
    print(f"synflow on one NB201 arch (CPU, 1 thread): {per_arch * 1e3:.0f} ms "
          "(target <= 300 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
