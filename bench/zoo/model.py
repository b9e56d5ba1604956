"""The loaded model every measure sees: [0,1] images in, logits out, normalization inside."""

from __future__ import annotations

import torch
from torch import nn

from bench.zoo.schema import ModelEntry, Normalization


class Normalize(nn.Module):
    """``(x - mean) / std`` per channel, as a layer, so the model takes [0,1] images."""

    def __init__(self, normalization: Normalization):
        super().__init__()
        self.register_buffer("mean", torch.tensor(normalization.mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(normalization.std).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(x - mean) / std``, broadcast over channels."""
        return (x - self.mean) / self.std


class BenchModel(nn.Module):
    """A classifier on [0,1] inputs: ``normalize`` (or identity) then ``net``.

    ``cam(x)`` is available when the network has a class-activation-map head (paper 001's
    ports); attacks and attributions use ``forward`` only.
    """

    def __init__(self, net: nn.Module, normalization: Normalization | None):
        super().__init__()
        self.normalize = Normalize(normalization) if normalization else nn.Identity()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of ``net`` on the normalized [0,1] input."""
        return self.net(self.normalize(x))

    @property
    def has_cam(self) -> bool:
        """Whether the wrapped network has a ``cam`` method (paper 001's CAM ports)."""
        return callable(getattr(self.net, "cam", None))

    def cam(self, x: torch.Tensor) -> torch.Tensor:
        """The network's class activation maps of the normalized input (AttributeError if none)."""
        if not self.has_cam:
            raise AttributeError(f"{type(self.net).__name__} has no CAM head")
        return self.net.cam(self.normalize(x))


def load_model(entry: ModelEntry, device: str | torch.device = "cpu") -> BenchModel:
    """Build the entry's network with its registered loader, wrap it, and put it in eval mode."""
    from bench.zoo.loaders import LOADERS

    net = LOADERS.get(entry.source.loader)(entry)
    model = BenchModel(net, entry.preprocessing.normalization)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval().to(device)
