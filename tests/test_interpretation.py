"""Paper 001's interpretation measures, each against a direct formula or an independent implementation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from bench.explanations import (
    discrepancy,
    interpret,
    kendall_tau,
    normalized_discrepancy,
    target_free_discrepancy,
)
from bench.zoo.catalog import Zoo

ZOO = Zoo.load()


def real(model_id: str, n: int = 16):
    from bench.data import open_testset
    from bench.zoo.model import load_model

    entry = ZOO.get(model_id)
    x, y = open_testset(entry.dataset).load(np.arange(n))
    return load_model(entry), x, y


@pytest.mark.parametrize(
    "model_id",
    ["cifar_smallgap_adv", "mnist_smallgap_normal", "mnist_pool_normal", "cifar_wresnet_int"],
)
def test_cam_of_every_class_sums_to_its_logit(shared_assets, model_id):
    model, x, _ = real(model_id, 4)
    classes = torch.arange(10).expand(len(x), -1)
    maps = interpret("cam", model, x, classes)
    assert torch.allclose(maps.sum(dim=(2, 3)), model(x), atol=1e-4)


def test_gradcam_equals_captums_layer_gradcam(shared_assets):
    from captum.attr import LayerGradCam

    model, x, y = real("cifar_cnn_a_adv", 6)
    ours = interpret("gradcam", model, x, y)[:, 0]
    theirs = LayerGradCam(model, model.net[2]).attribute(x, target=y, relu_attributions=True)[:, 0]
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_gradcam_on_a_cam_network_is_the_positive_part_of_cam(shared_assets):
    """On smallgap the last conv *is* the CAM head, so ∂f_c/∂A_k = 1/u for k = c and 0 otherwise."""
    model, x, y = real("cifar_smallgap_normal", 6)
    assert torch.allclose(
        interpret("gradcam", model, x, y), torch.relu(interpret("cam", model, x, y)), atol=1e-6
    )
    assert torch.allclose(
        interpret("gradcam_signed", model, x, y), interpret("cam", model, x, y), atol=1e-6
    )
    plus = interpret("gradcam_pp", model, x, y)
    assert plus.shape == (6, 1, 8, 8) and bool((plus >= 0).all()) and float(plus.sum()) > 0


def test_discrepancies_against_direct_formulas():
    clean, perturbed = torch.randn(3, 2, 4, 4), torch.randn(3, 2, 4, 4)
    for p in (1, 2):
        expected = [
            np.mean(
                [
                    np.linalg.norm((clean[b, k] - perturbed[b, k]).flatten().numpy(), ord=p)
                    for k in range(2)
                ]
            )
            for b in range(3)
        ]
        assert discrepancy(clean, perturbed, p).tolist() == pytest.approx(expected, rel=1e-5)
    spans = clean.flatten(2).amax(2) - clean.flatten(2).amin(2)
    direct = ((clean - perturbed).flatten(2).abs().sum(2) / spans).mean(1)
    assert torch.allclose(normalized_discrepancy(clean, perturbed, 1), direct)


def test_target_free_discrepancy_is_eq_7():
    clean_all, perturbed_all = torch.randn(2, 3, 2, 2), torch.randn(2, 3, 2, 2)
    labels, logits = torch.tensor([0, 2]), torch.randn(2, 3)
    got = target_free_discrepancy(clean_all, perturbed_all, labels, logits)
    for b in range(2):
        soft = torch.softmax(logits[b], 0)
        l1 = [(clean_all[b, i] - perturbed_all[b, i]).abs().sum() for i in range(3)]
        want = 0.5 * l1[labels[b]] + 0.5 * sum(soft[i] * l1[i] for i in range(3) if i != labels[b])
        assert got[b].item() == pytest.approx(want.item(), rel=1e-6)


def test_kendall_tau_matches_scipy_with_and_without_ties():
    from scipy.stats import kendalltau

    a = torch.randn(5, 64)
    b = a + 0.8 * torch.randn(5, 64)
    a[1, :20], b[2, 10:30], a[3] = 0.0, 1.0, b[3]
    expected = [kendalltau(a[i].numpy(), b[i].numpy()).statistic for i in range(5)]
    assert kendall_tau(a, b).tolist() == pytest.approx(expected, abs=1e-12)


def test_aai_keeps_the_label_stays_in_the_ball_and_lowers_tau(shared_assets):
    from bench.attacks.aai import TopKInterpretationAttack

    model, x, _ = real("cifar_smallgap_normal", 12)
    with torch.no_grad():
        y = model(x).argmax(1)
    x_adv = TopKInterpretationAttack(model, 4 / 255, 20, 0.01).perturb(x, y)
    assert (
        float((x_adv - x).abs().max()) <= 4 / 255 + 1e-6
        and 0 <= float(x_adv.min())
        and float(x_adv.max()) <= 1
    )
    with torch.no_grad():
        assert torch.equal(model(x_adv).argmax(1), y)
        tau = kendall_tau(
            interpret("cam", model, x, y)[:, 0], interpret("cam", model, x_adv, y)[:, 0]
        )
    assert float(tau.mean()) < 0.9 and bool((tau <= 1).all())


def test_aai_l1_objective_moves_the_whole_map_further_than_topk(shared_assets):
    """objective: l1 maximises ‖I(x', y) − I(x, y)‖_1 (eq. 4) and so beats the top-k attack at it, label kept."""
    from bench.attacks.aai import TopKInterpretationAttack

    model, x, _ = real("cifar_smallgap_normal", 12)
    with torch.no_grad():
        y = model(x).argmax(1)
        clean = interpret("cam", model, x, y)[:, 0]
    moved = {}
    for objective in ("topk", "l1"):
        x_adv = TopKInterpretationAttack(model, 4 / 255, 20, 0.01, objective=objective).perturb(
            x, y
        )
        assert float((x_adv - x).abs().max()) <= 4 / 255 + 1e-6
        with torch.no_grad():
            assert torch.equal(model(x_adv).argmax(1), y)
            moved[objective] = float(
                (interpret("cam", model, x_adv, y)[:, 0] - clean).abs().sum((1, 2)).mean()
            )
    assert moved["l1"] > moved["topk"] > 0


def test_last_iterate_option_leaves_out_images_whose_label_changed(shared_assets, tmp_path):
    """iterate: last scores the final AAI iterate and averages τ only over images that kept their label."""
    from bench.battery import run_battery
    from bench.protocols import Protocol

    def run(iterate):
        protocol = Protocol.model_validate(
            {
                "name": f"tiny-aai-{iterate}",
                "version": 1,
                "description": "test",
                "dataset": "cifar10",
                "selection": {"n": 12},
                "metrics": {
                    "interpretation": {
                        "eps": ["16/255"],
                        "steps": 15,
                        "step_size": 0.01,
                        "iterate": iterate,
                        "examples": 0,
                    }
                },
            }
        ).resolve("cifar10")
        return run_battery(
            ZOO.get("cifar_smallgap_normal"),
            protocol,
            results_dir=tmp_path,
            batch_size=12,
            device="cpu",
        )

    best, last = run("best"), run("last")
    assert best.details["interpretation"]["label_changed"]["aai_tau@16/255"] == 0
    changed = last.details["interpretation"]["label_changed"]["aai_tau@16/255"]
    assert 0 < changed < 12  # a weak standard net: the hinge does not hold at 16/255
    per_image = np.array(
        [
            np.nan if t is None else t
            for t in last.details["interpretation"]["per_image_tau"]["aai_tau@16/255"]
        ]
    )
    from bench.attacks.aai import TopKInterpretationAttack

    model, x, _ = real("cifar_smallgap_normal", 12)
    with torch.no_grad():
        y = model(x).argmax(1)
    x_adv = TopKInterpretationAttack(model, 16 / 255, 15, 0.01, iterate="last").perturb(x, y)
    with torch.no_grad():
        kept = (model(x_adv).argmax(1) == y).numpy()
    assert int((~kept).sum()) == changed
    assert last.metrics["aai_tau@16/255"] == pytest.approx(
        float(np.nanmean(per_image[kept])), abs=1e-5
    )


def test_proposition_1_holds_on_successful_pgd_examples(shared_assets):
    from bench.metrics.proposition1 import Prop1Params, prop1_batch

    model, x, y = real("cifar_smallgap_normal", 32)
    d, half_margin = prop1_batch(model, x, y, Prop1Params(eps=8 / 255, steps=10))
    assert len(d) >= 5 and bool((d >= half_margin - 1e-5).all()) and bool((half_margin > 0).all())


def test_interpretation_metric_gives_the_board_its_tau_column(shared_assets, tmp_path):
    from bench.battery import run_battery
    from bench.leaderboard.columns import label, summary_values
    from bench.protocols import get_protocol

    protocol = get_protocol("cifar10-interpretation-paper001").resolve("cifar10", n_examples=4)
    fast = dict(protocol.metrics["interpretation"], steps=5, prop1={"eps": "8/255", "steps": 5})
    protocol = protocol.model_copy(update={"metrics": {"interpretation": fast}})
    for model_id, interpreter in (
        ("cifar_smallgap_adv", "cam"),
        ("cifar_cnn_a_adv", "gradcam_signed"),
    ):
        result = run_battery(
            ZOO.get(model_id), protocol, results_dir=tmp_path, batch_size=4, device="cpu"
        )
        assert result.details["interpretation"]["interpreter"] == interpreter
        assert [label(v) for v in summary_values(result.values) if v.quantity == "tau"] == [
            "τ @8/255 ↑"
        ]
        tau = result.value("aai_tau@8/255")
        assert (
            tau.higher_is_better
            and tau.params["interpreter"] == interpreter
            and tau.ci_method in ("bootstrap", "none")
        )
        assert -1 <= result.metrics["aai_tau@8/255"] <= result.metrics["aai_tau@2/255"] <= 1
    from bench.leaderboard.write import write_leaderboards

    write_leaderboards(tmp_path, tmp_path / "boards")
    page = (tmp_path / "boards" / "models" / "cifar_smallgap_adv.md").read_text()
    png = (
        tmp_path
        / "boards"
        / "models"
        / "cifar_smallgap_adv-cifar10-interpretation-paper001-interpretation.png"
    )
    assert png.read_bytes().startswith(b"\x89PNG") and png.name in page
    assert "τ @8/255 ↑" in (tmp_path / "boards" / "cifar10-Linf.md").read_text()


def test_isa_finds_targeted_examples_with_less_discrepancy_than_plain_pgd(shared_assets):
    """Weighing the discrepancy (small λ) gives successful targeted examples that move the 2-class CAM less."""
    from bench.attacks.isa import InterpretabilitySneakingAttack, class_set

    model, x, y = real("cifar_smallgap_normal", 16)
    with torch.no_grad():
        logits = model(x)
    keep = logits.argmax(1) == y
    x, y, target = x[keep], y[keep], logits[keep].topk(2, dim=1).indices[:, 1]
    attack = InterpretabilitySneakingAttack(model, 8 / 255, 20, 0.005, bisection_steps=3)
    out = attack.attack(x, y, target)
    assert bool(out.success.any())
    ok = out.success
    with torch.no_grad():
        assert torch.equal(model(out.adversarial[ok]).argmax(1), target[ok])
        assert float((out.adversarial - x).abs().max()) <= 8 / 255 + 1e-6
        classes = class_set("two", y, target, 10)
        d = discrepancy(
            interpret("cam", model, x, classes), interpret("cam", model, out.adversarial, classes)
        )
    assert torch.allclose(d[ok], out.discrepancy[ok], atol=1e-5)
    only_margin = InterpretabilitySneakingAttack(
        model, 8 / 255, 20, 0.005, lam_range=(1e3, 1e3), bisection_steps=0
    )
    plain = only_margin.attack(x, y, target)
    both = ok & plain.success
    assert float(out.discrepancy[both].mean()) < float(plain.discrepancy[both].mean())


def test_isa_metric_records_success_discrepancy_and_nds(shared_assets, tmp_path):
    from bench.battery import run_battery
    from bench.protocols import Protocol

    protocol = Protocol.model_validate(
        {
            "name": "tiny-isa",
            "version": 1,
            "description": "test",
            "dataset": "cifar10",
            "selection": {"n": 6},
            "metrics": {"isa": {"eps": ["8/255"], "steps": 5, "bisection_steps": 1}},
        }
    ).resolve("cifar10")
    result = run_battery(
        ZOO.get("cifar_smallgap_normal"), protocol, results_dir=tmp_path, batch_size=6, device="cpu"
    )
    per = result.details["isa"]["per_eps"]["8/255"]
    assert 0 <= result.metrics["isa_success@8/255"] <= 1 and per["n_successful"] == len(per["nds"])


def test_minimal_eps_matches_the_closed_form_of_a_linear_model():
    """For f(x) = Wx with two classes, the smallest L∞ flip is margin / ‖w_y − w_o‖₁; one signed step finds it."""
    from bench.attacks import minimal_eps

    torch.manual_seed(0)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(12, 2, bias=False))
    x = 0.5 + 0.01 * torch.randn(8, 3, 2, 2)
    with torch.no_grad():
        logits = linear(x)
        y = logits.argmax(1)
        w = linear[1].weight
        exact = (logits.gather(1, y[:, None])[:, 0] - logits.gather(1, 1 - y[:, None])[:, 0]) / (
            w[0] - w[1]
        ).abs().sum()
    found = minimal_eps(linear, x, y, eps_max=0.4, steps=1, step_size=1.0, search_steps=12)
    assert bool((exact < 0.4).all())
    assert bool((found >= exact - 1e-6).all()) and bool((found <= exact + 0.4 / 2**12 + 1e-6).all())
    unreachable = minimal_eps(linear, x, y, eps_max=float(exact.min()) / 2, steps=1, step_size=1.0)
    assert bool(torch.isnan(unreachable).all())


