"""Reading YAML specs with errors a person can act on: the file, the line, the field.

YAML is parsed with the safe loader only (no tags that build objects), within limits on
size, nesting depth and alias expansion, and a key given twice is an error. Schema errors
from pydantic are reported all at once, each with its field path and source line.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bench.errors import MissingFileError, SpecError

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


# Limits that keep a hostile file from hanging bench: each is checked before the work it bounds.
MAX_YAML_BYTES = 4 * 1024 * 1024  # model_zoo.yaml is under 100 kB
MAX_YAML_DEPTH = 64  # nested mappings and sequences
MAX_YAML_NODES = 100_000  # nodes after alias expansion (what every reader of the data walks)

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml_text(path: str | Path) -> str:
    """The text of a YAML file: a regular, readable, UTF-8 file of at most ``MAX_YAML_BYTES``."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise MissingFileError(f"No such file: {path}") from None
    except OSError as exc:
        raise SpecError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(info.st_mode)
            else "not a regular file (a device, a pipe or a socket)"
        )
        raise SpecError(f"{path} is {kind}; give the path of a YAML file.")
    if info.st_size > MAX_YAML_BYTES:
        raise SpecError(
            f"{path} is {info.st_size} bytes; a YAML spec may be at most {MAX_YAML_BYTES} bytes."
        )
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if len(raw) > MAX_YAML_BYTES:  # grew since stat
        raise SpecError(
            f"{path} is larger than {MAX_YAML_BYTES} bytes, the most a YAML spec may be."
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"{path} is not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x}); save it as UTF-8."
        ) from None


def read_yaml(path: str | Path) -> tuple[Any, LineOf]:
    """Parse a YAML file safely; return the data and a function from key path to line number.

    Refused with a :class:`SpecError` naming the line: invalid YAML, tags that build objects,
    nesting deeper than ``MAX_YAML_DEPTH``, aliases that expand past ``MAX_YAML_NODES`` nodes
    or refer to themselves, and a key given twice in one mapping.
    """
    text = read_yaml_text(path)
    try:
        _check_events(text, path)
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_nodes(node, path)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise SpecError(_yaml_problem(path, exc)) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp such as 2001-13-45
        raise SpecError(f"{path} has a value YAML cannot build: {exc}.") from None
    lines = _line_index(node) if node is not None else {}

    def line_of(loc: tuple) -> int | None:
        for cut in range(len(loc), -1, -1):  # the deepest known ancestor of the field
            if loc[:cut] in lines:
                return lines[loc[:cut]]
        return None

    return data, line_of


def _yaml_problem(path: str | Path, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{path} is not valid YAML{where}: {problem}."


def _check_events(text: str, path: str | Path) -> None:
    """Refuse nesting past ``MAX_YAML_DEPTH`` and more than ``MAX_YAML_NODES`` values, reading events only."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise SpecError(
                    f"{path} nests deeper than {MAX_YAML_DEPTH} levels "
                    f"(line {event.start_mark.line + 1}); a spec is never that deep."
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise SpecError(
                    f"{path} holds more than {MAX_YAML_NODES} values; a spec is never that large."
                )


def _check_nodes(root: yaml.Node, path: str | Path) -> None:
    """Refuse self-referring aliases, alias expansion past ``MAX_YAML_NODES``, and duplicate keys."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(
        node: yaml.Node,
    ) -> int:  # nodes once aliases are expanded, each shared node counted once per use
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            raise SpecError(
                f"{path}: an alias at line {node.start_mark.line + 1} refers to itself."
            )
        open_nodes.add(id(node))
        children = _children(node)
        if isinstance(node, yaml.MappingNode):
            _check_unique_keys(node, path)
        total = 1 + sum(size(child) for child in children)
        open_nodes.discard(id(node))
        if total > MAX_YAML_NODES:
            raise SpecError(
                f"{path}: aliases expand to more than {MAX_YAML_NODES} values "
                f"(line {node.start_mark.line + 1}); write the values out instead."
            )
        sizes[id(node)] = total
        return total

    size(root)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_unique_keys(node: yaml.MappingNode, path: str | Path) -> None:
    """A key given twice in one mapping is an error (YAML loaders silently keep the last one)."""
    seen: dict[tuple[str, str], int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue
        line = key.start_mark.line + 1
        if (key.tag, key.value) in seen:
            raise SpecError(
                f"{path}: key {key.value!r} appears twice in one mapping (lines "
                f"{seen[(key.tag, key.value)]} and {line}); keep one."
            )
        seen[(key.tag, key.value)] = line


def written_path(loc: tuple, data: Any, missing: bool = False) -> tuple:
    """The part of a pydantic error location that the person wrote.

    pydantic puts the tag of a tagged union into error locations (``sources.0.robustbench.x``);
    a tag is a string that is not a key of the data at that point (nor, for a ``missing`` error,
    the final key that should have been written).
    """
    out, node = [], data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif (
            isinstance(part, str) and isinstance(node, dict) and not (missing and i == len(loc) - 1)
        ):
            continue  # a union tag: skip it, stay at this node
        else:
            node = None
        out.append(part)
    return tuple(out)


def describe_errors(
    exc: ValidationError, line_of: LineOf, prefix: tuple = (), data: Any = None
) -> list[str]:
    """One line per schema violation: ``line N: field.path: message``."""
    lines = []
    for err in exc.errors():
        full = prefix + written_path(tuple(err["loc"]), data, err["type"] == "missing")
        line = line_of(full)
        field = ".".join(str(p) for p in full) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the schema)"
        lines.append(f"{'line ' + str(line) + ': ' if line else ''}{field}: {msg}")
    return lines


def validate(model: type[M], data: Any, line_of: LineOf, origin: str, prefix: tuple = ()) -> M:
    """Validate ``data`` against ``model``; on failure raise SpecError listing every violation."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = describe_errors(exc, line_of, prefix, data)
        raise SpecError(
            f"{origin} does not match the {model.__name__} schema:\n  " + "\n  ".join(problems)
        ) from None
