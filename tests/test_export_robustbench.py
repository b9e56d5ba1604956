"""``bench export robustbench``: the record validates against the field set and types of RobustBench's
real ``model_info`` files (the copy stored in bench/zoo/data, read from RobustBench's repository), and
RobustBench entries carry and show RobustBench's own metadata."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from bench.cli.main import main
from bench.leaderboard.render import render_model_page
from bench.protocols import get_protocol
from bench.results import Result, read_result, write_result
from bench.results.schema import Provenance
from bench.results.values import share
from bench.zoo.catalog import Zoo
from bench.zoo.robustbench_info import model_info, model_info_table

ROOT = Path(__file__).resolve().parents[1]
BATTERY_RESULT = ROOT / "leaderboards" / "results" / "cifar_cnn_a_adv" / "cifar10-battery-linf.json"
RB_ID, RB_NAME = "robustbench-cifar10-Linf-Wong2020Fast", "Wong2020Fast"
# How RobustBench writes an accuracy ("83.34", "88.8") and an eps ("8/255", "0.5").
PERCENT = re.compile(r"^\d{1,3}(\.\d+)?$")
EPS = re.compile(r"^\d+(\.\d+)?(/255)?$")


def _real_schema(threat: str) -> tuple[set[str], dict[str, set[str]]]:
    """Keys every real model_info file of ``threat`` has, and the JSON types each key takes."""
    records = [r for key, r in model_info_table()["models"].items() if key.split("/")[1] == threat]
    types: dict[str, set[str]] = defaultdict(set)
    for record in records:
        for key, value in record.items():
            types[key].add(type(value).__name__)
    required = set.intersection(*(set(r) for r in records))
    return required, dict(types)


def _assert_matches_real_files(record: dict, threat: str) -> None:
    required, types = _real_schema(threat)
    assert required <= set(record), f"missing {required - set(record)}"
    assert set(record) <= set(types), (
        f"fields RobustBench's files never use: {set(record) - set(types)}"
    )
    for key, value in record.items():
        assert type(value).__name__ in types[key], (key, value, types[key])
    assert PERCENT.match(record["clean_acc"]) and PERCENT.match(record["autoattack_acc"])
    assert EPS.match(record["eps"])


def test_the_real_files_agree_with_the_formats_the_test_checks():
    """The regexes above describe RobustBench's files themselves (so the export is held to them)."""
    records = [r for k, r in model_info_table()["models"].items() if k.split("/")[1] == "Linf"]
    assert len(records) > 100
    assert all(
        PERCENT.match(r["clean_acc"]) and PERCENT.match(r["autoattack_acc"]) for r in records
    )
    assert all(EPS.match(r["eps"]) for r in records)
    assert len(model_info_table()["source"]["commit"]) == 40


def test_export_of_a_committed_battery_result_validates(capsys):
    result = read_result(BATTERY_RESULT)
    assert main(["export", "robustbench", str(BATTERY_RESULT)]) == 0
    out = capsys.readouterr()
    record = json.loads(out.out)

    _assert_matches_real_files(record, "Linf")
    assert record["clean_acc"] == f"{100 * result.value('clean_accuracy').value:.2f}"
    aa = next(v for v in result.values if v.metric == "autoattack")
    assert record["autoattack_acc"] == f"{100 * aa.value:.2f}" and record["eps"] == "8/255"
    assert f"on {aa.n} of the 10000 test images" in record["footnote"]
    assert "fewer images" in out.err  # a 100-image result is not a leaderboard submission yet


