"""One contract for every gradient attack: inside its ε-ball and [0,1], model untouched, deterministic for a seed.

PGD (L∞, L2, with and without a random start), the attack against interpretability (top-k and ℓ1
objectives) and the interpretability sneaking attack, on a randomly initialised paper-001 CAM
network (no assets needed).
"""

from __future__ import annotations

import pytest
import torch

from bench.attacks import PGD
from bench.attacks.aai import TopKInterpretationAttack
from bench.attacks.isa import InterpretabilitySneakingAttack
from bench.zoo.architectures.paper001 import SmallGap
from bench.zoo.model import BenchModel

EPS = 8 / 255


def make_model() -> BenchModel:
    torch.manual_seed(0)
    model = BenchModel(SmallGap(num_classes=10), None).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def runner(kind: str, model: BenchModel, seed: int):
    """``(x, y) -> x_adv`` for one attack configuration."""
    if kind.startswith("pgd"):
        norm = "L2" if "l2" in kind else "Linf"
        eps = 0.5 if norm == "L2" else EPS
        attack = PGD(model, eps, 5, eps / 4, norm=norm, random_start="rs" in kind, seed=seed)
        return attack.perturb
    if kind.startswith("aai"):
        objective = "l1" if "l1" in kind else "topk"
        attack = TopKInterpretationAttack(model, EPS, 5, 0.01, objective=objective, random_start="rs" in kind or None,
                                          seed=seed)
        return attack.perturb
    attack = InterpretabilitySneakingAttack(model, EPS, 10, 0.01, bisection_steps=1, random_start="rs" in kind, seed=seed)

    def sneak(x, y):
        with torch.no_grad():
            runner_up = model(x).topk(2, dim=1).indices[:, 1]
        return attack.perturb(x, y, runner_up)
    return sneak


ATTACKS = ["pgd-linf", "pgd-linf-rs", "pgd-l2", "pgd-l2-rs", "aai-topk", "aai-topk-rs", "aai-l1", "isa", "isa-rs"]


@pytest.mark.parametrize("kind", ATTACKS)
def test_attack_contract(kind):
    model = make_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(6, 3, 32, 32, generator=gen)
    with torch.no_grad():
        y = model(x).argmax(1)
    x_adv = runner(kind, model, seed=3)(x, y)
    delta = (x_adv - x).flatten(1)
    if "l2" in kind:
        assert float(delta.norm(dim=1).max()) <= 0.5 + 1e-5
    else:
        assert float(delta.abs().max()) <= EPS + 1e-6
    assert float(x_adv.min()) >= 0 and float(x_adv.max()) <= 1
    assert not model.training and all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert not any(p.requires_grad for p in model.parameters())
    assert torch.equal(x_adv, runner(kind, model, seed=3)(x, y))  # same seed, same examples
    assert not torch.equal(x_adv, x)  # it did attack
    if kind.endswith("-rs") or kind == "aai-l1":
        assert not torch.equal(x_adv, runner(kind, model, seed=4)(x, y))  # the seed reaches the start
