"""The NAS-Bench-201 training protocol for one architecture, resumable epoch by epoch.

NB201 (Dong & Yang 2020, section 3 / xautodl's ``configs/nas-benchmark/hyper-opts/200E.config``)
trains every arch for 200 epochs with SGD (Nesterov momentum 0.9, weight decay 5e-4), learning
rate 0.1 annealed to 0 by a cosine schedule, batch 256, random crop 32 with padding 4 and
horizontal flip, on the full CIFAR-10 training set, and reports test accuracy. ``epochs``
shortens the schedule (the cosine spans the shortened run). Here the cosine steps once per
epoch. On CUDA the forward pass runs under bf16 autocast with channels_last tensors.

After each epoch the test set is evaluated, a checkpoint is written (``checkpoint``) and the
metrics so far are written atomically to the results store, so a killed run resumes at the next
epoch and keeps the metrics it had.

DARTS (``DartsTrainConfig``, for nb301-cifar10): the evaluation protocol of Liu et al. 2019
(quark0/darts ``cnn/train.py``): the ``NetworkCIFAR`` of ``benchmarks.networks.darts_eval`` (20
cells, C=36), SGD (momentum 0.9, no Nesterov, weight decay 3e-4), learning rate 0.025 annealed
to 0 by a cosine over 600 epochs, batch 96, random crop 32 with padding 4, horizontal flip and
cutout 16 (on the normalised image), auxiliary head loss weight 0.4, drop path probability
0.2 * epoch / epochs (epoch counted from 0) and gradient norm clipping at 5.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

from benchmarks.networks import darts_eval
from benchmarks.networks.nb201 import build_network
from harness.datasets.cifar10 import CIFAR10, MEAN, STD
from harness.results import ResultsStore
from harness.retrain import checkpoint

METRICS = "metrics"  # the Parquet file of each (bench, arch) folder


@dataclass(frozen=True)
class TrainConfig:
    """The NB201 protocol's hyperparameters (defaults) plus the run's seed."""

    epochs: int = 200
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    batch_size: int = 256
    crop_padding: int = 4
    seed: int = 0


@dataclass(frozen=True)
class DartsTrainConfig:
    """The DARTS evaluation protocol's hyperparameters (defaults) plus the run's seed;
    ``channels`` and ``layers`` size the network (tests shrink them)."""

    epochs: int = 600
    lr: float = 0.025
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 3e-4
    batch_size: int = 96
    crop_padding: int = 4
    cutout: int = 16
    auxiliary_weight: float = 0.4
    drop_path_prob: float = 0.2
    grad_clip: float = 5.0
    channels: int = 36
    layers: int = 20
    seed: int = 0


class CheckpointMismatchError(ValueError):
    """The folder holds a checkpoint of another arch or another configuration."""


def augment(images: torch.Tensor, generator: torch.Generator, padding: int) -> torch.Tensor:
    """Random crop (zero padding, before normalisation as torchvision's RandomCrop on the
    image) and horizontal flip of a uint8 batch (B, 3, 32, 32), drawn from ``generator``."""
    batch, _, height, width = images.shape
    padded = F.pad(images, (padding,) * 4)
    dy = torch.randint(0, 2 * padding + 1, (batch,), generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (batch,), generator=generator)
    rows = (dy[:, None] + torch.arange(height))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(width))[:, None, None, :]
    out = padded[torch.arange(batch)[:, None, None, None], torch.arange(3)[None, :, None, None],
                 rows, cols]
    flip = torch.rand(batch, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(3), out)


def cutout(x: torch.Tensor, generator: torch.Generator, length: int) -> torch.Tensor:
    """DARTS's Cutout: per image, zero a ``length`` square (clipped at the border) centred at a
    uniform pixel, on the normalised batch (B, 3, H, W)."""
    batch, _, height, width = x.shape
    cy = torch.randint(0, height, (batch,), generator=generator)
    cx = torch.randint(0, width, (batch,), generator=generator)
    rows, cols = torch.arange(height), torch.arange(width)
    inside_y = ((rows[None] >= cy[:, None] - length // 2)
                & (rows[None] < cy[:, None] + length // 2))
    inside_x = ((cols[None] >= cx[:, None] - length // 2)
                & (cols[None] < cx[:, None] + length // 2))
    mask = ~(inside_y[:, :, None] & inside_x[:, None, :])
    return x * mask[:, None].to(x.device, x.dtype)


def _logits(output) -> torch.Tensor:
    """The main logits of a model's output (DARTS networks return ``(logits, aux)``)."""
    return output[0] if isinstance(output, tuple) else output


