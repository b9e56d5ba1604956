"""Attribution maps through Captum, batched, with every parameter set by the protocol (paper 000, §4.1, A.8).

Methods: Integrated Gradients (the paper's default), Input×Gradient, SmoothGrad (Captum's
NoiseTunnel over Saliency) and GradientShap. Maps are computed in an :class:`InputSpace`;
``internal_batch_size`` bounds how many path points go through the network at once, so
memory stays bounded on ImageNet-sized inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import numpy as np
import torch
from pydantic import Field

from bench.attribution.space import InputSpace, SpaceName
from bench.registry import Registry
from bench.spec import Strict

Attribute = Callable[[InputSpace, torch.Tensor, torch.Tensor, "AttributionParams", Sequence[int]], torch.Tensor]
ATTRIBUTIONS: Registry[Attribute] = Registry("attribution method")


class AttributionParams(Strict):
    method: Literal["integrated_gradients", "input_x_gradient", "smoothgrad", "gradient_shap"] = "integrated_gradients"
    space: SpaceName = Field(default="model_input", description="attribute the network's normalized input or [0,1] pixels")
    target: Literal["label", "prediction"] = "label"
    n_steps: int = Field(default=50, ge=1, description="Integrated Gradients: path points")
    integration: Literal["gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle"] = "gausslegendre"
    baseline: Literal["zero", "normal"] = Field(default="zero", description="IG baseline in `space`: 0, or N(0, baseline_std²) per image")
    baseline_std: float = Field(default=1.0, gt=0)
    n_samples: int = Field(default=10, ge=1, description="SmoothGrad / GradientShap: noisy samples per image")
    noise_std: float = Field(default=0.0, ge=0, description="SmoothGrad / GradientShap: std of the added noise")
    internal_batch_size: int = Field(default=256, ge=1, description="path points / samples per forward pass")


def seeded_normal(shape: Sequence[int], seeds: Sequence[int], like: torch.Tensor) -> torch.Tensor:
    """One N(0, 1) draw per image from its own seed: the same image gets the same noise in any batch."""
    draws = [torch.randn(tuple(shape), generator=torch.Generator().manual_seed(int(s))) for s in seeds]
    return torch.stack(draws).to(device=like.device, dtype=like.dtype)


@contextmanager
def global_rngs_seeded(seed: int) -> Iterator[None]:
    """Seed torch's and numpy's global generators (Captum's sampling methods draw from them) and restore them after."""
    numpy_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            np.random.set_state(numpy_state)


@ATTRIBUTIONS.register("integrated_gradients")
def integrated_gradients(space, z, target, params, seeds):
    from captum.attr import IntegratedGradients

    baseline = torch.zeros_like(z) if params.baseline == "zero" else \
        params.baseline_std * seeded_normal(z.shape[1:], seeds, z)
    return IntegratedGradients(space.forward).attribute(
        z, baselines=baseline, target=target, n_steps=params.n_steps, method=params.integration,
        internal_batch_size=params.internal_batch_size)


@ATTRIBUTIONS.register("input_x_gradient")
def input_x_gradient(space, z, target, params, seeds):
    from captum.attr import InputXGradient

    return InputXGradient(space.forward).attribute(z, target=target)


@ATTRIBUTIONS.register("smoothgrad")
def smoothgrad(space, z, target, params, seeds):
    from captum.attr import NoiseTunnel, Saliency

    with global_rngs_seeded(int(seeds[0])):  # NoiseTunnel draws from the global generator
        return NoiseTunnel(Saliency(space.forward)).attribute(
            z, nt_type="smoothgrad", nt_samples=params.n_samples, stdevs=params.noise_std, target=target,
            nt_samples_batch_size=max(1, params.internal_batch_size // len(z)), abs=False)


@ATTRIBUTIONS.register("gradient_shap")
def gradient_shap(space, z, target, params, seeds):
    from captum.attr import GradientShap

    with global_rngs_seeded(int(seeds[0])):  # GradientShap samples from torch's and numpy's global generators
        return GradientShap(space.forward).attribute(
            z, baselines=torch.zeros_like(z[:1]), target=target, n_samples=params.n_samples, stdevs=params.noise_std)


def attribute(space: InputSpace, z: torch.Tensor, labels: torch.Tensor, params: AttributionParams,
              seeds: Sequence[int]) -> torch.Tensor:
    """Attribution maps, shaped like ``z``, for the true label or the predicted class.

    ``seeds`` (one per image) make random baselines independent of batching.
    """
    if params.target == "prediction":
        with torch.no_grad():
            labels = space.forward(z).argmax(1)
    with torch.enable_grad():
        maps = ATTRIBUTIONS.get(params.method)(space, z.detach(), labels, params, seeds)
    return maps.detach()
