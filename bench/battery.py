"""Running a protocol's battery on one model: select images, run each metric, record everything.

Each finished metric is saved to a ``.partial.json`` beside the result; a rerun of the same
(model, resolved protocol, sample ids) picks up from there, so an interrupted run loses at
most the metric in progress.
"""

from __future__ import annotations

import json
import shutil
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from bench import __version__, assets
from bench.data import open_testset, select_samples
from bench.devices import resolve_device
from bench.metrics import METRICS, RunContext
from bench.metrics.accuracy import clean_predictions
from bench.metrics.base import discard_state
from bench.protocols import Protocol
from bench.results import (
    Provenance,
    Result,
    result_path,
    write_json_atomic,
    write_result,
)
from bench.results.checks import masking_flags
from bench.results.schema import environment, now, package_versions
from bench.results.store import artifact_path
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


def _partial_path(results_dir: Path, entry: ModelEntry, protocol: Protocol) -> Path:
    return result_path(results_dir, entry.id, protocol.name).with_suffix(".partial.json")


def load_partial(path: Path, state_dir: Path, digest: str, sample_ids: list[str]) -> dict:
    """Finished metrics of an earlier run of the same resolved protocol on the same images.

    Unreadable or malformed state is reported (a warning), discarded and recomputed; state of
    another protocol or other images is discarded silently, with the mid-metric state beside it.
    """
    state = {}
    if path.is_file():
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(state, dict) or not _well_formed(state.get("metrics", {})):
                raise ValueError("not a partial-result object")
        except (ValueError, UnicodeDecodeError) as exc:
            discard_state(path, f"unreadable ({exc})")
            state = {}
    if state.get("protocol_digest") == digest and state.get("sample_ids") == sample_ids:
        return state.get("metrics", {})
    shutil.rmtree(state_dir, ignore_errors=True)  # mid-metric state of another protocol
    return {}


def _well_formed(metrics) -> bool:
    """Each finished metric holds a values mapping of numbers and a detail mapping."""
    return isinstance(metrics, dict) and all(
        isinstance(m, dict)
        and isinstance(m.get("values"), dict)
        and isinstance(m.get("detail"), dict)
        and all(isinstance(v, (int, float)) for v in m["values"].values())
        for m in metrics.values()
    )


def keep_artifacts(state_dir: Path, result_file: Path, metrics) -> None:
    """Move files the metrics left in ``<state>/<metric>/artifacts/`` beside the result (old ones go)."""
    for old in [p for m in metrics for p in result_file.parent.glob(f"{result_file.stem}.{m}.*")]:
        old.unlink()
    for path in sorted(state_dir.glob("*/artifacts/*")):
        path.replace(artifact_path(result_file, path.parent.parent.name, path.name))


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
    testset, model, indices = open_run(entry, protocol, dev, batch_size, zoo, data_dir, workers)
    sample_ids = [testset.ids[i] for i in indices]
    final = result_path(results_dir, entry.id, protocol.name)
    with unit_lock(final) as waited:
        if waited and (same := same_result(final, protocol.digest(), sample_ids)) is not None:
            return same
        partial = _partial_path(results_dir, entry, protocol)
        state_dir = partial.with_name(f"{protocol.name}.state")
        done = run_metrics(
            model,
            entry,
            protocol,
            testset,
            indices,
            batch_size,
            dev,
            seed,
            progress,
            partial=partial,
            state_dir=state_dir,
        )
        if "clean_accuracy" in done:  # against the authors' figure when the whole set was evaluated
            from bench.zoo.reported import check_reported_accuracy

            check_reported_accuracy(
                entry,
                done["clean_accuracy"]["values"]["clean_accuracy"],
                len(indices),
                len(testset),
            )
        result = assemble(
            entry, protocol, done, started, t0, dev, seed, batch_size, sample_ids, command
        )
        write_result(results_dir, result)
        keep_artifacts(state_dir, final, protocol.metrics)
        partial.unlink(missing_ok=True)
        shutil.rmtree(state_dir, ignore_errors=True)
    return result


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


