"""Test sets of image files (the ImageNet folder layout), decoded by a DataLoader with worker processes.

Labels are RobustBench's wnid → index map; images go through a RobustBench preprocessing
(``Res256Crop224``, ``Crop288``, ``Res224``, ``BicubicRes256Crop224``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from bench.errors import MissingFileError, SpecError

IMAGE_SUFFIXES = {".jpeg", ".jpg", ".png"}


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
            raise MissingFileError(
                f"No images under {self.root} (expected {self.root}/<wnid>/<image>.JPEG)."
            )
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
        parts = [
            xy for _, *xy in self.batches(indices, min(chunk, 64))
        ]  # chunks spread over the workers
        if not parts:
            return torch.zeros(0), torch.zeros(0, dtype=torch.int64)
        return torch.cat([x for x, _ in parts]), torch.cat([y for _, y in parts])

    def batches(self, indices: np.ndarray, batch_size: int):
        """``(idx, images, labels)`` for consecutive ``batch_size`` chunks of ``indices``, decoded ahead."""
        from torch.utils.data import DataLoader

        chunks = [
            np.asarray(indices[i : i + batch_size]) for i in range(0, len(indices), batch_size)
        ]
        decoded = _DecodedFiles(
            self.files, self.labels, robustbench_preprocessing(self.transform_name)
        )
        loader = DataLoader(
            decoded,
            batch_sampler=[c.tolist() for c in chunks],
            num_workers=self.workers,
            pin_memory=self.pin_memory,
            persistent_workers=False,
            prefetch_factor=2 if self.workers else None,
        )
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
    path = (
        Path(next(iter(spec.submodule_search_locations)))
        / "helper_files"
        / "imagenet_class_to_id_map.json"
    )
    return json.loads(path.read_text())


def robustbench_preprocessing(name: str | None):
    """A RobustBench preprocessing by name (e.g. ``Res256Crop224``)."""
    from bench.compat import import_robustbench

    import_robustbench()
    from robustbench.data import PREPROCESSINGS

    if name not in PREPROCESSINGS:
        raise SpecError(
            f"Unknown preprocessing {name!r}; RobustBench knows {sorted(map(str, PREPROCESSINGS))}."
        )
    return PREPROCESSINGS[name]
