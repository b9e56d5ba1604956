"""The data-set registry: what bench knows of each data set, as data (no torch import).

One entry per data set: its number of classes, the threat models with their default ε (the
RobustBench defaults: 8/255 ℓ∞ and 0.5 ℓ2 on CIFAR, 4/255 ℓ∞ on ImageNet; paper 001's 0.3 ℓ∞ on
MNIST), its class names, and how ε is displayed (×1/255 for 8-bit colour images, plainly for the
grey-scale digit sets). The test-set openers live in :mod:`bench.data.testsets`; this table is
what protocols, the zoo and the boards look up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
DIGITS = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class DataSet:
    """One data set: classes, default ε per threat model, class names, ε display scale."""

    name: str
    num_classes: int
    eps: dict[str, float] = field(default_factory=dict)
    class_names: tuple[str, ...] = ()
    eps_scale: int = 255

    def default_eps(self, threat_model: str) -> float | None:
        """The default ε of ``threat_model`` on this data set (None: bench has no default)."""
        return self.eps.get(threat_model)

    def format_eps(self, eps: float) -> str:
        """ε as people write it on this data set: ``8/255`` or ``0.3``."""
        return f"{eps * self.eps_scale:g}/{self.eps_scale}" if self.eps_scale != 1 else f"{eps:g}"


DATASETS: dict[str, DataSet] = {
    d.name: d
    for d in (
        DataSet("cifar10", 10, {"Linf": 8 / 255, "L2": 0.5}, CIFAR10_CLASSES),
        DataSet("cifar100", 100, {"Linf": 8 / 255}),
        DataSet("imagenet", 1000, {"Linf": 4 / 255}),
        DataSet("mnist", 10, {"Linf": 0.3}, DIGITS, eps_scale=1),
        DataSet("digits", 10, {"Linf": 0.2}, DIGITS, eps_scale=1),
    )
}


def dataset_info(name: str) -> DataSet | None:
    """The registry entry of ``name``; None for a data set bench has no entry for (``npz:PATH``)."""
    return DATASETS.get(name)


def default_eps(dataset: str, threat_model: str) -> float | None:
    """The default ε of (data set, threat model), or None."""
    info = DATASETS.get(dataset)
    return info.default_eps(threat_model) if info else None
