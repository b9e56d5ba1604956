"""Registered loaders: turn an entry's ``source`` into a network with its weights.

A loader returns the bare network (it expects *normalized* input); :func:`bench.zoo.model.load_model`
adds the entry's normalization in front. Loaders never import or run code named in YAML:
they only read files, always through ``weights_only=True`` or a numpy-only unpickler.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from torch import nn

from bench import assets
from bench.errors import MissingFileError, SpecError
from bench.registry import Registry
from bench.zoo.architectures import build_architecture
from bench.zoo.checkpoint import (
    load_into,
    load_state_dict_strict,
    safe_torch_load,
)
from bench.zoo.schema import ModelEntry

Loader = Callable[[ModelEntry], nn.Module]
LOADERS: Registry[Loader] = Registry("loader")

HF_ENDPOINT_ENV = (
    "BENCH_HF_ENDPOINT"  # also HF_ENDPOINT, as huggingface_hub reads it (bench.zoo.hub)
)


def _architecture(entry: ModelEntry) -> nn.Module:
    arch = entry.architecture
    assert arch is not None  # the schema requires it for these loaders
    return build_architecture(arch.name, entry.num_classes, dict(arch.params))


def _verified(path: Path, sha256: str | None) -> Path:
    if sha256:
        from bench.zoo.download import verify_sha256

        verify_sha256(path, sha256)
    return path


def package_resource(package: str, resource: str) -> Path:
    """The path of a file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingFileError(f"Package {package!r} is not installed (pip install {package}).")
    root = Path(next(iter(spec.submodule_search_locations))).resolve()
    path = (root / resource).resolve()
    if root not in path.parents:
        raise SpecError(f"resource {resource!r} points outside package {package!r}.")
    if not path.is_file():
        raise MissingFileError(f"Package {package!r} has no file {resource!r} (looked at {path}).")
    return path


def check_entry_files(entry: ModelEntry) -> None:
    """Raise the loader's own error now if a local checkpoint of ``entry`` is missing (before any data loads).

    Downloads are not attempted here; only files the entry names on this machine are checked.
    """
    src = entry.source
    if src.loader == "user_checkpoint" and src.path is not None:
        _user_path(entry)
    elif src.loader in ("shared_asset", "proper_interpretability"):
        assets.asset_path(src.asset)
    elif src.loader == "package_file":
        package_resource(src.package, src.resource)


def _user_path(entry: ModelEntry) -> Path:
    path = Path(entry.source.path).expanduser()
    if not path.is_file():
        raise MissingFileError(
            f"Checkpoint of {entry.id!r} not found: place it at {path.resolve()}."
        )
    return path


@LOADERS.register("package_file")
def load_package_file(entry: ModelEntry) -> nn.Module:
    """Load a checkpoint shipped inside an installed package into the entry's architecture."""
    src = entry.source
    path = _verified(package_resource(src.package, src.resource), src.sha256)
    return load_into(_architecture(entry), path, src.key, src.strip_prefixes)


@LOADERS.register("shared_asset")
def load_shared_asset(entry: ModelEntry) -> nn.Module:
    """Load a checkpoint from the shared assets into the entry's architecture."""
    src = entry.source
    path = _verified(assets.asset_path(src.asset), src.sha256)
    return load_into(_architecture(entry), path, src.key, src.strip_prefixes)


@LOADERS.register("user_checkpoint")
def load_user_checkpoint(entry: ModelEntry) -> nn.Module:
    """Load a local (or downloaded, from ``url``) checkpoint into the entry's architecture."""
    src = entry.source
    if src.url is not None:
        from bench.zoo.download import content_subdir, fetch

        path = fetch(src.url, sha256=src.sha256, subdir=content_subdir("user", src.url, src.sha256))
    else:
        path = _verified(_user_path(entry), src.sha256)
    return load_into(_architecture(entry), path, src.key, src.strip_prefixes)


