"""The ``inequality`` metric: runs the battery batch by batch, resumably, and builds its value records."""

from __future__ import annotations

import numpy as np
import torch

from bench.metrics.base import METRICS, MetricOutput, RunContext
from bench.metrics.inequality.batch import BatchRecord, inequality_batch
from bench.metrics.inequality.records import load_record, resumed_record, save_record
from bench.metrics.inequality.summary import per_class, summarize_records
from bench.metrics.state import batch_path, save_examples
from bench.params.inequality import (
    NOISE_MODES,
    InequalityParams,
    check_fits,
    noise_value,
    occlusion_value,
)


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
        return (
            self._gini_records(values, detail, params)
            + self._noise_records(values, detail, params)
            + self._occlusion_records(values, detail, params)
        )

    def _gini_records(self, values: dict, detail: dict, params: InequalityParams) -> list:
        """Gini-g and Gini-r: means over the measured images (bootstrap interval)."""
        from bench.results.values import mean

        per_image = detail.get("per_image", {})
        gini = {
            "transform": params.gini.transform,
            "images": params.gini.images,
            "attribution": params.attribution.method,
        }
        return [
            mean(
                "gini_global",
                self.name,
                "gini_global",
                per_image.get("gini_global", []),
                higher_is_better=False,
                value=values.get("gini_global"),
                **gini,
            ),
            mean(
                "gini_regional",
                self.name,
                "gini_regional",
                per_image.get("gini_regional", []),
                higher_is_better=False,
                value=values.get("gini_regional"),
                region_size=params.region_size,
                regional=params.gini.regional,
                **gini,
            ),
        ]

    def _noise_records(self, values: dict, detail: dict, params: InequalityParams) -> list:
        """Noise-I, Noise-II and random-pixel error rates per k (exact intervals)."""
        from bench.results.values import share

        if not params.noise:
            return []
        names = [(noise_value(mode, k), mode, k) for k in params.noise.k for mode in NOISE_MODES]
        return [
            share(
                name,
                self.name,
                "error_rate",
                higher_is_better=False,
                value=values[name],
                n=detail["n_correct"],
                attack=mode,
                k=k,
                distribution=params.noise.distribution,
                main=k == params.noise.main,
            )
            for name, mode, k in names
            if name in values
        ]

    def _occlusion_records(self, values: dict, detail: dict, params: InequalityParams) -> list:
        """Occlusion error rates per budget and colour, from the per-image successes."""
        from bench.results.values import share

        if not params.occlusion:
            return []
        occ = detail.get("occlusion", {})
        names = [
            (occlusion_value(c, b), c, b)
            for b in params.occlusion.budgets
            for c in params.occlusion.colors
        ]
        return [
            share(
                name,
                self.name,
                "error_rate",
                occ[name]["per_image"]["success"],
                higher_is_better=False,
                attack="occlusion",
                colour=colour,
                max_count=budget[0],
                max_radius=budget[1],
                main=budget == params.occlusion.budgets[0],
            )
            for name, colour, budget in names
            if name in values
        ]

    def run(self, ctx: RunContext, params: InequalityParams) -> MetricOutput:
        """Measure each batch (or reuse its saved record when resuming), then summarise."""
        check_fits(params, ctx.entry.preprocessing.input_size)
        records, kept = [], 0
        # enumerate, not zip(range, batches): zip stops before the generator resumes, losing its last progress update
        for number, (idx, x, y) in enumerate(ctx.batches()):
            path = batch_path(ctx, number)
            record = resumed_record(path, idx, params)
            if record is None:
                record = inequality_batch(
                    ctx.model,
                    x,
                    y,
                    idx,
                    params,
                    ctx.seed,
                    ctx.batch_size,
                    keep_images=kept < params.examples,
                    predicted=ctx.predicted(idx) if ctx.predictions is not None else None,
                )
                save_record(path, record, params.examples - kept)
                record = load_record(path)  # the same arrays a resumed run would read
            kept += len(record.images.get("clean", ()))
            records.append(record)
        return self.summarize(ctx, params, records)

    def summarize(
        self, ctx: RunContext, params: InequalityParams, records: list[BatchRecord]
    ) -> MetricOutput:
        """The values and detail of the batch records (a sharded run merges its shards' here)."""
        labels = ctx.testset.labels[ctx.indices]
        values, detail = summarize_records(records, labels, params.gini.images)
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
            arrays |= {
                f"prediction/{k}": ctx.model(torch.from_numpy(v).float().to(ctx.device))
                .argmax(1)
                .cpu()
                .numpy()
                for k, v in arrays.items()
                if k != "attribution"
            }
        save_examples(
            ctx,
            {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in arrays.items()},
        )


__all__ = ["Inequality", "per_class"]

METRICS.register(Inequality.name)(Inequality())
