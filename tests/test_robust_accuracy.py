"""PGD, the PGD grid, AutoAttack through bench, and the gradient-masking checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from bench.attacks import PGD
from bench.battery import run_battery
from bench.data.testsets import ArrayTestSet
from bench.metrics import METRICS, RunContext
from bench.metrics.autoattack import AutoAttackParams
from bench.metrics.pgd_grid import PGDGridParams
from bench.protocols import get_protocol
from bench.results.checks import masking_flags
from bench.zoo.catalog import Zoo


def small_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(4),
        nn.Flatten(),
        nn.Linear(128, 10),
    ).eval()


def images(n=12, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 8, 8, generator=gen), torch.randint(0, 10, (n,), generator=gen)


@pytest.mark.parametrize("norm,eps", [("Linf", 8 / 255), ("L2", 0.5)])
@pytest.mark.parametrize("random_start", [False, True])
def test_pgd_stays_in_the_ball_and_the_box_and_leaves_the_model_alone(norm, eps, random_start):
    model = small_net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = images()
    x_adv = PGD(model, eps, 5, eps / 4, norm=norm, random_start=random_start, seed=1).perturb(x, y)
    delta = (x_adv - x).flatten(1)
    size = delta.abs().amax(1) if norm == "Linf" else delta.norm(dim=1)
    assert (size <= eps + 1e-6).all() and x_adv.min() >= 0 and x_adv.max() <= 1
    assert not model.training and all(
        torch.equal(v, model.state_dict()[k]) for k, v in before.items()
    )
    again = PGD(model, eps, 5, eps / 4, norm=norm, random_start=random_start, seed=1).perturb(x, y)
    assert torch.equal(x_adv, again)


def test_one_run_scores_every_step_count_as_separate_runs_would():
    model = small_net()
    x, y = images(20)
    at = PGD(model, 8 / 255, 12, 0.01).accuracy_at_steps(x, y, [1, 5, 12])
    for k in (1, 5, 12):
        separate = model(PGD(model, 8 / 255, k, 0.01).perturb(x, y)).argmax(1) == y
        assert torch.equal(at[k], separate)


def ctx_for(model, x, y, protocol_eps=8 / 255, batch_size=5):
    testset = ArrayTestSet("t", (x * 255).round().byte().numpy(), y.numpy(), origin="t")
    xq, _ = testset.load(np.arange(len(y)))
    protocol = get_protocol("quick").resolve("cifar10").model_copy(update={"eps": protocol_eps})
    return RunContext(
        model, None, protocol, testset, np.arange(len(y)), batch_size, torch.device("cpu"), 0
    ), xq


def test_autoattack_through_bench_equals_the_library_called_directly():
    from bench.compat import alias_autoattack

    model = small_net(3)
    x, y = images(10, seed=4)
    with torch.no_grad():
        y = model(x).argmax(1)  # all clean-correct, so every attack has work to do
    ctx, xq = ctx_for(model, x, y)
    params = AutoAttackParams(version="custom", attacks=("apgd-ce", "apgd-t"))
    ours = METRICS.get("autoattack").run(ctx, params)
    direct = alias_autoattack().AutoAttack(
        model,
        norm="Linf",
        eps=8 / 255,
        version="custom",
        attacks=["apgd-ce", "apgd-t"],
        seed=0,
        device="cpu",
    )
    direct.verbose = False
    _, y_adv = direct.run_standard_evaluation(xq, y, batch_size=5)
    assert ours.detail["robust_flags"] == (y_adv == y).int().tolist()
    assert ours.values["autoattack_acc@8/255"] == int((y_adv == y).sum()) / len(y)


def test_autoattack_resumes_after_the_last_finished_attack(tmp_path, monkeypatch):
    model = small_net(3)
    x, y = images(10, seed=4)
    with torch.no_grad():
        y = model(x).argmax(1)
    ctx, _ = ctx_for(model, x, y)
    ctx.state_dir = tmp_path
    params = AutoAttackParams(version="custom", attacks=("apgd-ce", "apgd-t"))
    full = METRICS.get("autoattack").run(ctx, params)
    state = (tmp_path / "autoattack.state.json").read_text()
    assert '"apgd-ce"' in state and '"apgd-t"' in state
    import bench.metrics.autoattack as aa

    monkeypatch.setattr(
        aa, "run_one_attack", lambda *a, **k: pytest.fail("a finished attack ran again")
    )
    resumed = METRICS.get("autoattack").run(ctx, params)
    assert (
        resumed.values == full.values
        and resumed.detail["robust_flags"] == full.detail["robust_flags"]
    )


class Saturated(nn.Module):
    """A deliberately gradient-masked model: logits scaled so far that softmax saturates in float32."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return 1e4 * self.net(x)