@LOADERS.register("proper_interpretability")
def load_proper_interpretability(entry: ModelEntry) -> nn.Module:
    """Load one of paper 001's released pickles into its PyTorch port (numpy-only unpickler)."""
    from bench.zoo.architectures.paper001 import load_paper001

    src = entry.source
    path = _verified(assets.asset_path(src.asset), src.sha256)
    arch = entry.architecture
    assert arch is not None
    return load_paper001(
        arch.name,
        path,
        num_classes=entry.num_classes,
        in_channels=int(arch.params.get("in_channels", 3)),
    )


def robustness_state_dict(
    checkpoint: object,
    origin: str,
    prefix: str = "module.model.",
) -> tuple[dict, tuple[float, ...], tuple[float, ...]]:
    """Classifier weights and normalizer of a MadryLab ``robustness`` checkpoint.

    The layout is ``{'model': {'module.normalizer.new_mean', 'module.normalizer.new_std',
    'module.model.*', 'module.attacker.model.*', 'module.attacker.normalize.*'}, ...}``; the
    attacker's copy of the classifier is dropped. ``prefix`` is ``module.model.model.`` for a
    torchvision network the library wrapped (``add_custom_forward=True``).
    """
    sd = (
        checkpoint.get("model", checkpoint.get("state_dict"))
        if isinstance(checkpoint, dict)
        else None
    )
    if not isinstance(sd, dict):
        raise SpecError(f"{origin} is not a robustness-library checkpoint (no 'model' state dict).")
    try:
        mean = tuple(sd["module.normalizer.new_mean"].flatten().tolist())
        std = tuple(sd["module.normalizer.new_std"].flatten().tolist())
    except KeyError:
        raise SpecError(f"{origin} has no module.normalizer.new_mean/new_std.") from None
    weights = {k[len(prefix) :]: v for k, v in sd.items() if k.startswith(prefix)}
    if not weights:
        raise SpecError(f"{origin} has no '{prefix}*' weights.")
    return weights, mean, std


def _check_normalization(entry: ModelEntry, mean: tuple, std: tuple, origin: str) -> None:
    norm = entry.preprocessing.normalization
    close = (
        norm is not None
        and len(norm.mean) == len(mean)
        and all(abs(a - b) < 1e-5 for a, b in zip(norm.mean + norm.std, mean + std))
    )
    if not close:
        raise SpecError(
            f"{origin} normalizes with mean {mean}, std {std}, but entry {entry.id!r} says {norm}."
        )


def robust_models_transfer_file(entry: ModelEntry) -> Path:
    """The checkpoint of a robust-models-transfer entry: from its ``url``, else from the Hub at its revision."""
    src = entry.source
    if src.url is not None:
        from bench.zoo.download import content_subdir, fetch

        subdir = content_subdir("robust_models_transfer", src.url, src.sha256)
        return fetch(src.url, sha256=src.sha256, subdir=subdir, fname=src.file)
    from bench.zoo.hub import hub_file

    return hub_file(src.repository, src.file, revision=src.revision, sha256=src.sha256)


@LOADERS.register("robust_models_transfer")
def load_robust_models_transfer(entry: ModelEntry) -> nn.Module:
    """Load a MadryLab robust-models-transfer checkpoint; its normalizer must match the entry."""
    path = robust_models_transfer_file(entry)
    weights, mean, std = robustness_state_dict(
        safe_torch_load(path), str(path), entry.source.classifier_prefix
    )
    _check_normalization(entry, mean, std, str(path))
    return load_state_dict_strict(_architecture(entry), weights, origin=str(path))


def robustbench_files(name: str, dataset: str, threat_model: str, model_dir: Path) -> list[Path]:
    """Where robustbench's ``load_model`` keeps the checkpoint file(s) of a zoo entry."""
    from bench.zoo.robustbench_loader import robustbench_files as files

    return files(name, dataset, threat_model, model_dir)


@LOADERS.register("robustbench")
def load_robustbench(entry: ModelEntry) -> nn.Module:
    """robustbench's own ``load_model`` (:mod:`bench.zoo.robustbench_loader`)."""
    from bench.zoo.robustbench_loader import load_robustbench_model

    return load_robustbench_model(entry)
