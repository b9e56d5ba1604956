"""The model registry: ``model_zoo.yaml``, submitted entries, and RobustBench's own zoo.

``model_zoo.yaml`` holds ``schema_version`` and a list ``models`` of entries; a submitted
file holds one entry. RobustBench entries are not copied into the YAML: they are derived
from ``robustbench.model_zoo`` on demand, with ids ``robustbench-<dataset>-<threat>-<name>``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from bench.datasets import DATASETS, default_eps
from bench.errors import SpecError, UnknownNameError
from bench.registry import suggest
from bench.yamlio import read_yaml, validate
from bench.zoo.schema import ModelEntry

ZOO_ENV = "BENCH_ZOO"
ZOO_SCHEMA_VERSION = 1
ROBUSTBENCH_PREFIX = "robustbench-"


def default_zoo_path() -> Path:
    """``BENCH_ZOO``, else the checkout's ``model_zoo.yaml``, else the copy inside the wheel."""
    if os.environ.get(ZOO_ENV):
        return Path(os.environ[ZOO_ENV])
    package_dir = Path(__file__).resolve().parents[1]
    checkout = package_dir.parent / "model_zoo.yaml"
    return checkout if checkout.is_file() else package_dir / "model_zoo.yaml"


def read_entry(path: str | Path) -> ModelEntry:
    """Validate a submitted YAML file holding one entry."""
    data, line_of = read_yaml(path)
    if not isinstance(data, dict):
        raise SpecError(
            f"{path}: a submission is one YAML mapping (id, dataset, source, ...), "
            f"got {type(data).__name__}."
        )
    return validate(ModelEntry, data, line_of, origin=str(path))


def read_zoo(path: str | Path) -> dict[str, ModelEntry]:
    """Validate a registry file: its ``models`` and the members of its ``families``.

    Every entry must validate and ids must be unique across both (:mod:`bench.zoo.families`).
    """
    data, line_of = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise SpecError(f"{path}: expected a mapping with 'schema_version' and a list 'models'.")
    if data.get("schema_version") != ZOO_SCHEMA_VERSION:
        raise SpecError(
            f"{path}: schema_version must be {ZOO_SCHEMA_VERSION}, got {data.get('schema_version')!r}."
        )
    unknown = sorted(set(data) - {"schema_version", "models", "families"})
    if unknown:
        raise SpecError(
            f"{path}: unknown top-level keys {unknown}; a registry holds schema_version, models, families."
        )
    entries: dict[str, ModelEntry] = {}
    for i, raw in enumerate(data["models"]):
        entry = validate(
            ModelEntry, raw, line_of, origin=f"{path} (models[{i}])", prefix=("models", i)
        )
        _add_unique(
            entries,
            entry,
            f"{path}: id {entry.id!r} appears twice (line {line_of(('models', i))}).",
        )
    for entry, origin in _family_members(path, data.get("families", []), line_of):
        _add_unique(entries, entry, f"{origin}: id {entry.id!r} is already registered.")
    return entries


def _add_unique(entries: dict[str, ModelEntry], entry: ModelEntry, message: str) -> None:
    if entry.id in entries:
        raise SpecError(message)
    entries[entry.id] = entry


def _family_members(path: str | Path, families: object, line_of) -> list[tuple[ModelEntry, str]]:
    """Each validated member of each family, with where it comes from (for error messages)."""
    from bench.zoo.families import Family, expand_family

    if not isinstance(families, list):
        raise SpecError(f"{path}: 'families' must be a list of families.")
    members = []
    for i, raw in enumerate(families):
        family = validate(
            Family, raw, line_of, origin=f"{path} (families[{i}])", prefix=("families", i)
        )
        origin = f"{path} (family {family.family!r}, line {line_of(('families', i))})"
        for raw_entry in expand_family(family):
            members.append(
                (
                    validate(ModelEntry, raw_entry, line_of, origin=origin, prefix=("families", i)),
                    origin,
                )
            )
    return members


