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

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from bench import assets
from bench.errors import MissingFileError, SpecError
from bench.registry import Registry

IMAGE_SUFFIXES = {".jpeg", ".jpg", ".png"}


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
            raise SpecError(f"{self.origin}: x must be uint8 NCHW or NHW, got {self.images.dtype} {self.images.shape}.")
        if len(self.images) != len(self.labels):
            raise SpecError(f"{self.origin}: {len(self.images)} images but {len(self.labels)} labels.")
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
            idx = indices[start:start + batch_size]
            yield (idx, *self.load(idx))


@dataclass
class ImageFolderTestSet:
    """ImageNet-style ``val/<wnid>/<file>`` images, decoded and preprocessed per batch.

    With ``workers`` > 0 the files are decoded by a torch ``DataLoader`` in that many worker
    processes, a few batches ahead of the consumer (``pin_memory`` for a CUDA consumer); with 0,
    in the calling process.
    """

    name: str
    root: Path
    transform_name: str | None
    workers: int = 0
    pin_memory: bool = False
    files: list[Path] = field(init=False)
    labels: np.ndarray = field(init=False)
    ids: list[str] = field(init=False)

    def __post_init__(self) -> None:
        class_index = imagenet_class_index()
        self.files = sorted(p for p in self.root.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise MissingFileError(f"No images under {self.root} (expected {self.root}/<wnid>/<image>.JPEG).")
        unknown = sorted({p.parent.name for p in self.files} - set(class_index))
        if unknown:
            raise SpecError(f"{self.root}: folders {unknown[:5]} are not ImageNet wnids.")
        self.labels = np.array([class_index[p.parent.name] for p in self.files], dtype=np.int64)
        self.ids = [str(p.relative_to(self.root)) for p in self.files]

    def __len__(self) -> int:
        return len(self.files)

    def load(self, indices: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The files at ``indices`` decoded and preprocessed, in chunks spread over the DataLoader workers."""
        chunk = max(1, -(-len(indices) // self.workers)) if self.workers else max(len(indices), 1)
        parts = [xy for _, *xy in self.batches(indices, min(chunk, 64))]  # chunks spread over the workers
        if not parts:
            return torch.zeros(0), torch.zeros(0, dtype=torch.int64)
        return torch.cat([x for x, _ in parts]), torch.cat([y for _, y in parts])

    def batches(self, indices: np.ndarray, batch_size: int):
        """``(idx, images, labels)`` for consecutive ``batch_size`` chunks of ``indices``, decoded ahead."""
        from torch.utils.data import DataLoader

        chunks = [np.asarray(indices[i:i + batch_size]) for i in range(0, len(indices), batch_size)]
        decoded = _DecodedFiles(self.files, self.labels, robustbench_preprocessing(self.transform_name))
        loader = DataLoader(decoded, batch_sampler=[c.tolist() for c in chunks], num_workers=self.workers,
                            pin_memory=self.pin_memory, persistent_workers=False,
                            prefetch_factor=2 if self.workers else None)
        for idx, (x, y) in zip(chunks, loader):
            yield idx, x, y


class _DecodedFiles(torch.utils.data.Dataset):
    """Image file ``i`` decoded to RGB and preprocessed, with its label (what a DataLoader worker runs)."""

    def __init__(self, files: list[Path], labels: np.ndarray, transform):
        self.files, self.labels, self.transform = files, labels, transform

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        from PIL import Image

        with Image.open(self.files[i]) as image:
            return self.transform(image.convert("RGB")), int(self.labels[i])


def imagenet_class_index() -> dict[str, int]:
    """RobustBench's ImageNet wnid → class index map (sorted wnid order, 0…999)."""
    import importlib.util

    spec = importlib.util.find_spec("robustbench")
    path = Path(next(iter(spec.submodule_search_locations))) / "helper_files" / "imagenet_class_to_id_map.json"
    return json.loads(path.read_text())


def robustbench_preprocessing(name: str | None):
    """A RobustBench preprocessing by name (e.g. ``Res256Crop224``)."""
    from bench.compat import import_robustbench

    import_robustbench()
    from robustbench.data import PREPROCESSINGS

    if name not in PREPROCESSINGS:
        raise SpecError(f"Unknown preprocessing {name!r}; RobustBench knows {sorted(map(str, PREPROCESSINGS))}.")
    return PREPROCESSINGS[name]


def _npz(name: str, path: Path) -> ArrayTestSet:
    with np.load(path, allow_pickle=False) as data:
        if "x" not in data or "y" not in data:
            raise SpecError(f"{path} must hold arrays 'x' and 'y' (found {list(data.keys())}).")
        return ArrayTestSet(name, data["x"], data["y"], origin=str(path))


def _torchvision(name: str, data_dir: Path) -> ArrayTestSet:
    import torchvision

    cls = {"cifar10": torchvision.datasets.CIFAR10, "cifar100": torchvision.datasets.CIFAR100,
           "mnist": torchvision.datasets.MNIST}[name]
    try:
        ds = cls(root=str(data_dir), train=False, download=not assets.offline())
    except (RuntimeError, OSError) as exc:  # not found or corrupted; a download with no network (URLError)
        raise MissingFileError(
            f"{name} test set not found under {data_dir} ({exc}). Pass --assets DIR with the shared assets, "
            f"--data-dir DIR holding torchvision's {name} files, or allow the download."
        ) from None
    images = np.asarray(ds.data)
    if images.ndim == 4:  # CIFAR: NHWC → NCHW
        images = images.transpose(0, 3, 1, 2)
    return ArrayTestSet(name, np.ascontiguousarray(images), np.asarray(ds.targets), origin=f"torchvision {name}")


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


def open_testset(name: str, data_dir: str | Path | None = None, transform: str | None = None, workers: int = 0,
                 pin_memory: bool = False) -> TestSet:
    """Open a test set by name (see the module docstring for where each comes from).

    ``workers`` and ``pin_memory`` apply to image files (ImageNet folders), decoded by a DataLoader.
    """
    if name.startswith("npz:"):
        return _npz(name, Path(name[4:]))
    if name not in OPENERS:
        raise SpecError(f"Unknown data set {name!r}; known: {', '.join(OPENERS.names())}, npz:PATH.")
    request = OpenRequest(name, Path(data_dir) if data_dir else assets.cache_dir() / "data", assets.assets_dir(),
                          transform, workers, pin_memory)
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
        raise MissingFileError(f"ImageNet validation images not found: place them at {own}/<wnid>/*.JPEG "
                               "(or pass --assets DIR holding data/imagenet-samples).")
    return ImageFolderTestSet(request.name, folder, request.transform, request.workers, request.pin_memory)


@OPENERS.register("digits")
def _digits(request: OpenRequest) -> TestSet:
    """scikit-learn's bundled 8×8 digits, test split (no download ever)."""
    from bench.data.digits import digits_split

    x, y = digits_split("test")
    return ArrayTestSet("digits", x, y, "scikit-learn's bundled digits (test split)")
