"""Reading YAML specs with errors a person can act on: the file, the line, the field.

YAML is parsed with ``yaml.safe_load`` only (no tags that build objects). Schema errors
from pydantic are reported all at once, each with its field path and source line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bench.errors import MissingFileError, SpecError
from bench.zoo.sources import SOURCE_KINDS

M = TypeVar("M", bound=BaseModel)
LineOf = Callable[[tuple], "int | None"]


def _line_index(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map every key path of a composed YAML tree to its 1-based line."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = path + (key.value,)
            out[sub] = key.start_mark.line + 1
            _line_index(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, path + (i,), out)
    return out


def read_yaml(path: str | Path) -> tuple[Any, LineOf]:
    """Parse a YAML file safely; return the data and a function from key path to line number."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"No such file: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"{path} is not valid YAML{where}: {problem}.") from None
    lines = _line_index(node) if node is not None else {}

    def line_of(loc: tuple) -> int | None:
        for cut in range(len(loc), -1, -1):  # the deepest known ancestor of the field
            if loc[:cut] in lines:
                return lines[loc[:cut]]
        return None

    return data, line_of


def describe_errors(exc: ValidationError, line_of: LineOf, prefix: tuple = ()) -> list[str]:
    """One line per schema violation: ``line N: field.path: message``."""
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _TAG_NAMES))
        full = prefix + loc
        line = line_of(full)
        field = ".".join(str(p) for p in full) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the schema)"
        lines.append(f"{'line ' + str(line) + ': ' if line else ''}{field}: {msg}")
    return lines


# pydantic puts the tag of a tagged union into error locations; people never wrote it.
_TAG_NAMES = set(SOURCE_KINDS)


def validate(model: type[M], data: Any, line_of: LineOf, origin: str, prefix: tuple = ()) -> M:
    """Validate ``data`` against ``model``; on failure raise SpecError listing every violation."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = describe_errors(exc, line_of, prefix)
        raise SpecError(f"{origin} does not match the {model.__name__} schema:\n  " + "\n  ".join(problems)) from None
