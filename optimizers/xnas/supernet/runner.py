"""One supernet search job (benchmark, method, seed) -> (per-epoch table, manifest).

Kept apart from the ask/tell loop of ``harness.search``: a supernet search trains a network on
CIFAR-10 and asks the benchmark nothing while searching. After each epoch the current
discretized architecture is looked up on the benchmark (``bench.query``: its validation
accuracy, and its test accuracy where the benchmark has one) for logging only: the lookup is
neither charged nor fed back to the search, exactly as the NB201 paper reports its weight-sharing
baselines (section 5).

All randomness comes from the job's seed: ``torch.manual_seed`` (network initialisation), a
torch generator (alpha initialisation, Gumbel noise) and a numpy generator (data order and
augmentation). On CPU the same job gives the same table (tested).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch
from tqdm import tqdm

import benchmarks
from harness.provenance import versions
from harness.threads import default_threads
from optimizers.xnas.supernet.data import batches, files_read, split_train
from optimizers.xnas.supernet.search import (
    SupernetConfig,
    cosine_lr,
    make_method,
    weight_step,
)

# benchmark -> the search space whose supernet searches it on CIFAR-10
SUPPORTED: dict[str, str] = {"nb201-cifar10": "nb201", "nb301-cifar10": "darts"}
COLUMNS: tuple[str, ...] = (
    "epoch", "arch", "bench_valid_acc", "bench_test_acc", "train_loss", "train_acc",
    "valid_loss", "valid_acc", "seconds", "cum_seconds",
)


@dataclass(frozen=True)
class SupernetJob:
    """Everything that determines a supernet search's result. ``channels`` / ``cells``
    override the supernet's width and depth (NB201: cells per stage N; DARTS: layers) for
    smoke runs; None keeps the papers' values (NB201 C=16, N=5; DARTS C=16, 8 cells)."""

    benchmark: str
    method: str
    seed: int
    data_dir: str
    epochs: int = 50
    batch_size: int = 64
    train_images: int | None = None
    device: str = "cpu"
    channels: int | None = None
    cells: int | None = None

    @property
    def key(self) -> str:
        return f"{self.benchmark}/{self.method}/seed-{self.seed:04d}"

    def config(self) -> SupernetConfig:
        return SupernetConfig(epochs=self.epochs, batch_size=self.batch_size)


def build_supernet(space: str, channels: int | None = None, cells: int | None = None,
                   num_classes: int = 10) -> torch.nn.Module:
    """The supernet of a search space ("nb201" or "darts")."""
    if space == "nb201":
        from optimizers.xnas.supernet.nb201 import NB201Supernet

        kwargs = {k: v for k, v in (("channels", channels), ("cells_per_stage", cells)) if v}
        return NB201Supernet(num_classes, **kwargs)
    if space == "darts":
        from optimizers.xnas.supernet.darts import DartsSupernet

        kwargs = {k: v for k, v in (("channels", channels), ("layers", cells)) if v}
        return DartsSupernet(num_classes, **kwargs)
    raise ValueError(f"no supernet for search space {space!r}; accepted: nb201, darts")


@lru_cache(maxsize=8)
def _file_record(path: str, size: int, mtime: float) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"name": Path(path).name, "bytes": size, "sha256": digest.hexdigest()}


def data_record(data_dir: str) -> dict:
    """The files the search reads, with their sizes and SHA-256."""
    files = files_read(data_dir)
    stats = [f.stat() for f in files]
    return {"folder": str(files[0].parent),
            "files": [_file_record(str(f), s.st_size, s.st_mtime) for f, s in zip(files, stats,
                                                                                 strict=True)]}


