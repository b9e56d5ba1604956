"""Paper 000's inequality battery, each piece against an independent reference or a hand-built case."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bench.attacks import noise as noise_ops
from bench.attacks.occlusion import (
    Candidates,
    candidate_masks,
    occlusion_attack,
    occlusion_attack_sequential,
    patch_centres,
)
from bench.explanations import (
    AttributionParams,
    attribute,
    gini,
    gini_global,
    gini_regional,
    input_space,
    region_sums,
)
from bench.zoo.catalog import Zoo

ZOO = Zoo.load()


# --- Gini (eq. 4, appendix A.3) ---------------------------------------------------------------


def test_gini_of_the_papers_examples():
    values = gini(torch.tensor([[0, 0, 0, 1, 1.0], [0, 0, 0, 1, 1000.0]]))
    assert values[0].item() == pytest.approx(0.6)
    assert values[1].item() == pytest.approx(0.7996, abs=1e-4)  # the paper prints 0.799, truncated


def mean_absolute_difference_gini(row: np.ndarray) -> float:
    """Gini as Σ_i Σ_j |x_i − x_j| / (2 n² μ): a different formula for the same index."""
    n = len(row)
    return float(np.abs(row[:, None] - row[None, :]).sum() / (2 * n * n * row.mean()))


def test_gini_equals_the_mean_absolute_difference_formula_on_random_rows():
    rows = torch.rand(5, 300) ** 4
    expected = [mean_absolute_difference_gini(r.double().numpy()) for r in rows]
    assert gini(rows).tolist() == pytest.approx(expected, rel=1e-9)


def test_gini_is_order_free_nan_for_an_empty_map_and_refuses_negatives():
    row = torch.rand(1, 50)
    assert gini(row).item() == pytest.approx(gini(row[:, torch.randperm(50)]).item(), rel=1e-12)
    assert torch.isnan(gini(torch.zeros(1, 10))).all()
    with pytest.raises(ValueError, match="non-negative"):
        gini(torch.tensor([[1.0, -1.0]]))


def test_global_gini_uses_the_named_transform_over_all_sub_pixels():
    a = torch.randn(2, 3, 8, 8)
    assert torch.equal(gini_global(a, "abs"), gini(a.abs().flatten(1)))
    assert torch.equal(gini_global(a, "positive"), gini(a.clamp(min=0).flatten(1)))


def test_region_sums_against_a_loop():
    a = torch.rand(2, 3, 8, 12)
    sums = region_sums(a, 4, sum_channels=True)
    assert sums.shape == (2, 1, 2, 3)
    for i in range(2):
        for j in range(3):
            assert sums[:, 0, i, j] == pytest.approx(
                a[:, :, 4 * i : 4 * i + 4, 4 * j : 4 * j + 4].sum(dim=(1, 2, 3))
            )
    per_channel = region_sums(a, 4, sum_channels=False)
    assert per_channel.shape == (2, 3, 2, 3) and per_channel.sum(1, keepdim=True) == pytest.approx(
        sums
    )
    assert region_sums(torch.ones(1, 1, 6, 6), 4, True)[0, 0].tolist() == [
        [16, 8],
        [8, 4],
    ]  # border blocks


def test_regional_gini_of_the_first_code_version_is_the_positive_global_gini():
    a = torch.randn(3, 3, 8, 8)
    assert torch.allclose(gini_regional(a, "positive", 1, False), gini_global(a, "positive"))


# --- the inductive noise attack (§3.2.1) --------------------------------------------------------


def test_top_k_mask_picks_the_largest_signed_scores():
    scores = torch.tensor([[[[0.5, -3.0], [2.0, 1.0]]]])
    assert noise_ops.top_k_mask(scores, 2).flatten().tolist() == [False, False, True, True]
    assert noise_ops.top_k_mask(scores.abs(), 1).flatten().tolist() == [False, True, False, False]
    with pytest.raises(ValueError, match="1..4"):
        noise_ops.top_k_mask(scores, 5)


def test_noise_i_adds_and_noise_ii_replaces_on_the_mask_only():
    z, noise = torch.rand(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    mask = noise_ops.top_k_mask(torch.randn(2, 3, 4, 4), 5)
    added, replaced = (
        noise_ops.corrupt(z, mask, noise, "add"),
        noise_ops.corrupt(z, mask, noise, "replace"),
    )
    assert torch.equal(added[mask], z[mask] + noise[mask]) and torch.equal(
        replaced[mask], noise[mask]
    )
    assert torch.equal(added[~mask], z[~mask]) and torch.equal(replaced[~mask], z[~mask])


def test_noise_draws_depend_on_the_image_seed_not_the_batch():
    z = torch.rand(3, 3, 4, 4)
    together = noise_ops.draw_noise(z, "normal", 1.0, [7, 8, 9])
    alone = noise_ops.draw_noise(z[1:2], "normal", 1.0, [8])
    assert torch.equal(together[1:2], alone)
    masks = noise_ops.random_k_mask(z.shape, 6, [7, 8, 9])
    assert masks.flatten(1).sum(1).tolist() == [6, 6, 6] and torch.equal(
        masks[2:], noise_ops.random_k_mask(z[2:].shape, 6, [9])
    )


def test_uniform_noise_and_clamp_stay_in_each_images_range():
    z = torch.randn(4, 3, 5, 5) * torch.tensor([1.0, 2.0, 3.0, 4.0]).view(-1, 1, 1, 1)
    noise = noise_ops.draw_noise(z, "uniform_image_range", 1.0, [1, 2, 3, 4])
    low, high = noise_ops.image_range(z)
    assert bool((noise >= low).all() and (noise <= high).all())
    clamped = noise_ops.clamp(z + 10 * noise, z, "image_range", (None, None))
    assert bool((clamped >= low).all() and (clamped <= high).all())
    box = (torch.zeros(1, 3, 1, 1), torch.ones(1, 3, 1, 1))
    assert float(noise_ops.clamp(z, z, "valid_pixels", box).max()) <= 1.0


# --- the inductive occlusion attack (§3.2.2, Algorithm 1) ------------------------------------------


def test_square_patches_follow_the_codes_rows_and_clip_at_the_border():
    centres = torch.tensor([[[5, 5], [0, 9]]])
    one = Candidates(torch.tensor([1]), torch.tensor([2]))
    mask = candidate_masks(centres, one, 10, 10, "square")[0, 0]
    rows, cols = mask.nonzero(as_tuple=True)
    assert sorted(set(rows.tolist())) == [3, 4, 5, 6] and sorted(set(cols.tolist())) == [3, 4, 5, 6]
    centred = candidate_masks(centres, one, 10, 10, "centred_square")[0, 0]
    assert centred.sum() == 25 and centred[7, 7] and not mask[7, 7]
    both = candidate_masks(
        centres, Candidates(torch.tensor([2]), torch.tensor([2])), 10, 10, "square"
    )[0, 0]
    assert (
        both.sum() == 16 + 6
    )  # the corner patch keeps rows −2..1 ∩ image and columns 7..10 ∩ image: 2 × 3
    assert both[0:2, 7:10].all() and not both[2, 7:10].any()


def test_candidates_follow_the_loop_order():
    text = Candidates.of(2, 3, "count_outer")
    code = Candidates.of(2, 3, "radius_outer")
    assert list(zip(text.counts.tolist(), text.radii.tolist())) == [
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 1),
        (2, 2),
        (2, 3),
    ]
    assert list(zip(code.counts.tolist(), code.radii.tolist())) == [
        (1, 1),
        (2, 1),
        (1, 2),
        (2, 2),
        (1, 3),
        (2, 3),
    ]


def test_regional_centres_are_block_centres_in_order_of_importance():
    attribution = torch.zeros(1, 3, 8, 8)
    attribution[0, :, 4:8, 0:4] = 1.0  # block (1, 0) most important
    attribution[0, 0, 0:4, 4:8] = 0.5  # then block (0, 1)
    centres = patch_centres(attribution, 2, "regional", "abs", 4)
    assert centres[0].tolist() == [[6, 2], [2, 6]]
    pixel = patch_centres(attribution, 1, "pixel", "signed", 4)
    assert pixel[0, 0, 0].item() >= 4 and pixel[0, 0, 1].item() < 4


@pytest.mark.parametrize("model_id", ["cifar_cnn_a_adv", "cifar_smallgap_adv"])
@pytest.mark.parametrize(
    "setting",
    [
        ("regional", "abs", "count_outer", "square", "grey"),
        ("pixel", "signed", "radius_outer", "square", "image_min"),
        ("regional", "positive", "radius_outer", "centred_square", "white"),
    ],
)
def test_batched_occlusion_returns_what_the_sequential_algorithm_returns(
    shared_assets, model_id, setting
):
    from bench.data import open_testset
    from bench.zoo.model import load_model

    source, transform, loop, shape, colour_name = setting
    model = load_model(ZOO.get(model_id))
    x, y = open_testset("cifar10").load(np.arange(48))
    space = input_space(model, "model_input")
    keep = model(x).argmax(1) == y
    z, y = space.to_space(x[keep]), y[keep]
    maps = attribute(space, z, y, AttributionParams(n_steps=8), list(range(len(z))))
    centres = patch_centres(maps, 6, source, transform, 4)
    candidates = Candidates.of(6, 4, loop)
    colour = (
        noise_ops.image_range(z)[0]
        if colour_name == "image_min"
        else space.pixel_value({"grey": 0.5, "white": 1.0}[colour_name], z)
    )
    fast = occlusion_attack(space.forward, z, y, centres, candidates, colour, shape, pass_size=37)
    slow = occlusion_attack_sequential(space.forward, z, y, centres, candidates, colour, shape)
    assert 0 < int(fast.success.sum()) < len(z)  # the case is not trivial
    assert torch.equal(fast.first, slow.first) and torch.equal(fast.occluded, slow.occluded)
    assert torch.equal(fast.count, slow.count) and torch.equal(fast.radius, slow.radius)
    assert torch.equal(fast.area, slow.area)


# --- attribution -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def normalized_model(shared_assets):
    from bench.zoo.model import load_model

    return load_model(ZOO.get("cifar_cnn_a_adv"))


def test_zero_baseline_in_model_input_space_is_the_mean_image_baseline_in_pixel_space(
    normalized_model,
):
    from captum.attr import IntegratedGradients

    x, y = torch.rand(3, 3, 32, 32), torch.tensor([0, 3, 7])
    space = input_space(normalized_model, "model_input")
    ours = attribute(space, space.to_space(x), y, AttributionParams(n_steps=16), [0, 1, 2])
    mean_image = normalized_model.normalize.mean.expand_as(x)
    pixel = IntegratedGradients(normalized_model).attribute(
        x, baselines=mean_image, target=y, n_steps=16
    )
    assert torch.allclose(ours, pixel, atol=1e-5)


def test_integrated_gradients_is_complete(normalized_model):
    x, y = torch.rand(4, 3, 32, 32), torch.tensor([1, 2, 3, 4])
    space = input_space(normalized_model, "model_input")
    z = space.to_space(x)
    maps = attribute(space, z, y, AttributionParams(n_steps=256), [0, 1, 2, 3])
    logits = space.forward(z).gather(1, y[:, None])[:, 0]
    at_zero = space.forward(torch.zeros_like(z)).gather(1, y[:, None])[:, 0]
    assert torch.allclose(
        maps.flatten(1).sum(1), logits - at_zero, atol=1e-2 * float(logits.abs().max())
    )


@pytest.mark.parametrize(
    "method", ["integrated_gradients", "input_x_gradient", "smoothgrad", "gradient_shap"]
)
def test_every_method_gives_a_map_per_image_and_is_deterministic(normalized_model, method):
    params = AttributionParams(
        method=method, baseline="normal", n_steps=4, n_samples=3, noise_std=0.1
    )
    space = input_space(normalized_model, "model_input")
    z, y = space.to_space(torch.rand(2, 3, 32, 32)), torch.tensor([0, 1])
    first, again = attribute(space, z, y, params, [5, 6]), attribute(space, z, y, params, [5, 6])
    assert first.shape == z.shape and torch.equal(first, again) and float(first.abs().sum()) > 0


def test_a_random_baseline_depends_on_the_image_not_the_batch(normalized_model):
    params = AttributionParams(baseline="normal", n_steps=4)
    space = input_space(normalized_model, "model_input")
    z, y = space.to_space(torch.rand(3, 3, 32, 32)), torch.tensor([0, 1, 2])
    together = attribute(space, z, y, params, [10, 11, 12])
    alone = attribute(space, z[1:2], y[1:2], params, [11])
    assert torch.allclose(together[1:2], alone, atol=1e-6)


# --- the metric: resume, determinism, what the result holds ----------------------------------------


def small_protocol():
    from bench.protocols import Protocol

    return Protocol.model_validate(
        {
            "name": "tiny-inequality",
            "version": 1,
            "description": "test",
            "dataset": "cifar10",
            "selection": {"n": 24},
            "metrics": {
                "inequality": {
                    "attribution": {"n_steps": 4},
                    "noise": {"k": [10, 50]},
                    "occlusion": {"budgets": [[3, 2]], "colors": ["black", "white"]},
                    "examples": 3,
                }
            },
        }
    ).resolve("cifar10")


def test_interrupted_inequality_run_resumes_batch_by_batch(shared_assets, tmp_path, monkeypatch):
    from bench.battery import run_battery
    from bench.metrics.inequality import metric as inequality

    entry, protocol = ZOO.get("cifar_cnn_a_adv"), small_protocol()
    whole = run_battery(entry, protocol, results_dir=tmp_path / "whole", batch_size=8, device="cpu")
    real, calls = inequality.inequality_batch, []

    def stops_after_two(*args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(inequality, "inequality_batch", stops_after_two)
    with pytest.raises(KeyboardInterrupt):
        run_battery(entry, protocol, results_dir=tmp_path / "cut", batch_size=8, device="cpu")
    calls.clear()
    monkeypatch.setattr(
        inequality, "inequality_batch", lambda *a, **k: (calls.append(1), real(*a, **k))[1]
    )
    resumed = run_battery(entry, protocol, results_dir=tmp_path / "cut", batch_size=8, device="cpu")
    assert len(calls) == 1  # only the third batch ran again
    assert resumed.metrics == whole.metrics and resumed.details == whole.details
    examples = tmp_path / "cut" / entry.id / "tiny-inequality.inequality.examples.npz"
    assert (
        examples.is_file() and not (tmp_path / "cut" / entry.id / "tiny-inequality.state").exists()
    )
    with np.load(examples) as f:
        assert f["clean"].shape[0] == 3 and f["attribution"].shape == (3, 3, 32, 32)
        assert {"noise_ii_err@50", "occlusion_white_err@N3R2", "prediction/clean"} <= set(f.files)


def test_result_values_match_the_per_image_records(shared_assets, tmp_path):
    from bench.battery import run_battery

    result = run_battery(
        ZOO.get("cifar_smallgap_adv"),
        small_protocol(),
        results_dir=tmp_path,
        batch_size=10,
        device="cpu",
        seed=1,
    )
    detail = result.details["inequality"]
    g = np.array([np.nan if v is None else v for v in detail["per_image"]["gini_global"]])
    assert result.metrics["gini_global"] == pytest.approx(np.nanmean(g), abs=1e-5)
    assert (
        detail["gini_global"]["n"]
        == detail["n_correct"]
        == sum(v is not None for v in detail["per_image"]["gini_global"])
    )
    occ = detail["occlusion"]["occlusion_black_err@N3R2"]["per_image"]
    assert result.metrics["occlusion_black_err@N3R2"] == pytest.approx(np.mean(occ["success"]))
    assert all(1 <= n <= 3 and 1 <= r <= 2 for n, r in zip(occ["count"], occ["radius"]))
    assert set(detail["per_class"]["gini_global"]) <= {str(c) for c in range(10)}
    again = run_battery(
        ZOO.get("cifar_smallgap_adv"),
        small_protocol(),
        results_dir=tmp_path / "2",
        batch_size=10,
        device="cpu",
        seed=1,
    )
    assert again.metrics == result.metrics


# --- transfer and figures -------------------------------------------------------------------------


def test_transfer_diagonal_is_complete_and_cells_count_source_successes(shared_assets, tmp_path):
    from bench.cli.main import main

    out = tmp_path / "transfer.md"
    code = main(
        [
            "transfer",
            "--models",
            "cifar_smallgap_normal",
            "cifar_cnn_a_adv",
            "--protocol",
            "cifar10-inequality-code",
            "--n-examples",
            "12",
            "--no-progress",
            "--out",
            str(out),
        ]
    )
    text = out.read_text()
    assert code == 0 and "12 images classified correctly by every model" in text
    block = text.split("### `occlusion_black_err@N10R4`")[1]
    rows = [line for line in block.splitlines() if line.startswith("| cifar_")]
    assert rows[0].split("|")[2].strip() in ("100.0", "–") and rows[1].split("|")[3].strip() in (
        "100.0",
        "–",
    )


def test_transfer_refuses_one_model_and_protocols_without_inequality(capsys):
    from bench.cli.main import main

    assert main(["transfer", "--models", "cifar_smallgap_normal", "cifar_smallgap_normal"]) == 2
    assert (
        main(
            [
                "transfer",
                "--models",
                "cifar_smallgap_normal",
                "cifar_cnn_a_adv",
                "--protocol",
                "cifar10-default",
            ]
        )
        == 2
    )
    assert "no inequality metric" in capsys.readouterr().err


def test_model_page_links_the_inequality_figures(shared_assets, tmp_path):
    from bench.battery import run_battery
    from bench.leaderboard.write import write_leaderboards

    run_battery(
        ZOO.get("cifar_cnn_a_adv"),
        small_protocol(),
        results_dir=tmp_path / "results",
        batch_size=12,
        device="cpu",
    )
    write_leaderboards(tmp_path / "results", tmp_path)
    page = (tmp_path / "models" / "cifar_cnn_a_adv.md").read_text()
    for kind in ("attribution", "corrupted", "noise-vs-k"):
        png = tmp_path / "models" / f"cifar_cnn_a_adv-tiny-inequality-{kind}.png"
        assert png.read_bytes().startswith(b"\x89PNG") and png.name in page


def test_protocols_reject_a_main_budget_outside_the_grid():
    from bench.metrics.inequality import NoiseParams

    with pytest.raises(ValueError, match="main_k 7"):
        NoiseParams(k=(10, 20), main_k=7)
    assert NoiseParams(k=(30, 10, 20)).main == 20


def test_text_and_code_protocols_differ_exactly_where_assets_md_says():
    from bench.metrics.inequality import InequalityParams
    from bench.protocols import get_protocol

    text, code = (
        InequalityParams.model_validate(
            get_protocol(f"cifar10-inequality-{v}").metrics["inequality"]
        )
        for v in ("text", "code")
    )
    assert (text.gini.transform, code.gini.transform) == ("abs", "positive")
    assert (text.attribution.n_steps, text.attribution.baseline) == (20, "normal")
    assert (code.attribution.n_steps, code.attribution.baseline, code.attribution.space) == (
        50,
        "zero",
        "model_input",
    )
    assert (text.noise.distribution, code.noise.distribution, code.noise.clamp) == (
        "normal",
        "uniform_image_range",
        "image_range",
    )
    assert text.noise.ranking == code.noise.ranking == "signed"
    assert (text.occlusion.centres, code.occlusion.centres) == ("regional", "pixel")
    assert (text.occlusion.loop, code.occlusion.loop) == ("count_outer", "radius_outer")
    assert code.occlusion.colors == ("black",) and code.occlusion.black == "image_min"
    assert (
        text.occlusion.colors == ("black", "grey", "white") and text.occlusion.black == "pixel_zero"
    )


@pytest.mark.parametrize("method", ["smoothgrad", "gradient_shap"])
def test_sampling_methods_depend_on_the_image_not_the_batch(normalized_model, method):
    params = AttributionParams(method=method, n_samples=4, noise_std=0.2)
    space = input_space(normalized_model, "model_input")
    z, y = space.to_space(torch.rand(3, 3, 32, 32)), torch.tensor([0, 1, 2])
    together = attribute(space, z, y, params, [10, 11, 12])
    alone = attribute(space, z[2:], y[2:], params, [12])
    assert torch.allclose(together[2:], alone, atol=1e-6)


def test_gradient_shap_is_the_mean_of_gradient_at_a_random_point_times_input(normalized_model):
    """With noise_std 0: the mean over samples of ∇f(α_s·x)·x (zero baseline), α_s from the image's seed."""
    params = AttributionParams(method="gradient_shap", n_samples=3, noise_std=0.0)
    space = input_space(normalized_model, "model_input")
    z, y = space.to_space(torch.rand(1, 3, 32, 32)), torch.tensor([4])
    ours = attribute(space, z, y, params, [21])
    alphas = torch.rand(3, generator=torch.Generator().manual_seed(22))
    expected = []
    for a in alphas:
        point = (a * z).requires_grad_(True)
        (grad,) = torch.autograd.grad(space.forward(point)[0, 4], point)
        expected.append(grad * z)
    assert torch.allclose(ours, torch.stack(expected).mean(0), atol=1e-6)