def _robustbench_result(clean: float, robust: float, n: int = 4) -> Result:
    protocol = get_protocol("cifar10-autoattack").resolve("cifar10", n_examples=n)
    values = [
        share(
            "clean_accuracy",
            "clean_accuracy",
            "accuracy",
            higher_is_better=True,
            value=clean,
            n=n,
        ),
        share(
            "autoattack_acc@8/255",
            "autoattack",
            "accuracy",
            higher_is_better=True,
            value=robust,
            n=n,
            attack="autoattack",
            version="standard",
            norm="Linf",
            eps=8 / 255,
        ),
    ]
    return Result(
        model=Zoo.load().get(RB_ID),
        protocol=protocol.model_dump(mode="json"),
        protocol_digest=protocol.digest(),
        provenance=Provenance(
            bench_version="0",
            packages={"torch": "x"},
            python="3",
            platform="p",
            device="cpu",
            seed=0,
            batch_size=2,
            sample_ids=[str(i) for i in range(n)],
            started_at="2026-01-01T00:00:00+00:00",
            finished_at="2026-01-01T00:00:01+00:00",
            duration_s=1.0,
        ),
        values=values,
        details={"autoattack": {"version": "standard"}},
    )


def test_export_of_a_robustbench_entry_takes_robustbench_metadata(tmp_path, capsys):
    path = write_result(tmp_path, _robustbench_result(0.75, 0.5))
    out_file = tmp_path / "Wong2020Fast.json"

    assert main(["export", "robustbench", str(path), "--out", str(out_file)]) == 0
    record = json.loads(out_file.read_text())
    info = model_info("cifar10", "Linf", RB_NAME)
    _assert_matches_real_files(record, "Linf")
    assert {
        k: record[k]
        for k in ("link", "name", "authors", "venue", "architecture", "additional_data")
    } == {
        k: info[k] for k in ("link", "name", "authors", "venue", "architecture", "additional_data")
    }
    assert record["clean_acc"] == "75.00" and record["autoattack_acc"] == "50.00"
    assert (
        record["reported"] == info["autoattack_acc"]
    )  # the figure the entry carries is RobustBench's

    # An earlier export may be replaced; a file bench did not write may not.
    assert (
        main(
            [
                "export",
                "robustbench",
                str(path),
                "--out",
                str(out_file),
                "--additional-data",
                "yes",
            ]
        )
        == 0
    )
    assert json.loads(out_file.read_text())["additional_data"] is True
    foreign = tmp_path / "mine.json"
    foreign.write_text('{"note": "mine"}')
    assert main(["export", "robustbench", str(path), "--out", str(foreign)]) == 2
    assert (
        foreign.read_text() == '{"note": "mine"}'
        and "not a bench export" in capsys.readouterr().err
    )


def test_a_result_without_autoattack_is_a_clear_error(tmp_path, capsys):
    result = _robustbench_result(0.75, 0.5)
    result = result.model_copy(
        update={"values": [v for v in result.values if v.metric != "autoattack"]}
    )
    path = write_result(tmp_path, result)

    assert main(["export", "robustbench", str(path)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "has no AutoAttack value" in out.err and "Traceback" not in out.err


def test_robustbench_entries_carry_their_model_info():
    entry = Zoo.load().get(RB_ID)
    info = model_info("cifar10", "Linf", RB_NAME)
    assert entry.paper.title == info["name"] and entry.paper.url == info["link"]
    assert entry.paper.authors == info["authors"] and entry.paper.venue == info["venue"]
    assert info["architecture"] in entry.description
    assert entry.reported == {
        "clean_accuracy": pytest.approx(float(info["clean_acc"]) / 100),
        "autoattack_acc@8/255": pytest.approx(float(info["autoattack_acc"]) / 100),
    }


def test_model_page_shows_robustbench_figures_beside_ours():
    page = render_model_page(RB_ID, [_robustbench_result(0.75, 0.5)])
    info = model_info("cifar10", "Linf", RB_NAME)
    assert "## RobustBench's record" in page and info["name"] in page and info["venue"] in page
    row = next(line for line in page.splitlines() if line.startswith("| autoattack_acc@8/255 |"))
    assert info["autoattack_acc"] in row and "50.0" in row and "(n = 4)" in row
