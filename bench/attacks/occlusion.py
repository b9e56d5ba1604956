"""The inductive occlusion attack (paper 000, §3.2.2, Algorithm 1), batched and exact.

Up to ``N`` patches of radius up to ``R`` are placed on the most important places of the
attribution map, filled with one colour; the attack stops at the first (n, r) that changes
the prediction. Where the centres come from (the text's regional blocks or the code's single
pixels of the channel-mean map), the patch shape and the loop order are parameters.

:func:`occlusion_attack` evaluates many (image, candidate) pairs per forward pass and keeps,
per image, the first success in loop order, so it returns exactly what
:func:`occlusion_attack_sequential` (Algorithm 1 transcribed) returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from bench.attacks.noise import image_range, select, top_k_indices
from bench.explanations.gini import region_sums, transform_map
from bench.explanations.space import InputSpace
from bench.params.vocabulary import (
    Black,
    CentreSource,
    CentreTransform,
    Colour,
    LoopOrder,
    PatchShape,
)

COLOURS = {"black": 0.0, "grey": 0.5, "white": 1.0}


def colour_in(space: InputSpace, colour: Colour, black: Black, z: torch.Tensor) -> torch.Tensor:
    """The patch colour in ``space``: a [0,1] grey level, or for ``image_min`` black each image's minimum (the code)."""
    if colour == "black" and black == "image_min":
        return image_range(z)[0]
    return space.pixel_value(COLOURS[colour], z)


def importance_map(
    attribution: torch.Tensor, source: CentreSource, transform: CentreTransform, region_size: int
) -> torch.Tensor:
    """The 2-D map whose largest entries become patch centres: ``(B, h, w)``.

    ``regional``: block sums over all channels (the text's A_r); ``pixel``: the channel mean
    (the authors' code).
    """
    a = attribution if transform == "signed" else transform_map(attribution, transform)
    if source == "regional":
        return region_sums(a, region_size, sum_channels=True)[:, 0]
    return a.mean(dim=1)


def patch_centres(
    attribution: torch.Tensor,
    count: int,
    source: CentreSource,
    transform: CentreTransform,
    region_size: int,
) -> torch.Tensor:
    """Pixel coordinates ``(B, count, 2)`` (row, col) of the ``count`` most important places, best first.

    A region's centre is pixel ``(i·s + s//2, j·s + s//2)`` of block (i, j) of size s.
    """
    scores = importance_map(attribution, source, transform, region_size)
    width = scores.shape[-1]
    if count > scores[0].numel():
        raise ValueError(
            f"max_count {count} exceeds the {scores[0].numel()} places of the importance map"
        )
    order = top_k_indices(scores, count)
    rows, cols = order // width, order % width
    if source == "regional":
        rows, cols = rows * region_size + region_size // 2, cols * region_size + region_size // 2
    return torch.stack([rows, cols], dim=-1)


@dataclass(frozen=True)
class Candidates:
    """The (n, r) pairs of Algorithm 1 in loop order."""

    counts: torch.Tensor  # (K,) n ∈ 1..N
    radii: torch.Tensor  # (K,) r ∈ 1..R

    @classmethod
    def of(cls, max_count: int, max_radius: int, loop: LoopOrder) -> Candidates:
        """Every (n, r) with n ≤ ``max_count``, r ≤ ``max_radius``, in ``loop`` order."""
        n, r = torch.meshgrid(
            torch.arange(1, max_count + 1), torch.arange(1, max_radius + 1), indexing="ij"
        )
        if loop == "radius_outer":
            n, r = n.T, r.T
        return cls(n.reshape(-1), r.reshape(-1))

    def __len__(self) -> int:
        return len(self.counts)


def _spans(coord: torch.Tensor, radii: torch.Tensor, size: int, shape: PatchShape) -> torch.Tensor:
    """Whether each of ``size`` positions is inside ``[c − r, c + r − 1]`` (``square``) or ``[c − r, c + r]``.

    coord (B, N), radii (1 or B, K) → (B, N, K, size).
    """
    pos = torch.arange(size, device=coord.device)
    c, r = coord[:, :, None, None], radii[:, None, :, None]
    high = c + r - 1 if shape == "square" else c + r
    return (pos >= c - r) & (pos <= high)


def span_tables(
    centres: torch.Tensor, candidates: Candidates, height: int, width: int, shape: PatchShape
) -> tuple[torch.Tensor, torch.Tensor]:
    """Which rows ``(B, K, H, N)`` and columns ``(B, K, N, W)`` each candidate's used patches span (bool).

    ``candidates`` holds K pairs shared by all images, or (B, K) pairs, one row per image; the
    rows of centres beyond a candidate's n are all False. :func:`union_masks` makes the masks.
    """
    counts, radii = (
        t.to(centres.device).view(-1, t.shape[-1]) for t in (candidates.counts, candidates.radii)
    )
    rows = _spans(centres[..., 0], radii, height, shape)  # (B, N, K, H)
    cols = _spans(centres[..., 1], radii, width, shape)  # (B, N, K, W)
    used = torch.arange(centres.shape[1], device=centres.device)[None, :, None] < counts[:, None, :]
    rows = rows & used[..., None]
    return rows.permute(0, 2, 3, 1).contiguous(), cols.permute(0, 2, 1, 3).contiguous()


