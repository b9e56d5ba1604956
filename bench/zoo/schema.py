"""The schema of a registry entry (``model_zoo.yaml`` and submitted YAML files).

An entry is pure data: every per-model quirk (checkpoint key, prefixes to strip,
normalization, input size) is a field. ``source.loader`` and ``architecture.name``
name *registered* code; nothing in an entry is ever imported or executed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from bench.datasets import DATASETS
from bench.spec import FiniteStrict, parse_eps
from bench.zoo.sources import LOADERS_NEEDING_ARCHITECTURE, SourceSpec

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"
MAX_INPUT_SIDE = 4096  # channels, height and width of a model input

# the data sets of the registry (bench/datasets.py): adding one there adds it here
Dataset = Literal[tuple(DATASETS)]  # type: ignore[valid-type]
ThreatModel = Literal["Linf", "L2", "corruptions", "none"]


Dimension = Annotated[int, Field(ge=1, le=MAX_INPUT_SIDE)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class Normalization(FiniteStrict):
    """Per-channel mean and (positive) std, applied inside the model to [0,1] input."""

    mean: tuple[FiniteFloat, ...] = Field(min_length=1)
    std: tuple[FiniteFloat, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _same_length(self) -> Normalization:
        if len(self.mean) != len(self.std):
            raise ValueError("mean and std must have the same number of channels")
        if any(s <= 0 for s in self.std):
            raise ValueError("every std must be positive")
        return self


class Preprocessing(FiniteStrict):
    """How raw test images become the model's [0,1] input; normalization is inside the model."""

    input_size: tuple[Dimension, Dimension, Dimension] = Field(
        description="C, H, W of the model input"
    )
    transform: str | None = Field(
        default=None,
        description="RobustBench preprocessing name for folder data sets (Res256Crop224, Crop288, ...)",
    )
    normalization: Normalization | None = None


class Training(FiniteStrict):
    """What the model was trained for."""

    method: str = Field(
        description="standard, pgd_at, trades, int, int2, certified, ... (free text)"
    )
    threat_model: ThreatModel = "none"
    eps: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    _eps = field_validator("eps", mode="before")(parse_eps)

    @model_validator(mode="after")
    def _eps_iff_threat(self) -> Training:
        if self.threat_model in ("Linf", "L2") and self.eps is None:
            raise ValueError(f"threat_model {self.threat_model} needs eps")
        if self.threat_model == "none" and self.eps not in (None, 0):
            raise ValueError("eps is given but threat_model is 'none'")
        return self


class Architecture(FiniteStrict):
    """A registered architecture name and the parameters passed to its builder."""

    name: str = Field(description="a registered architecture (bench list --architectures)")
    params: dict[str, int | float | str | bool] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _registered(cls, value: str) -> str:
        from bench.zoo.architecture_specs import ARCHITECTURE_SPECS

        if value not in ARCHITECTURE_SPECS:
            from bench.registry import suggest

            names = ARCHITECTURE_SPECS.names()
            raise ValueError(
                f"unknown architecture {value!r}.{suggest(value, names)} "
                f"Registered: {', '.join(names)}"
            )
        return value

    @model_validator(mode="after")
    def _params_taken(self) -> Architecture:
        from bench.errors import SpecError
        from bench.zoo.architecture_specs import check_params

        try:
            check_params(self.name, dict(self.params))
        except SpecError as exc:
            raise ValueError(str(exc)) from None
        return self


class Paper(FiniteStrict):
    """Where a model was published: title, link, authors and venue."""

    title: str
    url: str | None = None
    authors: str | None = None
    venue: str | None = Field(default=None, description="where it was published, e.g. ICLR 2020")


class ModelEntry(FiniteStrict):
    """One registry entry: id, data set, training, weights source, architecture, preprocessing."""

    id: str = Field(pattern=ID_PATTERN, description="unique, safe as a folder name")
    dataset: Dataset
    num_classes: int = Field(gt=1)
    training: Training
    source: SourceSpec
    architecture: Architecture | None = None
    preprocessing: Preprocessing
    description: str | None = None
    paper: Paper | None = None
    reported: dict[str, float] = Field(
        default_factory=dict, description="numbers the authors report"
    )
    tags: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _no_dot_segments(cls, value: str) -> str:
        if value in {".", ".."} or ".." in value:
            raise ValueError("id must not contain '..'")
        return value

    @model_validator(mode="after")
    def _architecture_when_needed(self) -> ModelEntry:
        needs = self.source.loader in LOADERS_NEEDING_ARCHITECTURE
        if needs and self.architecture is None:
            raise ValueError(f"loader {self.source.loader!r} needs an 'architecture'")
        if not needs and self.architecture is not None:
            raise ValueError(
                f"loader {self.source.loader!r} builds its own architecture; remove 'architecture'"
            )
        return self