@pytest.mark.parametrize(
    "override, message",
    [
        ({"noise": {"k": [5000]}}, "noise k 5000 exceeds the 3072 sub-pixels"),
        ({"region_size": 5}, "region_size 5 does not divide the 32×32 image"),
        ({"occlusion": {"budgets": [[65, 2]]}}, "occlusion max count 65 exceeds the 64 places"),
    ],
)
def test_budgets_that_do_not_fit_the_image_are_user_errors(override, message):
    from bench.errors import SpecError
    from bench.metrics.inequality import InequalityParams, check_fits

    with pytest.raises(SpecError, match=message):
        check_fits(InequalityParams.model_validate(override), (3, 32, 32))


def test_non_positive_budgets_do_not_validate():
    from pydantic import ValidationError

    from bench.metrics.inequality import InequalityParams

    for bad in (
        {"noise": {"k": [0]}},
        {"occlusion": {"budgets": [[0, 4]]}},
        {"occlusion": {"budgets": [[10, -1]]}},
    ):
        with pytest.raises(ValidationError):
            InequalityParams.model_validate(bad)


def test_no_blocks_variant_is_the_code_v1_regional_gini(shared_assets, tmp_path):
    from bench.battery import run_battery

    protocol = small_protocol()
    params = dict(
        protocol.metrics["inequality"], gini={"transform": "positive", "regional": "no_blocks"}
    )
    v1 = protocol.model_copy(update={"metrics": {"inequality": params}})
    result = run_battery(
        ZOO.get("cifar_cnn_a_adv"), v1, results_dir=tmp_path, batch_size=12, device="cpu"
    )
    assert result.metrics["gini_regional"] == result.metrics["gini_global"]


