"""Running a protocol: determinism, provenance, resuming an interrupted run."""

from __future__ import annotations

import json

import pytest

from bench.battery import run_battery
from bench.metrics import METRICS
from bench.protocols import get_protocol
from bench.zoo.catalog import Zoo

ZOO = Zoo.load()


@pytest.fixture
def quick(shared_assets):
    return get_protocol("cifar10-default").resolve("cifar10", n_examples=40)


def test_same_seed_same_numbers_and_full_provenance(quick, tmp_path):
    entry = ZOO.get("cifar_cnn_a_adv")
    a = run_battery(entry, quick, results_dir=tmp_path / "a", batch_size=16, device="cpu", seed=3)
    b = run_battery(entry, quick, results_dir=tmp_path / "b", batch_size=16, device="cpu", seed=3)
    assert a.metrics == b.metrics and a.details == b.details
    p = a.provenance
    assert p.seed == 3 and p.sample_ids == [str(i) for i in range(40)] and p.device == "cpu"
    assert {"torch", "robustbench", "captum"} <= set(p.packages)
    assert a.protocol["selection"]["n"] == 40 and a.protocol_digest == quick.digest()


def test_interrupted_run_resumes_from_finished_metrics(quick, tmp_path, monkeypatch):
    entry = ZOO.get("cifar_cnn_a_adv")
    first = run_battery(entry, quick, results_dir=tmp_path, batch_size=16, device="cpu")
    result_file = tmp_path / entry.id / "cifar10-default.json"
    partial = result_file.with_suffix(".partial.json")
    # Simulate a run that stopped after the metric finished: the partial file is there, the result is not.
    partial.write_text(
        json.dumps(
            {
                "protocol_digest": quick.digest(),
                "sample_ids": first.provenance.sample_ids,
                "metrics": {
                    "clean_accuracy": {
                        "values": {"clean_accuracy": 0.125},
                        "detail": {"n": 40, "correct": 5, "resumed": True},
                    }
                },
            }
        )
    )
    result_file.unlink()
    metric = METRICS.get("clean_accuracy")
    monkeypatch.setattr(type(metric), "run", lambda *a: pytest.fail("a finished metric ran again"))
    resumed = run_battery(entry, quick, results_dir=tmp_path, batch_size=16, device="cpu")
    assert (
        resumed.metrics == {"clean_accuracy": 0.125}
        and resumed.details["clean_accuracy"]["resumed"] is True
    )
    assert result_file.is_file() and not partial.exists()


def test_partial_state_of_another_protocol_is_ignored(quick, tmp_path):
    entry = ZOO.get("cifar_cnn_a_adv")
    partial = tmp_path / entry.id / "cifar10-default.partial.json"
    partial.parent.mkdir(parents=True)
    partial.write_text(
        json.dumps(
            {
                "protocol_digest": "different",
                "sample_ids": [],
                "metrics": {"clean_accuracy": {"values": {"clean_accuracy": 0.123}, "detail": {}}},
            }
        )
    )
    result = run_battery(entry, quick, results_dir=tmp_path, batch_size=16, device="cpu")
    assert result.metrics["clean_accuracy"] != 0.123


def test_correct_only_selection_by_a_group(shared_assets, tmp_path):
    protocol = get_protocol("cifar10-default").resolve("cifar10", n_examples=30)
    selection = protocol.selection.model_copy(
        update={"only_correct": True, "correct_by": ("cifar_cnn_a_adv", "cifar_captum_net")}
    )
    protocol = protocol.model_copy(update={"selection": selection})
    result = run_battery(
        ZOO.get("cifar_cnn_a_adv"),
        protocol,
        results_dir=tmp_path,
        batch_size=64,
        device="cpu",
        zoo=ZOO,
    )
    assert (
        result.metrics["clean_accuracy"] == 1.0
    )  # every kept image is one it classifies correctly
    other = run_battery(
        ZOO.get("cifar_captum_net"),
        protocol,
        results_dir=tmp_path,
        batch_size=64,
        device="cpu",
        zoo=ZOO,
    )
    assert other.metrics["clean_accuracy"] == 1.0
    assert (
        result.provenance.sample_ids == other.provenance.sample_ids != [str(i) for i in range(30)]
    )


# --- faults and concurrency (issue 13): corrupt resume state, two runs of one unit at once ---

CORRUPT_PARTIALS = {
    "truncated": lambda digest, ids: '{"protocol_digest": "' + digest + '", "sample_ids": [',
    "not json": lambda digest, ids: "\x00\x01garbage",
    "not utf-8": lambda digest, ids: b"\xff\xfe\x00".decode("latin-1"),
    "a list": lambda digest, ids: "[1, 2, 3]",
    "metric without values": lambda digest, ids: json.dumps(
        {
            "protocol_digest": digest,
            "sample_ids": ids,
            "metrics": {"clean_accuracy": {"detail": {}}},
        }
    ),
    "non-numeric value": lambda digest, ids: json.dumps(
        {
            "protocol_digest": digest,
            "sample_ids": ids,
            "metrics": {
                "clean_accuracy": {"values": {"clean_accuracy": "high"}, "detail": {"n": 40}}
            },
        }
    ),
    "empty": lambda digest, ids: "",
}


@pytest.mark.parametrize("kind", list(CORRUPT_PARTIALS))
def test_corrupt_partial_state_is_discarded_with_a_warning_and_recomputed(quick, tmp_path, kind):
    from bench.metrics.base import ResumeStateWarning

    entry = ZOO.get("cifar_cnn_a_adv")
    clean = run_battery(entry, quick, results_dir=tmp_path / "clean", batch_size=16, device="cpu")
    partial = tmp_path / "run" / entry.id / "cifar10-default.partial.json"
    partial.parent.mkdir(parents=True)
    partial.write_text(
        CORRUPT_PARTIALS[kind](quick.digest(), clean.provenance.sample_ids), encoding="latin-1"
    )
    with pytest.warns(ResumeStateWarning, match="Discarding resume state"):
        again = run_battery(entry, quick, results_dir=tmp_path / "run", batch_size=16, device="cpu")
    assert again.metrics == clean.metrics and again.details == clean.details


def test_two_concurrent_runs_of_one_unit_both_end_cleanly_with_the_single_run_result(
    shared_assets, tmp_path
):
    """Two ``bench evaluate`` processes of the same model and protocol at once: one waits for the other's lock."""
    import subprocess
    import sys

    args = [
        sys.executable,
        "-m",
        "bench.cli.main",
        "evaluate",
        "--model",
        "cifar_cnn_a_adv",
        "--protocol",
        "quick",
        "--n-examples",
        "8",
        "--batch-size",
        "4",
        "--device",
        "cpu",
        "--no-progress",
        "--json",
    ]
    procs = [
        subprocess.Popen(
            args + ["--results", str(tmp_path / "shared")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    assert not any("Traceback" in err for _, err in outs)
    single = subprocess.run(
        args + ["--results", str(tmp_path / "single")], capture_output=True, text=True, timeout=600
    )
    values = [[(v["name"], v["value"]) for v in json.loads(out)["values"]] for out, _ in outs]
    assert (
        values[0]
        == values[1]
        == [(v["name"], v["value"]) for v in json.loads(single.stdout)["values"]]
    )
    assert len(list((tmp_path / "shared").glob("*/*.json"))) == 1
