"""The fields of each kind of ``source`` in a registry entry, one schema per registered loader.

``source.loader`` selects the schema (a tagged union), so every field error names its
field, and an unknown loader lists the known ones. The code that acts on each kind
lives in :mod:`bench.zoo.loaders`.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Literal, Union, get_args

from pydantic import AfterValidator, Field, model_validator

from bench.spec import SHA256_PATTERN, FiniteStrict

Sha256 = Annotated[str, Field(pattern=SHA256_PATTERN, description="lower-case hex SHA-256")]


def _relative_inside(value: str) -> str:
    """A path that stays inside the folder it is relative to: not absolute, no ``..``."""
    path = PurePosixPath(value.replace("\\", "/"))
    if not value or path.is_absolute() or ".." in path.parts or "\0" in value:
        raise ValueError("must be a relative path inside its folder, without '..'")
    return value


RelativePath = Annotated[str, AfterValidator(_relative_inside)]
KeyPath = Annotated[
    str | None,
    Field(
        description="where the state dict sits in the checkpoint: dotted keys/indices, e.g. 'state_dict.0'"
    ),
]


class StateDictFields(FiniteStrict):
    """How to pull a state dict out of a checkpoint file."""

    key: KeyPath = None
    strip_prefixes: tuple[str, ...] = ()


class PackageFile(StateDictFields):
    """A checkpoint shipped inside an installed Python package."""

    loader: Literal["package_file"]
    package: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    resource: RelativePath = Field(
        description="path inside the package, e.g. examples/model_test.pt"
    )
    sha256: Sha256 | None = None


class SharedAsset(StateDictFields):
    """A state-dict file in the shared assets folder (``--assets`` / ``BENCH_ASSETS``)."""

    loader: Literal["shared_asset"]
    asset: RelativePath = Field(
        description="path relative to the assets folder, e.g. models/captum/cifar_torchvision.pt"
    )
    sha256: Sha256 | None = None


class UserCheckpoint(StateDictFields):
    """A user's own checkpoint: a local path or an http(s) URL, SHA-256 verified."""

    loader: Literal["user_checkpoint"]
    path: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")
    sha256: Sha256 | None = None

    @model_validator(mode="after")
    def _one_location(self) -> UserCheckpoint:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of 'path' and 'url'")
        if self.url is not None and self.sha256 is None:
            raise ValueError("a checkpoint downloaded from a URL must pin its sha256")
        return self


class ProperInterpretability(FiniteStrict):
    """A pickled list of numpy arrays from Boopathy et al.'s release (paper 001)."""

    loader: Literal["proper_interpretability"]
    asset: RelativePath = Field(description="path relative to the assets folder")
    sha256: Sha256 | None = None


class RobustModelsTransfer(FiniteStrict):
    """A Microsoft robust-models-transfer ImageNet checkpoint (MadryLab ``robustness`` layout).

    Without ``url`` it comes from the Hugging Face Hub through ``hf_hub_download`` at the
    pinned commit ``revision`` (so what a file name means cannot change under the pin).
    """

    loader: Literal["robust_models_transfer"]
    file: str = Field(
        pattern=r"^[A-Za-z0-9_.\-]+\.ckpt$", description="file name in the Hugging Face repository"
    )
    repository: str = Field(
        default="madrylab/robust-imagenet-models",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    )
    revision: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{40}$",
        description="the Hub commit the file is downloaded at (40 hex digits)",
    )
    url: str | None = Field(
        default=None, pattern=r"^https?://", description="override the download URL"
    )
    sha256: Sha256 | None = None
    classifier_prefix: str = Field(
        default="module.model.",
        pattern=r"^[A-Za-z0-9_.]+\.$",
        description="key prefix of the classifier's weights: 'module.model.' for the robustness library's own "
        "architectures, 'module.model.model.' for torchvision ones it wraps (add_custom_forward)",
    )

    @model_validator(mode="after")
    def _pinned_revision(self) -> RobustModelsTransfer:
        if self.url is None and self.revision is None:
            raise ValueError(
                "a Hub download needs 'revision', the commit to download at (40 hex digits)"
            )
        return self


class RobustBench(FiniteStrict):
    """An entry of ``robustbench.model_zoo``, loaded by robustbench's own ``load_model``."""

    loader: Literal["robustbench"]
    name: str
    dataset: Literal["cifar10", "cifar100", "imagenet"]
    threat_model: Literal["Linf", "L2", "corruptions"]


SOURCE_SCHEMAS = (
    PackageFile,
    SharedAsset,
    UserCheckpoint,
    ProperInterpretability,
    RobustModelsTransfer,
    RobustBench,
)
SOURCE_KINDS = tuple(get_args(cls.model_fields["loader"].annotation)[0] for cls in SOURCE_SCHEMAS)
SourceSpec = Annotated[Union[SOURCE_SCHEMAS], Field(discriminator="loader")]  # noqa: UP007 - a tuple of classes

LOADERS_NEEDING_ARCHITECTURE = {
    "package_file",
    "shared_asset",
    "user_checkpoint",
    "proper_interpretability",
    "robust_models_transfer",
}
