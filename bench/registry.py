"""One small registry mechanism for pluggable code (loaders, architectures, metrics, ...).

Duplicate names raise; unknown names raise with "did you mean ...".
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from bench.errors import UnknownNameError

T = TypeVar("T")


def suggest(name: str, choices: list[str], n: int = 3) -> str:
    """A "did you mean ..." phrase for ``name`` among ``choices`` (empty if none is close)."""
    close = difflib.get_close_matches(name, choices, n=n, cutoff=0.5)
    if not close:
        lowered = name.lower()
        close = [c for c in choices if lowered in c.lower()][:n]
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


class Registry(Generic[T]):
    """A named mapping filled by a decorator; lookups of unknown names suggest close ones."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """A decorator registering its object under ``name``; a second registration raises."""

        def decorator(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return decorator

    def get(self, name: str) -> T:
        """The object registered as ``name``; UnknownNameError with close names otherwise."""
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(
                f"Unknown {self.kind} {name!r}.{suggest(name, self.names())} "
                f"Known: {', '.join(self.names())}."
            ) from None

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)


def check_agree(code: Registry, data: Registry, where: str) -> None:
    """Refuse, when the package is imported, a code registry and its torch-free data table that
    name different entries (an entry added to one only): ``where`` says what to add, and where."""
    only_code = sorted(set(code.names()) - set(data.names()))
    only_data = sorted(set(data.names()) - set(code.names()))
    if only_code or only_data:
        raise RuntimeError(
            f"The {code.kind} registry and its table disagree: registered but not in {where}: "
            f"{only_code or 'none'}; in {where} but not registered: {only_data or 'none'}."
        )
