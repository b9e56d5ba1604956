"""Paper 000's inductive attacks as attacks of the common contract: ``perturb(x, y) -> x_adv``.

The battery (:mod:`bench.metrics.inequality`) runs the same operations on many budgets at once
and shares one attribution between Gini, noise and occlusion; these classes run one budget on
their own, computing the attribution themselves, for users who want the adversarial images.
Neither attack is norm-bounded (``norm = None``): the noise attack changes k sub-pixels by any
amount (eq. 5), the occlusion attack paints up to N patches (Algorithm 1).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from bench.attacks import noise as ops
from bench.attacks.base import Attack, register_attack
from bench.attacks.occlusion import (
    Black,
    Candidates,
    CentreSource,
    CentreTransform,
    Colour,
    LoopOrder,
    PatchShape,
    colour_in,
    occlusion_attack,
    patch_centres,
)
from bench.explanations import AttributionParams, attribute, input_space
from bench.explanations.attribution import image_seeds
from bench.explanations.space import InputSpace, SpaceName

CODE_ATTRIBUTION = {
    "method": "integrated_gradients",
    "n_steps": 50,
    "integration": "gausslegendre",
    "baseline": "zero",
}


class _Inductive(Attack):
    """What both inductive attacks share: the attribution that guides them, in one input space."""

    norm = None

    def __init__(
        self,
        model: nn.Module,
        *,
        attribution: dict | AttributionParams | None = None,
        space: SpaceName = "model_input",
        seed: int = 0,
        bounds: tuple[float, float] = (0.0, 1.0),
    ):
        self.model, self.space_name, self.seed, self.bounds = model, space, seed, bounds
        self.attribution = AttributionParams.model_validate(attribution or CODE_ATTRIBUTION)
        self.eps = float("inf")

    def _maps(
        self, x: torch.Tensor, y: torch.Tensor
    ) -> tuple[InputSpace, torch.Tensor, torch.Tensor]:
        """(space, z = x in that space, attribution of y at x), with seeds by position in the batch."""
        attr_space, space = (
            input_space(self.model, self.attribution.space),
            input_space(self.model, self.space_name),
        )
        seeds = image_seeds(self.seed, range(len(x)), 0)
        return (
            space,
            space.to_space(x),
            attribute(attr_space, attr_space.to_space(x), y, self.attribution, seeds),
        )


@register_attack("noise")
class InductiveNoiseAttack(_Inductive):
    """Paper 000, eq. (5): noise on the k most attributed sub-pixels (Noise-I ``add``, Noise-II ``replace``),
    or on k random sub-pixels (``random``, the baseline). Defaults follow the authors' code."""

    contract_cases = {
        "noise-i": {"k": 100, "mode": "add"},
        "noise-ii": {"k": 100, "mode": "replace"},
        "random": {"k": 100, "mode": "random"},
    }

    def __init__(
        self,
        model: nn.Module,
        *,
        k: int,
        mode: Literal["add", "replace", "random"] = "add",
        distribution: ops.Distribution = "uniform_image_range",
        std: float = 1.0,
        clamp: ops.Clamp = "image_range",
        ranking: ops.Ranking = "signed",
        random_mode: Literal["add", "replace"] = "replace",
        **common,
    ):
        super().__init__(model, **common)
        self.k, self.mode, self.distribution, self.std = k, mode, distribution, std
        self.clamp, self.ranking, self.random_mode = clamp, ranking, random_mode

    def perturb(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``x'`` with the noise on the chosen sub-pixels, back in [0,1] pixel space."""
        space, z, maps = self._maps(x, y)
        if self.mode == "random":
            mask = ops.top_k_mask(
                ops.random_keys(z.shape, image_seeds(self.seed, range(len(x)), 2), z.device), self.k
            )
        else:
            mask = ops.top_k_mask(maps if self.ranking == "signed" else maps.abs(), self.k)
        noise = ops.draw_noise(
            z, self.distribution, self.std, image_seeds(self.seed, range(len(x)), 1)
        )
        valid = (space.pixel_value(0.0, z), space.pixel_value(1.0, z))
        how = self.random_mode if self.mode == "random" else self.mode
        return space.to_pixel(
            ops.clamp(ops.corrupt(z, mask, noise, how), z, self.clamp, valid)
        ).detach()

    @property
    def in_bounds(self) -> bool:
        """Whether x' stays in the pixel box: only when the noise is clamped to it or to the clean image's range."""
        return self.clamp != "none"


@register_attack("occlusion")
class InductiveOcclusionAttack(_Inductive):
    """Paper 000, Algorithm 1: up to ``count`` patches of radius up to ``radius`` at the most attributed places,
    in one colour; the first (n, r) that changes the prediction. Defaults follow the authors' code."""

    contract_cases = {
        "black": {"count": 3, "radius": 2},
        "grey-regional": {
            "count": 3,
            "radius": 2,
            "colour": "grey",
            "centres": "regional",
            "region_size": 4,
        },
    }

    def __init__(
        self,
        model: nn.Module,
        *,
        count: int = 10,
        radius: int = 4,
        colour: Colour = "black",
        black: Black = "image_min",
        centres: CentreSource = "pixel",
        centre_transform: CentreTransform = "signed",
        patch: PatchShape = "square",
        loop: LoopOrder = "radius_outer",
        region_size: int = 4,
        batch_size: int = 256,
        **common,
    ):
        super().__init__(model, **common)
        self.count, self.radius, self.colour, self.black = count, radius, colour, black
        self.centres, self.centre_transform, self.patch, self.loop = (
            centres,
            centre_transform,
            patch,
            loop,
        )
        self.region_size, self.batch_size = region_size, batch_size

    def perturb(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The first successful occlusion of each image (the last candidate where none succeeded), in [0,1]."""
        space, z, maps = self._maps(x, y)
        centres = patch_centres(
            maps, self.count, self.centres, self.centre_transform, self.region_size
        )
        outcome = occlusion_attack(
            space.forward,
            z,
            y,
            centres,
            Candidates.of(self.count, self.radius, self.loop),
            colour_in(space, self.colour, self.black, z),
            self.patch,
            pass_size=self.batch_size,
        )
        return space.to_pixel(outcome.occluded).detach()

    in_bounds = True