def _normalize(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    x = (images.to(device, non_blocking=True).float() / 255.0 - mean) / std
    return x.contiguous(memory_format=torch.channels_last) if device.type == "cuda" else x


def _autocast(device: torch.device):
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def evaluate(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray,
             device: torch.device, batch_size: int = 512) -> tuple[float, float]:
    """Accuracy (%) and mean cross-entropy of ``model`` on a split."""
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad(), _autocast(device):
        for start in range(0, len(labels), batch_size):
            x = _normalize(torch.tensor(images[start:start + batch_size]), device)
            y = torch.tensor(labels[start:start + batch_size]).to(device)
            logits = _logits(model(x)).float()
            loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
    return 100.0 * correct / len(labels), loss / len(labels)


def _after_checkpoint(epoch: int) -> None:
    """Called after each epoch's checkpoint and metrics are written (tests make it crash)."""


def retrain(arch: np.ndarray, arch_string: str, data: CIFAR10, folder: Path,
            store: ResultsStore, key: str, config: TrainConfig | DartsTrainConfig,
            device: torch.device,
            manifest: dict, log: Callable[[str], None] = print) -> list[dict]:
    """Train ``arch`` by ``config`` (resuming from ``folder``'s checkpoint); return per-epoch
    metrics. ``store.write(key, ...)`` receives the metrics table after every epoch."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    darts = isinstance(config, DartsTrainConfig)
    if darts:
        model = darts_eval.build_network(arch, num_classes=len(data.classes),
                                         channels=config.channels, layers=config.layers)
    else:
        model = build_network(arch, num_classes=len(data.classes))
    model = model.to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                                nesterov=config.nesterov, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    metrics: list[dict] = []
    state = checkpoint.load(folder)
    if state is not None:
        if state["arch"] != arch_string or state["config"] != asdict(config):
            raise CheckpointMismatchError(
                f"{folder / checkpoint.FILE} was made for arch {state['arch']} with "
                f"{state['config']}, not {arch_string} with {asdict(config)}; use another "
                "--out or delete the folder"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        checkpoint.restore_rng(state["rng"], generator)
        metrics = list(state["metrics"])
        log(f"resuming {arch_string} after epoch {state['epoch']} of {config.epochs}")
    train = data.train
    for epoch in range(len(metrics) + 1, config.epochs + 1):
        model.train()
        if darts:  # linear in the epoch, counted from 0 as DARTS does
            model.drop_path_prob = config.drop_path_prob * (epoch - 1) / config.epochs
        order = torch.randperm(len(train), generator=generator)
        seen, loss_sum, correct = 0, 0.0, 0
        started = time.perf_counter()
        for start in range(0, len(order), config.batch_size):
            idx = order[start:start + config.batch_size].numpy()
            raw = augment(torch.from_numpy(train.images[np.sort(idx)]), generator,
                          config.crop_padding)
            x = _normalize(raw, device)
            if darts and config.cutout > 0:
                x = cutout(x, generator, config.cutout)
            y = torch.from_numpy(train.labels[np.sort(idx)]).to(device)
            with _autocast(device):
                output = model(x)
                logits = _logits(output)
                loss = F.cross_entropy(logits.float(), y)
                if darts and output[1] is not None:
                    loss = loss + config.auxiliary_weight * F.cross_entropy(output[1].float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if darts:
                nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            seen += len(idx)
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == y).sum().item()
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()
        test_acc, test_loss = evaluate(model, data.test.images, data.test.labels, device)
        metrics.append({
            "epoch": epoch, "lr": lr, "train_loss": loss_sum / seen,
            "train_acc": 100.0 * correct / seen, "test_loss": test_loss, "test_acc": test_acc,
            "train_seconds": seconds, "images_per_second": seen / seconds,
        })
        checkpoint.save(folder, {
            "arch": arch_string, "config": asdict(config), "epoch": epoch,
            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "rng": checkpoint.rng_states(generator),
            "metrics": metrics,
        })
        store.write(key, pa.Table.from_pylist(metrics), {**manifest, "config": asdict(config)})
        m = metrics[-1]
        log(f"epoch {epoch}/{config.epochs}: train acc {m['train_acc']:.2f}, test acc "
            f"{m['test_acc']:.2f}, {m['images_per_second']:.0f} images/s")
        _after_checkpoint(epoch)
    return metrics
