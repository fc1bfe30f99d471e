"""The ``--supernet`` path of ``python -m harness.run``: validates its flags, runs its jobs one
after another in this process (each claimed, so several runners can share a folder, and written
atomically; a rerun skips finished ones) and prints the final architectures. Ctrl-C or SIGTERM
stops it as it stops the grid runner (``harness.interrupts``). Torch-free until jobs run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from harness.choices import parse_names

METHODS: tuple[str, ...] = ("xnas", "darts", "gdas")
DEFAULTS = {"epochs": 50, "batch_size": 64}
SUPPORTED: tuple[str, ...] = ("nb201-cifar10", "nb301-cifar10")
# flags that only the supernet path takes, and those it refuses
ONLY_SUPERNET: tuple[str, ...] = ("data_dir", "epochs", "device", "train_images", "batch_size",
                                  "channels", "cells")
NOT_SUPERNET: tuple[str, ...] = ("budget", "fidelity", "noise", "protocol", "preset",
                                 "nb301_models")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("supernet search (--supernet)")
    group.add_argument("--supernet", action="store_true",
                       help="weight-sharing search on CIFAR-10 (methods xnas, darts, gdas; "
                       f"benchmarks {', '.join(SUPPORTED)})")
    group.add_argument("--data-dir", help="CIFAR-10 python-version folder (cifar-10-batches-py)")
    group.add_argument("--epochs", type=int, help="search epochs (default 50)")
    group.add_argument("--device", help="cpu (default) or cuda (bf16 mixed precision)")
    group.add_argument("--train-images", type=int,
                       help="use the first M training images, halved into train / validation "
                       "(default all 50,000)")
    group.add_argument("--batch-size", type=int, help="default 64")
    group.add_argument("--channels", type=int, help="supernet width C (default 16)")
    group.add_argument("--cells", type=int,
                       help="NB201: cells per stage N (default 5); DARTS: cells (default 8)")


def wanted(args: argparse.Namespace) -> bool:
    """True when the arguments ask for the supernet path (then ``main`` checks them)."""
    methods = {m.strip() for m in (args.optimizer or "").split(",")}
    given = any(getattr(args, name, None) is not None for name in ONLY_SUPERNET)
    return bool(args.supernet or given or methods & {"darts", "gdas"})


def make_jobs(args: argparse.Namespace) -> tuple[list, dict]:
    """Validate the flags into jobs; ValueError names the bad value and the accepted ones."""
    from optimizers.xnas.supernet.runner import SupernetJob

    if not args.supernet:
        methods = {m.strip() for m in (args.optimizer or "").split(",")} & {"darts", "gdas"}
        flags = [f"--{n.replace('_', '-')}" for n in ONLY_SUPERNET
                 if getattr(args, n, None) is not None]
        raise ValueError(f"{', '.join(sorted(methods) + flags)} appl"
                         f"{'ies' if len(methods) + len(flags) == 1 else 'y'} only to a "
                         "supernet search: add --supernet (xnas without it is the benchmark "
                         "mode, an ask/tell optimizer)")
    refused = [f"--{n.replace('_', '-')}" for n in NOT_SUPERNET if getattr(args, n, None)]
    if refused:
        raise ValueError(f"{', '.join(refused)} do(es) not apply to --supernet (a supernet search "
                         "trains on CIFAR-10; the benchmark is only looked up per epoch)")
    if args.jobs != 1:
        raise ValueError(f"bad -j {args.jobs}: supernet jobs run one at a time (use the device's "
                         "threads); give -j 1")
    methods = parse_names(args.optimizer, METHODS, "supernet method")
    benches = parse_names(args.bench, SUPPORTED, "supernet benchmark")
    if not args.data_dir:
        raise ValueError("--supernet needs --data-dir: the CIFAR-10 python-version folder")
    seeds = str(args.seeds or "1")
    if not seeds.isdigit() or int(seeds) < 1:
        raise ValueError(f"bad --seeds {args.seeds!r}: give a positive number of seeds")
    for name, value in (("epochs", args.epochs), ("batch-size", args.batch_size),
                        ("train-images", args.train_images), ("channels", args.channels),
                        ("cells", args.cells)):
        if value is not None and value < 1:
            raise ValueError(f"bad --{name} {value}: must be a positive integer")
    if args.channels is not None and args.channels % 2:
        raise ValueError(f"bad --channels {args.channels}: must be even (FactorizedReduce)")
    device = args.device or "cpu"
    if device not in ("cpu", "cuda"):
        raise ValueError(f"bad --device {device!r}; accepted: cpu, cuda")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available here; use --device cpu")
    from harness.datasets.cifar10 import DatasetFolderError, find_folder

    try:
        data_dir = str(find_folder(Path(args.data_dir).expanduser().resolve()))
    except DatasetFolderError as error:
        raise ValueError(str(error)) from None
    common = {"data_dir": data_dir, "epochs": args.epochs or DEFAULTS["epochs"],
              "batch_size": args.batch_size or DEFAULTS["batch_size"],
              "train_images": args.train_images,
              "device": device, "channels": args.channels, "cells": args.cells}
    jobs = [SupernetJob(benchmark=b, method=m, seed=s, **common)
            for b in benches for m in methods for s in range(int(seeds))]
    config = {"mode": "supernet", "benchmarks": benches, "optimizers": methods,
              "seeds": int(seeds), **common}
    return jobs, config


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from harness.provenance import versions
    from harness.results import ExperimentMismatchError, ResultsStore

    try:
        jobs, config = make_jobs(args)
    except ValueError as error:
        parser.error(str(error))  # exits with code 2
    from harness.interrupts import GRACE_SECONDS, Interrupted, stop_on_signals
    from harness.threads import default_threads

    out = Path(args.out or Path("results") / default_name(config))
    store = ResultsStore(out)
    try:
        store.open_experiment(config, versions())
    except ExperimentMismatchError as error:
        parser.error(str(error))
    store.remove_partial_files()
    threads = args.threads or default_threads(1)
    ran, waiting = 0, list(jobs)
    try:
        with stop_on_signals(notice=f"stopping: the running supernet search gets "
                             f"{GRACE_SECONDS:g} s to finish (press Ctrl-C again to end it "
                             "now)") as stop:
            while waiting:
                stop.check()
                job = waiting.pop(0)
                outcome = _run_claimed(store, job, threads, not args.no_progress)
                if outcome == "busy":  # another runner has it: look again after the others
                    waiting.append(job)
                    if all(store.is_claimed(j.key) for j in waiting):
                        time.sleep(1.0)
                    continue
                ran += outcome == "ran"
                _print_final(store, job)
    except Interrupted as interrupted:
        done = sum(store.is_done(job.key) for job in jobs)
        print(f"interrupted: {done} of {len(jobs)} supernet runs done; rerun the same command to "
              "resume", file=sys.stderr)
        return interrupted.exit_code
    print(f"{ran} supernet run(s) executed, {len(jobs) - ran} already done; results in {out}")
    return 0


def default_name(config: dict) -> str:
    """The default results folder's name: every setting that changes results, the seeds
    excepted (more seeds are added to the same experiment)."""
    parts = ["supernet", "+".join(config["optimizers"]), "+".join(config["benchmarks"]),
             f"{config['epochs']}ep"]
    for key, label in (("batch_size", "bs{}"), ("train_images", "{}img"),
                       ("channels", "C{}"), ("cells", "N{}")):
        if config.get(key) is not None and config[key] != DEFAULTS.get(key):
            parts.append(label.format(config[key]))
    if config.get("device", "cpu") != "cpu":
        parts.append(config["device"])
    return "_".join(parts)


def _run_claimed(store, job, threads: int, progress: bool) -> str:
    from optimizers.xnas.supernet.runner import run_job

    with store.claim(job.key) as mine:
        if not mine:
            return "busy"
        if store.is_done(job.key):
            return "done"
        store.remove_partial_files(job.key)
        store.write(job.key, *run_job(job, threads=threads, progress=progress))
    return "ran"


def _print_final(store, job) -> None:
    _, manifest = store.read(job.key)
    final = manifest["final"]
    test = final["bench_test_acc"]
    print(f"{job.key}: {final['arch']}  benchmark valid {final['bench_valid_acc']:.2f}"
          + ("" if test is None else f", test {test:.2f}")
          + f"  ({manifest['wall_seconds']:.1f} s)", flush=True)