def test_a_resume_with_another_batch_size_recomputes_instead_of_mixing(
    shared_assets, tmp_path, monkeypatch
):
    from bench.battery import run_battery
    from bench.metrics.inequality import metric as inequality

    entry, protocol = ZOO.get("cifar_cnn_a_adv"), small_protocol()
    state = tmp_path / entry.id / "tiny-inequality.state" / "inequality"
    reference = run_battery(
        entry, protocol, results_dir=tmp_path / "ref", batch_size=9, device="cpu"
    )
    run_battery(entry, protocol, results_dir=tmp_path, batch_size=8, device="cpu")
    # leave batch files of size 8 behind, as an interrupted run would, then resume with size 9
    state.mkdir(parents=True)
    from bench.data import open_testset
    from bench.metrics.inequality import inequality_batch, save_record

    x, y = open_testset("cifar10").load(np.arange(8))
    save_record(
        state / "batch-0000000.npz",
        inequality_batch(
            load_model_cpu(entry), x, y, np.arange(8), inequality_params(protocol), 0, 8
        ),
        0,
    )
    partial = tmp_path / entry.id / "tiny-inequality.partial.json"
    partial.write_text(
        json.dumps(
            {
                "protocol_digest": protocol.digest(),
                "sample_ids": [str(i) for i in range(24)],
                "metrics": {},
            }
        )
    )
    real = inequality.inequality_batch
    calls = []
    monkeypatch.setattr(
        inequality, "inequality_batch", lambda *a, **k: (calls.append(len(a[1])), real(*a, **k))[1]
    )
    resumed = run_battery(entry, protocol, results_dir=tmp_path, batch_size=9, device="cpu")
    assert calls == [9, 9, 6]  # the stale size-8 record was not reused
    assert resumed.metrics == reference.metrics


