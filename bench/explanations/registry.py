"""One registry of explainers: every explanation method bench computes, in the forms it offers.

An :class:`Explainer` offers one or both of two forms:

- ``attribute(space, z, target, params, seeds) -> maps`` shaped like ``z``: a feature attribution
  (paper 000, §4.1), used by the Gini measures and the inductive attacks;
- ``class_maps(model, x, classes) -> maps`` with ``classes`` (B, K) and maps (B, K, h, w): one
  interpretation map per requested class (paper 001, §2), used by the attacks against
  interpretability, ISA and Proposition 1.

Integrated Gradients offers both, from one implementation
(:mod:`bench.explanations.integrated_gradients`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.errors import SpecError
from bench.registry import Registry

Attribute = Callable[[Any, Any, Any, Any, Sequence[int]], Any]  # (space, z, target, params, seeds)
ClassMaps = Callable[[Any, Any, Any], Any]  # (model, x, classes) -> (B, K, h, w)


@dataclass(frozen=True)
class Explainer:
    """An explanation method: its name and the forms it offers (at least one)."""

    name: str
    attribute: Attribute | None = None
    class_maps: ClassMaps | None = None

    def form(self, which: str) -> Callable:
        """The ``attribute`` or ``class_maps`` function; SpecError when this method has no such form."""
        fn = getattr(self, which)
        if fn is None:
            offered = [f for f in ("attribute", "class_maps") if getattr(self, f) is not None]
            raise SpecError(
                f"{self.name} offers no {which} form (it offers {', '.join(offered)}): "
                f"choose one of {', '.join(explainers_with(which))}"
            )
        return fn


EXPLAINERS: Registry[Explainer] = Registry("explainer")


def register_explainer(
    name: str, *, attribute: Attribute | None = None, class_maps: ClassMaps | None = None
) -> Explainer:
    """Register explainer ``name`` with the forms it offers; a second registration raises."""
    if attribute is None and class_maps is None:
        raise ValueError(f"explainer {name!r} offers no form")
    return EXPLAINERS.register(name)(Explainer(name, attribute, class_maps))


def explainers_with(form: str) -> list[str]:
    """The names of the registered explainers offering ``form`` (``attribute`` or ``class_maps``)."""
    return [n for n in EXPLAINERS if getattr(EXPLAINERS.get(n), form) is not None]
