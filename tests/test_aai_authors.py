"""The authors' attack against interpretability (variant authors_topk) against a direct transcription of
their released ``aai_topk`` (eval.py of github.com/AkhilanB/Proper-Interpretability), on a tiny fixed CAM net."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau
from torch import nn

from bench.metrics.base import RunContext
from bench.metrics.interpretation import AUTHORS_TOPK, Interpretation, InterpretationParams
from bench.zoo.model import BenchModel

EPS, STEPS, K, SEED = 0.3, 12, 4, 3


class TinyCamNet(nn.Module):
    """conv → ReLU → bias-free 1×1 conv (the CAM head); logits are the spatial mean of the raw CAM."""

    def __init__(self):
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.conv = nn.Conv2d(1, 6, 3, padding=1)
        self.head = nn.Conv2d(6, 3, 1, bias=False)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=gen))

    def cam(self, x):
        return self.head(torch.relu(self.conv(x)))

    def forward(self, x):
        return self.cam(x).mean(dim=(2, 3))


class Images:
    """A test set of fixed random 6×6 images with fixed labels."""

    def __init__(self):
        gen = torch.Generator().manual_seed(1)
        self.x, self.labels = (
            torch.rand(10, 1, 6, 6, generator=gen),
            np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]),
        )

    def load(self, idx):
        return self.x[idx], torch.as_tensor(self.labels[idx])

    def batches(self, indices, batch_size):
        for start in range(0, len(indices), batch_size):
            idx = indices[start : start + batch_size]
            yield (idx, *self.load(idx))


def tiny_model():
    model = BenchModel(TinyCamNet(), None).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def transcribed_aai_topk(model, x_nat, labels, eps, k, steps, seed):
    """eval.py's aai_topk, line by line (TF → torch): the raw CAM of the true label, its top-k positions on the
    clean image, loss = −mean Σ_topk CAM(x_adv), x_adv += 0.01·sign(∇loss), clip to the ε-ball then to [0, 1];
    τ (scipy) on the true-label maps averaged over images whose prediction did not change. The uniform start is
    the one the protocol's seed draws: torch's generator in place of np.random.uniform(-eps, eps)."""
    gen = torch.Generator().manual_seed(seed)
    noise = (torch.rand(x_nat.shape, generator=gen) * 2 - 1) * eps
    x_adv = torch.clip(x_nat + noise, 0, 1)
    rows = torch.arange(len(x_nat))
    cam_true = model.net.cam(x_nat)[rows, labels].flatten(1)
    true_idx = torch.topk(cam_true, k).indices
    for _ in range(steps):
        x_adv = x_adv.detach().requires_grad_(True)
        cam_true_adv_topk = torch.gather(model.net.cam(x_adv)[rows, labels].flatten(1), 1, true_idx)
        loss = -torch.mean(torch.sum(cam_true_adv_topk, dim=1))
        (grad,) = torch.autograd.grad(loss, x_adv)
        x_adv = x_adv.detach() + 0.01 * torch.sign(grad)
        x_adv = torch.clip(torch.maximum(torch.minimum(x_adv, x_nat + eps), x_nat - eps), 0, 1)
    with torch.no_grad():
        cam_val, cam_adv_val = model.net.cam(x_nat).numpy(), model.net.cam(x_adv).numpy()
        clean_out, adv_out = model(x_nat).numpy(), model(x_adv).numpy()
    corr_sum, total, per_image = 0.0, 0, []
    for i in range(len(x_nat)):
        tr = int(labels[i])
        if np.argmax(clean_out[i]) == np.argmax(adv_out[i]):  # "Ignore if prediction changed"
            c = kendalltau(cam_val[i, tr], cam_adv_val[i, tr])[0]
            corr_sum, total = corr_sum + c, total + 1
            per_image.append(c)
        else:
            per_image.append(None)
    return x_adv, corr_sum / max(total, 0.01), per_image


def run_metric(params: InterpretationParams, batch_size: int = 10):
    images = Images()
    ctx = RunContext(
        model=tiny_model(),
        entry=None,
        protocol=None,
        testset=images,
        indices=np.arange(10),
        batch_size=batch_size,
        device=torch.device("cpu"),
        seed=SEED,
    )
    return Interpretation().run(ctx, params)


def authors_params(**more) -> InterpretationParams:
    return InterpretationParams(
        variant="authors_topk", interpreter="cam", eps=(EPS,), steps=STEPS, k=K, examples=0, **more
    )


def test_authors_variant_equals_a_transcription_of_their_loop():
    from bench.attacks.aai import TopKInterpretationAttack

    model, images = tiny_model(), Images()
    x, y = images.load(np.arange(10))
    x_ref, tau_ref, per_image_ref = transcribed_aai_topk(model, x, y, EPS, K, STEPS, SEED)
    settings = authors_params().resolved()
    x_ours = TopKInterpretationAttack(
        model,
        torch.full((10,), EPS),
        STEPS,
        0.01,
        k=K,
        seed=SEED,
        hinge_weight=settings["hinge_weight"],
        iterate=settings["iterate"],
        random_start=settings["random_start"],
    ).perturb(x, y)
    assert torch.allclose(x_ours, x_ref, atol=1e-6)  # same start, same steps, last iterate
    out = run_metric(authors_params())
    changed = out.detail["label_changed_flags"][f"aai_tau@{EPS}"]
    assert (
        changed == [int(t is None) for t in per_image_ref] and 0 < sum(changed) < 10
    )  # exclusion exercised
    ours = [
        None if c else t for t, c in zip(out.detail["per_image_tau"][f"aai_tau@{EPS}"], changed)
    ]
    assert [t is None for t in ours] == [t is None for t in per_image_ref]
    assert [t for t in ours if t is not None] == pytest.approx(
        [t for t in per_image_ref if t is not None], abs=1e-5
    )
    assert out.values[f"aai_tau@{EPS}"] == pytest.approx(tau_ref, abs=1e-5)


def test_authors_variant_is_not_the_hinge_variant_and_is_recorded():
    authors, hinge = (
        run_metric(authors_params()),
        run_metric(authors_params().model_copy(update={"variant": "bench_hinge"})),
    )
    assert hinge.detail["label_changed"][f"aai_tau@{EPS}"] == 0
    assert authors.values[f"aai_tau@{EPS}"] != pytest.approx(
        hinge.values[f"aai_tau@{EPS}"], abs=1e-3
    )
    assert {f: authors.detail[f] for f in AUTHORS_TOPK} == AUTHORS_TOPK and authors.detail[
        "variant"
    ] == "authors_topk"
    records = Interpretation().records(authors.values, authors.detail, authors_params())
    assert (
        records[0].params["variant"] == "authors_topk" and records[0].params["cam_label"] == "true"
    )
    assert records[0].n == 10 - authors.detail["label_changed"][f"aai_tau@{EPS}"]


def test_authors_variant_refuses_settings_it_fixes():
    for clash in (
        {"hinge_weight": 1.0},
        {"iterate": "best"},
        {"random_start": False},
        {"cam_label": "predicted"},
        {"objective": "l1"},
    ):
        with pytest.raises(ValueError, match="authors_topk"):
            authors_params(**clash)
    assert authors_params(iterate="last").resolved() == AUTHORS_TOPK
    assert InterpretationParams(eps=(0.1,)).resolved() == {
        "hinge_weight": 1.0,
        "iterate": "best",
        "random_start": False,
        "cam_label": "predicted",
    }


def test_every_interpretation_protocol_names_its_variant():
    from bench.protocols import get_protocol, protocol_files

    names = [n for n in protocol_files() if "interpretation" in n]
    assert len(names) >= 4
    for name in names:
        protocol = get_protocol(name)
        variant = protocol.metrics["interpretation"]["variant"]
        assert variant in ("authors_topk", "bench_hinge") and variant in protocol.description
