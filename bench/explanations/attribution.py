"""Attribution maps through Captum, batched, with every parameter set by the protocol (paper 000, §4.1, A.8).

Methods (each registered in :data:`bench.explanations.registry.EXPLAINERS` with its ``attribute``
form): Integrated Gradients (the paper's default, :mod:`bench.explanations.integrated_gradients`),
Input×Gradient, SmoothGrad (Captum's NoiseTunnel over Saliency) and GradientShap. Maps are computed in an :class:`InputSpace`;
``internal_batch_size`` bounds how many path points go through the network at once, so
memory stays bounded on ImageNet-sized inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from bench.explanations.registry import EXPLAINERS, register_explainer
from bench.explanations.space import InputSpace
from bench.params.attribution import AttributionParams


def image_seeds(seed: int, indices, stream: int) -> list[int]:
    """Per-image seeds, one stream per use (IG baseline, noise, random positions): independent of batching."""
    return [(seed * 1_000_003 + int(i)) * 8 + stream for i in indices]


def seeded_normal(shape: Sequence[int], seeds: Sequence[int], like: torch.Tensor) -> torch.Tensor:
    """One N(0, 1) draw per image from its own seed: the same image gets the same noise in any batch."""
    draws = [
        torch.randn(tuple(shape), generator=torch.Generator().manual_seed(int(s))) for s in seeds
    ]
    return torch.stack(draws).to(device=like.device, dtype=like.dtype)


def input_x_gradient(space, z, target, params, seeds):
    """Input × gradient (Shrikumar et al., 2016) through Captum."""
    from captum.attr import InputXGradient

    return InputXGradient(space.forward).attribute(z, target=target)


def _gradients(space, points: torch.Tensor, target: torch.Tensor, chunk: int) -> torch.Tensor:
    """Signed input gradients of the target logits (Captum's Saliency), ``chunk`` points per pass."""
    from captum.attr import Saliency

    saliency = Saliency(space.forward)
    return torch.cat(
        [
            saliency.attribute(p, target=t, abs=False)
            for p, t in zip(points.split(chunk), target.split(chunk))
        ]
    )


def _samples(z: torch.Tensor, params, seeds) -> torch.Tensor:
    """``n_samples`` Gaussian perturbations per image, ``(B, n, …)``, each image from its own seed."""
    return params.noise_std * seeded_normal((params.n_samples, *z.shape[1:]), seeds, z)


def smoothgrad(space, z, target, params, seeds):
    """SmoothGrad: the mean signed gradient over noisy copies (NoiseTunnel's smoothgrad over Saliency).

    The noise is drawn per image from its seed (not from the global generator, as NoiseTunnel
    does), so a map does not depend on the batch it was computed in.
    """
    noisy = (z[:, None] + _samples(z, params, seeds)).flatten(0, 1)
    grads = _gradients(
        space, noisy, target.repeat_interleave(params.n_samples), params.internal_batch_size
    )
    return grads.view(len(z), params.n_samples, *z.shape[1:]).mean(dim=1)


def gradient_shap(space, z, target, params, seeds):
    """GradientShap with a zero baseline, as Captum computes it, with per-image seeded samples.

    For each sample: a noisy input x̃ = x + ε, a random point b + α(x̃ − b) with α ~ U(0, 1), and
    the gradient there times (x̃ − b); the map is the mean over samples.
    """
    noisy = z[:, None] + _samples(z, params, seeds)  # (B, n, …); baseline b = 0
    alphas = (
        torch.stack(
            [
                torch.rand(params.n_samples, generator=torch.Generator().manual_seed(int(s) + 1))
                for s in seeds
            ]
        )
        .to(z)
        .view(len(z), params.n_samples, *([1] * (z.dim() - 1)))
    )
    grads = _gradients(
        space,
        (alphas * noisy).flatten(0, 1),
        target.repeat_interleave(params.n_samples),
        params.internal_batch_size,
    )
    return (grads.view_as(noisy) * noisy).mean(dim=1)


def attribute(
    space: InputSpace,
    z: torch.Tensor,
    labels: torch.Tensor,
    params: AttributionParams,
    seeds: Sequence[int],
) -> torch.Tensor:
    """Attribution maps, shaped like ``z``, for the true label or the predicted class.

    ``seeds`` (one per image) make random baselines independent of batching.
    """
    if params.target == "prediction":
        with torch.no_grad():
            labels = space.forward(z).argmax(1)
    with torch.enable_grad():
        maps = EXPLAINERS.get(params.method).form("attribute")(
            space, z.detach(), labels, params, seeds
        )
    return maps.detach()


for _name, _attribute in {
    "input_x_gradient": input_x_gradient,
    "smoothgrad": smoothgrad,
    "gradient_shap": gradient_shap,
}.items():
    register_explainer(_name, attribute=_attribute)
