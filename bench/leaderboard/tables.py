"""Results as a long table for notebooks: one row per (model, protocol, value), built with pandas.

``bench leaderboard --format csv|json`` writes it; every column is a field of the value's
record or of its result (no identity packed into strings: parameters are columns ``param.<name>``).
"""

from __future__ import annotations

from collections.abc import Iterable

from bench.results import Result

BASE_COLUMNS = (
    "model",
    "dataset",
    "threat_model",
    "protocol",
    "protocol_version",
    "protocol_digest",
    "metric",
    "quantity",
    "name",
    "unit",
    "higher_is_better",
    "n",
    "value",
    "ci_low",
    "ci_high",
    "ci_method",
    "seed",
    "device",
    "finished_at",
)


def value_rows(results: Iterable[Result]) -> list[dict]:
    """One flat dict per value of every result."""
    rows = []
    for r in results:
        p = r.protocol
        for v in r.values:
            row = {
                "model": r.model.id,
                "dataset": p["dataset"],
                "threat_model": p["threat_model"],
                "protocol": p["name"],
                "protocol_version": p["version"],
                "protocol_digest": r.protocol_digest,
                "metric": v.metric,
                "quantity": v.quantity,
                "name": v.name,
                "unit": v.unit,
                "higher_is_better": v.higher_is_better,
                "n": v.n,
                "value": v.value,
                "ci_low": v.ci_low,
                "ci_high": v.ci_high,
                "ci_method": v.ci_method,
                "seed": r.provenance.seed,
                "device": r.provenance.device,
                "finished_at": r.provenance.finished_at,
            }
            rows.append(row | {f"param.{k}": val for k, val in sorted(v.params.items())})
    return rows


def value_frame(results: Iterable[Result]):
    """The long table as a ``pandas.DataFrame``, sorted by model, protocol and value name."""
    import pandas as pd

    frame = pd.DataFrame(value_rows(results))
    if frame.empty:
        return pd.DataFrame(columns=list(BASE_COLUMNS))
    params = sorted(c for c in frame.columns if c.startswith("param."))
    return frame[list(BASE_COLUMNS) + params].sort_values(
        ["model", "protocol", "name"], kind="stable", ignore_index=True
    )


def export(results: Iterable[Result], fmt: str) -> str:
    """The long table as CSV or as JSON records (one object per row)."""
    frame = value_frame(results)
    if fmt == "csv":
        return frame.to_csv(index=False, lineterminator="\n")
    return frame.to_json(orient="records", indent=1) + "\n"
