"""Running a protocol's battery on one model: select images, run each metric, record everything.

Each finished metric is saved to a ``.partial.json`` beside the result; a rerun of the same
(model, resolved protocol, sample ids) picks up from there, so an interrupted run loses at
most the metric in progress.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from bench import __version__, assets
from bench.data import open_testset, select_samples
from bench.metrics import METRICS, RunContext
from bench.metrics.masking import masking_flags
from bench.protocols import Protocol
from bench.results import Provenance, Result, result_path, write_json_atomic, write_result
from bench.results.schema import environment, now, package_versions
from bench.zoo.catalog import Zoo
from bench.zoo.model import load_model
from bench.zoo.schema import ModelEntry

# (description, total) -> advance(n); the CLI passes a rich progress bar, tests pass nothing.
ProgressFactory = Callable[[str, int], Callable[[int], None]]


def resolve_device(device: str | None) -> torch.device:
    """``None``/``auto``: CUDA when present, else CPU."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _predictor(model: torch.nn.Module, device: torch.device):
    @torch.no_grad()
    def predict(x: torch.Tensor) -> torch.Tensor:
        return model(x.to(device)).argmax(dim=1)

    return predict


def choose_samples(entry: ModelEntry, protocol: Protocol, testset, model, zoo: Zoo | None,
                   device: torch.device, batch_size: int) -> np.ndarray:
    """The protocol's selection; ``correct_by`` models are loaded from the zoo to filter."""
    group = protocol.selection.correct_by
    if group:
        zoo = zoo or Zoo.load()
    models = [load_model(zoo.get(i), device) for i in group] if group else [model]
    return select_samples(testset, protocol.selection, [_predictor(m, device) for m in models], batch_size)


def _partial_path(results_dir: Path, entry: ModelEntry, protocol: Protocol) -> Path:
    return result_path(results_dir, entry.id, protocol.name).with_suffix(".partial.json")


def _load_partial(path: Path, state_dir: Path, digest: str, sample_ids: list[str]) -> dict:
    """Finished metrics of an earlier run of the same resolved protocol on the same images."""
    state = json.loads(path.read_text()) if path.is_file() else {}
    if state.get("protocol_digest") == digest and state.get("sample_ids") == sample_ids:
        return state.get("metrics", {})
    shutil.rmtree(state_dir, ignore_errors=True)  # mid-metric state of another protocol
    return {}


def artifact_path(result_file: Path, metric: str, name: str) -> Path:
    """Where a metric's artifact lives beside its result: ``<model>/<protocol>.<metric>.<name>``."""
    return result_file.with_name(f"{result_file.stem}.{metric}.{name}")


def _keep_artifacts(state_dir: Path, result_file: Path, metrics) -> None:
    """Move files the metrics left in ``<state>/<metric>/artifacts/`` beside the result (old ones go)."""
    for old in [p for m in metrics for p in result_file.parent.glob(f"{result_file.stem}.{m}.*")]:
        old.unlink()
    for path in sorted(state_dir.glob("*/artifacts/*")):
        path.replace(artifact_path(result_file, path.parent.parent.name, path.name))


def run_battery(entry: ModelEntry, protocol: Protocol, *, results_dir: Path, batch_size: int = 100,
                device: str | None = None, seed: int = 0, zoo: Zoo | None = None, data_dir: Path | None = None,
                progress: ProgressFactory | None = None, command: list[str] | None = None) -> Result:
    """Evaluate ``entry`` under the resolved ``protocol`` and write its result file."""
    started, t0 = now(), time.perf_counter()
    torch.manual_seed(seed)
    dev = resolve_device(device)
    testset = open_testset(protocol.dataset, data_dir=data_dir, transform=entry.preprocessing.transform)
    model = load_model(entry, dev)
    indices = choose_samples(entry, protocol, testset, model, zoo, dev, batch_size)
    sample_ids = [testset.ids[i] for i in indices]
    digest = protocol.digest()
    partial_path = _partial_path(results_dir, entry, protocol)
    state_dir = partial_path.with_name(f"{protocol.name}.state")
    done = _load_partial(partial_path, state_dir, digest, sample_ids)
    write_json_atomic(partial_path, {"protocol_digest": digest, "sample_ids": sample_ids, "metrics": done})
    for name, raw_params in protocol.metrics.items():
        if name in done:
            continue
        metric = METRICS.get(name)
        params = metric.params_schema.model_validate(raw_params or {})
        advance = progress(f"{entry.id}: {metric.label}", len(indices)) if progress else None
        torch.manual_seed(seed)
        ctx = RunContext(model, entry, protocol, testset, indices, batch_size, dev, seed, advance,
                         state_dir=state_dir / name)
        ctx.state_dir.mkdir(parents=True, exist_ok=True)
        out = metric.run(ctx, params)
        done[name] = {"values": out.values, "detail": out.detail}
        write_json_atomic(partial_path, {"protocol_digest": digest, "sample_ids": sample_ids, "metrics": done})
    result = Result(
        model=entry, protocol=protocol.model_dump(mode="json"), protocol_digest=digest,
        provenance=Provenance(
            bench_version=__version__, packages=package_versions(), **environment(), device=str(dev), seed=seed,
            batch_size=batch_size, sample_ids=sample_ids, started_at=started, finished_at=now(),
            duration_s=round(time.perf_counter() - t0, 3),
            assets_dir=str(assets.assets_dir()) if assets.assets_dir() else None, command=command),
        metrics={k: v for m in done.values() for k, v in m["values"].items()},
        produced_by={k: name for name, m in done.items() for k in m["values"]},
        details={name: m["detail"] for name, m in done.items()},
        flags=masking_flags({k: v for m in done.values() for k, v in m["values"].items()},
                            {name: m["detail"] for name, m in done.items()}, n_images=len(indices)),
    )
    write_result(results_dir, result)
    _keep_artifacts(state_dir, result_path(results_dir, entry.id, protocol.name), protocol.metrics)
    partial_path.unlink(missing_ok=True)
    shutil.rmtree(state_dir, ignore_errors=True)
    return result
