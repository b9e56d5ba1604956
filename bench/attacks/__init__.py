"""Attacks on [0,1] images, one contract (:mod:`bench.attacks.base`): constructed with the model, its
bounds and its parameters, ``perturb(x, y) -> x_adv``.

Importing this package imports every module in it, so an attack is registered by its file alone
(``docs/extending.md``): there is no list of modules to keep up to date.
"""

import importlib
import pkgutil

from bench.attacks.base import ATTACKS, Attack, make_attack, register_attack
from bench.attacks.pgd import PGD, minimal_eps

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["ATTACKS", "PGD", "Attack", "make_attack", "minimal_eps", "register_attack"]
