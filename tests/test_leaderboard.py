"""The leaderboard is a pure function of result files, checked against a golden file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.leaderboard import GENERATED_MARK, render_leaderboards
from bench.protocols import get_protocol
from bench.results import Provenance, Result, read_result, write_result
from bench.zoo.catalog import Zoo

GOLDEN = Path(__file__).parent / "golden"


def make_result(model_id: str, accuracy: float, n: int = 4) -> Result:
    protocol = get_protocol("quick").resolve("cifar10", n_examples=n)
    return Result(
        model=Zoo.load().get(model_id), protocol=protocol.model_dump(mode="json"), protocol_digest=protocol.digest(),
        provenance=Provenance(bench_version="0", packages={"torch": "x"}, python="3", platform="p", device="cpu",
                              seed=0, batch_size=2, sample_ids=[str(i) for i in range(n)],
                              started_at="2026-01-01T00:00:00+00:00", finished_at="2026-01-01T00:00:01+00:00",
                              duration_s=1.0),
        metrics={"clean_accuracy": accuracy}, produced_by={"clean_accuracy": "clean_accuracy"},
        details={"clean_accuracy": {"n": n}},
    )


RESULTS = [make_result("cifar_cnn_a_adv", 0.5), make_result("cifar10_resnet18_standard", 0.75),
           make_result("cifar_smallgap_adv", 0.25)]


@pytest.mark.parametrize("page", ["cifar10-Linf.md", "models/cifar_smallgap_adv.md", "README.md"])
def test_pages_match_golden_files(page):
    pages = render_leaderboards(RESULTS)
    golden = GOLDEN / page.replace("/", "__")
    if os.environ.get("BENCH_UPDATE_GOLDEN"):
        golden.write_text(pages[page])
    assert pages[page] == golden.read_text()


def test_sorted_by_higher_is_better_and_marked_generated():
    board = render_leaderboards(RESULTS)["cifar10-Linf.md"]
    assert board.startswith(GENERATED_MARK)
    rows = [line for line in board.splitlines() if line.startswith("| ") and "Rank" not in line]
    assert [r.split("|")[2].strip().split("]")[0][1:] for r in rows] == [
        "cifar10_resnet18_standard", "cifar_cnn_a_adv", "cifar_smallgap_adv"]


def test_input_order_does_not_matter():
    assert render_leaderboards(RESULTS) == render_leaderboards(RESULTS[::-1])


def test_result_round_trips_through_json(tmp_path):
    path = write_result(tmp_path, RESULTS[0])
    assert read_result(path) == RESULTS[0]
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize("eps,text", [(8 / 255, "8/255"), (0.5 / 255, "0.5/255"), (0.2, "0.2"), (0.3, "0.3"), (0.1, "0.1"), (0.05, "0.05"),
                                      (3.0, "3"), (None, "-")])
def test_eps_is_written_as_people_write_it(eps, text):
    from bench.spec import format_eps

    assert format_eps(eps) == text


def test_runs_in_progress_are_not_results(tmp_path):
    from bench.results import read_results

    write_result(tmp_path, RESULTS[0])
    (tmp_path / RESULTS[0].model.id / "quick.partial.json").write_text('{"metrics": {}}')
    assert read_results(tmp_path) == [RESULTS[0]]


def make_inequality_result(model_id: str, gini_g: float, errors: float) -> Result:
    protocol = get_protocol("cifar10-inequality-text").resolve("cifar10", n_examples=4)
    values = {"clean_accuracy": 1.0, "gini_global": gini_g, "gini_regional": gini_g / 2,
              "noise_i_err@102": errors, "noise_ii_err@102": errors + 0.1, "noise_i_err@10": 0.0,
              "occlusion_black_err@N10R4": errors, "occlusion_grey_err@N10R4": errors / 2,
              "occlusion_white_err@N10R4": errors / 4}
    base = make_result(model_id, 1.0)
    return base.model_copy(update={
        "protocol": protocol.model_dump(mode="json"), "protocol_digest": protocol.digest(), "metrics": values,
        "produced_by": {k: "clean_accuracy" if k == "clean_accuracy" else "inequality" for k in values}})


def test_inequality_board_shows_main_budget_columns_ranked_by_protocol():
    results = [make_inequality_result("cifar_smallgap_adv", 0.8, 0.5), make_inequality_result("cifar_smallgap_normal", 0.6, 0.25)]
    board = render_leaderboards(results)["cifar10-Linf.md"]
    header = next(line for line in board.splitlines() if line.startswith("| Rank"))
    assert header == ("| Rank | Model | Training | Clean (%) | Gini-g | Gini-r | Noise-I (%) | Noise-II (%) | "
                      "Occ-B (%) | Occ-G (%) | Occ-W (%) | n | Flags |")
    rows = [line for line in board.splitlines() if line.startswith("| 1 ") or line.startswith("| 2 ")]
    assert "cifar_smallgap_normal" in rows[0] and "| 0.600 | 0.300 | 25.0 | 35.0 | 25.0 | 12.5 | 6.2 |" in rows[0]
    assert "noise_i_err@10" not in board  # grid values stay on the model page
    page = render_leaderboards(results)["models/cifar_smallgap_adv.md"]
    assert "Inequality (noise_i_err@10) (%)" in page


def test_digest_of_protocols_without_new_fields_is_unchanged():
    assert get_protocol("cifar10-default").resolve("cifar10").digest() == "c4cc88949379"  # the committed cifar10-default results


def test_comparison_table_keeps_the_given_model_order_and_shows_spread():
    from bench.leaderboard.render import render_comparison

    results = [make_inequality_result("cifar_smallgap_adv", 0.8, 0.5), make_inequality_result("cifar_smallgap_normal", 0.6, 0.25)]
    results[0] = results[0].model_copy(update={"details": {"inequality": {"gini_global": {"std": 0.05}}}})
    text = render_comparison(results, ["cifar10-inequality-text", "absent"], ["cifar_smallgap_normal", "cifar_smallgap_adv"])
    rows = [line for line in text.splitlines() if line.startswith("| cifar_")]
    assert rows[0].startswith("| cifar_smallgap_normal") and "| 0.800 ± 0.05 |" in rows[1]
    assert text.count("### ") == 1 and "Generated by `bench table`" in text


def test_table_command_names_missing_protocols(tmp_path, capsys):
    from bench.cli.main import main

    write_result(tmp_path, make_inequality_result("cifar_smallgap_adv", 0.8, 0.5))
    assert main(["table", "--protocols", "cifar10-inequality-text", "--results", str(tmp_path)]) == 0
    assert "cifar_smallgap_adv" in capsys.readouterr().out
    assert main(["table", "--protocols", "nope", "--results", str(tmp_path)]) == 2
    assert "nope" in capsys.readouterr().err
