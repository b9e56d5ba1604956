"""Version-1 result files as version 2: the value records rebuilt from the file's own values and details.

Version 1 kept ``metrics`` (value name → number) and ``produced_by``. Each metric's ``records``
rebuilds the records from the protocol's parameters, the recorded numbers and the per-image
details (the intervals come from those), so nothing is parsed out of a value's name.
Rebuilding needs the metric classes, hence torch; ``bench migrate`` rewrites the files once.
"""

from __future__ import annotations

from typing import Any

from bench.errors import SpecError


def upgrade_v1(data: dict[str, Any], origin: str = "result") -> dict[str, Any]:
    """The version-2 form of a version-1 result object (a new dict; ``data`` is left as it was)."""
    from bench.metrics import METRICS
    from bench.protocols import Protocol

    values, produced_by = data["metrics"], data["produced_by"]
    protocol = Protocol.model_validate(data["protocol"])
    records = []
    for name in protocol.metrics:
        own = {k: v for k, v in values.items() if produced_by.get(k) == name}
        detail = _with_run_counts(name, data["details"])
        built = METRICS.get(name).records(own, detail, protocol.params(name))
        records += [r.model_dump(mode="json") for r in built]
    missing = sorted(set(values) - {r["name"] for r in records})
    if missing:
        raise SpecError(
            f"{origin}: cannot rebuild the records of {', '.join(missing)} from a version-1 file."
        )
    out = {k: v for k, v in data.items() if k not in ("metrics", "produced_by")}
    return out | {
        "schema_version": 2,
        "values": records,
        "protocol_digest": protocol.digest(),
    }


def _with_run_counts(metric: str, details: dict[str, Any]) -> dict[str, Any]:
    """A metric's detail; Proposition 1's gains the image counts its clean accuracy recorded on the same images
    (version 1 kept them there only), so its PGD accuracy can be stated."""
    detail = details.get(metric, {})
    clean = details.get("clean_accuracy", {})
    if (
        metric == "proposition1"
        and "n_correct" not in detail
        and "correct" in clean
        and "prop1" in detail
    ):
        return detail | {"n_correct": clean["correct"], "n_images": clean["n"]}
    return detail
