"""Registered architectures: a name in a registry entry maps to a builder here.

A builder takes ``num_classes`` and the entry's ``architecture.params`` and returns an
untrained ``nn.Module`` that expects *normalized* input of the entry's ``input_size``.
Importing this package registers every architecture.
"""

from bench.zoo.architectures import cifar_resnet, imagenet, paper001, small_nets  # noqa: F401  (registers)
from bench.zoo.architectures.registry import ARCHITECTURES, build_architecture

__all__ = ["ARCHITECTURES", "build_architecture"]
