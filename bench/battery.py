"""Running a protocol's battery on one model: select images, run each metric, record everything.

Each finished metric is saved to a ``.partial.json`` beside the result; a rerun of the same
(model, resolved protocol, sample ids) picks up from there, so an interrupted run loses at
most the metric in progress (:mod:`bench.run.resume`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from bench.data import open_testset, select_samples
from bench.devices import resolve_device
from bench.metrics import METRICS, RunContext
from bench.metrics.accuracy import clean_predictions
from bench.protocols import Protocol
from bench.results import Result, result_path, write_result
from bench.results.schema import now
from bench.run.assemble import assemble
from bench.run.lock import same_result, unit_lock
from bench.run.resume import load_partial, partial_path, retire_state, save_partial
from bench.zoo.catalog import Zoo
from bench.zoo.model import load_model
from bench.zoo.schema import ModelEntry

# (description, total) -> advance(n); the CLI passes a rich progress bar, tests pass nothing.
ProgressFactory = Callable[[str, int], Callable[[int], None]]


def _predictor(model: torch.nn.Module, device: torch.device):
    @torch.no_grad()
    def predict(x: torch.Tensor) -> torch.Tensor:
        return model(x.to(device)).argmax(dim=1)

    return predict


def choose_samples(
    entry: ModelEntry,
    protocol: Protocol,
    testset,
    model,
    zoo: Zoo | None,
    device: torch.device,
    batch_size: int,
) -> np.ndarray:
    """The protocol's selection; ``correct_by`` models are loaded from the zoo to filter."""
    group = protocol.selection.correct_by
    if group:
        zoo = zoo or Zoo.load()
    models = [load_model(zoo.get(i), device) for i in group] if group else [model]
    return select_samples(
        testset, protocol.selection, [_predictor(m, device) for m in models], batch_size
    )


def open_run(
    entry: ModelEntry,
    protocol: Protocol,
    dev: torch.device,
    batch_size: int,
    zoo: Zoo | None,
    data_dir: Path | None,
    workers: int = 0,
):
    """The test set, the model on ``dev`` and the protocol's selected indices into the test set."""
    testset = open_testset(
        protocol.dataset,
        data_dir=data_dir,
        transform=entry.preprocessing.transform,
        workers=workers,
        pin_memory=dev.type == "cuda",
    )
    model = load_model(entry, dev)
    return testset, model, choose_samples(entry, protocol, testset, model, zoo, dev, batch_size)


def open_context(
    entry: ModelEntry,
    protocol: Protocol,
    dev: torch.device,
    batch_size: int,
    seed: int,
    zoo: Zoo | None,
    data_dir: Path | None,
    workers: int = 0,
) -> RunContext:
    """:func:`open_run` as the context the run's metrics share (no progress, no state folder)."""
    testset, model, indices = open_run(entry, protocol, dev, batch_size, zoo, data_dir, workers)
    return RunContext(model, entry, protocol, testset, indices, batch_size, dev, seed)


def selected_ids(run: RunContext) -> list[str]:
    """The ids of the run's selected images, in order."""
    return [run.testset.ids[i] for i in run.indices]


def run_battery(
    entry: ModelEntry,
    protocol: Protocol,
    *,
    results_dir: Path,
    batch_size: int = 100,
    device: str | None = None,
    seed: int = 0,
    zoo: Zoo | None = None,
    data_dir: Path | None = None,
    progress: ProgressFactory | None = None,
    command: list[str] | None = None,
    workers: int = 0,
) -> Result:
    """Evaluate ``entry`` under the resolved ``protocol`` and write its result file.

    One run per (model, protocol) at a time: a lock beside the result makes a second run wait;
    when the first has meanwhile written the same result (same digest, same images), it is returned.
    ``workers`` > 0 decodes image files in that many DataLoader processes.
    """
    started, t0 = now(), time.perf_counter()
    torch.manual_seed(seed)
    dev = resolve_device(device)
    run = open_context(entry, protocol, dev, batch_size, seed, zoo, data_dir, workers)
    sample_ids = selected_ids(run)
    final = result_path(results_dir, entry.id, protocol.name)
    with unit_lock(final) as waited:
        if waited and (same := same_result(final, protocol.digest(), sample_ids)) is not None:
            return same
        partial = partial_path(results_dir, entry, protocol)
        state_dir = partial.with_name(f"{protocol.name}.state")
        done = run_metrics(run, progress, partial=partial, state_dir=state_dir)
        _check_reported(run, done)
        result = assemble(run, done, started, t0, sample_ids, command)
        write_result(results_dir, result)
        retire_state(partial, state_dir, final, protocol.metrics)
    return result


def _check_reported(run: RunContext, done: dict) -> None:
    """Warn on a gap between the clean accuracy and the authors' figure (when the whole set ran)."""
    if "clean_accuracy" in done:
        from bench.zoo.reported import check_reported_accuracy

        check_reported_accuracy(
            run.entry,
            done["clean_accuracy"]["values"]["clean_accuracy"],
            len(run.indices),
            len(run.testset),
        )


def run_metrics(
    run: RunContext,
    progress: ProgressFactory | None,
    *,
    partial: Path,
    state_dir: Path,
    names=None,
) -> dict:
    """Run each metric of ``names`` (default: the protocol's) not finished yet on ``run``'s images.

    The finished ones are saved to ``partial`` after each, with the sample ids they were measured
    on; mid-metric state goes to ``state_dir/<metric>``. Every metric sees the clean predictions
    of one shared forward pass. Returns metric name → values and detail.
    """
    digest, sample_ids = run.protocol.digest(), selected_ids(run)
    done = load_partial(partial, state_dir, digest, sample_ids)
    save_partial(partial, digest, sample_ids, done)
    predictions = None
    for name in names if names is not None else list(run.protocol.metrics):
        if name in done:
            continue
        metric = METRICS.get(name)
        params = run.protocol.params(name)
        advance = (
            progress(f"{run.entry.id}: {metric.label}", len(run.indices)) if progress else None
        )
        torch.manual_seed(run.seed)
        ctx = replace(run, progress=advance, state_dir=state_dir / name, predictions=predictions)
        if predictions is None:
            predictions = ctx.predictions = clean_predictions(replace(ctx, progress=None))
        ctx.state_dir.mkdir(parents=True, exist_ok=True)
        out = metric.run(ctx, params)
        done[name] = {"values": out.values, "detail": out.detail}
        save_partial(partial, digest, sample_ids, done)
    return done
