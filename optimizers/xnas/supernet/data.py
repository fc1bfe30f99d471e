"""CIFAR-10 for a supernet search: the training set split into halves, as DARTS does
(``train_search.py``: ``train_portion`` 0.5, the first half trains the network weights, the
second half is the validation set the architecture is fitted on; XNAS section 4 follows it).

Batches are drawn in an order from a numpy generator spawned from the run's seed; training
batches get DARTS's augmentation (4-pixel zero padding + random 32 x 32 crop, random horizontal
flip; ``harness.datasets.transforms``, on the batch's device), validation batches none.
Incomplete final batches are dropped, so every step sees ``batch_size`` images and the XNAS
horizon counts exactly the rewards given.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from harness.datasets.cifar10 import TRAIN_FILES, find_folder, load_cifar10
from harness.datasets.transforms import crop_flip, normalize


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


def batches(split: tuple[np.ndarray, np.ndarray], batch_size: int, rng: np.random.Generator,
            augment: bool, device: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of full batches in a random order."""
    images, labels = split
    order = rng.permutation(len(labels))
    # the augmentation's draws come from a torch generator seeded by the run's numpy stream
    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    for start in range(0, len(order) - batch_size + 1, batch_size):
        idx = np.sort(order[start:start + batch_size])
        x = torch.from_numpy(images[idx]).to(device)
        if augment:
            x = crop_flip(x, generator)
        yield normalize(x), torch.from_numpy(labels[idx]).to(device)
