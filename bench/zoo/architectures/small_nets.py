"""Small CIFAR-10 / MNIST networks whose published weights are in the shared assets."""

from __future__ import annotations

from torch import nn

from bench.zoo.architectures.registry import ARCHITECTURES


@ARCHITECTURES.register("cnn_a")
def cnn_a(num_classes: int = 10, in_channels: int = 3, width: int = 16) -> nn.Module:
    """ "cnn_a / wide" of alpha-beta-CROWN and convex-adversarial (state-dict keys 0, 2, 5, 7)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 4, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(2 * width * 8 * 8, 100),
        nn.ReLU(),
        nn.Linear(100, num_classes),
    )


class CaptumCifarNet(nn.Module):
    """The CIFAR-10 net of Captum's tutorials (conv 6, conv 16, fc 120, 84, classes)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)
        self.relu = nn.ReLU()

    def forward(self, x):
        """Two conv-ReLU-max-pool stages, then fc 120, fc 84 (ReLU) and the logits."""
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = x.flatten(1)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


ARCHITECTURES.register("captum_cifar_net")(CaptumCifarNet)


class LeNet5(nn.Module):
    """advertorch's MNIST LeNet-5 (conv 32, conv 64, fc 200, classes; 3×3 convs, padding 1)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.linear1 = nn.Linear(7 * 7 * 64, 200)
        self.linear2 = nn.Linear(200, num_classes)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        """Two conv-ReLU-max-pool stages, fc 200 with ReLU, then the logits."""
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = self.relu(self.linear1(x.flatten(1)))
        return self.linear2(x)


ARCHITECTURES.register("advertorch_lenet5")(LeNet5)
