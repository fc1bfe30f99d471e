"""CIFAR-10 for a supernet search: the training set split into halves, as DARTS does
(``train_search.py``: ``train_portion`` 0.5, the first half trains the network weights, the
second half is the validation set the architecture is fitted on; XNAS section 4 follows it).

Batches are drawn in an order from a numpy generator spawned from the run's seed; training
batches get DARTS's augmentation (4-pixel zero padding + random 32 x 32 crop, random horizontal
flip), validation batches none. Incomplete final batches are dropped, so every step sees
``batch_size`` images and the XNAS horizon counts exactly the rewards given.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from harness.datasets.cifar10 import TRAIN_FILES, find_folder, load_cifar10, normalize


def split_train(data_dir: str | Path, train_images: int | None = None
                ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(train half, validation half) of the first ``train_images`` training images (all
    50,000 by default), each ``(uint8 images, int64 labels)``."""
    data = load_cifar10(data_dir)
    n = len(data.train) if train_images is None else int(train_images)
    if not 2 <= n <= len(data.train):
        raise ValueError(f"--train-images must be in [2, {len(data.train)}], got {train_images}")
    half = n // 2
    images, labels = data.train.images, data.train.labels
    return (images[:half], labels[:half]), (images[half:2 * half], labels[half:2 * half])


def files_read(data_dir: str | Path) -> list[Path]:
    """The batch files the search reads (the test batch is never used)."""
    folder = find_folder(data_dir)
    return [folder / name for name in TRAIN_FILES]


def _augment(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    padded = np.pad(images, ((0, 0), (0, 0), (4, 4), (4, 4)))
    dy, dx = rng.integers(0, 9, size=(2, len(images)))
    flip = rng.random(len(images)) < 0.5
    out = np.empty_like(images)
    for i in range(len(images)):
        crop = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = crop[:, :, ::-1] if flip[i] else crop
    return out


def batches(split: tuple[np.ndarray, np.ndarray], batch_size: int, rng: np.random.Generator,
            augment: bool, device: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of full batches in a random order."""
    images, labels = split
    order = rng.permutation(len(labels))
    for start in range(0, len(order) - batch_size + 1, batch_size):
        idx = np.sort(order[start:start + batch_size])
        x = images[idx]
        if augment:
            x = _augment(x, rng)
        yield (torch.from_numpy(normalize(np.ascontiguousarray(x))).to(device),
               torch.from_numpy(labels[idx]).to(device))
