"""The NAS-Bench-201 training protocol for one architecture, resumable epoch by epoch.

NB201 (Dong & Yang 2020, section 3 / xautodl's ``configs/nas-benchmark/hyper-opts/200E.config``)
trains every arch for 200 epochs with SGD (Nesterov momentum 0.9, weight decay 5e-4), learning
rate 0.1 annealed to 0 by a cosine schedule, batch 256, random crop 32 with padding 4 and
horizontal flip, on the full CIFAR-10 training set, and reports test accuracy. ``epochs``
shortens the schedule (the cosine spans the shortened run). Here the cosine steps once per
epoch. On CUDA the forward pass runs with channels_last tensors, under bf16 autocast where the
GPU computes in bfloat16 (``precision``).

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

import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn
from tqdm import tqdm

from benchmarks.networks import darts_eval
from benchmarks.networks.nb201 import build_network
from harness.datasets import transforms
from harness.datasets.cifar10 import CIFAR10
from harness.interrupts import StopRequest
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


def _logits(output) -> torch.Tensor:
    """The main logits of a model's output (DARTS networks return ``(logits, aux)``)."""
    return output[0] if isinstance(output, tuple) else output


def _prepare(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A uint8 batch already on ``device``, normalised; channels_last on CUDA."""
    x = transforms.normalize(images)
    return x.contiguous(memory_format=torch.channels_last) if device.type == "cuda" else x


def _on_device(split, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """A split's images (uint8) and labels as tensors on ``device``, copied once per run: the
    whole of CIFAR-10's training set is 150 MB, and batches are then gathered where they train."""
    return (torch.from_numpy(np.array(split.images)).to(device),
            torch.from_numpy(np.array(split.labels)).to(device))


def precision(device: torch.device) -> str:
    """``"bf16-autocast"`` on a CUDA device with native bfloat16 arithmetic (Ampere and later),
    else ``"fp32"``: bf16 needs no loss scaling, and older GPUs would only emulate it. Recorded
    with every retraining's metrics."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported(including_emulation=False):
        return "bf16-autocast"
    return "fp32"


def _autocast(device: torch.device, enabled: bool = True):
    return torch.autocast(device.type, dtype=torch.bfloat16,
                          enabled=enabled and precision(device) == "bf16-autocast")


def evaluate(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray,
             device: torch.device, batch_size: int = 512) -> tuple[float, float]:
    """Accuracy (%) and mean cross-entropy of ``model`` on a split."""
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad(), _autocast(device):
        for start in range(0, len(labels), batch_size):
            x = _prepare(torch.from_numpy(np.array(images[start:start + batch_size]))
                         .to(device, non_blocking=True), device)
            y = torch.from_numpy(np.array(labels[start:start + batch_size])).to(device)
            logits = _logits(model(x)).float()
            loss += F.cross_entropy(logits, y, reduction="sum")
            correct += (logits.argmax(1) == y).sum()
    return 100.0 * float(correct) / len(labels), float(loss) / len(labels)


def build_model(arch: np.ndarray, config: TrainConfig | DartsTrainConfig, num_classes: int,
                device: torch.device) -> nn.Module:
    """The network ``config``'s protocol trains (NB201's, or DARTS's evaluation network), on
    ``device``; channels_last on CUDA, where convolutions run fastest in that layout."""
    if isinstance(config, DartsTrainConfig):
        model = darts_eval.build_network(arch, num_classes=num_classes,
                                         channels=config.channels, layers=config.layers)
    else:
        model = build_network(arch, num_classes=num_classes)
    model = model.to(device)
    return model.to(memory_format=torch.channels_last) if device.type == "cuda" else model


def make_optimizer(model: nn.Module, config: TrainConfig | DartsTrainConfig
                   ) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                           nesterov=config.nesterov, weight_decay=config.weight_decay)


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
               labels: torch.Tensor, generator: torch.Generator,
               config: TrainConfig | DartsTrainConfig, device: torch.device,
               mixed_precision: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD step on a uint8 batch already on ``device``: augment, forward (in the device's
    ``precision``; float32 with ``mixed_precision=False``), the protocol's loss, backward,
    step. Returns the detached loss and the number of correct predictions as device tensors,
    so the caller never waits on the device."""
    darts = isinstance(config, DartsTrainConfig)
    x = _prepare(transforms.crop_flip(images, generator, config.crop_padding), device)
    if darts and config.cutout > 0:
        x = transforms.cutout(x, generator, config.cutout)
    with _autocast(device, enabled=mixed_precision):
        output = model(x)
        logits = _logits(output)
        loss = F.cross_entropy(logits.float(), labels)
        if darts and output[1] is not None:
            loss = loss + config.auxiliary_weight * F.cross_entropy(output[1].float(), labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if darts:
        nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
    optimizer.step()
    return loss.detach(), (logits.argmax(1) == labels).sum()


def device_name(device: torch.device) -> str:
    """The accelerator's model (``NVIDIA H100 80GB HBM3``) or the CPU's, for the record:
    images/s mean little without it."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpuinfo = Path("/proc/cpuinfo")  # Linux: platform.processor() is empty there
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _after_checkpoint(epoch: int) -> None:
    """Called after each epoch's checkpoint and metrics are written (tests make it crash)."""


def retrain(arch: np.ndarray, arch_string: str, data: CIFAR10, folder: Path,
            store: ResultsStore, key: str, config: TrainConfig | DartsTrainConfig,
            device: torch.device,
            manifest: dict, log: Callable[[str], None] = print,
            stop: StopRequest | None = None, progress: bool = False) -> list[dict]:
    """Train ``arch`` by ``config`` (resuming from ``folder``'s checkpoint); return per-epoch
    metrics. ``store.write(key, ...)`` receives the metrics table after every epoch. A
    ``stop`` requested (Ctrl-C) ends the run at the next epoch boundary by raising
    ``Interrupted`` (the last epoch's checkpoint is kept); ``progress`` shows a bar over the
    batches of each epoch."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    darts = isinstance(config, DartsTrainConfig)
    model = build_model(arch, config, len(data.classes), device)
    optimizer = make_optimizer(model, config)
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
    train_images, train_labels = _on_device(data.train, device)
    batches = -(-len(train_labels) // config.batch_size)
    for epoch in range(len(metrics) + 1, config.epochs + 1):
        if stop is not None:
            stop.check()
        model.train()
        if darts:  # linear in the epoch, counted from 0 as DARTS does
            model.drop_path_prob = config.drop_path_prob * (epoch - 1) / config.epochs
        order = torch.randperm(len(train_labels), generator=generator)
        # running sums stay on the device: no host synchronisation inside the epoch
        seen, loss_sum, correct = 0, torch.zeros((), device=device), torch.zeros((), device=device)
        started = time.perf_counter()
        with tqdm(total=batches, unit="batch", disable=not progress, leave=False,
                  desc=f"{arch_string[:40]} epoch {epoch}/{config.epochs}",
                  dynamic_ncols=True) as bar:
            for start in range(0, len(order), config.batch_size):
                idx = order[start:start + config.batch_size].sort().values.to(device)
                loss, hits = train_step(model, optimizer, train_images[idx], train_labels[idx],
                                        generator, config, device)
                seen += len(idx)
                loss_sum += loss * len(idx)
                correct += hits
                bar.update()
        loss_sum, correct = float(loss_sum), int(correct)  # waits for the device's last step
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