def test_masked_model_is_flagged_and_an_honest_one_is_not():
    net = small_net(5)
    x, y = images(10, seed=6)
    with torch.no_grad():
        y = net(x).argmax(1)
    params = PGDGridParams(eps=(2 / 255, 8 / 255), steps=(1, 10), step_size_rel=0.25)
    for model, expect_flag in ((Saturated(net), True), (net, False)):
        ctx, _ = ctx_for(model, x, y)
        out = METRICS.get("pgd_grid").run(ctx, params)
        flags = masking_flags(
            METRICS.get("pgd_grid").records(out.values, out.detail, params),
            {"pgd_grid": out.detail},
        )
        assert bool(flags) == expect_flag, flags
        if (
            expect_flag
        ):  # the saturated net keeps exactly its zero-gradient images, and the check says so
            kept, zero = (
                out.detail["robust_flags"]["pgd10_acc@8/255"],
                out.detail["zero_gradient_flags"],
            )
            assert sum(kept) > 0 and all(z for k, z in zip(kept, zero) if k)
            assert any(
                f"{sum(kept)} of the {sum(kept)} images still correct under pgd10_acc@8/255" in f
                for f in flags
            )


def record(name: str, value: float, n: int = 100):
    """A hand-built value record: ``(metric, attack, ε, steps)`` given with the name, as a run would build it."""
    from bench.results.values import share

    metric, attack, eps, steps = RECORDS[name]
    params = {"attack": attack, "eps": eps} | ({"steps": steps} if steps else {})
    return share(name, metric, "accuracy", higher_is_better=True, value=value, n=n, **params)


RECORDS = {
    "pgd1_acc@8/255": ("pgd_grid", "pgd", 8 / 255, 1),
    "pgd10_acc@8/255": ("pgd_grid", "pgd", 8 / 255, 10),
    "pgd10_acc@2/255": ("pgd_grid", "pgd", 2 / 255, 10),
    "fgsm_acc@8/255": ("pgd_grid", "fgsm", 8 / 255, 1),
    "autoattack_acc@8/255": ("autoattack", "autoattack", 8 / 255, None),
}


def records(values: dict) -> list:
    return [record(name, v) for name, v in values.items()]


def test_saturated_survivors_are_counted_on_the_strongest_attack_at_the_largest_eps():
    details = {
        "pgd_grid": {
            "zero_gradient_images": 2,
            "zero_gradient_flags": [1, 1, 0, 0],
            "robust_flags": {"pgd10_acc@8/255": [1, 0, 1, 0], "pgd1_acc@8/255": [1, 1, 1, 0]},
        }
    }
    flags = masking_flags(records({"pgd1_acc@8/255": 0.75, "pgd10_acc@8/255": 0.5}), details)
    assert flags[-1].startswith("1 of the 2 images still correct under pgd10_acc@8/255")
    details["pgd_grid"]["zero_gradient_flags"] = [
        0,
        1,
        0,
        1,
    ]  # zero gradients, but none among the survivors
    assert (
        len(masking_flags(records({"pgd1_acc@8/255": 0.75, "pgd10_acc@8/255": 0.5}), details)) == 1
    )