@contextmanager
def unit_lock(final: Path):
    """Hold the (model, protocol) lock; yields whether another run held it first (and we waited)."""
    from filelock import FileLock, Timeout

    final.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(final.with_suffix(".lock")))
    waited = False
    try:
        lock.acquire(timeout=0)
    except Timeout:
        waited = True
        warnings.warn(
            f"Another run of {final.parent.name} / {final.stem} is in progress; waiting for it "
            f"({final.with_suffix('.lock')}).",
            stacklevel=3,
        )
        lock.acquire()
    try:
        yield waited
    finally:
        lock.release()


def same_result(final: Path, digest: str, sample_ids: list[str]) -> Result | None:
    """The result another run just wrote for the same resolved protocol and images, or None."""
    from bench.errors import SpecError
    from bench.results import read_result

    try:
        result = read_result(final) if final.is_file() else None
    except SpecError:
        return None
    if (
        result is not None
        and result.protocol_digest == digest
        and result.provenance.sample_ids == sample_ids
    ):
        return result
    return None


def run_metrics(
    model,
    entry,
    protocol,
    testset,
    indices,
    batch_size,
    dev,
    seed,
    progress,
    *,
    partial: Path,
    state_dir: Path,
    names=None,
) -> dict:
    """Run each metric of ``names`` (default: the protocol's) not finished yet on ``indices``.

    The finished ones are saved to ``partial`` after each, with the sample ids they were measured
    on; mid-metric state goes to ``state_dir/<metric>``. Returns metric name → values and detail.
    """
    digest, sample_ids = protocol.digest(), [testset.ids[i] for i in indices]
    done = load_partial(partial, state_dir, digest, sample_ids)
    write_json_atomic(
        partial, {"protocol_digest": digest, "sample_ids": sample_ids, "metrics": done}
    )
    predictions = None
    for name in names if names is not None else list(protocol.metrics):
        if name in done:
            continue
        metric = METRICS.get(name)
        params = metric.params_schema.model_validate(protocol.metrics[name] or {})
        advance = progress(f"{entry.id}: {metric.label}", len(indices)) if progress else None
        torch.manual_seed(seed)
        ctx = RunContext(
            model,
            entry,
            protocol,
            testset,
            indices,
            batch_size,
            dev,
            seed,
            advance,
            state_dir=state_dir / name,
            predictions=predictions,
        )
        if predictions is None:  # one clean forward pass, shared by every metric of the run
            predictions = ctx.predictions = clean_predictions(replace(ctx, progress=None))
        ctx.state_dir.mkdir(parents=True, exist_ok=True)
        out = metric.run(ctx, params)
        done[name] = {"values": out.values, "detail": out.detail}
        write_json_atomic(
            partial, {"protocol_digest": digest, "sample_ids": sample_ids, "metrics": done}
        )
    return done


def records_of(protocol: Protocol, done: dict) -> list:
    """Every finished metric's values as records (identity, direction, n, interval)."""
    out = []
    for name, m in done.items():
        metric = METRICS.get(name)
        params = metric.params_schema.model_validate(protocol.metrics[name] or {})
        out += metric.records(m["values"], m["detail"], params)
    return out


def assemble(
    entry, protocol, done, started, t0, dev, seed, batch_size, sample_ids, command
) -> Result:
    """The result of finished metrics: value records, details, flags and full provenance (seed, ids, versions)."""
    values = records_of(protocol, done)
    details = {name: m["detail"] for name, m in done.items()}
    return Result(
        model=entry,
        protocol=protocol.model_dump(mode="json"),
        protocol_digest=protocol.digest(),
        provenance=Provenance(
            bench_version=__version__,
            packages=package_versions(),
            **environment(),
            device=str(dev),
            seed=seed,
            batch_size=batch_size,
            sample_ids=sample_ids,
            started_at=started,
            finished_at=now(),
            duration_s=round(time.perf_counter() - t0, 3),
            assets_dir=str(assets.assets_dir()) if assets.assets_dir() else None,
            command=command,
        ),
        values=values,
        details=details,
        flags=masking_flags(values, details, n_images=len(sample_ids)),
    )
