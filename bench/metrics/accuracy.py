"""Clean accuracy: the share of selected test images the model classifies correctly."""

from __future__ import annotations

import torch

from bench.metrics.base import METRICS, MetricOutput, RunContext
from bench.spec import Strict


class NoParams(Strict):
    pass


class CleanAccuracy:
    name = "clean_accuracy"
    label = "Clean"
    higher_is_better = True
    percent = True
    params_schema = NoParams

    @torch.no_grad()
    def run(self, ctx: RunContext, params: NoParams) -> MetricOutput:
        predictions = []
        for _, x, _ in ctx.batches():
            predictions.append(ctx.model(x).argmax(dim=1).cpu())
        pred = torch.cat(predictions)
        labels = torch.from_numpy(ctx.testset.labels[ctx.indices])
        correct = pred == labels
        return MetricOutput(
            values={self.name: int(correct.sum()) / len(correct)},
            detail={"n": len(correct), "correct": int(correct.sum()), "predictions": pred.tolist()},
        )


METRICS.register(CleanAccuracy.name)(CleanAccuracy())
