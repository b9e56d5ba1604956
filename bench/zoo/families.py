"""Model families: the compact form of many registry entries that differ only along a grid.

A family in ``model_zoo.yaml`` is pure data::

    families:
    - family: robust_models_transfer
      provenance: where the pins and reported figures come from
      entry: {...}                  # fields shared by every member, with {placeholders}
      grids:
      - axes: {arch: [resnet18, resnet50], eps: [{key: '1', file: '1.0'}]}
        entry: {...}                # overlaid on the family's entry for this grid
      files:                        # one row per member, keyed by its ``files_key`` (source.file)
        resnet18_linf_eps1.0.ckpt: {sha256: ..., clean_accuracy: 0.6346}

Every point of a grid (the product of its axes) is one member: the two ``entry`` mappings
are merged (the grid's wins), ``{axis}`` is replaced by the point's value on that axis (its
``key``), ``{axis.field}`` by a field of a mapping value, and the member's row of ``files``
gives ``source.sha256`` and ``reported.clean_accuracy``. Each member is then validated as a
plain entry. Substitution is plain text replacement: nothing in a family is evaluated.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Annotated, Any

from pydantic import Field, model_validator

from bench.errors import SpecError
from bench.spec import FiniteStrict
from bench.zoo.sources import Sha256

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
MAX_MEMBERS = 10_000  # the product of a hostile grid's axes is checked before it is expanded
Scalar = str | int | float
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\}")
# Where a ``files`` row puts each of its fields in the member entry.
ROW_FIELDS = {
    "sha256": ("source", "sha256"),
    "clean_accuracy": ("reported", "clean_accuracy"),
}


class AxisValue(FiniteStrict):
    """One value of a grid axis: its ``key`` (what ``{axis}`` becomes) and named companions."""

    key: Scalar
    fields: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Scalar] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        """A scalar is its own key; a mapping is ``{key: ..., other: ...}``."""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return {"key": value}
        if isinstance(value, dict) and "key" in value:
            return {
                "key": value["key"],
                "fields": {k: v for k, v in value.items() if k != "key"},
            }
        return value


class Grid(FiniteStrict):
    """The product of named axes, and the entry fields these members add or override."""

    axes: dict[Annotated[str, Field(pattern=NAME_PATTERN)], list[AxisValue]] = Field(min_length=1)
    entry: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _non_empty_axes(self) -> Grid:
        if any(not values for values in self.axes.values()):
            raise ValueError("every axis needs at least one value")
        return self


class FileRow(FiniteStrict):
    """What is known of one member's file: its SHA-256 pin and the authors' clean accuracy (0-1)."""

    sha256: Sha256 | None = None
    clean_accuracy: float | None = Field(default=None, ge=0, le=1)


class Family(FiniteStrict):
    """A named family: shared entry fields, grids of members, and a table of per-file facts."""

    family: str = Field(pattern=NAME_PATTERN)
    provenance: str | None = Field(
        default=None, description="where the pins and reported figures come from"
    )
    entry: dict[str, Any]
    grids: list[Grid] = Field(min_length=1)
    files_key: str = Field(
        default="source.file",
        pattern=r"^[a-z_]+(\.[a-z_]+)*$",
        description="the member field (dotted path) whose value keys its row of 'files'",
    )
    files: dict[str, FileRow]


def expand_family(family: Family) -> list[dict[str, Any]]:
    """The raw member entries of ``family`` (not yet validated), in grid order.

    Raises SpecError when a placeholder names no axis, a member's file has no row in
    ``files``, or a row of ``files`` belongs to no member.
    """
    total = sum(math.prod(len(values) for values in grid.axes.values()) for grid in family.grids)
    if total > MAX_MEMBERS:
        raise SpecError(
            f"family {family.family!r}: its grids make {total} members; a family may have at most {MAX_MEMBERS}."
        )
    members, used = [], set()
    for grid in family.grids:
        template = _merged(family.entry, grid.entry)
        for point in _points(grid):
            member = _substitute(template, point, family.family)
            key = _file_of(member, family)
            if key not in family.files:
                raise SpecError(
                    f"family {family.family!r}: member {member.get('id')!r} has file {key!r}, "
                    "which has no row in 'files'."
                )
            used.add(key)
            members.append(_with_row(member, family.files[key]))
    unused = sorted(set(family.files) - used)
    if unused:
        raise SpecError(
            f"family {family.family!r}: 'files' rows {unused} belong to no member of its grids."
        )
    return members


def _points(grid: Grid) -> list[dict[str, AxisValue]]:
    names = list(grid.axes)
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid.axes[n] for n in names))]


def _merged(base: dict, overlay: dict) -> dict:
    """``base`` with ``overlay`` on top; nested mappings merge, anything else is replaced."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = (
            _merged(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def _substitute(value: Any, point: dict[str, AxisValue], family: str) -> Any:
    """Replace every ``{axis}`` / ``{axis.field}`` in the strings of ``value`` (recursively)."""
    if isinstance(value, dict):
        return {k: _substitute(v, point, family) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, point, family) for v in value]
    if not isinstance(value, str):
        return value
    whole = _PLACEHOLDER.fullmatch(value)
    if (
        whole
    ):  # a value that is one placeholder keeps the axis value's type (a number stays a number)
        return _lookup(whole, point, family)
    return _PLACEHOLDER.sub(lambda m: str(_lookup(m, point, family)), value)


def _lookup(match: re.Match, point: dict[str, AxisValue], family: str) -> Scalar:
    axis, field = match.group(1), match.group(2)
    if axis not in point:
        raise SpecError(
            f"family {family!r}: placeholder {match.group(0)!r} names no axis "
            f"(axes: {', '.join(point)})."
        )
    value = point[axis]
    if field is None:
        return value.key
    if field not in value.fields:
        raise SpecError(
            f"family {family!r}: axis {axis!r} value {value.key!r} has no field {field!r} "
            f"(placeholder {match.group(0)!r})."
        )
    return value.fields[field]


def _file_of(member: dict, family: Family) -> str:
    """The value of ``family.files_key`` in ``member``: the key of its row of ``files``."""
    value: Any = member
    for part in family.files_key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if not isinstance(value, str):
        raise SpecError(
            f"family {family.family!r}: member {member.get('id')!r} has no {family.files_key!r} "
            "to look up in 'files'."
        )
    return value


def _with_row(member: dict, row: FileRow) -> dict:
    """The member with the non-empty fields of its ``files`` row put where ``ROW_FIELDS`` says."""
    out = member
    for name, (section, field) in ROW_FIELDS.items():
        value = getattr(row, name)
        if value is not None:
            out = _merged(out, {section: {field: value}})
    return out
