"""Attacks on [0,1] images, one contract (:mod:`bench.attacks.base`): constructed with the model, its
bounds and its parameters, ``perturb(x, y) -> x_adv``. Importing this package registers every attack."""

from bench.attacks import aai, inductive, isa  # noqa: F401  (registration)
from bench.attacks.base import ATTACKS, Attack, make_attack, register_attack
from bench.attacks.pgd import PGD, minimal_eps

__all__ = ["ATTACKS", "PGD", "Attack", "make_attack", "minimal_eps", "register_attack"]
