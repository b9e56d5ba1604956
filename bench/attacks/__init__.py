"""Attacks on [0,1] images. Contract: constructed with the model and its budget, ``perturb(x, y) -> x_adv``."""

from bench.attacks.pgd import PGD, minimal_eps

__all__ = ["PGD", "minimal_eps"]
