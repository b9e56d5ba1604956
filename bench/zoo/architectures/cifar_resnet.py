"""CIFAR ResNets in the layout of RobustBench's zoo (``conv1``, ``layer1..4``, ``linear``)."""

from __future__ import annotations

from torch import nn

from bench.zoo.architectures.registry import ARCHITECTURES


@ARCHITECTURES.register("cifar_resnet18")
def cifar_resnet18(num_classes: int = 10) -> nn.Module:
    """ResNet-18 for 32×32 inputs, as defined by RobustBench (and pyautoattack's example)."""
    from bench.compat import import_robustbench

    import_robustbench()
    from robustbench.model_zoo.architectures.resnet import BasicBlock, ResNet

    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes)
