"""The `bench` command line: help, listing, validation, evaluation, and user errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli.main import main
from bench.zoo.catalog import Zoo

ROOT = Path(__file__).resolve().parents[1]


def test_help_is_instant_and_imports_no_torch():
    code = "import sys; from bench.cli.main import build_parser; build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_subcommand_has_help(capsys):
    for command in (
        "list",
        "show",
        "protocols",
        "validate",
        "evaluate",
        "submit",
        "leaderboard",
        "table",
        "transfer",
        "train",
        "demo",
    ):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        assert "usage: bench " + command in capsys.readouterr().out


def test_list_show_protocols(capsys):
    assert main(["list", "--dataset", "mnist", "--json"]) == 0
    ids = [e["id"] for e in json.loads(capsys.readouterr().out)]
    assert "mnist_lenet5_standard" in ids and "resnet50_linf_eps8" not in ids
    assert main(["list"]) == 0
    lines = (
        capsys.readouterr().out.splitlines()
    )  # not a terminal: a header, then one model per line
    assert lines[0].split() == ["id", "dataset", "training", "ε", "loader", "architecture"]
    assert [line.split()[0] for line in lines[1:]] == list(Zoo.load().entries)
    assert main(["show", "resnet50_linf_eps8", "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert (
        entry["source"]["file"] == "resnet50_linf_eps8.0.ckpt"
        and entry["preprocessing"]["transform"] == "Res256Crop224"
    )
    assert main(["protocols"]) == 0
    assert "cifar10-default" in capsys.readouterr().out
    assert main(["list", "--loaders"]) == 0
    assert "robust_models_transfer" in capsys.readouterr().out


def test_unknown_model_suggests_and_exits_2(capsys):
    assert main(["show", "resnet50_linf_eps88"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'resnet50_linf_eps8'" in " ".join(err.split()) and "Traceback" not in err


def test_validate_reports_every_violation_with_its_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: ok_id\ndataset: svhn\nnum_classes: 1\ntraining: {method: pgd_at, threat_model: Linf}\n"
        "source: {loader: shared_asset, asset: x.pt}\npreprocessing: {input_size: [3, 32, 32]}\n"
    )
    assert main(["validate", str(bad), str(ROOT / "model_zoo.yaml")]) == 2
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())
    for expected in (
        "line 2: dataset",
        "line 3: num_classes",
        "line 4: training: Value error, threat_model Linf needs eps",
    ):
        assert expected in err, err
    assert "registry with" in captured.out


def test_validate_accepts_shipped_protocols(capsys):
    protocols = sorted((ROOT / "bench" / "protocols").glob("*.yaml")) + sorted(
        (ROOT / "docs" / "experiments").glob("*.yaml")
    )
    assert main(["validate", *map(str, protocols)]) == 0
    assert capsys.readouterr().out.count("ok ") == len(protocols)


def test_evaluate_json_prints_the_result(shared_assets, tmp_path, capsys):
    code = main(
        [
            "evaluate",
            "--model",
            "cifar_captum_net",
            "--protocol",
            "cifar10-default",
            "--n-examples",
            "50",
            "--results",
            str(tmp_path),
            "--json",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["schema_version"] == 2 and result["model"]["id"] == "cifar_captum_net"
    clean = next(v for v in result["values"] if v["name"] == "clean_accuracy")
    assert (
        0 <= clean["value"] <= 1
        and clean["n"] == 50
        and clean["ci_low"] <= clean["value"] <= clean["ci_high"]
    )
    assert clean["higher_is_better"] is True and len(result["provenance"]["sample_ids"]) == 50
    assert (tmp_path / "cifar_captum_net" / "cifar10-default.json").is_file()


def test_missing_assets_say_what_to_place_where(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BENCH_ASSETS", str(tmp_path / "nowhere"))
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    code = main(
        [
            "evaluate",
            "--model",
            "cifar_cnn_a_adv",
            "--results",
            str(tmp_path / "r"),
            "--no-progress",
        ]
    )
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "Traceback" not in err
    # the entry's checkpoint is checked before the data set: the message names the file and where it goes
    assert (
        str(tmp_path) in err and ("cifar10" in err or "cifar_cnn_a_adv" in err) and "place" in err
    )


def test_bad_numbers_are_user_errors(capsys):
    assert main(["evaluate", "--model", "cifar_cnn_a_adv", "--n-examples", "0"]) == 2
    assert "--n-examples must be a positive" in capsys.readouterr().err


def test_evaluate_keeps_the_protocols_selection_seed_unless_told(shared_assets, tmp_path, capsys):
    import numpy as np

    protocol = tmp_path / "random.yaml"
    protocol.write_text(
        "name: random-check\nversion: 1\ndescription: seed check\ndataset: cifar10\nthreat_model: Linf\n"
        "selection: {strategy: random, n: 5, seed: 3}\nmetrics: {clean_accuracy: {}}\n"
    )
    base = [
        "evaluate",
        "--model",
        "cifar_captum_net",
        "--protocol",
        str(protocol),
        "--json",
        "--device",
        "cpu",
    ]
    assert main([*base, "--results", str(tmp_path / "a")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["provenance"]["seed"] == 3
    assert result["provenance"]["sample_ids"] == [
        str(i) for i in np.random.default_rng(3).permutation(1000)[:5]
    ]  # the shared 1000
    assert main([*base, "--seed", "4", "--results", str(tmp_path / "b")]) == 0
    assert json.loads(capsys.readouterr().out)["provenance"]["seed"] == 4


def test_evaluate_without_protocol_runs_the_battery_of_the_entrys_data_set_and_threat_model():
    from bench.protocols import default_protocol
    from bench.zoo.catalog import Zoo

    zoo = Zoo.load()
    assert default_protocol(zoo.get("cifar_smallgap_adv")) == "cifar10-battery-linf"
    assert (
        default_protocol(zoo.get("cifar_smallgap_normal")) == "cifar10-battery-linf"
    )  # standard: the usual L∞
    assert default_protocol(zoo.get("mnist_pool_adv")) == "mnist-battery-linf"
    assert default_protocol(zoo.get("resnet50_linf_eps8")) == "imagenet-battery-linf"
    l2 = next(
        e
        for e in zoo.entries.values()
        if e.dataset == "imagenet" and e.training.threat_model == "L2"
    )
    assert default_protocol(l2) == "imagenet-battery-l2"


def test_models_tag_and_all_select_registry_entries():
    import argparse

    from bench.cli.cmd_evaluate import selected_entries
    from bench.errors import BenchError
    from bench.zoo.catalog import Zoo

    zoo = Zoo.load()

    def args(**kw):
        return argparse.Namespace(
            **({"model": None, "models": None, "tag": None, "all": False, "dataset": None} | kw)
        )

    assert [
        e.id
        for e in selected_entries(
            zoo, args(models=["cifar_smallgap_adv", "cifar_cnn_a_adv", "cifar_smallgap_adv"])
        )
    ] == ["cifar_smallgap_adv", "cifar_cnn_a_adv"]
    mnist = selected_entries(zoo, args(all=True, dataset="mnist"))
    assert mnist and all(e.dataset == "mnist" for e in mnist) and len(mnist) < len(zoo.entries)
    tag = next(t for e in zoo.entries.values() for t in e.tags)
    assert all(tag in e.tags for e in selected_entries(zoo, args(tag=tag)))
    with pytest.raises(BenchError, match="No model"):
        selected_entries(zoo, args(tag="no-such-tag"))


def test_several_models_with_json_is_a_user_error(capsys):
    assert main(["evaluate", "--models", "cifar_smallgap_adv", "cifar_cnn_a_adv", "--json"]) == 2
    assert "--json prints one result" in capsys.readouterr().err