def test_nsl_is_the_relative_nds_change_over_the_relative_budget_change():
    from bench.metrics.isa import NSLParams, summarize_slopes

    params = NSLParams(eps_max="16/255", measures=("l1-two",), ratio=1.6)
    part = {
        "eps_star": np.array([0.01, np.nan, 0.02]),
        "l1-two:low_ok": np.array([True, False, True]),
        "l1-two:high_ok": np.array([True, False, False]),
        "l1-two:low_nds": np.array([2.0, np.nan, 1.0]),
        "l1-two:high_nds": np.array([2.3, np.nan, 5.0]),
    }
    values, detail = summarize_slopes([part], params)
    assert values["isa_nsl[l1-two]"] == pytest.approx(
        (0.3 / 2.0) / 0.6
    )  # only image 0 succeeded at both budgets
    assert values["isa_nds@eps*[l1-two]"] == pytest.approx(2.0)
    assert values["pgd_fooled@eps_max"] == pytest.approx(2 / 3) and values[
        "eps_star_mean"
    ] == pytest.approx(0.015)
    assert (
        detail["per_measure"]["l1-two"]["n_both_successful"] == 1 and detail["eps_star"][1] is None
    )
    with pytest.raises(ValueError, match="unknown measure"):
        NSLParams(eps_max=0.1, measures=("l3-two",))


