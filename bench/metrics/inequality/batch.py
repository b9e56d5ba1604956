"""One batch of the inequality battery: attribute once, Gini on the maps, then noise and occlusion.

The maths of paper 000 on tensors, no files: §4.1 (one attribution per image), §3.1 (Gini),
§3.2.1 (noise, eq. 5) and §3.2.2 (Algorithm 1). Error rates are among the images the model
classifies correctly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from bench.attacks import noise as noise_ops
from bench.attacks.occlusion import Candidates, colour_in, occlusion_attack, patch_centres
from bench.explanations import attribute, gini_global, gini_regional, input_space
from bench.explanations.attribution import image_seeds
from bench.params.inequality import (
    NOISE_MODES,
    InequalityParams,
    NoiseParams,
    OcclusionParams,
    noise_value,
    occlusion_value,
)


@dataclass
class BatchRecord:
    """Per-image results of one batch; NaN / −1 where an image was not measured or attacked."""

    indices: np.ndarray  # positions in the test set: a record is reused only for the same images
    correct: np.ndarray
    gini_global: np.ndarray
    gini_regional: np.ndarray
    noise: dict[str, np.ndarray]  # value name → changed prediction (bool) for correct images
    occlusion: dict[str, dict[str, np.ndarray]]  # value name → success, count, radius, area
    images: dict[str, torch.Tensor]  # corrupted [0,1]-space images of the main budgets, when kept


def noise_batch(
    space, z, y, attribution, params: NoiseParams, seeds_noise, seeds_random, batch_size, keep
):
    """Noise-I / Noise-II / random-pixel error per k: a (B,) bool per value."""
    scores = attribution if params.ranking == "signed" else attribution.abs()
    noise = noise_ops.draw_noise(z, params.distribution, params.std, seeds_noise)
    valid = (space.pixel_value(0.0, z), space.pixel_value(1.0, z))
    keys = noise_ops.random_keys(z.shape, seeds_random, z.device)
    random_masks = noise_ops.top_k_masks(keys, params.k)  # one ranking each for every k
    top_masks = noise_ops.top_k_masks(scores, params.k)
    out, images = {}, {}
    for k in params.k:
        masks = {"noise_random": random_masks[k], "noise_i": top_masks[k], "noise_ii": top_masks[k]}
        for mode, how in NOISE_MODES.items():
            zc = noise_ops.clamp(
                noise_ops.corrupt(z, masks[mode], noise, how or params.random_mode),
                z,
                params.clamp,
                valid,
            )
            out[noise_value(mode, k)] = (space.predict(zc, batch_size) != y).cpu().numpy()
            if keep and k == params.main:
                images[noise_value(mode, k)] = space.to_pixel(zc).cpu()
    return out, images


def occlusion_batch(
    space, z, y, attribution, params: OcclusionParams, region_size, batch_size, keep
):
    """Occlusion success, count, radius and area per budget and colour: paper 000, Algorithm 1."""
    out, images = {}, {}
    for budget in params.budgets:
        centres = patch_centres(
            attribution, budget[0], params.centres, params.centre_transform, region_size
        )
        candidates = Candidates.of(*budget, params.loop)
        for colour in params.colors:
            o = occlusion_attack(
                space.forward,
                z,
                y,
                centres,
                candidates,
                colour_in(space, colour, params.black, z),
                params.patch,
                pass_size=batch_size,
            )
            name = occlusion_value(colour, budget)
            out[name] = {
                "success": o.success.cpu().numpy(),
                "count": o.count.numpy(),
                "radius": o.radius.numpy(),
                "area": o.area.numpy(),
            }
            if keep and budget == params.budgets[0]:
                images[name] = space.to_pixel(o.occluded).cpu()
    return out, images


def attributed_maps(model, x, y, indices, where, params: InequalityParams, seed: int):
    """The attribution maps of the images at ``where`` (paper 000, §4.1: one per image, seeded)."""
    space = input_space(model, params.attribution.space)
    if not len(where):
        return x[:0]
    return attribute(
        space,
        space.to_space(x[where]),
        y[where],
        params.attribution,
        image_seeds(seed, indices[where.cpu().numpy()], 0),
    )


def gini_per_image(maps, where, n: int, params: InequalityParams):
    """Gini-g and Gini-r (paper 000, §3.1) of each of ``n`` images; NaN where not measured."""
    g_global, g_regional = np.full(n, np.nan), np.full(n, np.nan)
    g_global[where.cpu().numpy()] = gini_global(maps, params.gini.transform).cpu().numpy()
    regional = (
        gini_global(maps, params.gini.transform)
        if params.gini.regional == "no_blocks"
        else gini_regional(
            maps, params.gini.transform, params.region_size, params.gini.sum_channels
        )
    )
    g_regional[where.cpu().numpy()] = regional.cpu().numpy()
    return g_global, g_regional


def corruption_batch(model, x, y, maps, ids, params: InequalityParams, seed, batch_size, keep):
    """Noise (§3.2.1) and occlusion (§3.2.2) of the correctly classified [0,1] images ``x``
    (test-set positions ``ids``) guided by their maps: per-value records, kept corrupted images."""
    space = input_space(model, params.space)
    z = space.to_space(x)
    noise, occlusion, images = {}, {}, {}
    if params.noise and len(z):
        seeds_noise, seeds_random = image_seeds(seed, ids, 1), image_seeds(seed, ids, 2)
        noise, images = noise_batch(
            space, z, y, maps, params.noise, seeds_noise, seeds_random, batch_size, keep
        )
    if params.occlusion and len(z):
        occlusion, occluded = occlusion_batch(
            space, z, y, maps, params.occlusion, params.region_size, batch_size, keep
        )
        images.update(occluded)
    return noise, occlusion, images


def inequality_batch(
    model,
    x,
    y,
    indices,
    params: InequalityParams,
    seed: int,
    batch_size: int,
    keep_images: bool = False,
    predicted: torch.Tensor | None = None,
) -> BatchRecord:
    """Everything the battery measures on one batch of [0,1] images (see the module docstring).

    ``predicted``: the clean predictions when the run already has them (no forward pass then).
    """
    if predicted is None:
        with torch.no_grad():
            predicted = model(x).argmax(1)
    correct = predicted == y
    measured = correct if params.gini.images == "correct" else torch.ones_like(correct)
    where = measured.nonzero().squeeze(1)
    maps = attributed_maps(model, x, y, indices, where, params, seed)
    g_global, g_regional = gini_per_image(maps, where, len(x), params)
    attacked = correct[where]
    maps, ids = maps[attacked], indices[where[attacked].cpu().numpy()]
    noise, occlusion, images = corruption_batch(
        model, x[correct], y[correct], maps, ids, params, seed, batch_size, keep_images
    )
    if keep_images:
        images["clean"], images["attribution"] = x[correct].cpu(), maps.cpu()
    return BatchRecord(
        np.asarray(indices), correct.cpu().numpy(), g_global, g_regional, noise, occlusion, images
    )
