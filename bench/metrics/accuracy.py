"""Clean accuracy: the share of selected test images the model classifies correctly."""

from __future__ import annotations

import numpy as np
import torch

from bench.metrics.base import METRICS, MetricOutput, RunContext
from bench.params.accuracy import NoParams


@torch.no_grad()
def clean_predictions(ctx: RunContext) -> np.ndarray:
    """One batched forward pass over the selected images: the clean prediction of each."""
    return (
        np.concatenate([ctx.model(x).argmax(dim=1).cpu().numpy() for _, x, _ in ctx.batches()])
        if len(ctx.indices)
        else np.zeros(0, dtype=np.int64)
    )


class CleanAccuracy:
    """Clean accuracy: the share of the selected images classified correctly."""

    name = "clean_accuracy"
    label = "Clean"
    params_schema = NoParams

    @torch.no_grad()
    def run(self, ctx: RunContext, params: NoParams) -> MetricOutput:
        """The share of the run's shared clean predictions that equal the labels."""
        pred = torch.as_tensor(
            ctx.predictions if ctx.predictions is not None else clean_predictions(ctx)
        )
        if ctx.progress is not None:
            ctx.progress(len(ctx.indices))
        labels = torch.from_numpy(ctx.testset.labels[ctx.indices])
        correct = pred == labels
        return MetricOutput(
            values={self.name: int(correct.sum()) / len(correct)},
            detail={"n": len(correct), "correct": int(correct.sum()), "predictions": pred.tolist()},
        )

    def records(self, values: dict, detail: dict, params: NoParams) -> list:
        """One share: correctly classified images over the selected ones (exact interval)."""
        from bench.results.values import share

        return [
            share(
                self.name,
                self.name,
                "accuracy",
                higher_is_better=True,
                value=values[self.name],
                n=detail["n"],
            )
        ]


METRICS.register(CleanAccuracy.name)(CleanAccuracy())
