"""Every registered architecture as data: the module that builds it and the keywords it takes.

Validating a registry entry (``bench list``, ``bench show``, ``bench validate``) needs only the
architecture's name and the keywords its builder accepts, not the builder, so this table lets the
zoo be read without importing torch. The builders themselves are registered in
:data:`bench.zoo.architectures.ARCHITECTURES`; a test checks that both agree (names, modules and
each builder's signature).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.errors import SpecError
from bench.registry import Registry

MAX_INT_PARAM = (
    4096  # integer parameters (widths, channels, depths) beyond this only exhaust memory
)


@dataclass(frozen=True)
class ArchitectureSpec:
    """A registered architecture: its builder's module and keywords (None: it checks its own)."""

    module: str
    keywords: frozenset[str] | None = frozenset()


ARCHITECTURE_SPECS: Registry[ArchitectureSpec] = Registry("architecture")

_TORCHVISION = (
    "resnet18 resnet50 wide_resnet50_2 wide_resnet50_4 densenet161 mnasnet1_0 mobilenet_v2 "
    "resnext50_32x4d shufflenet_v2_x1_0 vgg16_bn"
).split()
_SMALL = {"in_channels", "width"}
for _name, _spec in {
    **{n: ArchitectureSpec("bench.zoo.architectures.imagenet") for n in _TORCHVISION},
    "cifar_resnet18": ArchitectureSpec("bench.zoo.architectures.cifar_resnet"),
    "cnn_a": ArchitectureSpec("bench.zoo.architectures.small_nets", frozenset(_SMALL)),
    "captum_cifar_net": ArchitectureSpec("bench.zoo.architectures.small_nets"),
    "advertorch_lenet5": ArchitectureSpec("bench.zoo.architectures.small_nets"),
    "digits_gap": ArchitectureSpec("bench.zoo.architectures.paper001", frozenset(_SMALL)),
    "smallgap": ArchitectureSpec("bench.zoo.architectures.paper001", None),
    "pool": ArchitectureSpec("bench.zoo.architectures.paper001", None),
    "wresnet": ArchitectureSpec("bench.zoo.architectures.paper001", None),
}.items():
    ARCHITECTURE_SPECS.register(_name)(_spec)


def check_params(name: str, params: dict[str, Any]) -> None:
    """Refuse parameters the builder of ``name`` does not take, and integers out of [1, MAX_INT_PARAM]."""
    taken = ARCHITECTURE_SPECS.get(name).keywords
    unknown = sorted(set(params) - taken - {"num_classes"}) if taken is not None else []
    if "num_classes" in params:
        unknown = ["num_classes (set by the entry's num_classes)"] + unknown
    if unknown:
        accepted = ", ".join(sorted(taken)) or "none" if taken is not None else "its own keywords"
        raise SpecError(
            f"Architecture {name!r} takes no parameter {', '.join(unknown)}; it takes: {accepted}."
        )
    for key, value in params.items():
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not 1 <= value <= MAX_INT_PARAM
        ):
            raise SpecError(
                f"Architecture parameter {key}={value} is out of range: give 1 to {MAX_INT_PARAM}."
            )