def test_isa_metric_measures_nsl_per_measure(shared_assets, tmp_path):
    from bench.battery import run_battery
    from bench.protocols import Protocol

    protocol = Protocol.model_validate(
        {
            "name": "tiny-nsl",
            "version": 1,
            "description": "test",
            "dataset": "cifar10",
            "selection": {"n": 6},
            "metrics": {
                "isa": {
                    "steps": 5,
                    "bisection_steps": 1,
                    "nsl": {
                        "eps_max": "16/255",
                        "measures": ["l1-two", "l2-one"],
                        "search_steps": 3,
                        "pgd_steps": 5,
                    },
                }
            },
        }
    ).resolve("cifar10")
    result = run_battery(
        ZOO.get("cifar_smallgap_normal"), protocol, results_dir=tmp_path, batch_size=6, device="cpu"
    )
    detail = result.details["isa"]["nsl"]
    assert 0 < result.metrics["pgd_fooled@eps_max"] <= 1
    for measure in ("l1-two", "l2-one"):
        per = detail["per_measure"][measure]
        assert per["n_both_successful"] == len(per["nds_low"]) > 0
        assert result.metrics[f"isa_nsl[{measure}]"] >= 0
    assert not any(
        name.startswith("isa_success@") for name in result.metrics
    )  # no fixed budgets asked for