def union_masks(rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Masks ``(B, K, H, W)`` from :func:`span_tables`: the pixels some used patch covers.

    The cover counts are one batched matrix product of 0/1 values (exact small integers).
    """
    return torch.matmul(rows.float(), cols.float()) > 0


def candidate_masks(
    centres: torch.Tensor, candidates: Candidates, height: int, width: int, shape: PatchShape
) -> torch.Tensor:
    """Boolean masks ``(B, K, H, W)``: the union of the first n centres' patches of radius r.

    ``candidates`` holds K pairs shared by all images, or (B, K) pairs, one row per image.
    Patches are clipped at the border (positions outside the image simply do not exist).
    """
    return union_masks(*span_tables(centres, candidates, height, width, shape))


def occlude(z: torch.Tensor, mask: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
    """``x' = (1 − M)·x + M·c`` with a (B, H, W) mask shared by all channels; colour broadcasts to z."""
    return select(mask[:, None], colour.expand_as(z), z)


@dataclass
class OcclusionOutcome:
    """Per image: success, first successful candidate, its n, r and area, and the returned image."""

    success: torch.Tensor  # (B,) bool
    first: torch.Tensor  # (B,) index into the candidates of the first success, −1 if none
    count: torch.Tensor  # (B,) n of the returned image (N when failed)
    radius: torch.Tensor  # (B,) r of the returned image (R when failed)
    area: torch.Tensor  # (B,) share of the H×W pixels occluded in the returned image
    occluded: (
        torch.Tensor
    )  # (B, C, H, W) the returned x' (the last candidate when the attack failed)


def _outcome(z, centres, candidates, colour, shape, first) -> OcclusionOutcome:
    """The image each search returns: its first success, or the last candidate when none succeeded."""
    chosen = torch.where(first >= 0, first, torch.full_like(first, len(candidates) - 1)).cpu()
    picked = Candidates(candidates.counts[chosen], candidates.radii[chosen])
    per_image = Candidates(picked.counts[:, None], picked.radii[:, None])
    masks = candidate_masks(centres, per_image, z.shape[-2], z.shape[-1], shape)[:, 0]
    return OcclusionOutcome(
        first >= 0,
        first,
        picked.counts,
        picked.radii,
        masks.float().mean(dim=(1, 2)).cpu(),
        occlude(z, masks, colour),
    )


@torch.no_grad()
def occlusion_attack(
    forward,
    z: torch.Tensor,
    y: torch.Tensor,
    centres: torch.Tensor,
    candidates: Candidates,
    colour: torch.Tensor,
    shape: PatchShape = "square",
    pass_size: int = 256,
) -> OcclusionOutcome:
    """Algorithm 1 on a batch, ``pass_size`` occluded images per forward pass.

    Candidates are taken in loop order, in chunks over the images not yet fooled; an image's
    result is its first candidate that changes the prediction, as in the sequential loop.
    ``colour`` broadcasts to ``z`` (per image, e.g. the image minimum, or per channel).
    """
    per_image = colour.shape[0] != 1  # else one colour broadcast to all, never copied per image
    rows, cols = span_tables(centres, candidates, z.shape[-2], z.shape[-1], shape)  # once, small
    first = torch.full((len(z),), -1, dtype=torch.long, device=z.device)
    start = 0
    while start < len(candidates):
        alive = (first < 0).nonzero().squeeze(1)
        if len(alive) == 0:
            break
        chunk = min(len(candidates) - start, max(1, pass_size // len(alive)))
        part = slice(start, start + chunk)
        masks = union_masks(rows[alive, part], cols[alive, part])  # (A, c, H, W)
        fill = colour[alive] if per_image else colour
        images = select(masks[:, :, None], fill[:, None], z[alive][:, None])
        logits = torch.cat([forward(b) for b in images.flatten(0, 1).split(pass_size)])
        wrong = logits.argmax(1).view(len(alive), chunk) != y[alive][:, None]
        hit = wrong.any(dim=1)
        first[alive[hit]] = start + wrong.int().argmax(dim=1)[hit]
        start += chunk
    return _outcome(z, centres, candidates, colour, shape, first)


@torch.no_grad()
def occlusion_attack_sequential(
    forward, z, y, centres, candidates, colour, shape="square"
) -> OcclusionOutcome:
    """Algorithm 1 transcribed: one image, one (n, r) at a time, stop at the first success. The reference."""
    colour = colour.expand(len(z), *z.shape[1:]) if colour.shape[0] == 1 else colour
    first = torch.full((len(z),), -1, dtype=torch.long)
    for i in range(len(z)):
        for j in range(len(candidates)):
            one = Candidates(candidates.counts[j : j + 1], candidates.radii[j : j + 1])
            mask = candidate_masks(centres[i : i + 1], one, z.shape[-2], z.shape[-1], shape)[:, 0]
            if (
                forward(occlude(z[i : i + 1], mask, colour[i : i + 1])).argmax(1).item()
                != y[i].item()
            ):
                first[i] = j
                break
    return _outcome(z, centres, candidates, colour, shape, first.to(z.device))
