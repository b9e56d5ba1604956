"""torchvision ImageNet architectures, in the names Microsoft's robust-models-transfer uses."""

from __future__ import annotations

from torch import nn

from bench.zoo.architectures.registry import ARCHITECTURES

# The robustness library's own ResNets, and the torchvision networks robust-models-transfer trained
# through it (its src/main.py: densenet -> densenet161, mnasnet -> mnasnet1_0, mobilenet ->
# mobilenet_v2, shufflenet -> shufflenet_v2_x1_0).
TORCHVISION_NAMES = (
    "resnet18",
    "resnet50",
    "wide_resnet50_2",
    "densenet161",
    "mnasnet1_0",
    "mobilenet_v2",
    "resnext50_32x4d",
    "shufflenet_v2_x1_0",
    "vgg16_bn",
)


def _torchvision(name: str):
    def build(num_classes: int = 1000) -> nn.Module:
        import torchvision

        return getattr(torchvision.models, name)(weights=None, num_classes=num_classes)

    build.__doc__ = f"torchvision.models.{name}, randomly initialised."
    return build


for _name in TORCHVISION_NAMES:
    ARCHITECTURES.register(_name)(_torchvision(_name))


@ARCHITECTURES.register("wide_resnet50_4")
def wide_resnet50_4(num_classes: int = 1000) -> nn.Module:
    """WRN-50-4: torchvision's ResNet with Bottleneck blocks and 4× wider bottlenecks."""
    from torchvision.models.resnet import Bottleneck, ResNet

    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes=num_classes, width_per_group=64 * 4)
