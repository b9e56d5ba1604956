"""The inequality battery of paper 000: attribution Gini (global, regional), inductive noise and occlusion.

One pass per batch: attribute once (§4.1), measure Gini on the maps (§3.1), then corrupt the
most attributed sub-pixels with noise (§3.2.1) and occlude the most attributed places
(§3.2.2, Algorithm 1). Error rates are the paper's: among images the model classifies
correctly, the share whose prediction the corruption changes. Every batch's record is saved
before the next starts, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import torch
from pydantic import Field, model_validator

from bench.attacks import noise as noise_ops
from bench.attacks.occlusion import (Candidates, CentreSource, CentreTransform, Colour, LoopOrder, PatchShape,
                                     colour_in, occlusion_attack, patch_centres)
from bench.attribution import AttributionParams, attribute, gini_global, gini_regional, input_space
from bench.attribution.methods import image_seeds
from bench.attribution.gini import Transform
from bench.attribution.space import SpaceName
from bench.errors import SpecError
from bench.metrics.base import METRICS, MetricOutput, RunContext, discard_state
from bench.spec import Strict

NOISE_MODES = {"noise_random": None, "noise_i": "add", "noise_ii": "replace"}


class GiniParams(Strict):
    transform: Transform = Field(default="abs", description="abs (the text) or positive (the authors' code)")
    sum_channels: bool = Field(default=True, description="regional: sum each block over all channels")
    regional: Literal["blocks", "no_blocks"] = Field(
        default="blocks", description="no_blocks: the authors' first code version, whose shape bug formed no "
                                      "blocks (Gini-r is then the global Gini of the transformed map)")
    images: Literal["correct", "all"] = Field(default="correct", description="which selected images Gini averages over")


class NoiseParams(Strict):
    k: tuple[Annotated[int, Field(ge=1)], ...] = Field(min_length=1, description="sub-pixels corrupted (the paper: 500…20000 on ImageNet)")
    main_k: int | None = Field(default=None, description="the leaderboard's budget; None: the middle k")
    distribution: noise_ops.Distribution = "normal"
    std: float = Field(default=1.0, gt=0, description="normal: the standard deviation")
    clamp: noise_ops.Clamp = "none"
    ranking: noise_ops.Ranking = Field(default="signed", description="top-k on the signed or the absolute attribution")
    random_mode: Literal["add", "replace"] = Field(default="replace", description="the random-pixel baseline adds or replaces")

    @model_validator(mode="after")
    def _main_in_k(self) -> NoiseParams:
        if self.main_k is not None and self.main_k not in self.k:
            raise ValueError(f"main_k {self.main_k} is not one of k {list(self.k)}")
        return self

    @property
    def main(self) -> int:
        return self.main_k if self.main_k is not None else sorted(self.k)[len(self.k) // 2]


class OcclusionParams(Strict):
    budgets: tuple[tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]], ...] = Field(default=((10, 4),), min_length=1,
                                                 description="(max count N, max radius R); the first is the leaderboard's")
    colors: tuple[Colour, ...] = Field(default=("black", "grey", "white"), min_length=1)
    black: Literal["pixel_zero", "image_min"] = Field(default="pixel_zero",
                                                      description="black is pixel 0, or the image's minimum in the corruption space (the code)")
    centres: CentreSource = Field(default="regional", description="regional blocks (the text) or single pixels (the code)")
    centre_transform: CentreTransform = "abs"
    patch: PatchShape = Field(default="square", description="square: rows c−r … c+r−1 (the code); centred_square: c−r … c+r")
    loop: LoopOrder = Field(default="count_outer", description="count_outer (Algorithm 1) or radius_outer (the code)")


class InequalityParams(Strict):
    attribution: AttributionParams = AttributionParams()
    space: SpaceName = Field(default="model_input", description="where noise and occlusion are applied")
    region_size: int = Field(default=4, ge=1, description="n×n blocks: 4 on CIFAR, 16 on ImageNet")
    gini: GiniParams = GiniParams()
    noise: NoiseParams | None = None
    occlusion: OcclusionParams | None = None
    examples: int = Field(default=4, ge=0, description="correctly classified images kept for the model page's figures")


def check_fits(params: InequalityParams, input_size) -> None:
    """Refuse, before any work, budgets the images cannot hold (a user error, not a traceback later)."""
    channels, height, width = input_size
    problems = []
    if height % params.region_size or width % params.region_size:
        problems.append(f"region_size {params.region_size} does not divide the {height}×{width} image")
    if params.noise and max(params.noise.k) > channels * height * width:
        problems.append(f"noise k {max(params.noise.k)} exceeds the {channels * height * width} sub-pixels")
    if params.occlusion:
        places = (height // params.region_size) * (width // params.region_size) \
            if params.occlusion.centres == "regional" else height * width
        too_many = [n for n, _ in params.occlusion.budgets if n > places]
        if too_many:
            problems.append(f"occlusion max count {max(too_many)} exceeds the {places} places to put patches on "
                            f"({params.occlusion.centres} centres)")
    if problems:
        raise SpecError("The inequality parameters do not fit this model's input: " + "; ".join(problems) + ".")


def noise_value(mode: str, k: int) -> str:
    return f"{mode}_err@{k}"


def occlusion_value(colour: str, budget: tuple[int, int]) -> str:
    return f"occlusion_{colour}_err@N{budget[0]}R{budget[1]}"


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


def noise_batch(space, z, y, attribution, params: NoiseParams, seeds_noise, seeds_random, batch_size, keep):
    """Noise-I / Noise-II / random-pixel error per k: a (B,) bool per value."""
    scores = attribution if params.ranking == "signed" else attribution.abs()
    noise = noise_ops.draw_noise(z, params.distribution, params.std, seeds_noise)
    valid = (space.pixel_value(0.0, z), space.pixel_value(1.0, z))
    keys = noise_ops.random_keys(z.shape, seeds_random, z.device)
    out, images = {}, {}
    for k in params.k:
        masks = {"noise_random": noise_ops.top_k_mask(keys, k), "noise_i": noise_ops.top_k_mask(scores, k)}
        masks["noise_ii"] = masks["noise_i"]
        for mode, how in NOISE_MODES.items():
            zc = noise_ops.clamp(noise_ops.corrupt(z, masks[mode], noise, how or params.random_mode), z, params.clamp, valid)
            out[noise_value(mode, k)] = (space.predict(zc, batch_size) != y).cpu().numpy()
            if keep and k == params.main:
                images[noise_value(mode, k)] = space.to_pixel(zc).cpu()
    return out, images


def occlusion_batch(space, z, y, attribution, params: OcclusionParams, region_size, batch_size, keep):
    out, images = {}, {}
    for budget in params.budgets:
        centres = patch_centres(attribution, budget[0], params.centres, params.centre_transform, region_size)
        candidates = Candidates.of(*budget, params.loop)
        for colour in params.colors:
            o = occlusion_attack(space.forward, z, y, centres, candidates, colour_in(space, colour, params.black, z),
                                 params.patch, pass_size=batch_size)
            name = occlusion_value(colour, budget)
            out[name] = {"success": o.success.cpu().numpy(), "count": o.count.numpy(), "radius": o.radius.numpy(),
                         "area": o.area.numpy()}
            if keep and budget == params.budgets[0]:
                images[name] = space.to_pixel(o.occluded).cpu()
    return out, images


def inequality_batch(model, x, y, indices, params: InequalityParams, seed: int, batch_size: int,
                     keep_images: bool = False, predicted: torch.Tensor | None = None) -> BatchRecord:
    """Everything the battery measures on one batch of [0,1] images (see the module docstring).

    ``predicted``: the clean predictions when the run already has them (no forward pass then).
    """
    if predicted is None:
        with torch.no_grad():
            predicted = model(x).argmax(1)
    correct = predicted == y
    measured = correct if params.gini.images == "correct" else torch.ones_like(correct)
    where = measured.nonzero().squeeze(1)
    attr_space, space = input_space(model, params.attribution.space), input_space(model, params.space)
    maps = attribute(attr_space, attr_space.to_space(x[where]), y[where], params.attribution,
                     image_seeds(seed, indices[where.cpu().numpy()], 0)) if len(where) else x[:0]
    g_global = np.full(len(x), np.nan)
    g_regional = np.full(len(x), np.nan)
    g_global[where.cpu().numpy()] = gini_global(maps, params.gini.transform).cpu().numpy()
    g_regional[where.cpu().numpy()] = (
        gini_global(maps, params.gini.transform) if params.gini.regional == "no_blocks"
        else gini_regional(maps, params.gini.transform, params.region_size, params.gini.sum_channels)).cpu().numpy()
    attacked = correct[where]
    maps, ids = maps[attacked], indices[where[attacked].cpu().numpy()]
    z, yc = space.to_space(x[correct]), y[correct]
    noise, occlusion, images = {}, {}, {}
    if params.noise and len(z):
        noise, images = noise_batch(space, z, yc, maps, params.noise, image_seeds(seed, ids, 1),
                                    image_seeds(seed, ids, 2), batch_size, keep_images)
    if params.occlusion and len(z):
        occlusion, occluded = occlusion_batch(space, z, yc, maps, params.occlusion, params.region_size,
                                              batch_size, keep_images)
        images.update(occluded)
    if keep_images:
        images["clean"], images["attribution"] = x[correct].cpu(), maps.cpu()
    return BatchRecord(np.asarray(indices), correct.cpu().numpy(), g_global, g_regional, noise, occlusion, images)


def _save_record(path, record: BatchRecord, examples: int) -> None:
    arrays = {"indices": record.indices, "correct": record.correct, "gini_global": record.gini_global, "gini_regional": record.gini_regional}
    arrays.update({f"noise/{k}": v for k, v in record.noise.items()})
    arrays.update({f"occlusion/{k}/{f}": v for k, d in record.occlusion.items() for f, v in d.items()})
    arrays.update({f"images/{k}": v[:examples].numpy() for k, v in record.images.items()})
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp.npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load_record(path) -> BatchRecord:
    with np.load(path, allow_pickle=False) as f:
        data = {k: f[k] for k in f.files}
    occlusion: dict[str, dict[str, np.ndarray]] = {}
    for key, value in data.items():
        if key.startswith("occlusion/"):
            _, name, field = key.split("/")
            occlusion.setdefault(name, {})[field] = value
    return BatchRecord(data["indices"], data["correct"], data["gini_global"], data["gini_regional"],
                       {k[6:]: v for k, v in data.items() if k.startswith("noise/")}, occlusion,
                       {k[7:]: torch.from_numpy(v) for k, v in data.items() if k.startswith("images/")})


def _resumed_record(path: Path, idx: np.ndarray, params: InequalityParams) -> BatchRecord | None:
    """A batch record an interrupted run saved for these images, or None (none, another batch size, unusable)."""
    if not path.is_file():
        return None
    try:
        record = _load_record(path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        discard_state(path, f"unreadable batch record ({type(exc).__name__})")
        return None
    if not np.array_equal(record.indices, idx):  # another --batch-size: recompute
        return None
    problem = _record_problem(record, params)
    if problem:
        discard_state(path, problem)
        return None
    return record


def _record_problem(record: BatchRecord, params: InequalityParams) -> str | None:
    """Why a loaded record cannot be this batch's (wrong lengths or missing values), or None."""
    n, n_correct = len(record.indices), int(np.asarray(record.correct, dtype=bool).sum())
    if any(len(a) != n for a in (record.correct, record.gini_global, record.gini_regional)):
        return "per-image arrays of the wrong length"
    wanted_noise = {noise_value(m, k) for k in params.noise.k for m in NOISE_MODES} if params.noise else set()
    wanted_occ = {occlusion_value(c, b) for b in params.occlusion.budgets for c in params.occlusion.colors} \
        if params.occlusion else set()
    if n_correct and (set(record.noise) != wanted_noise or set(record.occlusion) != wanted_occ):
        return "values of another protocol"
    if any(set(d) != {"success", "count", "radius", "area"} for d in record.occlusion.values()):
        return "occlusion records with missing fields"
    lengths = [len(v) for v in record.noise.values()] + [len(f) for d in record.occlusion.values() for f in d.values()]
    if any(length != n_correct for length in lengths):
        return "attack records of the wrong length"
    return None