def load_model_cpu(entry):
    from bench.zoo.model import load_model

    return load_model(entry)


def inequality_params(protocol):
    from bench.metrics.inequality import InequalityParams

    return InequalityParams.model_validate(protocol.metrics["inequality"])


@pytest.mark.parametrize("kind", ["truncated", "empty", "foreign arrays", "wrong length"])
def test_corrupt_batch_record_is_discarded_with_a_warning_and_recomputed(
    shared_assets, tmp_path, kind
):
    """A per-batch record left by an interrupted run that is unreadable or not this batch's is never used."""
    from bench.battery import run_battery
    from bench.metrics.base import ResumeStateWarning

    entry, protocol = ZOO.get("cifar_cnn_a_adv"), small_protocol()
    reference = run_battery(
        entry, protocol, results_dir=tmp_path / "ref", batch_size=8, device="cpu"
    )
    state = tmp_path / "run" / entry.id / "tiny-inequality.state" / "inequality"
    state.mkdir(parents=True)
    record = state / "batch-0000000.npz"
    if kind == "truncated":
        good = next((tmp_path / "ref").rglob("*.npz"), None)
        record.write_bytes((good.read_bytes() if good else b"PK\x03\x04" * 50)[:60])
    elif kind == "empty":
        record.write_bytes(b"")
    elif kind == "foreign arrays":
        np.savez(record, indices=np.arange(8), something_else=np.zeros(3))
    else:
        np.savez(
            record,
            indices=np.arange(8),
            correct=np.ones(3, bool),
            gini_global=np.zeros(8),
            gini_regional=np.zeros(8),
        )
    partial = tmp_path / "run" / entry.id / "tiny-inequality.partial.json"
    partial.write_text(
        json.dumps(
            {
                "protocol_digest": protocol.digest(),
                "sample_ids": [str(i) for i in range(24)],
                "metrics": {},
            }
        )
    )
    with pytest.warns(ResumeStateWarning, match="Discarding resume state"):
        resumed = run_battery(
            entry, protocol, results_dir=tmp_path / "run", batch_size=8, device="cpu"
        )
    assert resumed.metrics == reference.metrics
