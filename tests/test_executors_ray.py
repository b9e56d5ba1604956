"""The Ray executor on one local Ray instance (2 CPUs) shared by the module: same results as local runs,
a killed worker retried, two drivers on the same units doing each shard once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from bench.battery import run_battery
from bench.executors import RunSettings, make_executor, plan_sweep, run_sweep
from bench.executors.leases import execution_log
from bench.results import read_result
from bench.zoo.catalog import Zoo

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.assets
ZOO = Zoo.load()

SLOW_SHARDS = """name: ray-test
version: 1
description: clean, PGD and an inequality battery whose batches take a moment (for killing a worker mid-shard).
threat_model: Linf
selection: {strategy: first, n: 16}
metrics:
  clean_accuracy: {}
  pgd_grid: {eps: [0.03137254901960784], steps: [2]}
  inequality:
    attribution: {method: integrated_gradients, n_steps: 96}
    region_size: 4
    noise: {k: [10], main_k: 10}
    occlusion: {budgets: [[2, 2]], colors: [black]}
    examples: 0
"""

WITH_AUTOATTACK = SLOW_SHARDS.replace("n_steps: 96", "n_steps: 4").replace(
    "  clean_accuracy: {}\n",
    "  clean_accuracy: {}\n  autoattack: {version: custom, attacks: [apgd-ce]}\n",
)


@pytest.fixture(scope="module")
def ray_cluster(shared_assets):
    """One local Ray instance with 2 CPUs for the module; its address for drivers in other processes."""
    from bench.executors.ray import bench_environment

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="WARNING",
        _node_ip_address="127.0.0.1",
        runtime_env={"env_vars": bench_environment()},
    )
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def comparable(result) -> tuple:
    return (
        [v.model_dump() for v in result.values],
        result.details,
        result.flags,
        result.provenance.sample_ids,
    )


def test_ray_sweep_writes_the_results_of_two_local_runs(ray_cluster, tmp_path):
    """The acceptance command: two models, protocol quick, shards of 8 on Ray == one local run per model."""
    from bench.cli.main import main

    models = ["cifar_smallgap_adv", "cifar_cnn_a_adv"]
    common = ["--protocol", "quick", "--device", "cpu", "--no-progress"]
    assert (
        main(
            [
                "evaluate",
                "--models",
                *models,
                *common,
                "--executor",
                "ray",
                "--shard-size",
                "8",
                "--results",
                str(tmp_path / "ray"),
            ]
        )
        == 0
    )
    for model in models:
        assert (
            main(["evaluate", "--model", model, *common, "--results", str(tmp_path / "local")]) == 0
        )
        on_ray, local = (read_result(tmp_path / d / model / "quick.json") for d in ("ray", "local"))
        assert comparable(on_ray) == comparable(local)
        assert sorted(p.name for p in (tmp_path / "ray" / model).glob("*.json")) == ["quick.json"]
        assert (tmp_path / "ray" / model / "quick.inequality.examples.npz").is_file()
        units = [
            json.loads(line)["unit"]
            for line in (tmp_path / "ray" / model / "quick.runs.jsonl").open()
        ]
        assert sorted(units) == ["shard-0000000-0000008", "shard-0000008-0000016", "whole"]


def test_a_worker_killed_mid_shard_is_retried_and_the_sweep_completes(ray_cluster, tmp_path):
    entry = ZOO.get("cifar_cnn_a_adv")
    (tmp_path / "p.yaml").write_text(SLOW_SHARDS)
    from bench.protocols import read_protocol

    protocol = read_protocol(tmp_path / "p.yaml").resolve("cifar10")
    job = plan_sweep(
        [(entry, protocol)],
        RunSettings(results_dir=tmp_path / "ray", batch_size=1, device="cpu"),
        8,
    )[0]
    shard = job.units()[
        0
    ]  # 8 images, 8 inequality batches: killed once the first batch is recorded
    failures: list = []
    sweep = threading.Thread(
        target=lambda: failures.extend(
            run_sweep([job], make_executor("ray", max_retries=2), show_progress=False)
        )
    )
    sweep.start()
    first_batch = shard.path(".state") / "inequality" / "batch-0000000.npz"
    deadline = time.time() + 300
    while not first_batch.is_file() and time.time() < deadline:
        time.sleep(0.02)
    assert first_batch.is_file(), "the shard never started its inequality batches"
    pid = json.loads(shard.path(".runs").read_text().splitlines()[-1])["pid"]
    os.kill(pid, signal.SIGKILL)
    sweep.join(timeout=600)
    assert not sweep.is_alive() and failures == []
    runs = [json.loads(line) for line in execution_log(job).read_text().splitlines()]
    killed = [r["pid"] for r in runs if r["unit"] == shard.name]
    assert (
        len(killed) == 2 and killed[0] == pid != killed[1]
    )  # run once, killed, retried by Ray once
    single = run_battery(
        entry, protocol, results_dir=tmp_path / "single", batch_size=1, device="cpu"
    )
    assert comparable(read_result(job.final)) == comparable(single)


def test_two_drivers_on_the_same_units_do_each_shard_once(ray_cluster, tmp_path):
    (tmp_path / "p.yaml").write_text(WITH_AUTOATTACK)
    args = [
        sys.executable,
        "-m",
        "bench.cli.main",
        "evaluate",
        "--model",
        "cifar_smallgap_adv",
        "--protocol",
        str(tmp_path / "p.yaml"),
        "--n-examples",
        "12",
        "--batch-size",
        "4",
        "--device",
        "cpu",
        "--shard-size",
        "4",
        "--executor",
        "ray",
        "--address",
        ray_cluster,
        "--json",
        "--results",
        str(tmp_path / "shared"),
    ]
    drivers = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [d.communicate(timeout=900) for d in drivers]
    assert [d.returncode for d in drivers] == [0, 0], [err[-3000:] for _, err in outs]
    results = [
        json.loads(out) for out, _ in outs
    ]  # stdout is one JSON object each: progress went to stderr
    assert results[0]["values"] == results[1]["values"]
    log = [
        json.loads(line)["unit"]
        for line in (tmp_path / "shared" / "cifar_smallgap_adv" / "ray-test.runs.jsonl")
        .read_text()
        .splitlines()
    ]
    assert sorted(log) == [
        "shard-0000000-0000004",
        "shard-0000004-0000008",
        "shard-0000008-0000012",
        "whole",
    ]
    from bench.protocols import read_protocol

    protocol = read_protocol(tmp_path / "p.yaml").resolve("cifar10", n_examples=12)
    single = run_battery(
        ZOO.get("cifar_smallgap_adv"),
        protocol,
        results_dir=tmp_path / "single",
        batch_size=4,
        device="cpu",
    )
    assert comparable(
        read_result(tmp_path / "shared" / "cifar_smallgap_adv" / "ray-test.json")
    ) == comparable(single)
