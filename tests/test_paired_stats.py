"""Paired comparison of two models on the same images (bench.stats) and ``bench table --compare``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.errors import BenchError
from bench.stats import compare_paired, masked_mean_difference, per_image_values
from bench.stats.paired import CHUNK


def toy(
    n: int = 60, shift: float = 0.0, seed: int = 0, holes: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.normal(0.5, 0.1, n)
    b = a + rng.normal(0.0, 0.05, n) - shift
    if holes:  # images one model does not measure (misclassified), as Gini and occlusion have
        a[rng.random(n) < 0.2] = np.nan
        b[rng.random(n) < 0.2] = np.nan
    return a, b


def slow_reference(a, b, n_resamples: int, seed: int):
    """Same draws as the fast path, one resample at a time, with plain nanmeans."""
    rng = np.random.default_rng(seed)
    n, boot = len(a), []
    for _ in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        boot.append(np.nanmean(a[idx]) - np.nanmean(b[idx]))
    observed = np.nanmean(a) - np.nanmean(b)
    extreme = 0
    for _ in range(n_resamples):
        swap = rng.random(n) < 0.5
        t = np.nanmean(np.where(swap, b, a)) - np.nanmean(np.where(swap, a, b))
        extreme += abs(t) >= abs(observed) - 1e-12 * max(1.0, abs(observed))
    return observed, np.percentile(boot, [2.5, 97.5]), (1 + extreme) / (1 + n_resamples)


@pytest.mark.parametrize("holes", [False, True])
def test_matches_a_direct_slow_reference(holes):
    a, b = toy(shift=0.01, holes=holes)
    n_resamples = CHUNK + 137  # more than one vectorised block, and a partial one
    got = compare_paired(a, b, n_resamples=n_resamples, seed=5)
    observed, (low, high), p = slow_reference(a, b, n_resamples, seed=5)
    assert got.difference == pytest.approx(observed, abs=1e-12)
    assert (got.ci_low, got.ci_high) == pytest.approx((low, high), abs=1e-12)
    assert got.p_value == pytest.approx(p, abs=1e-12)


def test_the_difference_is_that_of_the_two_metric_values():
    a, b = toy()
    assert masked_mean_difference(a, b) == pytest.approx(np.nanmean(a) - np.nanmean(b))
    c = compare_paired(a, b, n_resamples=200)
    assert (c.n_measured_a, c.n_measured_b) == (np.isfinite(a).sum(), np.isfinite(b).sum())


def test_identical_inputs_give_p_one_and_a_zero_interval():
    a, _ = toy()
    c = compare_paired(a, a.copy(), n_resamples=1000)
    assert c.difference == 0 and c.p_value == pytest.approx(1.0) and c.ci_low == c.ci_high == 0


def test_no_shift_gives_a_large_p_and_a_clear_shift_a_small_one():
    assert compare_paired(*toy(n=400, shift=0.0, seed=2), n_resamples=2000).p_value > 0.05
    shifted = compare_paired(*toy(n=400, shift=0.02, seed=2), n_resamples=2000)
    assert shifted.p_value < 0.01 and shifted.ci_low > 0
    assert shifted.ci_low < 0.02 < shifted.ci_high


def test_pairing_detects_a_shift_that_an_unpaired_look_would_miss():
    """A shift 0.01 under 0.1 spread between images: the per-image pairing removes the spread."""
    a, b = toy(n=200, shift=0.01, seed=3, holes=False)
    c = compare_paired(a, b, n_resamples=2000)
    assert (
        c.p_value < 0.05 and c.ci_high - c.ci_low < 0.5 * (np.std(a) / np.sqrt(len(a))) * 2 * 1.96
    )


def test_deterministic_for_a_seed_and_different_across_seeds():
    a, b = toy(shift=0.005)
    assert compare_paired(a, b, 500, seed=1) == compare_paired(a, b, 500, seed=1)
    assert compare_paired(a, b, 500, seed=1).ci_low != compare_paired(a, b, 500, seed=2).ci_low


def test_refuses_arrays_of_different_lengths():
    with pytest.raises(ValueError):
        compare_paired(np.zeros(3), np.zeros(4))


def inequality_details(gini: list, success: list) -> dict:
    return {
        "inequality": {
            "n_correct": len(success),
            "per_image": {"gini_global": gini, "gini_regional": gini},
            "occlusion": {"occlusion_black_err@N10R4": {"per_image": {"success": success}}},
        }
    }


def test_per_image_values_place_occlusion_records_at_the_measured_images():
    details = inequality_details([0.5, None, 0.7, None], [1.0, 0.0])
    occ = per_image_values(details, "occlusion_black_err@N10R4")
    assert np.array_equal(np.isnan(occ), [False, True, False, True]) and occ[0] == 1 and occ[2] == 0
    assert np.isnan(per_image_values(details, "gini_global")[1])
    with pytest.raises(BenchError, match="Cannot place"):
        per_image_values(
            inequality_details([0.5, 0.6, 0.7, None], [1.0, 0.0]), "occlusion_black_err@N10R4"
        )
    with pytest.raises(BenchError, match="No per-image records"):
        per_image_values(details, "noise_i_err@102")


def test_per_image_values_of_flags_tau_and_clean_accuracy():
    details = {
        "pgd_grid": {"robust_flags": {"pgd10_acc@8/255": [1, 0, 1]}},
        "autoattack": {"robust_flags": [0, 0, 1]},
        "interpretation": {"per_image_tau": {"aai_tau@8/255": [0.9, None, 0.8]}},
        "clean_accuracy": {"predictions": [3, 1, 2]},
    }
    assert per_image_values(details, "pgd10_acc@8/255").tolist() == [1, 0, 1]
    assert per_image_values(details, "autoattack_acc@8/255").tolist() == [0, 0, 1]
    assert np.isnan(per_image_values(details, "aai_tau@8/255")[1])
    assert per_image_values(details, "clean_accuracy", np.array([3, 0, 2])).tolist() == [1, 0, 1]
    with pytest.raises(BenchError, match="labels"):
        per_image_values(details, "clean_accuracy")


def write_result(results, model_id: str, flags: list[int], digest: str = "d1", ids=None):
    """A schema-valid result file of a pgd_grid protocol, copied from a committed one with new flags."""
    from bench.results import read_result, result_path
    from bench.results.store import DEFAULT_RESULTS_DIR

    template = read_result(
        result_path(DEFAULT_RESULTS_DIR, "cifar_smallgap_adv", "cifar10-pgd-paper001")
    )
    data = json.loads(template.model_dump_json())
    data["model"]["id"], data["protocol_digest"] = model_id, digest
    data["provenance"]["sample_ids"] = ids or [str(i) for i in range(len(flags))]
    data["details"] = {"pgd_grid": {"robust_flags": {"pgd10_acc@8/255": flags}}}
    path = result_path(results, model_id, "cifar10-pgd-paper001")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))


def test_table_compare_prints_the_interval_and_p_value(tmp_path, capsys):
    from bench.cli.main import main

    write_result(tmp_path, "m_a", [1] * 40 + [0] * 10)
    write_result(tmp_path, "m_b", [0] * 40 + [0] * 10)
    argv = [
        "table",
        "--compare",
        "m_a",
        "m_b",
        "--protocol",
        "cifar10-pgd-paper001",
        "--value",
        "pgd10_acc@8/255",
        "--results",
        str(tmp_path),
        "--resamples",
        "500",
    ]
    assert main(argv + ["--json"]) == 0
    c = json.loads(capsys.readouterr().out)["comparisons"]["pgd10_acc@8/255"]
    assert c["difference"] == pytest.approx(0.8) and c["ci_low"] > 0.6 and c["p_value"] < 0.01
    assert main(argv) == 0
    assert "| pgd10_acc@8/255 | 0.8000 | 0.0000 | +0.8000 |" in capsys.readouterr().out


def test_table_compare_refuses_unpaired_results(tmp_path, capsys):
    from bench.cli.main import main

    write_result(tmp_path, "m_a", [1, 0, 1])
    write_result(tmp_path, "m_b", [1, 0, 1], digest="other")
    write_result(tmp_path, "m_c", [1, 0, 1], ids=["5", "6", "7"])
    base = [
        "table",
        "--protocol",
        "cifar10-pgd-paper001",
        "--value",
        "pgd10_acc@8/255",
        "--results",
        str(tmp_path),
    ]
    assert main(base + ["--compare", "m_a", "m_b"]) != 0
    assert "not comparable" in capsys.readouterr().err
    assert main(base + ["--compare", "m_a", "m_c"]) != 0
    assert "different images" in capsys.readouterr().err
