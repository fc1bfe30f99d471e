"""``python -m harness.retrain RESULTS --top 3 --bench nb201-cifar10 --data-dir DIR``.

Retrains the top final incumbents of an experiment under the benchmark's own training protocol
and compares the retrained test accuracy with the benchmark's, which tells whether the search's
ranking holds up outside the table. Every epoch is checkpointed, so rerunning the same command
resumes. Bad arguments exit with code 2 and a message naming the accepted values.

nb301-cifar10 archs are retrained under the DARTS evaluation protocol (600 epochs, batch 96 by
default). NAS-Bench-301 has no test metric: the retrained test accuracy is set beside the
surrogate's predicted validation accuracy instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import benchmarks

# benchmarks whose training protocol and data are implemented
SUPPORTED = ("nb201-cifar10", "nb301-cifar10")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.retrain",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("results", help="an experiment folder of python -m harness.run")
    parser.add_argument("--top", type=int, default=3, help="how many distinct archs (default 3)")
    parser.add_argument("--bench", required=True, help=f"accepted: {', '.join(SUPPORTED)}")
    parser.add_argument("--nb201-tables", default=None, metavar="DIR",
                        help="nb201-*: the benchmark's values beside the retrained ones from "
                        "tables built from the official NATS-Bench archive (default: shipped)")
    parser.add_argument("--data-dir", required=True,
                        help="CIFAR-10 python-version folder (cifar-10-batches-py or its parent)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="default: the protocol's, 200 for NB201, 600 for DARTS (nb301)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="default: the protocol's, 256 for NB201, 96 for DARTS (nb301)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None,
                        help="default: cuda when available, else cpu")
    parser.add_argument("--out", default=None,
                        help="folder that receives retrain/<bench>/...; default: RESULTS")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads on CPU; default: OMP_NUM_THREADS if set, else "
                        "every usable core (recorded with the metrics)")
    parser.add_argument("--no-progress", action="store_true",
                        help="hide the bar over each epoch's batches")
    return parser


def _check_bench(name: str) -> None:
    if name not in benchmarks.names():
        raise ValueError(f"unknown --bench {name!r}; accepted: {', '.join(SUPPORTED)}")
    if name not in SUPPORTED:
        raise ValueError(f"retraining is not implemented for {name} yet; supported: "
                         f"{', '.join(SUPPORTED)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_bench(args.bench)
        for flag in ("epochs", "batch_size", "top", "threads"):
            if getattr(args, flag) is not None and getattr(args, flag) < 1:
                raise ValueError(f"bad --{flag.replace('_', '-')} {getattr(args, flag)}: "
                                 "need an integer >= 1")
        from harness.retrain.selection import SelectionError, top_architectures

        try:
            candidates = top_architectures(args.results, args.bench, args.top)
        except SelectionError as error:
            raise ValueError(str(error)) from None
        import torch

        from harness.datasets.cifar10 import DatasetFolderError, load_cifar10

        device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available; accepted here: cpu")
        try:
            data = load_cifar10(args.data_dir)
        except DatasetFolderError as error:
            raise ValueError(str(error)) from None
    except ValueError as error:
        parser.error(str(error))  # exits with code 2
    from harness.interrupts import GRACE_SECONDS, Interrupted, stop_on_signals
    from harness.provenance import versions
    from harness.results import ResultsStore
    from harness.retrain.report import format_table
    from harness.retrain.train import (
        CheckpointMismatchError,
        DartsTrainConfig,
        TrainConfig,
        device_name,
        precision,
    )
    from harness.threads import default_threads

    if device.type == "cpu":
        torch.set_num_threads(args.threads or default_threads(1))
    try:
        if args.nb201_tables is not None:
            benchmarks.use_nb201_tables(args.nb201_tables)
        bench = benchmarks.load(args.bench)
    except ValueError as error:
        parser.error(str(error))  # exits with code 2
    darts = args.bench.startswith("nb301")
    protocol = DartsTrainConfig if darts else TrainConfig
    overrides = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size))
                 if v is not None}
    config = protocol(seed=args.seed, **overrides)
    root = Path(args.out or args.results) / "retrain"
    store = ResultsStore(root)
    print(f"retraining {len(candidates)} arch(s) of {args.bench} on {device} "
          f"({len(data.train)} training, {len(data.test)} test images, {config.epochs} epochs)")
    # what every metrics file records besides its arch: data, hardware and software
    run_context = {
        "data_dir": str(data.root), "data_sha256": data.checksum,
        "train_images": len(data.train), "test_images": len(data.test),
        "device": str(device), "device_name": device_name(device),
        "precision": precision(device),
        "torch_threads": torch.get_num_threads(), "versions": versions(),
    }
    notice = (f"stopping: the epoch in progress gets {GRACE_SECONDS:g} s to finish (press "
              "Ctrl-C again to end it now); finished epochs are checkpointed")
    log = print if args.no_progress else tqdm_write
    try:
        with stop_on_signals(notice=notice) as stop:
            rows = _retrain_all(args, bench, darts, candidates, data, root, store, config,
                                device, run_context, stop, log)
    except Interrupted as interrupted:
        print("interrupted: the last finished epoch of each arch is checkpointed; rerun the "
              "same command to resume", file=sys.stderr)
        return interrupted.exit_code
    except CheckpointMismatchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_table(rows))
    if darts:
        print(f"{args.bench} has no test metric: the benchmark column is the surrogate's "
              "predicted validation accuracy, not a test accuracy")
    return 0


def tqdm_write(line: str) -> None:
    from tqdm import tqdm

    tqdm.write(line)


def _retrain_all(args, bench, darts, candidates, data, root, store, config, device,
                 run_context, stop, log) -> list:
    from harness.retrain.report import compare
    from harness.retrain.train import retrain

    rows = []
    for candidate in candidates:
        arch = bench.space.from_string(candidate.arch)
        slug = "arch-" + "".join(str(int(op)) for op in arch)
        key = f"{args.bench}/{slug}/metrics"
        manifest = {"bench": args.bench, "arch": candidate.arch, "search_valid": candidate.valid,
                    "runs": candidate.runs, "results": str(Path(args.results).resolve()),
                    **run_context}
        # what the benchmark says, so a report can set it beside the retraining while reading
        # the results store alone (NB301 has no test metric: its surrogate validation accuracy)
        if darts:
            manifest["benchmark_valid_acc"] = float(bench.query(arch, "valid_acc"))
        else:
            manifest["benchmark_test_acc"] = {
                f: float(bench.query(arch, "test_acc", fidelity=f)) for f in ("hp200", "hp12")
            }
        metrics = retrain(arch, candidate.arch, data, root / args.bench / slug, store, key,
                          config, device, manifest, log=log, stop=stop,
                          progress=not args.no_progress)
        rows.append(compare(bench, arch, candidate, metrics))
    return rows


if __name__ == "__main__":
    sys.exit(main())
