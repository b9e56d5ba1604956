"""A bench AutoAttack result as a RobustBench ``model_info`` record, for a leaderboard submission.

RobustBench's files (``model_info/<dataset>/<threat>/<name>.json``) hold ``link``, ``name``,
``authors``, ``additional_data``, ``number_forward_passes``, ``dataset``, ``venue``,
``architecture``, ``eps``, ``clean_acc``, ``reported``, ``autoattack_acc`` and often a
``footnote``; accuracies are percentage strings with two decimals (``"43.21"``), ε is written
``"8/255"`` (L∞) or ``"0.5"`` (L2). Metadata comes from RobustBench's own record for a
``robustbench`` entry, else from the entry's ``paper`` and ``architecture``.
"""

from __future__ import annotations

from typing import Any

from bench.errors import SpecError
from bench.results import Result
from bench.results.values import Value
from bench.spec import format_eps

# The test sets RobustBench's leaderboards are computed on (ImageNet: its 5000-image subset).
LEADERBOARD_TEST_SIZE = {"cifar10": 10_000, "cifar100": 10_000, "imagenet": 5_000}
METADATA_FIELDS = (
    "link",
    "name",
    "authors",
    "additional_data",
    "number_forward_passes",
    "venue",
    "architecture",
)


def percent(share: float) -> str:
    """A share in [0, 1] as RobustBench writes accuracies: percent with two decimals."""
    return f"{100 * share:.2f}"


def autoattack_value(result: Result) -> Value:
    """The result's one AutoAttack accuracy (SpecError when it has none, or several to choose from)."""
    found = [
        v
        for v in result.values
        if v.metric == "autoattack" and v.quantity == "accuracy" and v.value is not None
    ]
    if len(found) != 1:
        what = (
            "no AutoAttack value"
            if not found
            else f"{len(found)} AutoAttack values ({', '.join(v.name for v in found)})"
        )
        raise SpecError(
            f"The result of {result.model.id!r} under {result.protocol['name']!r} has {what}; "
            "export a result of one AutoAttack evaluation (e.g. the battery protocol of its data set)."
        )
    return found[0]


def model_info_from_result(
    result: Result,
    *,
    additional_data: bool | None = None,
    forward_passes: int | None = None,
) -> dict[str, Any]:
    """The ``model_info`` record of ``result`` (keys in RobustBench's order)."""
    entry = result.model
    if entry.dataset not in LEADERBOARD_TEST_SIZE:
        raise SpecError(
            f"RobustBench has no {entry.dataset} leaderboard (only {', '.join(LEADERBOARD_TEST_SIZE)})."
        )
    attack, clean = autoattack_value(result), result.value("clean_accuracy")
    if clean is None or clean.value is None:
        raise SpecError(f"The result of {entry.id!r} has no clean accuracy to export.")
    meta = _metadata(result)
    if additional_data is not None:
        meta["additional_data"] = additional_data
    if forward_passes is not None:
        meta["number_forward_passes"] = forward_passes
    reported = entry.reported.get(attack.name)
    return {
        "link": meta["link"],
        "name": meta["name"],
        "authors": meta["authors"],
        "additional_data": meta["additional_data"],
        "number_forward_passes": meta["number_forward_passes"],
        "dataset": entry.dataset,
        "venue": meta["venue"],
        "architecture": meta["architecture"],
        "eps": format_eps(attack.params.get("eps")),
        "clean_acc": percent(clean.value),
        "reported": percent(reported) if reported is not None else "",
        "footnote": _footnote(result, attack),
        "autoattack_acc": percent(attack.value),
    }


def _metadata(result: Result) -> dict[str, Any]:
    """Paper and model facts: RobustBench's record for its own entries, else the entry's fields."""
    entry = result.model
    if entry.source.loader == "robustbench":
        from bench.zoo.robustbench_info import model_info

        info = model_info(entry.source.dataset, entry.source.threat_model, entry.source.name)
        if info is not None:
            return {k: info[k] for k in METADATA_FIELDS}
    paper = entry.paper
    return {
        "link": (paper.url if paper else None) or "",
        "name": paper.title if paper else entry.id,
        "authors": (paper.authors if paper else None) or "",
        "additional_data": False,
        "number_forward_passes": 1,
        "venue": (paper.venue if paper else None) or "",
        "architecture": entry.architecture.name if entry.architecture else entry.id,
    }


def _footnote(result: Result, attack: Value) -> str:
    detail = result.details.get(attack.metric, {})
    version = detail.get("version") or attack.params.get("version") or "standard"
    return (
        f"Evaluated with bench {result.provenance.bench_version}: AutoAttack ({version}) on {attack.n} of the "
        f"{LEADERBOARD_TEST_SIZE[result.model.dataset]} test images, protocol {result.protocol['name']} "
        f"(digest {result.protocol_digest})."
    )


def is_full_test_set(result: Result) -> bool:
    """Whether the AutoAttack value covers the whole test set RobustBench's leaderboard uses."""
    return autoattack_value(result).n >= LEADERBOARD_TEST_SIZE[result.model.dataset]
