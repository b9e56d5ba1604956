"""The result file of a run: its finished metrics as value records, with flags and provenance."""

from __future__ import annotations

import time

from bench import __version__, assets
from bench.metrics import METRICS, RunContext
from bench.protocols import Protocol
from bench.results import Provenance, Result
from bench.results.checks import masking_flags
from bench.results.schema import environment, now, package_versions


def records_of(protocol: Protocol, done: dict) -> list:
    """Every finished metric's values as records (identity, direction, n, interval)."""
    out = []
    for name, m in done.items():
        out += METRICS.get(name).records(m["values"], m["detail"], protocol.params(name))
    return out


def assemble(
    run: RunContext,
    done: dict,
    started: str,
    t0: float,
    sample_ids: list[str],
    command: list[str] | None,
) -> Result:
    """The result of finished metrics: value records, details, flags and full provenance.

    ``run`` gives the model entry, the resolved protocol, the device, seed and batch size;
    ``started`` and ``t0`` when the run started (ISO time, and as this process's perf_counter).
    """
    values = records_of(run.protocol, done)
    details = {name: m["detail"] for name, m in done.items()}
    return Result(
        model=run.entry,
        protocol=run.protocol.model_dump(mode="json"),
        protocol_digest=run.protocol.digest(),
        provenance=Provenance(
            bench_version=__version__,
            packages=package_versions(),
            **environment(),
            device=str(run.device),
            seed=run.seed,
            batch_size=run.batch_size,
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