def _summary(values: np.ndarray, measured: np.ndarray) -> dict[str, float | int]:
    """Mean and spread over measured images; a measured image without a value had an all-zero map."""
    finite = values[np.isfinite(values)]
    return {"mean": float(finite.mean()) if len(finite) else float("nan"),
            "std": float(finite.std()) if len(finite) else float("nan"), "n": int(len(finite)),
            "n_zero_maps": int((measured & ~np.isfinite(values)).sum())}


def _listed(values: np.ndarray) -> list[float | None]:
    """Per-image values for JSON: rounded, None where the image was not measured."""
    return [round(float(v), 5) if np.isfinite(v) else None for v in values]


def per_class(values: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Mean Gini per class (paper 000, A.7), over the images where it was measured."""
    ok = np.isfinite(values)
    return {str(c): round(float(values[ok & (labels == c)].mean()), 4) for c in np.unique(labels[ok])}


class Inequality:
    """Gini-g, Gini-r, Noise-I/II and Occ-B/G/W of one model (paper 000)."""

    name = "inequality"
    label = "Inequality"
    params_schema = InequalityParams

    def records(self, values: dict, detail: dict, params: InequalityParams) -> list:
        """Gini-g/-r (bootstrap over images) and the noise and occlusion error rates (exact intervals).

        Lower is better throughout: a more equal attribution, and fewer predictions changed by the
        inductive corruptions (paper 000, §3).
        """
        from bench.results.values import mean

        per_image = detail.get("per_image", {})
        gini = {"transform": params.gini.transform, "images": params.gini.images,
                "attribution": params.attribution.method}
        out = [mean("gini_global", self.name, "gini_global", per_image.get("gini_global", []),
                    higher_is_better=False, value=values.get("gini_global"), **gini),
               mean("gini_regional", self.name, "gini_regional", per_image.get("gini_regional", []),
                    higher_is_better=False, value=values.get("gini_regional"), region_size=params.region_size,
                    regional=params.gini.regional, **gini)]
        return out + self._noise_records(values, detail, params) + self._occlusion_records(values, detail, params)

    def _noise_records(self, values: dict, detail: dict, params: InequalityParams) -> list:
        from bench.results.values import share

        if not params.noise:
            return []
        names = [(noise_value(mode, k), mode, k) for k in params.noise.k for mode in NOISE_MODES]
        return [share(name, self.name, "error_rate", higher_is_better=False, value=values[name],
                      n=detail["n_correct"], attack=mode, k=k, distribution=params.noise.distribution,
                      main=k == params.noise.main)
                for name, mode, k in names if name in values]

    def _occlusion_records(self, values: dict, detail: dict, params: InequalityParams) -> list:
        from bench.results.values import share

        if not params.occlusion:
            return []
        occ = detail.get("occlusion", {})
        names = [(occlusion_value(c, b), c, b) for b in params.occlusion.budgets for c in params.occlusion.colors]
        return [share(name, self.name, "error_rate", occ[name]["per_image"]["success"], higher_is_better=False,
                      attack="occlusion", colour=colour, max_count=budget[0], max_radius=budget[1],
                      main=budget == params.occlusion.budgets[0])
                for name, colour, budget in names if name in values]

    def run(self, ctx: RunContext, params: InequalityParams) -> MetricOutput:
        check_fits(params, ctx.entry.preprocessing.input_size)
        records, kept = [], 0
        # enumerate, not zip(range, batches): zip stops before the generator resumes, losing its last progress update
        for number, (idx, x, y) in enumerate(ctx.batches()):
            path = ctx.state_dir / f"batch-{number * ctx.batch_size:07d}.npz"
            record = _resumed_record(path, idx, params)
            if record is None:
                record = inequality_batch(ctx.model, x, y, idx, params, ctx.seed, ctx.batch_size,
                                          keep_images=kept < params.examples,
                                          predicted=ctx.predicted(idx) if ctx.predictions is not None else None)
                _save_record(path, record, params.examples - kept)
                record = _load_record(path)  # the same arrays a resumed run would read
            kept += len(record.images.get("clean", ()))
            records.append(record)
        return self._output(ctx, params, records)

    def _output(self, ctx: RunContext, params: InequalityParams, records: list[BatchRecord]) -> MetricOutput:
        correct = np.concatenate([r.correct for r in records])
        labels = ctx.testset.labels[ctx.indices]
        g_global = np.concatenate([r.gini_global for r in records])
        g_regional = np.concatenate([r.gini_regional for r in records])
        measured = correct.astype(bool) if params.gini.images == "correct" else np.ones(len(correct), dtype=bool)
        summaries = {"gini_global": _summary(g_global, measured), "gini_regional": _summary(g_regional, measured)}
        values = {name: summary["mean"] for name, summary in summaries.items()}
        detail: dict = {"n_correct": int(correct.sum()), **summaries,
                        "per_class": {"gini_global": per_class(g_global, labels),
                                      "gini_regional": per_class(g_regional, labels)},
                        "per_image": {"gini_global": _listed(g_global), "gini_regional": _listed(g_regional)}}
        for name in dict.fromkeys(k for r in records for k in r.noise):
            changed = np.concatenate([r.noise[name] for r in records if name in r.noise])
            values[name] = float(changed.mean()) if len(changed) else float("nan")
        for name in dict.fromkeys(k for r in records for k in r.occlusion):
            fields = {f: np.concatenate([r.occlusion[name][f] for r in records if name in r.occlusion])
                      for f in ("success", "count", "radius", "area")}
            values[name] = float(fields["success"].mean()) if len(fields["success"]) else float("nan")
            hit = fields["success"].astype(bool)
            detail.setdefault("occlusion", {})[name] = {
                "mean_area_of_successes": float(fields["area"][hit].mean()) if hit.any() else None,
                "per_image": {f: v.astype(float).round(5).tolist() for f, v in fields.items()}}
        self._save_examples(ctx, records, params.examples)
        return MetricOutput(values=values, detail=detail)

    @staticmethod
    def _save_examples(ctx: RunContext, records: list[BatchRecord], examples: int) -> None:
        """A few clean, attributed and corrupted images for the model page (``artifacts/examples.npz``)."""
        kept = [r.images for r in records if r.images]
        if not kept or ctx.state_dir is None or examples == 0:
            return
        arrays = {k: torch.cat([im[k] for im in kept])[:examples].numpy() for k in kept[0]}
        with torch.no_grad():
            arrays |= {f"prediction/{k}": ctx.model(torch.from_numpy(v).float().to(ctx.device)).argmax(1).cpu().numpy()
                       for k, v in arrays.items() if k != "attribution"}
        out = ctx.state_dir / "artifacts"
        out.mkdir(exist_ok=True)
        np.savez_compressed(out / "examples.npz", **{k: v.astype(np.float16) if v.dtype == np.float32 else v
                                                     for k, v in arrays.items()})


METRICS.register(Inequality.name)(Inequality())
