"""The named choices of paper 000's maps and corruptions, as types (torch-free).

The Gini transform (§3.1), the noise of eq. 5 and Algorithm 1's occlusion options. The code that
computes them (``bench.explanations.gini``, ``bench.attacks.noise``, ``bench.attacks.occlusion``)
and the protocol schema that sets them (``bench.params.inequality``) both use these.
"""

from __future__ import annotations

from typing import Literal

Transform = Literal["abs", "positive"]  # Gini of |a| (the text) or of its positive part (the code)
Distribution = Literal["normal", "uniform_image_range"]  # the noise of eq. 5
Clamp = Literal["none", "image_range", "valid_pixels"]
Ranking = Literal["signed", "abs"]  # top-k on the signed or the absolute attribution
CentreSource = Literal["regional", "pixel"]  # Algorithm 1's centres
CentreTransform = Literal["signed", "abs", "positive"]
PatchShape = Literal["square", "centred_square"]
LoopOrder = Literal["count_outer", "radius_outer"]
Colour = Literal["black", "grey", "white"]
Black = Literal["pixel_zero", "image_min"]
