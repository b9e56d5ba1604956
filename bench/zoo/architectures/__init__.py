"""Registered architectures: a name in a registry entry maps to a builder here.

A builder takes ``num_classes`` and the entry's ``architecture.params`` and returns an
untrained ``nn.Module`` that expects *normalized* input of the entry's ``input_size``.
Importing this package registers every architecture, and checks that each is also a row of the
torch-free table :mod:`bench.zoo.architecture_specs` (name, module, keywords), which the zoo schema
validates entries against.
"""

from bench.registry import check_agree
from bench.zoo.architecture_specs import ARCHITECTURE_SPECS
from bench.zoo.architectures import cifar_resnet, imagenet, paper001, small_nets  # noqa: F401  (registers)
from bench.zoo.architectures.registry import ARCHITECTURES, build_architecture

check_agree(ARCHITECTURES, ARCHITECTURE_SPECS, "bench/zoo/architecture_specs.py")

__all__ = ["ARCHITECTURES", "build_architecture"]