@dataclass
class Zoo:
    """Registry lookups, with suggestions for unknown ids."""

    entries: dict[str, ModelEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Zoo:
        """Read and validate a registry file (default: :func:`default_zoo_path`)."""
        return cls(read_zoo(path or default_zoo_path()))

    def get(self, model_id: str) -> ModelEntry:
        """The entry of ``model_id`` (RobustBench ids derived on demand), else UnknownNameError."""
        if model_id in self.entries:
            return self.entries[model_id]
        if model_id.startswith(ROBUSTBENCH_PREFIX):
            rb = robustbench_entries()
            if model_id in rb:
                return rb[model_id]
        raise UnknownNameError(
            f"Unknown model {model_id!r}.{suggest(model_id, list(self.entries))} "
            "See `bench list` (and `bench list --robustbench` for RobustBench's zoo)."
        )

    def add(self, entry: ModelEntry) -> None:
        """Register one more entry; a SpecError if its id is already taken."""
        if entry.id in self.entries:
            raise SpecError(f"Model id {entry.id!r} is already registered; choose another id.")
        self.entries[entry.id] = entry

    def ids(self) -> list[str]:
        """The registered ids, in registry order (RobustBench's zoo not included)."""
        return list(self.entries)


def robustbench_entry(dataset: str, threat: str, name: str, info: dict) -> ModelEntry:
    """A registry entry for one model of ``robustbench.model_zoo``, with RobustBench's own metadata.

    Paper, authors, venue, architecture and the reported clean / AutoAttack (or corruptions)
    accuracy come from RobustBench's ``model_info`` record (:mod:`bench.zoo.robustbench_info`).
    """
    from bench.zoo.robustbench_info import model_info, reported_values

    meta = model_info(dataset, threat, name) or {}
    architecture = f": {meta['architecture']}" if meta.get("architecture") else ""
    return ModelEntry(
        id=f"{ROBUSTBENCH_PREFIX}{dataset}-{threat}-{name}",
        dataset=dataset,
        num_classes=DATASETS[dataset].num_classes,
        training={
            "method": "robustbench",
            "threat_model": threat,
            "eps": default_eps(dataset, threat),
        },
        source={"loader": "robustbench", "name": name, "dataset": dataset, "threat_model": threat},
        preprocessing=_robustbench_preprocessing(dataset, info),
        description=f"RobustBench {dataset} {threat} zoo entry {name}{architecture}",
        paper=_robustbench_paper(meta),
        reported=reported_values(meta) if meta else {},
        tags=("robustbench",),
    )


def _robustbench_preprocessing(dataset: str, info: dict) -> dict:
    """Input size and transform: an ImageNet model names its own (``Res256Crop224`` by default)."""
    transform = info.get("preprocessing") if dataset == "imagenet" else None
    crop = re.search(r"(\d+)$", transform or "")
    size = int(crop.group(1)) if crop else (224 if dataset == "imagenet" else 32)
    return {
        "input_size": (3, size, size),
        "transform": transform or ("Res256Crop224" if dataset == "imagenet" else None),
    }


def _robustbench_paper(meta: dict) -> dict | None:
    """The paper of RobustBench's ``model_info`` record (title, link, authors, venue), if named."""
    if not meta.get("name"):
        return None
    return {
        "title": meta["name"],
        "url": meta.get("link") or None,
        "authors": meta.get("authors") or None,
        "venue": meta.get("venue") or None,
    }


def robustbench_entries() -> dict[str, ModelEntry]:
    """Every model of ``robustbench.model_zoo`` (CIFAR-10/100, ImageNet; Linf, L2, corruptions)."""
    from bench.compat import import_robustbench

    import_robustbench()
    from robustbench.model_zoo import model_dicts

    entries = {}
    for dataset, by_threat in model_dicts.items():
        for threat, models in by_threat.items():
            for name, info in models.items():
                entry = robustbench_entry(dataset.value, threat.value, name, info)
                entries[entry.id] = entry
    return entries
