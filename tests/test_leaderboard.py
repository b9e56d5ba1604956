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


@pytest.mark.parametrize("eps,text", [(8 / 255, "8/255"), (0.5 / 255, "0.5/255"), (0.2, "0.2"), (0.3, "0.3"),
                                      (3.0, "3"), (None, "-")])
def test_eps_is_written_as_people_write_it(eps, text):
    from bench.spec import format_eps

    assert format_eps(eps) == text


def test_runs_in_progress_are_not_results(tmp_path):
    from bench.results import read_results

    write_result(tmp_path, RESULTS[0])
    (tmp_path / RESULTS[0].model.id / "quick.partial.json").write_text('{"metrics": {}}')
    assert read_results(tmp_path) == [RESULTS[0]]
