"""Parameters of clean accuracy: none."""

from __future__ import annotations

from bench.spec import Strict


class NoParams(Strict):
    """The parameters of a metric that takes none."""

    pass
