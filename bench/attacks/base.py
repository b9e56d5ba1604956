"""The attack contract and its registry.

Every attack is constructed with the model, its input bounds and its parameters, and maps a
batch of images and labels to adversarial images: ``Attack(model, bounds=..., **params)``,
``perturb(x, y) -> x_adv``. What it may change is declared, so one contract test covers all:
``norm`` and ``eps`` bound ``x_adv − x`` (``norm=None``: the attack is not norm-bounded, as the
inductive noise and occlusion attacks of paper 000 are), ``x_adv`` stays within ``bounds``,
the model is untouched, and the same seed gives the same examples.

``contract_cases`` are example parameter sets, as data, from which the contract test is
generated; a new attack is one file with one ``@register_attack`` class.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from bench.registry import Registry


class Attack:
    """Base of every registered attack: ``perturb(x, y) -> x_adv`` on images within ``bounds``."""

    norm: ClassVar[str | None] = "Linf"
    seeded: ClassVar[bool] = True
    contract_cases: ClassVar[dict[str, dict[str, Any]]] = {}

    model: nn.Module
    bounds: tuple[float, float]
    eps: float

    def perturb(
        self, x: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor:  # pragma: no cover - abstract
        """Adversarial images for the batch ``x`` with labels ``y``, within ``bounds``."""
        raise NotImplementedError


ATTACKS: Registry[type[Attack]] = Registry("attack")


def register_attack(name: str):
    """Class decorator: register ``cls`` under ``name`` in :data:`ATTACKS`."""

    def add(cls: type[Attack]) -> type[Attack]:
        cls.name = name
        return ATTACKS.register(name)(cls)

    return add


def make_attack(name: str, model: nn.Module, **params: Any) -> Attack:
    """The registered attack ``name`` built on ``model`` with ``params``."""
    return ATTACKS.get(name)(model, **params)
