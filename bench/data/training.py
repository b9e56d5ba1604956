"""Training images: ``(uint8 images (N, C, H, W), labels)`` by name.

- ``digits``: scikit-learn's bundled digits, train split (1297 images; no download ever);
- ``cifar10_5000``: the shared ``cifar10_train_5000.npz`` (the first 1000 of each training batch);
- ``cifar10``: the full training set through torchvision when it is in the data folder, else
  the shared 5000;
- ``mnist``: the full training set through torchvision (downloaded into the data folder).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench import assets
from bench.errors import MissingFileError, SpecError
from bench.registry import Registry

TRAINING_SETS = ("digits", "cifar10_5000", "cifar10", "mnist")
EVALUATION_SET = {
    "digits": "digits",
    "cifar10_5000": "cifar10",
    "cifar10": "cifar10",
    "mnist": "mnist",
}


def _shared_cifar5000() -> tuple[np.ndarray, np.ndarray]:
    root = assets.assets_dir()
    path = root / "data/cifar10_train_5000.npz" if root else None
    if path is None or not path.is_file():
        raise MissingFileError(
            "cifar10_train_5000.npz not found: pass --assets DIR (or set BENCH_ASSETS) to the "
            "folder holding data/cifar10_train_5000.npz."
        )
    with np.load(path) as f:
        return f["x"], f["y"]


def _torchvision_train(name: str, data_dir: Path, download: bool) -> tuple[np.ndarray, np.ndarray]:
    import torchvision

    cls = {"cifar10": torchvision.datasets.CIFAR10, "mnist": torchvision.datasets.MNIST}[name]
    try:
        data = cls(str(data_dir), train=True, download=download)
    except (
        RuntimeError,
        OSError,
    ) as exc:  # not found or corrupted; a download with no network (URLError)
        raise MissingFileError(
            f"The {name} training set is not under {data_dir} and could not be downloaded ({exc}). Pass "
            f"--data-dir DIR holding torchvision's {name} files, or allow the download."
        ) from None
    x = np.asarray(data.data)
    x = x.transpose(0, 3, 1, 2) if x.ndim == 4 else x[:, None]
    return np.ascontiguousarray(x, dtype=np.uint8), np.asarray(data.targets, dtype=np.int64)


TrainingOpener = Callable[[Path], tuple[np.ndarray, np.ndarray]]
TRAINING_OPENERS: Registry[TrainingOpener] = Registry("training set")


def training_set(name: str, data_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(uint8 images (N, C, H, W), labels)`` of the training set ``name`` (see the module docstring)."""
    if name not in TRAINING_OPENERS:
        raise SpecError(f"Unknown training set {name!r}; known: {', '.join(TRAINING_SETS)}.")
    return TRAINING_OPENERS.get(name)(Path(data_dir) if data_dir else assets.cache_dir() / "data")


@TRAINING_OPENERS.register("digits")
def _digits(data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits, train split (no download ever)."""
    from bench.data.digits import digits_split

    return digits_split("train")


TRAINING_OPENERS.register("cifar10_5000")(lambda data_dir: _shared_cifar5000())


@TRAINING_OPENERS.register("cifar10")
def _cifar10(data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """torchvision's CIFAR-10 training set when it is in the data folder, else the shared 5000."""
    try:
        return _torchvision_train("cifar10", data_dir, download=False)
    except MissingFileError:
        return _shared_cifar5000()


@TRAINING_OPENERS.register("mnist")
def _mnist(data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """torchvision's MNIST training set, downloaded into the data folder unless offline."""
    if assets.offline():
        raise MissingFileError(
            f"MNIST training images are not in {data_dir} and BENCH_OFFLINE=1 forbids downloading them."
        )
    return _torchvision_train("mnist", data_dir, download=True)
