"""Parameters of clean accuracy: none."""

from __future__ import annotations

from bench.spec import FiniteStrict


class NoParams(FiniteStrict):
    """The parameters of a metric that takes none."""

    pass
