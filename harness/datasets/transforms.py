"""CIFAR training augmentation on tensors of any device.

Random crop 32 with 4-pixel zero padding and horizontal flip (He et al. 2016, used by NB201 and
DARTS) and DARTS's cutout. Every random number is drawn from a CPU ``torch.Generator`` and only
the indexing runs on the batch's device, so the same seed gives the same images on CPU and on a
GPU, and on a GPU the batch never goes back to the host. Augmenting a 256-image batch on this
project's 2-core CPU takes 7.7 ms (``python -m harness.retrain.perf``), which alone would cap a
GPU run at about 33,000 images/s.
"""

from __future__ import annotations

import torch

from harness.datasets.cifar10 import MEAN, STD


def crop_flip(images: torch.Tensor, generator: torch.Generator, padding: int = 4
              ) -> torch.Tensor:
    """Random crop (zero padding, applied before normalisation as torchvision's RandomCrop on
    the image) and horizontal flip with probability 1/2 of a batch (B, C, H, W)."""
    batch, channels, height, width = images.shape
    device = images.device
    dy = torch.randint(0, 2 * padding + 1, (batch,), generator=generator).to(device)
    dx = torch.randint(0, 2 * padding + 1, (batch,), generator=generator).to(device)
    flip = (torch.rand(batch, generator=generator) < 0.5).to(device)
    padded = torch.nn.functional.pad(images, (padding,) * 4)
    rows = (dy[:, None] + torch.arange(height, device=device))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(width, device=device))[:, None, None, :]
    out = padded[torch.arange(batch, device=device)[:, None, None, None],
                 torch.arange(channels, device=device)[None, :, None, None], rows, cols]
    return torch.where(flip[:, None, None, None], out.flip(3), out)


def cutout(x: torch.Tensor, generator: torch.Generator, length: int) -> torch.Tensor:
    """DARTS's Cutout: per image, zero a ``length`` square (clipped at the border) centred at a
    uniform pixel, on the normalised batch (B, C, H, W)."""
    batch, _, height, width = x.shape
    device = x.device
    cy = torch.randint(0, height, (batch,), generator=generator).to(device)
    cx = torch.randint(0, width, (batch,), generator=generator).to(device)
    rows, cols = torch.arange(height, device=device), torch.arange(width, device=device)
    inside_y = (rows[None] >= cy[:, None] - length // 2) & (rows[None] < cy[:, None] + length // 2)
    inside_x = (cols[None] >= cx[:, None] - length // 2) & (cols[None] < cx[:, None] + length // 2)
    mask = ~(inside_y[:, :, None] & inside_x[:, None, :])
    return x * mask[:, None].to(x.dtype)


def normalize(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 3, H, W) on any device -> float32 in [0, 1], minus the CIFAR-10 channel mean,
    divided by its standard deviation (the values of ``harness.datasets.cifar10``)."""
    mean = torch.tensor(MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=images.device).view(1, 3, 1, 1)
    return (images.float() / 255.0 - mean) / std
