"""Throughput of retraining: ``python -m harness.retrain.perf [--device cuda] [--steps 20]``.

Prints (timings belong here, not in tests), for each protocol's network on synthetic uint8
batches of the protocol's size (NB201: the best nb201-cifar10 arch, batch 256; DARTS: the
DARTS_V2 evaluation network, 20 cells, C=36, batch 96):

- the augmentation (crop, flip, normalise, and cutout for DARTS) in ms per batch, run on the
  CPU and on the device, so a GPU run shows what keeping it on the device saves;
- training steps (``harness.retrain.train.train_step``: augmentation, forward, backward, SGD) in
  images/s; on CUDA also with bf16 autocast switched off, the ratio being bf16's speed-up.

The figures measure the code the retraining runs, on this machine; epoch-level figures (with
evaluation and checkpoints) are what ``python -m harness.retrain`` prints per epoch.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch

import benchmarks
from benchmarks.build.nb301 import DARTS_V2
from benchmarks.spaces.darts import DartsSpace
from harness.choices import parse_names
from harness.datasets import transforms
from harness.retrain import train


def _timed(step: Callable[[], object], steps: int, device: torch.device) -> float:
    """Seconds per call of ``step``, after two warm-up calls, waiting for the device."""
    for _ in range(2):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - started) / steps


def _augment_ms(images: torch.Tensor, config, steps: int) -> float:
    generator = torch.Generator().manual_seed(0)

    def augment() -> torch.Tensor:
        x = transforms.normalize(transforms.crop_flip(images, generator, config.crop_padding))
        if isinstance(config, train.DartsTrainConfig) and config.cutout > 0:
            x = transforms.cutout(x, generator, config.cutout)
        return x

    return 1e3 * _timed(augment, steps, images.device)


def measure(name: str, arch: np.ndarray, config, device: torch.device, steps: int) -> dict:
    """The figures of one network: augmentation ms/batch (CPU, device), images/s."""
    rng = np.random.default_rng(0)
    batch = config.batch_size
    images = torch.from_numpy(rng.integers(0, 256, (batch, 3, 32, 32), dtype=np.uint8))
    labels = torch.from_numpy(rng.integers(0, 10, batch))
    row = {"network": name, "batch": batch, "augment_cpu_ms": _augment_ms(images, config, steps)}
    images, labels = images.to(device), labels.to(device)
    row["augment_device_ms"] = _augment_ms(images, config, steps)
    torch.manual_seed(0)
    model = train.build_model(arch, config, 10, device)
    model.train()
    optimizer = train.make_optimizer(model, config)
    generator = torch.Generator().manual_seed(0)

    def step():
        return train.train_step(model, optimizer, images, labels, generator, config, device)

    row["images_per_second"] = batch / _timed(step, steps, device)
    if device.type == "cuda":  # the same steps in float32: what bf16 autocast buys
        def fp32_step():
            return train.train_step(model, optimizer, images, labels, generator, config, device,
                                    mixed_precision=False)

        row["images_per_second_fp32"] = batch / _timed(fp32_step, steps, device)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.retrain.perf",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None,
                        help="default: cuda when available, else cpu")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per figure")
    parser.add_argument("--networks", default="nb201,darts", help="accepted: nb201, darts")
    args = parser.parse_args(argv)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is available; accepted here: cpu")
    if args.steps < 1:
        parser.error(f"bad --steps {args.steps}: need an integer >= 1")
    nb201 = benchmarks.load("nb201-cifar10")
    archs = nb201.space.enumerate()
    best = archs[int(np.argmax(nb201.query(archs, "test_acc")))]  # a timing, not a search
    networks = {
        "nb201": (best, train.TrainConfig()),
        "darts": (DartsSpace().from_string(DARTS_V2), train.DartsTrainConfig()),
    }
    try:
        chosen = parse_names(args.networks, list(networks), "network")
    except ValueError as error:
        parser.error(str(error))
    print(f"device: {device} ({train.device_name(device)}), torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads, {args.steps} timed steps")
    head = (f"{'network':<8} {'batch':>5} {'augment CPU ms':>14} {'augment device ms':>17} "
            f"{'train images/s':>14} {'fp32 images/s':>13}")
    print(head)
    for name in chosen:
        arch, config = networks[name]
        row = measure(name, arch, config, device, args.steps)
        fp32 = row.get("images_per_second_fp32")
        print(f"{name:<8} {row['batch']:>5d} {row['augment_cpu_ms']:>14.2f} "
              f"{row['augment_device_ms']:>17.2f} {row['images_per_second']:>14.0f} "
              f"{'n/a' if fp32 is None else f'{fp32:.0f}':>13}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
