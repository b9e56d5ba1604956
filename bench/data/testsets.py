"""Test sets behind one small interface: ids, labels, and ``load(indices)`` → ([0,1] images, labels).

Where each comes from (first match wins):

- ``cifar10``: ``<assets>/data/cifar10_test_1000.npz`` (the first 1000 official test images),
  else torchvision's CIFAR-10 test split under ``--data-dir`` (downloaded unless offline).
- ``cifar100``: torchvision's CIFAR-100 test split under ``--data-dir``.
- ``mnist``: ``<assets>/data/mnist_test.npz``, else torchvision's MNIST under ``--data-dir``.
- ``imagenet``: ``<data-dir>/val/<wnid>/*`` (ImageFolder layout), else ``<assets>/data/imagenet-samples/val``;
  labels are RobustBench's wnid → index map, images go through a RobustBench preprocessing
  (``Res256Crop224``, ``Crop288``, ``Res224``, ``BicubicRes256Crop224``).
- ``npz:PATH``: any ``.npz`` with ``x`` (uint8, NCHW or NHW) and ``y``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from bench import assets
from bench.data.images import ImageFolderTestSet
from bench.errors import MissingFileError, SpecError
from bench.registry import Registry


class TestSet(Protocol):
    """What every measure reads: stable sample ids, labels, and batched loading."""

    name: str
    ids: list[str]
    labels: np.ndarray

    def __len__(self) -> int: ...

    def load(self, indices: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """([0,1] images (B, C, H, W), labels (B,)) of the images at ``indices``."""
        ...

    def batches(self, indices: np.ndarray, batch_size: int):
        """``(indices, images, labels)`` for consecutive chunks of ``indices``, ``batch_size`` at a time."""
        ...


@dataclass
class ArrayTestSet:
    """Images held as a uint8 array (N, C, H, W); ids are positions in the official order."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    origin: str
    ids: list[str] = field(init=False)

    def __post_init__(self) -> None:
        if self.images.ndim == 3:
            self.images = self.images[:, None]
        if self.images.ndim != 4 or self.images.dtype != np.uint8:
            raise SpecError(
                f"{self.origin}: x must be uint8 NCHW or NHW, got {self.images.dtype} {self.images.shape}."
            )
        if len(self.images) != len(self.labels):
            raise SpecError(
                f"{self.origin}: {len(self.images)} images but {len(self.labels)} labels."
            )
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.ids = [str(i) for i in range(len(self.labels))]

    def __len__(self) -> int:
        return len(self.labels)

    def load(self, indices: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The images at ``indices`` scaled to [0, 1], with their labels."""
        x = torch.from_numpy(self.images[indices]).float().div_(255.0)
        return x, torch.from_numpy(self.labels[indices])

    def batches(self, indices: np.ndarray, batch_size: int):
        """``(idx, images, labels)`` for consecutive ``batch_size`` chunks of ``indices``."""
        for start in range(0, len(indices), batch_size):
            idx = indices[start : start + batch_size]
            yield (idx, *self.load(idx))


def _npz(name: str, path: Path) -> ArrayTestSet:
    with np.load(path, allow_pickle=False) as data:
        if "x" not in data or "y" not in data:
            raise SpecError(f"{path} must hold arrays 'x' and 'y' (found {list(data.keys())}).")
        return ArrayTestSet(name, data["x"], data["y"], origin=str(path))


def _torchvision(name: str, data_dir: Path) -> ArrayTestSet:
    import torchvision

    cls = {
        "cifar10": torchvision.datasets.CIFAR10,
        "cifar100": torchvision.datasets.CIFAR100,
        "mnist": torchvision.datasets.MNIST,
    }[name]
    try:
        ds = cls(root=str(data_dir), train=False, download=not assets.offline())
    except (
        RuntimeError,
        OSError,
    ) as exc:  # not found or corrupted; a download with no network (URLError)
        raise MissingFileError(
            f"{name} test set not found under {data_dir} ({exc}). Pass --assets DIR with the shared assets, "
            f"--data-dir DIR holding torchvision's {name} files, or allow the download."
        ) from None
    images = np.asarray(ds.data)
    if images.ndim == 4:  # CIFAR: NHWC → NCHW
        images = images.transpose(0, 3, 1, 2)
    return ArrayTestSet(
        name, np.ascontiguousarray(images), np.asarray(ds.targets), origin=f"torchvision {name}"
    )


SHARED_NPZ = {"cifar10": "data/cifar10_test_1000.npz", "mnist": "data/mnist_test.npz"}


@dataclass(frozen=True)
class OpenRequest:
    """Where an opener may look and how image files are decoded (``open_testset``'s arguments, resolved)."""

    name: str
    data_dir: Path
    assets: Path | None
    transform: str | None = None
    workers: int = 0
    pin_memory: bool = False


Opener = Callable[[OpenRequest], TestSet]
OPENERS: Registry[Opener] = Registry("test set")


def open_testset(
    name: str,
    data_dir: str | Path | None = None,
    transform: str | None = None,
    workers: int = 0,
    pin_memory: bool = False,
) -> TestSet:
    """Open a test set by name (see the module docstring for where each comes from).

    ``workers`` and ``pin_memory`` apply to image files (ImageNet folders), decoded by a DataLoader.
    """
    if name.startswith("npz:"):
        return _npz(name, Path(name[4:]))
    if name not in OPENERS:
        raise SpecError(
            f"Unknown data set {name!r}; known: {', '.join(OPENERS.names())}, npz:PATH."
        )
    request = OpenRequest(
        name,
        Path(data_dir) if data_dir else assets.cache_dir() / "data",
        assets.assets_dir(),
        transform,
        workers,
        pin_memory,
    )
    return OPENERS.get(name)(request)


def _shared_or_torchvision(request: OpenRequest) -> TestSet:
    """The shared assets' npz when there, else torchvision's test split under the data folder."""
    shared = SHARED_NPZ.get(request.name)
    if shared and request.assets is not None and (request.assets / shared).is_file():
        return _npz(request.name, request.assets / shared)
    return _torchvision(request.name, request.data_dir)


for _name in ("cifar10", "cifar100", "mnist"):
    OPENERS.register(_name)(_shared_or_torchvision)


@OPENERS.register("imagenet")
def _imagenet(request: OpenRequest) -> TestSet:
    """``<data-dir>/val/<wnid>/*`` (ImageFolder layout), else the shared ImageNet samples."""
    own = request.data_dir / "val"
    shared = request.assets / "data/imagenet-samples/val" if request.assets else None
    folder = own if own.is_dir() else shared
    if folder is None or not folder.is_dir():
        raise MissingFileError(
            f"ImageNet validation images not found: place them at {own}/<wnid>/*.JPEG "
            "(or pass --assets DIR holding data/imagenet-samples)."
        )
    return ImageFolderTestSet(
        request.name, folder, request.transform, request.workers, request.pin_memory
    )


@OPENERS.register("digits")
def _digits(request: OpenRequest) -> TestSet:
    """scikit-learn's bundled 8×8 digits, test split (no download ever)."""
    from bench.data.digits import digits_split

    x, y = digits_split("test")
    return ArrayTestSet("digits", x, y, "scikit-learn's bundled digits (test split)")
