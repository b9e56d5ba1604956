"""Parameters of paper 000's inequality battery, and the names of the values it produces.

Gini (§3.1; the text's |a| or the code's positive part), the inductive noise attack (§3.2.1,
eq. 5) and the inductive occlusion attack (§3.2.2, Algorithm 1); every text/code difference is
a field (``docs/inequality.md``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from bench.errors import SpecError
from bench.params.attribution import AttributionParams, SpaceName
from bench.params.vocabulary import (
    Black,
    CentreSource,
    CentreTransform,
    Clamp,
    Colour,
    Distribution,
    LoopOrder,
    PatchShape,
    Ranking,
    Transform,
)
from bench.spec import FiniteStrict

NOISE_MODES = {"noise_random": None, "noise_i": "add", "noise_ii": "replace"}


class GiniParams(FiniteStrict):
    """How Gini-g / Gini-r are computed (paper 000, §3.1): transform, blocks, images."""

    transform: Transform = Field(
        default="abs", description="abs (the text) or positive (the authors' code)"
    )
    sum_channels: bool = Field(
        default=True, description="regional: sum each block over all channels"
    )
    regional: Literal["blocks", "no_blocks"] = Field(
        default="blocks",
        description="no_blocks: the authors' first code version, whose shape bug formed no "
        "blocks (Gini-r is then the global Gini of the transformed map)",
    )
    images: Literal["correct", "all"] = Field(
        default="correct", description="which selected images Gini averages over"
    )


class NoiseParams(FiniteStrict):
    """The inductive noise attack (paper 000, §3.2.1, eq. 5): budgets k, noise, ranking."""

    k: tuple[Annotated[int, Field(ge=1)], ...] = Field(
        min_length=1, description="sub-pixels corrupted (the paper: 500…20000 on ImageNet)"
    )
    main_k: int | None = Field(
        default=None, description="the leaderboard's budget; None: the middle k"
    )
    distribution: Distribution = "normal"
    std: float = Field(default=1.0, gt=0, description="normal: the standard deviation")
    clamp: Clamp = "none"
    ranking: Ranking = Field(
        default="signed", description="top-k on the signed or the absolute attribution"
    )
    random_mode: Literal["add", "replace"] = Field(
        default="replace", description="the random-pixel baseline adds or replaces"
    )

    @model_validator(mode="after")
    def _main_in_k(self) -> NoiseParams:
        if self.main_k is not None and self.main_k not in self.k:
            raise ValueError(f"main_k {self.main_k} is not one of k {list(self.k)}")
        return self

    @property
    def main(self) -> int:
        """The leaderboard's budget: ``main_k``, else the middle of the sorted k."""
        return self.main_k if self.main_k is not None else sorted(self.k)[len(self.k) // 2]


class OcclusionParams(FiniteStrict):
    """The inductive occlusion attack (paper 000, §3.2.2, Algorithm 1): budgets, colours."""

    budgets: tuple[tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]], ...] = Field(
        default=((10, 4),),
        min_length=1,
        description="(max count N, max radius R); the first is the leaderboard's",
    )
    colors: tuple[Colour, ...] = Field(default=("black", "grey", "white"), min_length=1)
    black: Black = Field(
        default="pixel_zero",
        description="black is pixel 0, or the image's minimum in the corruption space (the code)",
    )
    centres: CentreSource = Field(
        default="regional", description="regional blocks (the text) or single pixels (the code)"
    )
    centre_transform: CentreTransform = "abs"
    patch: PatchShape = Field(
        default="square",
        description="square: rows c−r … c+r−1 (the code); centred_square: c−r … c+r",
    )
    loop: LoopOrder = Field(
        default="count_outer", description="count_outer (Algorithm 1) or radius_outer (the code)"
    )


class InequalityParams(FiniteStrict):
    """The whole battery: attribution, space, region size, Gini, noise and occlusion."""

    attribution: AttributionParams = AttributionParams()
    space: SpaceName = Field(
        default="model_input", description="where noise and occlusion are applied"
    )
    region_size: int = Field(default=4, ge=1, description="n×n blocks: 4 on CIFAR, 16 on ImageNet")
    gini: GiniParams = GiniParams()
    noise: NoiseParams | None = None
    occlusion: OcclusionParams | None = None
    examples: int = Field(
        default=4, ge=0, description="correctly classified images kept for the model page's figures"
    )


def check_fits(params: InequalityParams, input_size) -> None:
    """Refuse, before any work, budgets the images cannot hold (a user error, not a traceback later)."""
    channels, height, width = input_size
    problems = []
    if height % params.region_size or width % params.region_size:
        problems.append(
            f"region_size {params.region_size} does not divide the {height}×{width} image"
        )
    if params.noise and max(params.noise.k) > channels * height * width:
        problems.append(
            f"noise k {max(params.noise.k)} exceeds the {channels * height * width} sub-pixels"
        )
    if params.occlusion:
        places = (
            (height // params.region_size) * (width // params.region_size)
            if params.occlusion.centres == "regional"
            else height * width
        )
        too_many = [n for n, _ in params.occlusion.budgets if n > places]
        if too_many:
            problems.append(
                f"occlusion max count {max(too_many)} exceeds the {places} places to put patches on "
                f"({params.occlusion.centres} centres)"
            )
    if problems:
        raise SpecError(
            "The inequality parameters do not fit this model's input: " + "; ".join(problems) + "."
        )


def noise_value(mode: str, k: int) -> str:
    """The value name of a noise attack's error rate at ``k``: ``noise_i_err@1000``."""
    return f"{mode}_err@{k}"


def occlusion_value(colour: str, budget: tuple[int, int]) -> str:
    """The value name of an occlusion error rate: ``occlusion_black_err@N10R4``."""
    return f"occlusion_{colour}_err@N{budget[0]}R{budget[1]}"