def test_first_success_iterate_is_misclassified_and_closer_than_the_last(shared_assets):
    from bench.metrics.proposition1 import Prop1Params, first_success, prop1_batch

    model, x, y = real("cifar_smallgap_normal", 24)
    with torch.no_grad():
        keep = model(x).argmax(1) == y
    x, y = x[keep], y[keep]
    params = Prop1Params(eps=8 / 255, steps=20, iterate="first_success")
    first = first_success(model, x, y, params)
    last = Prop1Params(eps=8 / 255, steps=20)
    with torch.no_grad():
        fooled = model(first).argmax(1) != y
    assert bool(fooled.any())
    d_first, half_first = prop1_batch(model, x, y, params)
    d_last, _ = prop1_batch(model, x, y, last)
    assert bool((d_first >= half_first - 1e-5).all()) and np.median(d_first) < np.median(d_last)


def test_random_start_is_a_seeded_protocol_field_of_aai_isa_and_prop1(shared_assets):
    """AAI, ISA and the Prop. 1 PGD take random_start; the same seed gives the same examples."""
    from bench.attacks.aai import TopKInterpretationAttack
    from bench.attacks.isa import InterpretabilitySneakingAttack
    from bench.metrics.interpretation import InterpretationParams
    from bench.metrics.isa import SneakingParams
    from bench.metrics.proposition1 import Prop1Params, prop1_batch

    model, x, y = real("cifar_smallgap_normal", 6)
    with torch.no_grad():
        predicted = model(x).argmax(1)
        target = model(x).topk(2, dim=1).indices[:, 1]
    for make in (
        lambda s: TopKInterpretationAttack(
            model, 4 / 255, 3, 0.01, random_start=True, seed=s
        ).perturb(x, predicted),
        lambda s: (
            InterpretabilitySneakingAttack(
                model, 4 / 255, 3, 0.01, bisection_steps=0, random_start=True, seed=s
            )
            .attack(x, predicted, target)
            .adversarial
        ),
    ):
        a, b, c = make(0), make(0), make(1)
        assert torch.equal(a, b) and not torch.equal(a, c)
        assert float((a - x).abs().max()) <= 4 / 255 + 1e-6
    d, half = prop1_batch(model, x, y, Prop1Params(eps=8 / 255, steps=2, random_start=True))
    again, _ = prop1_batch(model, x, y, Prop1Params(eps=8 / 255, steps=2, random_start=True))
    assert len(d) > 0 and np.array_equal(d, again) and bool((d >= half - 1e-4).all())
    assert SneakingParams(eps=(8 / 255,), random_start=True).random_start
    with pytest.raises(ValueError, match="random_start"):
        InterpretationParams(eps=(0.1,), objective="l1", random_start=False)
    with pytest.raises(ValueError, match="random start"):
        TopKInterpretationAttack(model, 0.1, 1, 0.01, objective="l1", random_start=False)
