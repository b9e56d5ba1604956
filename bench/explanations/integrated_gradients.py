"""bench's one Integrated Gradients (Sundararajan et al., 2017), in both explainer forms.

``attribute``: paper 000's attribution map (§4.1), shaped like the input, with the protocol's
steps, integration rule and zero or seeded normal baseline. ``class_maps``: paper 001's IG
interpreter (eq. 2), the same computation in [0,1] pixels with a black baseline and 50 steps,
summed over channels, one map per requested class.
"""

from __future__ import annotations

import torch

from bench.explanations.attribution import seeded_normal
from bench.explanations.registry import register_explainer
from bench.explanations.space import input_space
from bench.params.attribution import AttributionParams


def integrated_gradients(space, z, target, params, seeds):
    """Integrated Gradients (Sundararajan et al., 2017, eq. 1) through Captum, zero or seeded N(0, σ²) baseline."""
    from captum.attr import IntegratedGradients

    baseline = (
        torch.zeros_like(z)
        if params.baseline == "zero"
        else params.baseline_std * seeded_normal(z.shape[1:], seeds, z)
    )
    return IntegratedGradients(space.forward).attribute(
        z,
        baselines=baseline,
        target=target,
        n_steps=params.n_steps,
        method=params.integration,
        internal_batch_size=params.internal_batch_size,
    )


def integrated_gradients_per_class(model, x, classes):
    """IG (eq. 2) with a black baseline, 50 steps, summed over channels: one (H, W) map per class.

    :func:`integrated_gradients` in [0,1] pixel space (the model as a whole), all path points of a
    class in one pass.
    """
    space = input_space(model, "pixel")
    params = AttributionParams(
        space="pixel", n_steps=50, baseline="zero", internal_batch_size=50 * max(1, len(x))
    )
    maps = [
        integrated_gradients(space, x.detach(), classes[:, k], params, ()).sum(dim=1)
        for k in range(classes.shape[1])
    ]
    return torch.stack(maps, dim=1)


register_explainer(
    "integrated_gradients",
    attribute=integrated_gradients,
    class_maps=integrated_gradients_per_class,
)
