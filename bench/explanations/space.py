"""The space attributions and corruptions live in: the network's own input, or [0,1] pixels.

Paper 000's authors attribute and corrupt *normalized* images (their IG baseline is zero in
that space, their noise is drawn over the normalized image's range). ``model_input`` follows
them; ``pixel`` works on the [0,1] image the user sees. For a model without normalization
the two are the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from bench.params.attribution import SpaceName  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class InputSpace:
    """``forward`` takes points of this space; ``to_space``/``to_pixel`` convert [0,1] images."""

    name: SpaceName
    forward: nn.Module
    mean: torch.Tensor | None  # (1, C, 1, 1) or None: the space is pixel space
    std: torch.Tensor | None

    def to_space(self, x: torch.Tensor) -> torch.Tensor:
        """[0,1] images as points of this space ((x − mean) / std, or unchanged in pixel space)."""
        return x if self.mean is None else (x - self.mean) / self.std

    def to_pixel(self, z: torch.Tensor) -> torch.Tensor:
        """Points of this space back as [0,1]-scale images."""
        return z if self.mean is None else z * self.std + self.mean

    def pixel_value(self, value: float, like: torch.Tensor) -> torch.Tensor:
        """A constant [0,1] colour expressed in this space, shaped ``(1, C, 1, 1)``."""
        return self.to_space(
            torch.full((1, like.shape[1], 1, 1), value, dtype=like.dtype, device=like.device)
        )

    @torch.no_grad()
    def predict(self, z: torch.Tensor, batch_size: int) -> torch.Tensor:
        """Predicted labels for points of this space, ``batch_size`` at a time."""
        return torch.cat(
            [self.forward(z[i : i + batch_size]).argmax(1) for i in range(0, len(z), batch_size)]
        )


def input_space(model: nn.Module, name: SpaceName) -> InputSpace:
    """The space ``name`` of a :class:`bench.zoo.model.BenchModel` (``pixel`` for any other module)."""
    normalize = getattr(model, "normalize", None)
    if name == "pixel" or normalize is None or not hasattr(normalize, "mean"):
        return InputSpace(name, model, None, None)
    return InputSpace(name, model.net, normalize.mean, normalize.std)
