"""bench has one Integrated Gradients: paper 001's IG interpreter is paper 000's attribution IG."""

from __future__ import annotations

import pathlib

import torch

from bench.explanations.interpreters import interpret
from bench.zoo.architectures.paper001 import SmallGap
from bench.zoo.model import BenchModel


def test_only_one_module_calls_captum_integrated_gradients():
    callers = [
        str(p)
        for p in pathlib.Path(__file__).parents[1].joinpath("bench").rglob("*.py")
        if "IntegratedGradients(" in p.read_text(encoding="utf-8")
    ]
    assert [pathlib.Path(c).name for c in callers] == ["integrated_gradients.py"], callers


def test_the_interpreter_ig_equals_captum_called_directly():
    from captum.attr import IntegratedGradients

    torch.manual_seed(0)
    model = BenchModel(SmallGap(num_classes=10), None).eval()
    x, classes = torch.rand(3, 3, 32, 32), torch.tensor([[1, 2], [3, 4], [5, 6]])
    ig = IntegratedGradients(model)
    direct = torch.stack(
        [
            ig.attribute(x, baselines=torch.zeros_like(x), target=classes[:, k], n_steps=50).sum(1)
            for k in range(2)
        ],
        dim=1,
    )
    assert torch.allclose(
        interpret("integrated_gradients", model, x, classes), direct, rtol=1e-5, atol=1e-9
    )
