"""CIFAR-10 from the official "python version" folder (``cifar-10-batches-py``).

The folder holds ``data_batch_1`` .. ``data_batch_5`` (training) and ``test_batch``, each a
pickled dict with ``data`` (uint8, N x 3072, channel-major 3 x 32 x 32 rows) and ``labels``
(N ints in 0..9), and ``batches.meta`` with the class names (Krizhevsky 2009; the layout of
https://www.cs.toronto.edu/~kriz/cifar.html). Any number of images per batch is accepted (the
official files hold 10,000; a subset keeps the same layout with fewer).

The batches are pickles written by Python 2, the dataset's own format; they are read with an
unpickler that only rebuilds numpy arrays and plain containers, so a foreign file cannot run
code. Nothing is cached or converted: the folder is read when ``load_cifar10`` is called.

Normalisation uses the CIFAR-10 channel mean and standard deviation of the training set as
NASLib uses them (``naslib/utils``: ``CIFAR_MEAN``, ``CIFAR_STD``), so that zero-cost scores
are computed on the inputs NAS-Bench-Suite-Zero used.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

TRAIN_FILES: tuple[str, ...] = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
META_FILE = "batches.meta"
FOLDER = "cifar-10-batches-py"  # the folder the official archive unpacks to
CLASSES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)
MEAN: tuple[float, float, float] = (0.49139968, 0.48215827, 0.44653124)
STD: tuple[float, float, float] = (0.24703233, 0.24348505, 0.26158768)
SHAPE = (3, 32, 32)

# What a CIFAR batch pickle may reference: numpy's array reconstruction (protocols 2 to 5, numpy
# 1 and 2 module names) and the bytes codec that Python 3 uses for protocol 2; nothing else.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("copy_reg", "_reconstructor"),
    ("copyreg", "_reconstructor"),
    ("__builtin__", "object"),
    ("builtins", "object"),
}


class DatasetFolderError(FileNotFoundError):
    """The data folder is missing, incomplete or holds something that is not a CIFAR batch."""


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"a CIFAR batch references {module}.{name}, which is not numpy array data"
            )
        module = {"copy_reg": "copyreg", "__builtin__": "builtins"}.get(module, module)
        if module.startswith("numpy.core.") and _has_module("numpy._core"):
            module = module.replace("numpy.core.", "numpy._core.")  # numpy 2's name for it
        return super().find_class(module, name)


def _has_module(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def _unpickle(path: Path) -> Any:
    with open(path, "rb") as handle:
        try:
            return _BatchUnpickler(handle, encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
            raise DatasetFolderError(f"{path} is not a CIFAR-10 python batch: {error}") from None


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (uint8, N x 3 x 32 x 32) and labels (int64, N) of one official batch file."""
    path = Path(path)
    batch = _unpickle(path)
    if not isinstance(batch, dict) or "data" not in batch or "labels" not in batch:
        keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise DatasetFolderError(
            f"{path} is not a CIFAR-10 python batch: expected a dict with 'data' and 'labels', "
            f"got {keys}"
        )
    data, labels = np.asarray(batch["data"]), np.asarray(batch["labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != np.prod(SHAPE):
        raise DatasetFolderError(
            f"{path}: 'data' must be uint8 of shape (N, 3072), got {data.dtype} {data.shape}"
        )
    if labels.shape != (data.shape[0],) or labels.dtype.kind not in "iu":
        raise DatasetFolderError(
            f"{path}: 'labels' must be {data.shape[0]} ints, got {labels.dtype} {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASSES)):
        raise DatasetFolderError(
            f"{path}: labels must lie in 0..9, got {labels.min()}..{labels.max()}"
        )
    return data.reshape(-1, *SHAPE), labels.astype(np.int64)


def normalize(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 3, 32, 32) -> float32 scaled to [0, 1], minus ``MEAN``, divided by ``STD``."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"expected uint8 images of shape (N, 3, H, W), got {images.dtype} "
                         f"{images.shape}")
    mean = np.asarray(MEAN, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.asarray(STD, dtype=np.float32).reshape(1, 3, 1, 1)
    return (images.astype(np.float32) / 255.0 - mean) / std


@dataclass(frozen=True)
class ImageSet:
    """One split: ``images`` uint8 (N, 3, 32, 32) and ``labels`` int64 (N,)."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` distinct images drawn with ``rng``: normalised float32 and int64 labels."""
        if not isinstance(n, int | np.integer) or not 1 <= n <= len(self):
            raise ValueError(f"minibatch size must be an int in [1, {len(self)}], got {n!r}")
        idx = np.sort(rng.choice(len(self), size=int(n), replace=False))
        return normalize(self.images[idx]), self.labels[idx]

    def minibatch(self, n: int, rng: np.random.Generator) -> tuple[Any, Any]:
        """``sample`` as torch tensors ``(inputs float32 (n, 3, 32, 32), targets int64 (n,))``,
        the ``info["batch"]`` that data-needing predictors take."""
        import torch

        inputs, targets = self.sample(n, rng)
        return torch.from_numpy(inputs), torch.from_numpy(targets)


@dataclass(frozen=True)
class CIFAR10:
    """The training (``data_batch_1..5``) and test (``test_batch``) splits of one folder."""

    root: Path
    train: ImageSet
    test: ImageSet
    classes: tuple[str, ...] = CLASSES
    checksum: str = ""  # SHA-256 over the batch files read (``files_checksum``)

    def minibatch(self, n: int, rng: np.random.Generator, split: str = "train") -> tuple[Any, Any]:
        """A minibatch of ``n`` images of ``split`` ("train" or "test"); see ``ImageSet``."""
        if split not in ("train", "test"):
            raise ValueError(f"unknown CIFAR-10 split {split!r}; accepted: train, test")
        return getattr(self, split).minibatch(n, rng)


def find_folder(data_dir: str | Path) -> Path:
    """The batch folder: ``data_dir`` itself, or its ``cifar-10-batches-py`` child."""
    data_dir = Path(data_dir)
    expected = (*TRAIN_FILES, TEST_FILE)
    for folder in (data_dir, data_dir / FOLDER):
        if all((folder / name).is_file() for name in expected):
            return folder
    present = sorted(p.name for p in data_dir.iterdir()) if data_dir.is_dir() else None
    missing = [name for name in expected if not (data_dir / name).is_file()]
    raise DatasetFolderError(
        f"{data_dir} is not a CIFAR-10 python-version folder: expected the files "
        f"{', '.join(expected)} (the '{FOLDER}' folder of the official cifar-10-python.tar.gz) "
        f"in it or in its '{FOLDER}' subfolder; missing {', '.join(missing)}"
        + ("" if present is None else f"; found {present[:10]}")
        + ("" if data_dir.is_dir() else "; the folder does not exist")
    )


def files_checksum(folder: Path, names: tuple[str, ...] = (*TRAIN_FILES, TEST_FILE)) -> str:
    """SHA-256 over the named files' names and contents, in order: which images a retraining
    saw, so that a run on the full dataset and one on a subset are never confused."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((folder / name).read_bytes()).digest())
    return digest.hexdigest()


def load_cifar10(data_dir: str | Path) -> CIFAR10:
    """Read every batch of the folder (or its ``cifar-10-batches-py`` child) unchanged."""
    folder = find_folder(data_dir)
    parts = [read_batch(folder / name) for name in TRAIN_FILES]
    train = ImageSet(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    test = ImageSet(*read_batch(folder / TEST_FILE))
    classes = CLASSES
    if (folder / META_FILE).is_file():
        meta = _unpickle(folder / META_FILE)
        if isinstance(meta, dict) and len(meta.get("label_names", ())) == len(CLASSES):
            classes = tuple(str(c) for c in meta["label_names"])
    for split in (train, test):
        split.images.flags.writeable = False
        split.labels.flags.writeable = False
    return CIFAR10(root=folder, train=train, test=test, classes=classes,
                   checksum=files_checksum(folder))