@pytest.mark.parametrize(
    "values,expected",
    [
        ({"pgd10_acc@2/255": 0.5, "pgd10_acc@8/255": 0.6}, "rises with ε"),
        ({"pgd1_acc@8/255": 0.2, "pgd10_acc@8/255": 0.3}, "rises with PGD steps"),
        ({"pgd10_acc@8/255": 0.3, "fgsm_acc@8/255": 0.2}, "one-step attack beats PGD"),
        ({"pgd10_acc@8/255": 0.3, "autoattack_acc@8/255": 0.35}, "AutoAttack weaker than PGD"),
    ],
)
def test_each_check_against_hand_built_values(values, expected):
    flags = masking_flags(records(values), {})
    assert len(flags) == 1 and expected in flags[0]
    assert masking_flags(records({k: 0.1 for k in values}), {}) == []


def test_real_robust_model_is_not_flagged_under_quick(shared_assets, tmp_path):
    """The CI protocol runs AutoAttack on a handful of images of a real adversarially trained model."""
    entry = Zoo.load().get("cifar_smallgap_adv")
    protocol = get_protocol("quick").resolve("cifar10", n_examples=8)
    result = run_battery(entry, protocol, results_dir=tmp_path, batch_size=8, device="cpu")
    assert result.flags == []
    assert (
        result.metrics["autoattack_acc@8/255"]
        <= result.metrics["pgd10_acc@8/255"]
        <= result.metrics["clean_accuracy"]
    )


def test_step_size_accepts_a_fraction():
    assert PGDGridParams(eps=("8/255",), steps=(10,), step_size="2/255").step_size == pytest.approx(
        2 / 255
    )


@pytest.mark.parametrize(
    "name,threat,eps",
    [
        ("cifar10-autoattack", "Linf", 8 / 255),
        ("cifar10-autoattack-l2", "L2", 0.5),
        ("mnist-autoattack", "Linf", 0.3),
        ("imagenet-autoattack", "Linf", 4 / 255),
    ],
)
def test_autoattack_protocols_use_robustbench_budgets_and_rank_by_autoattack(name, threat, eps):
    from bench.metrics.autoattack import autoattack_value

    protocol = get_protocol(name)
    assert protocol.threat_model == threat and protocol.eps == pytest.approx(eps)
    assert protocol.rank_by == autoattack_value(protocol.eps)
    assert protocol.metrics["autoattack"]["version"] == "standard"
    grid = PGDGridParams.model_validate(protocol.metrics["pgd_grid"])
    assert (
        grid.eps == pytest.approx((eps,)) and max(grid.steps) >= 50
    )  # PGD beside AutoAttack: the cross-check


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "",
        "[]",
        '{"robust": [1, 0], "per_attack": {}}',
        '{"robust": [1, 0, 1], "per_attack": {"no-such-attack": 0.5}}',
        '{"robust": ["x", 0, 1], "per_attack": {}}',
    ],
)
def test_corrupt_or_foreign_autoattack_state_is_discarded_with_a_warning(tmp_path, text):
    from bench.metrics.autoattack import AutoAttackMetric
    from bench.metrics.base import ResumeStateWarning

    path = tmp_path / "autoattack.state.json"
    path.write_text(text)
    with pytest.warns(ResumeStateWarning, match="Discarding resume state"):
        assert AutoAttackMetric._load_state(path, 3, ["apgd-ce", "apgd-t"]) == {}
    assert not path.exists()


def test_usable_autoattack_state_is_kept(tmp_path):
    from bench.metrics.autoattack import AutoAttackMetric

    path = tmp_path / "autoattack.state.json"
    path.write_text('{"robust": [1, 0, 1], "per_attack": {"apgd-ce": 0.6667}}')
    assert AutoAttackMetric._load_state(path, 3, ["apgd-ce", "apgd-t"])["robust"] == [1, 0, 1]