def run_job(job: SupernetJob, threads: int | None = None, progress: bool = False
            ) -> tuple[pa.Table, dict]:
    """Run ``job``. ``threads``: torch's threads on CPU (default: ``OMP_NUM_THREADS`` if set,
    else every usable core); recorded in the manifest. ``progress``: a bar over the search's
    batches, with the epoch."""
    started = time.perf_counter()
    if job.benchmark not in SUPPORTED:
        raise ValueError(f"no supernet search for {job.benchmark!r}; accepted: "
                         f"{', '.join(SUPPORTED)}")
    device = torch.device(job.device)
    autocast = device.type == "cuda"  # bf16 mixed precision on GPU; fp32 on CPU
    if device.type == "cpu":
        torch.set_num_threads(threads or default_threads(1))
    config = job.config()
    torch.manual_seed(job.seed)
    generator = torch.Generator().manual_seed(job.seed)
    data_rng = np.random.default_rng(np.random.SeedSequence(job.seed))
    bench = benchmarks.load(job.benchmark)
    train, valid = split_train(job.data_dir, job.train_images)
    steps = len(valid[1]) // config.batch_size
    if steps == 0:
        raise ValueError(f"--batch-size {config.batch_size} exceeds the validation half "
                         f"({len(valid[1])} images); lower it or raise --train-images")
    model = build_supernet(SUPPORTED[job.benchmark], job.channels, job.cells).to(device)
    method = make_method(job.method, model, config, config.epochs * steps, generator, device)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                                weight_decay=config.weight_decay)
    history = [_rounded(method.mixing())]
    rows: list[dict] = []
    elapsed = 0.0
    bar = tqdm(total=config.epochs * steps, unit="batch", disable=not progress,
               desc=job.key, dynamic_ncols=True, leave=False)
    try:
        for epoch in range(config.epochs):
            bar.set_postfix_str(f"epoch {epoch + 1}/{config.epochs}")
            tick = time.perf_counter()
            for group in optimizer.param_groups:
                group["lr"] = cosine_lr(config, epoch)
            if hasattr(method, "set_epoch"):
                method.set_epoch(epoch)
            model.train()
            stats = []
            pairs = zip(batches(train, config.batch_size, data_rng, True, device),
                        batches(valid, config.batch_size, data_rng, False, device), strict=True)
            for (xt, yt), (xv, yv) in pairs:
                train_stats = weight_step(model, optimizer, method.train_weights(device), xt, yt,
                                          config, autocast)
                stats.append((*train_stats, *method.arch_step(model, xv, yv, autocast, epoch)))
                bar.update()
            seconds = time.perf_counter() - tick
            elapsed += seconds
            mixing = method.mixing()
            history.append(_rounded(mixing))
            arch = model.discretize(mixing)
            valid_acc, test_acc = _lookup(bench, arch)
            means = np.mean(stats, axis=0)
            rows.append({"epoch": epoch + 1, "arch": bench.space.to_string(arch),
                         "bench_valid_acc": valid_acc, "bench_test_acc": test_acc,
                         "train_loss": means[0], "train_acc": means[1], "valid_loss": means[2],
                         "valid_acc": means[3], "seconds": seconds, "cum_seconds": elapsed})
    finally:
        bar.close()
    table = pa.table({c: [r[c] for r in rows] for c in COLUMNS})
    table = table.set_column(0, "epoch", pa.array([r["epoch"] for r in rows], pa.int32()))
    final = rows[-1]
    manifest = {
        "job": dataclasses.asdict(job) | {"mode": "supernet"},
        "method_config": dataclasses.asdict(config),
        "supernet": {"space": SUPPORTED[job.benchmark], "cell_types": model.cell_types,
                     "parameters": sum(p.numel() for p in model.parameters()),
                     "steps_per_epoch": steps, "train_images": len(train[1]),
                     "valid_images": len(valid[1]), "device": str(device),
                     "mixed_precision": "bf16" if autocast else None,
                     "torch_threads": torch.get_num_threads()},
        "data": data_record(job.data_dir) | {"benchmark_checksum": bench.checksum},
        "benchmark_lookup": "per epoch, logging only: not charged, not seen by the search",
        "versions": versions() | {"torch": torch.__version__},
        "final": {"arch": final["arch"], "bench_valid_acc": final["bench_valid_acc"],
                  "bench_test_acc": None if np.isnan(final["bench_test_acc"])
                  else final["bench_test_acc"]},
        "diagnostics": {"mixing_weights": history, "ops_order": _ops(SUPPORTED[job.benchmark]),
                        **method.diagnostics()},
        "wall_seconds": round(time.perf_counter() - started, 3),
    }
    return table, json.loads(json.dumps(manifest, default=_json_default))


def _lookup(bench, arch: np.ndarray) -> tuple[float, float]:
    valid = float(np.asarray(bench.query(arch[None, :], bench.objective))[0])
    test = (float(np.asarray(bench.query(arch[None, :], bench.report_metric))[0])
            if bench.report_metric is not None else float("nan"))
    return valid, test


def _rounded(mixing: dict[str, np.ndarray]) -> dict[str, list]:
    """Per cell type (edges, ops) weights, per epoch, for the report's plots."""
    return {name: np.round(w, 6).tolist() for name, w in mixing.items()}


def _ops(space: str) -> list[str]:
    if space == "nb201":
        from benchmarks.spaces.nb201 import OPS
    else:
        from benchmarks.networks.darts import PRIMITIVES as OPS
    return list(OPS)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")
