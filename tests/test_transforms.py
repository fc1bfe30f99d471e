"""The CIFAR augmentation: each image is a padded crop (flipped or not) of its source, cutout
zeroes one clipped square, and the draws come from the generator alone."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from harness.datasets import transforms  # noqa: E402
from harness.datasets.cifar10 import normalize  # noqa: E402


def _images(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.integers(1, 256, (n, 3, 32, 32), dtype=np.uint8))


def test_crop_flip_is_a_padded_crop_of_each_image():
    images = _images()
    out = transforms.crop_flip(images, torch.Generator().manual_seed(5), padding=4)
    # the same draws, in the function's order
    generator = torch.Generator().manual_seed(5)
    dy = torch.randint(0, 9, (64,), generator=generator)
    dx = torch.randint(0, 9, (64,), generator=generator)
    flip = torch.rand(64, generator=generator) < 0.5
    padded = np.pad(images.numpy(), ((0, 0), (0, 0), (4, 4), (4, 4)))
    for i in range(64):
        crop = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        expected = crop[:, :, ::-1] if flip[i] else crop
        np.testing.assert_array_equal(out[i].numpy(), expected)
    assert 0 < int(flip.sum()) < 64 and len(set(dy.tolist())) == 9
    assert out.dtype == torch.uint8 and out.shape == images.shape


def test_crop_flip_same_seed_same_images_other_seed_other_images():
    images = _images()
    first = transforms.crop_flip(images, torch.Generator().manual_seed(1))
    again = transforms.crop_flip(images, torch.Generator().manual_seed(1))
    other = transforms.crop_flip(images, torch.Generator().manual_seed(2))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_cutout_zeroes_one_clipped_square_per_image():
    x = torch.ones(200, 3, 32, 32)
    out = transforms.cutout(x, torch.Generator().manual_seed(0), length=16)
    zeroed = (out == 0).all(1)  # (B, H, W): all channels cut together
    assert torch.equal((out == 0).any(1), zeroed)
    for mask in zeroed:
        rows, cols = mask.any(1).nonzero().ravel(), mask.any(0).nonzero().ravel()
        # a full rectangle: its area is the product of its sides, at most 16 x 16
        assert int(mask.sum()) == len(rows) * len(cols) <= 256
        assert rows.max() - rows.min() + 1 == len(rows) and len(rows) <= 16
    sizes = zeroed.sum((1, 2))
    assert (sizes == 256).any() and (sizes < 256).any()  # interior and border-clipped squares


def test_tensor_normalize_matches_the_numpy_one():
    images = _images(8)
    np.testing.assert_allclose(transforms.normalize(images).numpy(), normalize(images.numpy()),
                               rtol=1e-6, atol=1e-6)
