"""The Int/Int2 regulariser equals the authors' ``train.py`` (AkhilanB/Proper-Interpretability) on fixed inputs."""

from __future__ import annotations

import pytest
import torch

from bench.explanations.discrepancy import (
    authors_target_free_discrepancy,
    target_free_discrepancy,
)
from bench.training import get_recipe
from bench.training.losses import interpretation_discrepancy, training_loss
from bench.zoo.architectures import build_architecture
from bench.zoo.model import BenchModel

INT_RECIPES = ["int", "int2", "int-adv", "int2-adv", "int-one"]


def smallgap(seed: int = 0) -> BenchModel:
    torch.manual_seed(seed)
    return BenchModel(build_architecture("smallgap", 10, {"in_channels": 3}), None)


def fixed_batch(seed: int = 1, n: int = 4) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, 32, 32, generator=g)
    x_adv = (x + (torch.rand(x.shape, generator=g) * 2 - 1) * 8 / 255).clamp(0, 1)
    return x, x_adv, torch.randint(10, (n,), generator=g)


def authors_cam_diff(
    net, x: torch.Tensor, x_adv: torch.Tensor, y: torch.Tensor, oneclass: bool
) -> torch.Tensor:
    """``train_int`` lines 687–707 transcribed in NHWC, one op per TF op; ``x`` is the last conv's output."""
    x, x_adv = net.features(x).permute(0, 2, 3, 1), net.features(x_adv).permute(0, 2, 3, 1)
    W = net.cam_conv.weight[
        :, :, 0, 0
    ].T  # the (1, 1, channels, classes) kernel as (channels, classes)
    classes = W.shape[1]
    labels = torch.nn.functional.one_hot(y, classes).float()
    logits_adv = x_adv.mean(dim=(1, 2)) @ W  # avg_pool over the whole map, then conv2d with W
    softmax_adv = torch.softmax(logits_adv, dim=1)
    softmax_adv = softmax_adv * (1 - labels)
    softmax_adv = softmax_adv / softmax_adv.sum(dim=1, keepdim=True)
    cam, cam_adv = x @ W, x_adv @ W  # conv2d(x, W, 'SAME') with a 1x1 kernel
    cam_true_adv = (labels.reshape(-1, 1, 1, classes) * cam_adv).sum(dim=3)
    cam_true = (labels.reshape(-1, 1, 1, classes) * cam).sum(dim=3)
    cam_targ_adv = softmax_adv.reshape(-1, 1, 1, classes) * cam_adv
    cam_targ = softmax_adv.reshape(-1, 1, 1, classes) * cam
    true_term = (cam_true_adv - cam_true).flatten(1).abs().sum(dim=1)
    if oneclass:
        return true_term
    return (cam_targ_adv - cam_targ).flatten(1).abs().sum(dim=1) + true_term


@pytest.mark.parametrize("one_class", [False, True])
def test_regulariser_equals_the_authors_formula_and_its_gradient(one_class):
    model, (x, x_adv, y) = smallgap(), fixed_batch()
    for p in model.parameters():
        p.requires_grad_(True)
    ours = interpretation_discrepancy(model, x, x_adv, y, one_class)
    theirs = authors_cam_diff(model.net, x, x_adv, y, one_class)
    assert float(theirs.detach().min()) > 0
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    ours_grad = torch.autograd.grad(ours.mean(), list(model.parameters()))
    theirs_grad = torch.autograd.grad(theirs.mean(), list(model.parameters()))
    for a, b in zip(ours_grad, theirs_grad):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_the_weights_are_renormalised_over_the_other_classes_with_gradient():
    clean, perturbed = torch.randn(2, 3, 2, 2), torch.randn(2, 3, 2, 2)
    labels, logits = torch.tensor([1, 0]), torch.randn(2, 3, requires_grad=True)
    got = authors_target_free_discrepancy(clean, perturbed, labels, logits)
    l1 = (clean - perturbed).flatten(2).abs().sum(2)
    for b in range(2):
        others = [i for i in range(3) if i != labels[b]]
        soft = torch.softmax(logits[b], 0)
        want = l1[b, labels[b]] + sum(soft[i] / soft[others].sum() * l1[b, i] for i in others)
        assert got[b].item() == pytest.approx(want.item(), rel=1e-6)
    (grad,) = torch.autograd.grad(got.sum(), logits)
    assert float(grad.abs().sum()) > 0


def test_renormalised_weights_stay_finite_when_the_true_class_takes_all_the_mass():
    clean, perturbed = torch.randn(1, 3, 2, 2), torch.randn(1, 3, 2, 2)
    got = authors_target_free_discrepancy(
        clean, perturbed, torch.tensor([0]), torch.tensor([[200.0, 0.0, 0.0]])
    )
    l1 = (clean - perturbed).flatten(2).abs().sum(2)[0]
    assert got.item() == pytest.approx((l1[0] + 0.5 * l1[1] + 0.5 * l1[2]).item(), rel=1e-6)


def test_bench_v1_keeps_the_earlier_scaling():
    """bench_v1: eq. (7) with ½ factors and unrenormalised weights on CAMs divided by h·w."""
    model, (x, x_adv, y) = smallgap(), fixed_batch()
    with torch.no_grad():
        raw, raw_adv = model.cam(x), model.cam(x_adv)
        hw = raw.shape[-2] * raw.shape[-1]
        want = target_free_discrepancy(raw / hw, raw_adv / hw, y, raw_adv.mean(dim=(2, 3)))
        got = interpretation_discrepancy(model, x, x_adv, y, form="bench_v1")
        authors = interpretation_discrepancy(model, x, x_adv, y, form="authors")
    torch.testing.assert_close(got, want)
    assert bool(
        (authors > 2 * hw * got * 0.99).all()
    )  # raw maps and no ½: at least 2·h·w times larger


@pytest.mark.parametrize("name", INT_RECIPES)
def test_every_int_recipe_defaults_to_the_authors_form_and_bench_v1_changes_the_loss(name):
    recipe = get_recipe(name)
    assert recipe.regularizer_form == "authors" and recipe.version >= 2
    model, (x, _, y) = smallgap(), fixed_batch(n=2)
    quick = recipe.model_copy(update={"attack": recipe.attack.model_copy(update={"steps": 1})})
    losses = {}
    for form in ("authors", "bench_v1"):
        r = quick.model_copy(update={"regularizer_form": form})
        _, extra = training_loss(model, x, y, r, 8 / 255, torch.Generator().manual_seed(0))
        losses[form] = extra["disc"]
    assert losses["authors"] > losses["bench_v1"] > 0
