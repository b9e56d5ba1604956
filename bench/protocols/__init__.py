"""Protocols: versioned YAML files saying what a run computes and with which parameters.

The files ship inside this package (``bench/protocols/*.yaml``); ``bench protocols`` lists them.
A run records the fully *resolved* protocol (overrides applied, dataset and ε filled in)
and its digest; two results are comparable exactly when their digests are equal.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from bench.datasets import default_eps
from bench.errors import SpecError, UnknownNameError
from bench.params import METRIC_PARAMS, Selection
from bench.registry import suggest
from bench.spec import FiniteStrict, format_eps, parse_eps
from bench.yamlio import read_yaml, validate
from bench.zoo.schema import Dataset, ThreatModel

PROTOCOL_DIR = Path(__file__).parent


PRESENTATION = {"rank_by", "battery"}


class Protocol(FiniteStrict):
    """One protocol: data set, threat model and ε, image selection and metric parameters."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    version: int = Field(ge=1)
    description: str
    dataset: Dataset | None = Field(
        default=None, description="None: the evaluated model's data set"
    )
    threat_model: ThreatModel = "Linf"
    eps: float | None = Field(
        default=None, ge=0, description="None: RobustBench's default for the data set"
    )
    rank_by: str | None = Field(
        default=None,
        description="the headline value the protocol's table is ranked by, "
        "in that value's direction; None: its first value that is "
        "not clean accuracy",
    )
    battery: bool = Field(
        default=False,
        description="the standardized battery of its data set and threat model: "
        "its results fill the board's battery table",
    )
    selection: Selection = Selection()
    metrics: dict[str, dict[str, Any]] = Field(min_length=1)

    _eps = field_validator("eps", mode="before")(parse_eps)

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, metrics: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Every metric registered and its parameters valid; each problem at its own path
        (``metrics.inequality.noise.k``), so a YAML file's errors point at their lines."""
        problems = [p for name, raw in metrics.items() for p in _param_problems(name, raw)]
        if problems:
            raise ValidationError.from_exception_data("Protocol", problems)
        return metrics

    def params(self, metric: str) -> BaseModel:
        """The validated parameter model of ``metric`` (its schema in :data:`bench.params.METRIC_PARAMS`).

        Metrics, transfer and the renderer read these typed fields, never the raw dict. The models
        are frozen and validated once per distinct parameter set (:func:`metric_params`), so
        protocols and their copies share them; a metric the protocol does not run is an
        UnknownNameError.
        """
        if metric not in self.metrics:
            raise UnknownNameError(
                f"Protocol {self.name!r} runs no metric {metric!r}."
                f"{suggest(metric, list(self.metrics))} It runs: {', '.join(self.metrics)}."
            )
        return metric_params(metric, self.metrics[metric])

    def resolve(
        self, dataset: str, n_examples: int | None = None, seed: int | None = None
    ) -> Protocol:
        """This protocol made concrete for one data set, with CLI overrides applied."""
        if self.dataset is not None and self.dataset != dataset:
            raise SpecError(
                f"Protocol {self.name!r} is for {self.dataset}, but the model is a {dataset} model."
            )
        selection = self.selection.model_copy(
            update={k: v for k, v in {"n": n_examples, "seed": seed}.items() if v is not None}
        )
        eps = self.eps if self.eps is not None else default_eps(dataset, self.threat_model)
        rank_by = headline_name(self.rank_by, eps)
        return self.model_copy(
            update={"dataset": dataset, "eps": eps, "selection": selection, "rank_by": rank_by}
        )

    def digest(self) -> str:
        """A short hash of the resolved protocol: equal digests ⇔ comparable results."""
        # presentation (rank_by, battery) never counts: it does not change a number
        blob = json.dumps(
            self.model_dump(mode="json", exclude=PRESENTATION), sort_keys=True
        ).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def _param_problems(metric: str, raw: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The validation errors of one metric's parameters, located under the metric's name."""
    if metric not in METRIC_PARAMS:
        message = f"unknown metric {metric!r}.{suggest(metric, METRIC_PARAMS.names())}"
        known = f" Known: {', '.join(METRIC_PARAMS.names())}."
        error = ValueError(message + known)
        return [{"type": "value_error", "loc": (metric,), "input": raw, "ctx": {"error": error}}]
    try:
        metric_params(metric, raw)
    except ValidationError as exc:
        return [
            {
                "type": e["type"],
                "loc": (metric, *e["loc"]),
                "input": e["input"],
                "ctx": e.get("ctx", {}),
            }
            for e in exc.errors()
        ]
    return []


_VALIDATED: dict[tuple[str, str], BaseModel] = {}


def metric_params(metric: str, raw: dict[str, Any] | None) -> BaseModel:
    """``metric``'s raw protocol parameters validated by its schema: a frozen model, validated once
    per distinct parameter set (the key is the parameters as canonical JSON; a value JSON cannot
    hold, such as a YAML date, is keyed by its repr and refused by the schema, not by the key)."""
    key = (metric, json.dumps(raw or {}, sort_keys=True, default=repr))
    if key not in _VALIDATED:
        if len(_VALIDATED) >= 4096:
            _VALIDATED.clear()
        _VALIDATED[key] = METRIC_PARAMS.get(metric).model_validate(raw or {})
    return _VALIDATED[key]


def headline_name(rank_by: str | None, eps: float | None) -> str | None:
    """``rank_by`` with ``{eps}`` filled in (a protocol whose ε is the data set's default, e.g. ``quick``)."""
    return rank_by.replace("{eps}", format_eps(eps)) if rank_by and "{eps}" in rank_by else rank_by


def protocol_files() -> dict[str, Path]:
    """The shipped protocols, name → YAML path (``bench/protocols/*.yaml``)."""
    return {p.stem: p for p in sorted(PROTOCOL_DIR.glob("*.yaml"))}


def read_protocol(path: str | Path) -> Protocol:
    """Validate a protocol YAML file; a shipped file's name must equal its protocol's."""
    data, line_of = read_yaml(path)
    protocol = validate(Protocol, data, line_of, origin=str(path))
    if Path(path).parent == PROTOCOL_DIR and protocol.name != Path(path).stem:
        raise SpecError(f"{path}: name {protocol.name!r} must equal the file name.")
    return protocol


def get_protocol(name_or_path: str) -> Protocol:
    """A shipped protocol by name, or any protocol YAML by path."""
    if name_or_path.endswith((".yaml", ".yml")):
        return read_protocol(name_or_path)
    files = protocol_files()
    if name_or_path not in files:
        raise UnknownNameError(
            f"Unknown protocol {name_or_path!r}.{suggest(name_or_path, list(files))} "
            f"Known: {', '.join(files)} (see `bench protocols`)."
        )
    return read_protocol(files[name_or_path])


def default_protocol_name(dataset: str) -> str:
    """The name of a data set's default protocol, ``<dataset>-default``."""
    return f"{dataset}-default"


def default_protocol(entry) -> str:
    """The protocol ``bench evaluate`` runs on ``entry`` when none is named: the battery of the entry's
    data set and threat model (a standard model: the data set's usual threat model, L∞); the data
    set's default protocol where no battery is shipped for it."""
    threat = (
        entry.training.threat_model if entry.training.threat_model in ("Linf", "L2") else "Linf"
    )
    return (
        battery_protocol_name(entry.dataset, threat)
        or battery_protocol_name(entry.dataset, "Linf")
        or default_protocol_name(entry.dataset)
    )


def battery_protocol_name(dataset: str, threat_model: str) -> str | None:
    """The shipped battery of a data set and threat model (``cifar10-battery-linf``), or None."""
    name = f"{dataset}-battery-{threat_model.lower()}"
    return name if name in protocol_files() else None


def shipped_headlines() -> dict[str, str]:
    """Protocol name → its declared headline value, for every shipped protocol that declares one."""
    out = {}
    for name, path in protocol_files().items():
        data, _ = read_yaml(path)
        if isinstance(data, dict) and data.get("rank_by"):
            out[name] = data["rank_by"]
    return out
